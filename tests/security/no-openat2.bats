#!/usr/bin/env bats
# security.md §3 (d) and §4 item 18: the suite's symlink cases again with
# openat2 failing with ENOSYS (a seccomp wrapper), as on kernels before 5.6:
# the safe-path layer's O_NOFOLLOW walk and the cgroup opener's fallback must
# give the same confinement. A0 after each.

load security

setup_file() {
        containers_setup_file --gpus 8
}

teardown_file() {
        containers_teardown_file
}

setup() {
        security_setup
        local wrap=$NVCR_BUILD_DIR/tests/security/no-openat2
        [ -x "$wrap" ] || skip "no-openat2 not built"
        # configure_once runs "$CLI": point it at the CLI under the wrapper.
        REAL_CLI=$CLI
        CLI=$T/cli-no-openat2
        printf '#!/bin/sh\nexec %s %s "$@"\n' "$wrap" "$REAL_CLI" >"$CLI"
        chmod +x "$CLI"
}

teardown() {
        CLI=$REAL_CLI
        teardown_containers
}

@test "no openat2: the wrapper really makes openat2 fail with ENOSYS" {
        # strace shows the CLI trying openat2, getting ENOSYS, and going on.
        root=$T/plain/rootfs
        mkdir -p "$T/plain"
        mk_rootfs "$root" debian
        run strace -f -e trace=openat2 -o "$T/strace" "$CLI" --root="$SIM/root" \
                --proc-root="$SIM/proc" --sys-root="$SIM/sys" --cache-dir= configure --dry-run \
                --device=0 --compute "$root"
        [ "$status" -eq 0 ]
        grep -q 'openat2(.*= -1 ENOSYS' "$T/strace"
        ! grep -q 'openat2(.*= [0-9]' "$T/strace"
}

@test "no openat2: a plain configure works (fallback walk), mounts land inside the rootfs" {
        root=$T/plain/rootfs
        mkdir -p "$T/plain"
        mk_rootfs "$root" debian
        configure_once "$root" "${SEC_ARGS[@]}"
        printf '%s\n' "$output"
        [ "$status" -eq 0 ]
        assert_clean_outcome "$root"
        ldconfig -p -C "$root/etc/ld.so.cache" | grep -q 'libcuda.so.1 '
        a0_check
}

@test "no openat2: symlinked /usr/lib/x86_64-linux-gnu -> C" {
        symlink_case /usr/lib/x86_64-linux-gnu debian "libcuda.so.$DRV" "${SEC_ARGS[@]}"
}

@test "no openat2: symlinked /usr/bin -> C" {
        symlink_case /usr/bin debian nvidia-smi "${SEC_ARGS[@]}"
}

@test "no openat2: symlinked /dev -> C" {
        symlink_case /dev debian "?nvidia0" "${SEC_ARGS[@]}"
}

@test "no openat2: symlinked /lib/firmware/nvidia/<version> -> C" {
        symlink_case "/lib/firmware/nvidia/$DRV" debian gsp_ga10x.bin "${SEC_ARGS[@]}"
}
