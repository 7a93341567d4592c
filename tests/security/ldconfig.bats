#!/usr/bin/env bats
# ldconfig and the image (security.md CVE-2024-0135/0136/0137, CVE-2025-23267,
# §4 P0-7/8): the image's ldconfig is refused unless allowed, and then runs
# sandboxed; the host's runs from a sealed copy; a hostile ld.so.cache /
# ld.so.conf(.d) reaches nothing of the host. A0 after each.

load security

setup_file() {
        containers_setup_file --gpus 8
        cc -static -O2 -o "$SCRATCH/evil-ldconfig" "$BATS_TEST_DIRNAME/evil-ldconfig.c"
        chmod 0755 "$SCRATCH/evil-ldconfig"
}

teardown_file() {
        containers_teardown_file
}

setup() {
        security_setup
        R=$T/rootfs
        mk_rootfs "$R"
        echo "$A0_C" >"$R/etc/evil-canary"
        HOST_NETNS=$(readlink /proc/self/ns/net)
        # Targets with their own network, ipc and uts namespaces, like a container.
        TARGET_UNSHARE=(-n -i -u)
        LDCONFIG_SUM=$(sha256sum </sbin/ldconfig)
}

teardown() {
        teardown_containers
}

# report KEY: a line of the evil ldconfig's report (in the rootfs's /tmp).
report() {
        sed -n "s/^$1=//p" "$R/tmp/evil-report"
}

# assert_contained: what the evil ldconfig reported shows no way out.
assert_contained() {
        cat "$R/tmp/evil-report"
        [ "$(report canary)" = "$A0_C" ]
        [ "$(report write_proc1_root)" != ok ]
        [ "$(report write_canary_path)" != ok ]
        # No network namespace (no procfs), or the container's: never the host's.
        [ "$TARGET_NETNS" != "$HOST_NETNS" ]
        [ "$(report netns)" != "$HOST_NETNS" ]
        [[ $(report netns) == "No such file or directory" || $(report netns) == "$TARGET_NETNS" ]]
        [ "$(report open_nvidiactl)" != ok ]
        [ "$(report mknod)" != ok ]
        [ "$(report socket)" != ok ]
        [ "$(report fork)" != ok ]
        [ "$(report write_exe)" != ok ]
}

@test "ldconfig: the image's /sbin/ldconfig is refused without --allow-container-ldconfig" {
        cp "$SCRATCH/evil-ldconfig" "$R/sbin/ldconfig"
        configure_once "$R" --no-cgroups --device=all --compute --utility --ldconfig=/sbin/ldconfig
        echo "$output"
        [ "$status" -eq 1 ]
        [[ $output == *refusing* ]]
        [[ ${lines[-1]} == "nvidia-container-cli: "*" error: "*"/sbin/ldconfig"* ]]
        assert_clean_outcome "$R"
        [ ! -e "$R/tmp/evil-report" ]
        # Also the short form, and a path without "@" that does not exist.
        configure_once "$R" --no-cgroups --device=0 --compute -l /sbin/ldconfig.real
        [ "$status" -eq 1 ]
        [[ $output == *refusing* ]]
        [ "$(sha256sum </sbin/ldconfig)" = "$LDCONFIG_SUM" ]
        a0_check
}

@test "ldconfig: with --allow-container-ldconfig the image's ldconfig (static binary) runs sandboxed" {
        cp "$SCRATCH/evil-ldconfig" "$R/sbin/ldconfig"
        configure_once "$R" --no-cgroups --device=all --compute --utility --ldconfig=/sbin/ldconfig \
                --allow-container-ldconfig
        echo "$output"
        assert_clean_outcome "$R"
        [ "$status" -eq 0 ]
        # It ran (it wrote its report inside the rootfs), and got nowhere.
        assert_contained
        [ "$(report uid)" = 0 ]
        a0_check
}

@test "ldconfig: with --allow-container-ldconfig the image's ldconfig (shell script) cannot write the host" {
        # Redirections of `exec` onto a closed fd 1: no dup2, which the
        # sandbox's seccomp list lacks (busybox ash spins on it otherwise).
        cat >"$R/sbin/ldconfig" <<EOF
#!/bin/sh
exec 1>&-
exec 1>/tmp/script-ran
exec 1>&-
exec 1>/proc/1/root$A0_C/owned
exit 0
EOF
        chmod 0755 "$R/sbin/ldconfig"
        configure_once "$R" --no-cgroups --device=0 --compute --utility --ldconfig=/sbin/ldconfig \
                --allow-container-ldconfig
        echo "$output"
        # It ran (it made /tmp/script-ran in the rootfs), its write to the host
        # failed, so it exited 2: configure fails cleanly with an ldcache error.
        [ -e "$R/tmp/script-ran" ]
        assert_clean_outcome "$R"
        [ "$status" -eq 0 ] || [[ ${lines[-1]} == "nvidia-container-cli: ldcache error: "* ]]
        a0_check
}

@test "ldconfig: a host ldconfig (@path) runs from a sealed memfd; it cannot write its own binary (CVE-2024-0135)" {
        local sum
        sum=$(sha256sum <"$SCRATCH/evil-ldconfig")
        configure_once "$R" --no-cgroups --device=all --compute --utility \
                --ldconfig=@"$SCRATCH/evil-ldconfig"
        echo "$output"
        assert_clean_outcome "$R"
        [ "$status" -eq 0 ]
        assert_contained
        [[ $(report exe) == /memfd:* ]]
        [ "$(sha256sum <"$SCRATCH/evil-ldconfig")" = "$sum" ]
        a0_check
}

@test "ldconfig: a host ldconfig that is group/world-writable is refused" {
        cp "$SCRATCH/evil-ldconfig" "$T/writable-ldconfig"
        chmod 0777 "$T/writable-ldconfig"
        configure_once "$R" --no-cgroups --device=0 --compute --ldconfig=@"$T/writable-ldconfig"
        echo "$output"
        [ "$status" -eq 1 ]
        assert_clean_outcome "$R"
        [ ! -e "$R/tmp/evil-report" ]
        a0_check
}

@test "ldconfig: hostile ld.so.cache and ld.so.conf(.d) through /proc/1/root reach nothing of the host (CVE-2025-23267)" {
        local H=$T/hostconf
        # A host directory the image names: if ldconfig read it, the cache
        # would list $H/lib and ldconfig would make a soname link in it.
        mkdir -p "$H/lib"
        cp -L /lib/x86_64-linux-gnu/libpcre2-8.so.0 "$H/lib/libpcre2-8.so.0.99.0"
        echo "$H/lib" >"$H/evil.conf"
        (cd "$H" && find . -printf '%p %y %s\n' | sort) >"$T/H.before"
        rm -rf "${R:?}/etc/ld.so.cache" "${R:?}/etc/ld.so.conf.d"
        ln -s "/proc/1/root$A0_C/x" "$R/etc/ld.so.cache"
        ln -s "/proc/1/root$H" "$R/etc/ld.so.conf.d"
        printf 'include /etc/ld.so.conf.d/*.conf\ninclude /proc/1/root%s/*.conf\n%s/lib\n' "$H" "$H" \
                >"$R/etc/ld.so.conf"
        configure_once "$R" --no-cgroups --device=all --compute --utility --ldconfig=@/sbin/ldconfig
        echo "$output"
        assert_clean_outcome "$R"
        if [ "$status" -eq 0 ]; then
                # The cache was written in the rootfs (the link replaced, not followed) ...
                [ -f "$R/etc/ld.so.cache" ] && [ ! -L "$R/etc/ld.so.cache" ]
                assert_ldcache_updated "$R"
                # ... and names nothing of the host directory.
                ! ldconfig -p -C "$R/etc/ld.so.cache" | grep -F "$H" || false
        fi
        (cd "$H" && find . -printf '%p %y %s\n' | sort) >"$T/H.after"
        diff "$T/H.before" "$T/H.after"
        [ "$(sha256sum </sbin/ldconfig)" = "$LDCONFIG_SUM" ]
        a0_check
}
