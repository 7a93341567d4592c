#!/usr/bin/env bats
# nvidia-cdi-hook as the createContainer hooks of a CDI spec, with the real
# runc: the hooks run in the container's mount namespace before pivot_root,
# the OCI state on stdin. Checks what the container then sees (symlinks, the
# loader finding a library from a non-default folder, the params mask) and
# the hostile cases (symlinks out of the rootfs, garbage caches, "..",
# LD_PRELOAD from the image). Needs root, runc, busybox-static, jq, gcc.

load containers

CDIHOOK=$NVCR_BUILD_DIR/cmd/cdi-hook/nvidia-cdi-hook

setup_file() {
        containers_setup_file --gpus 8
        local d=$SCRATCH/nvtest
        mkdir -p "$d"
        echo 'int nvtest_answer(void) { return 42; }' >"$d/lib.c"
        printf '#include <stdio.h>\nint nvtest_answer(void);\nint main(void) { printf("answer=%%d\\n", nvtest_answer()); return 0; }\n' >"$d/prog.c"
        gcc -shared -fPIC -Wl,-soname,libnvtest.so.1 -o "$d/libnvtest.so.1.2.3" "$d/lib.c"
        gcc -o "$d/prog" "$d/prog.c" "$d/libnvtest.so.1.2.3"
}

teardown_file() {
        containers_teardown_file
}

setup() {
        [ -x "$CDIHOOK" ] || skip "nvidia-cdi-hook not built"
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        a0_setup
}

teardown() {
        teardown_containers
}

# cdi_bundle BUNDLE ARGS_JSON [make_bundle option…]: a plain container
# (no simulated procfs unless asked) whose rootfs has /prog and the test
# library in /opt/nv (a folder the loader does not search by default).
cdi_bundle() {
        local b=$1 args=$2
        shift 2
        make_bundle "$b" --no-configure --args "$args" "$@" || return 1
        mkdir -p "$b/rootfs/opt/nv"
        cp "$SCRATCH/nvtest/prog" "$b/rootfs/prog"
        cp "$SCRATCH/nvtest/libnvtest.so.1.2.3" "$b/rootfs/opt/nv/"
}

# add_hook BUNDLE HOOK_ARG…: one more createContainer hook running our binary,
# with its own explicit env (as every hook of our specs).
add_hook() {
        local b=$1 args='["nvidia-cdi-hook"]' a
        shift
        for a in "$@"; do
                args=$(jq -c --arg a "$a" '. + [$a]' <<<"$args")
        done
        jq --arg p "$CDIHOOK" --argjson args "$args" \
                '.hooks.createContainer = ((.hooks.createContainer // []) +
                   [{path: $p, args: $args, env: ["NVIDIA_CTK_DEBUG=false"], timeout: 30}])' \
                "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
}

run_ctr() {
        local id
        id=$(new_ctr_id cdi)
        runc_run "$1" "$id"
}

@test "cdi-hook: create-symlinks and update-ldcache: the loader finds a library of a non-default folder" {
        cdi_bundle "$T/b" '["/bin/sh","-c","/prog; echo link=$(readlink /opt/nv/libnvtest.so); echo so=$(readlink /opt/nv/libnvtest.so.1); cat /etc/ld.so.conf.d/00-nvcr-cdi-*.conf | grep -v ^#"]'
        add_hook "$T/b" create-symlinks --link libnvtest.so.1::/opt/nv/libnvtest.so --link=/x/y::/deep/new/dir/l
        add_hook "$T/b" update-ldcache --folder /opt/nv --ldconfig-path /sbin/ldconfig
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of answer)" = 42 ]
        [ "$(value_of link)" = libnvtest.so.1 ]
        [ "$(value_of so)" = libnvtest.so.1.2.3 ]
        [[ $output == *"/opt/nv"* ]]
        [ "$(readlink "$T/b/rootfs/deep/new/dir/l")" = /x/y ]
        # Same entries as the real ldconfig writes for the same configuration.
        ldconfig -p -C "$T/b/rootfs/etc/ld.so.cache" | grep -v '^Cache generated' >"$T/ours"
        ldconfig -X -r "$T/b/rootfs"
        ldconfig -p -C "$T/b/rootfs/etc/ld.so.cache" | grep -v '^Cache generated' >"$T/real"
        diff "$T/ours" "$T/real"
        a0_check
}

@test "cdi-hook: without the hook the library is not found (the test is meaningful)" {
        cdi_bundle "$T/b" '["/prog"]'
        run run_ctr "$T/b"
        [ "$status" -ne 0 ]
        [[ $output == *"libnvtest.so.1"* ]]
}

@test "cdi-hook: a restarted container (hooks run twice) keeps one entry and one conf file" {
        cdi_bundle "$T/b" '["/prog"]'
        add_hook "$T/b" update-ldcache --folder /opt/nv
        run run_ctr "$T/b"
        [ "$status" -eq 0 ]
        run run_ctr "$T/b"
        [ "$status" -eq 0 ]
        [ "$(ldconfig -p -C "$T/b/rootfs/etc/ld.so.cache" | grep -c libnvtest)" = 1 ]
        [ "$(ls "$T/b/rootfs/etc/ld.so.conf.d" | grep -c nvcr)" = 1 ]
        [ -z "$(ls -A "$T/b/rootfs/etc" | grep nvcr-tmp)" ]
}

@test "cdi-hook: an existing ld.so.cache that is garbage or huge is replaced" {
        cdi_bundle "$T/b" '["/prog"]'
        add_hook "$T/b" update-ldcache --folder /opt/nv
        head -c 100000 /dev/urandom >"$T/b/rootfs/etc/ld.so.cache"
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of answer)" = 42 ]
        truncate -s 100M "$T/b/rootfs/etc/ld.so.cache"
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of answer)" = 42 ]
        [ "$(stat -c %s "$T/b/rootfs/etc/ld.so.cache")" -lt 100000 ]
        a0_check
}

@test "cdi-hook: /etc, /etc/ld.so.conf.d and a link's parent as symlinks to a host dir write nothing outside" {
        # /etc/ld.so.conf.d -> canary (absolute: resolved inside the rootfs)
        cdi_bundle "$T/b" '["/prog"]'
        rm -rf "$T/b/rootfs/etc/ld.so.conf.d"
        ln -s "$A0_C" "$T/b/rootfs/etc/ld.so.conf.d"
        mkdir -p "$T/b/rootfs/deep"
        ln -s "$A0_C" "$T/b/rootfs/deep/parent"
        add_hook "$T/b" create-symlinks --link x::/deep/parent/l
        add_hook "$T/b" update-ldcache --folder /opt/nv
        run run_ctr "$T/b"
        echo "$output"
        a0_check
        # /etc itself -> canary
        cdi_bundle "$T/b2" '["/prog"]'
        rm -rf "$T/b2/rootfs/etc"
        ln -s "$A0_C" "$T/b2/rootfs/etc"
        add_hook "$T/b2" update-ldcache --folder /opt/nv
        run run_ctr "$T/b2"
        echo "$output"
        a0_check
        # relative symlinks with ".." out of the rootfs
        cdi_bundle "$T/b3" '["/prog"]'
        rm -rf "$T/b3/rootfs/etc/ld.so.conf.d"
        ln -s "../../../../../../../../../../../../..$A0_C" "$T/b3/rootfs/etc/ld.so.conf.d"
        add_hook "$T/b3" update-ldcache --folder /opt/nv
        run run_ctr "$T/b3"
        echo "$output"
        a0_check
}

@test "cdi-hook: a library folder that is a symlink out of the rootfs is not scanned on the host" {
        mkdir -p "$T/hostlibs"
        cp "$SCRATCH/nvtest/libnvtest.so.1.2.3" "$T/hostlibs/"
        cdi_bundle "$T/b" '["/prog"]'
        rm -rf "$T/b/rootfs/opt/nv"
        ln -s "$T/hostlibs" "$T/b/rootfs/opt/nv"
        add_hook "$T/b" update-ldcache --folder /opt/nv
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -ne 0 ] # the host's library is not in the container
        [ "$(ls -A "$T/hostlibs")" = libnvtest.so.1.2.3 ] # no soname link made on the host
        ! ldconfig -p -C "$T/b/rootfs/etc/ld.so.cache" | grep -q libnvtest
        a0_check
}

@test "cdi-hook: '..'-laden --link and --folder stay inside the rootfs" {
        cdi_bundle "$T/b" '["/bin/sh","-c","/prog; echo link=$(readlink /opt/nv/libnvtest.so)"]'
        add_hook "$T/b" create-symlinks --link "libnvtest.so.1::/../../../../../opt/nv/../nv/libnvtest.so"
        add_hook "$T/b" update-ldcache --folder "/../../../opt/../opt/nv"
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of answer)" = 42 ]
        [ "$(value_of link)" = libnvtest.so.1 ]
        a0_check
}

@test "cdi-hook: LD_PRELOAD in the image's env never reaches a hook that carries its own env" {
        cdi_bundle "$T/b" '["/bin/true"]'
        printf '#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void pwn(void) { close(open("%s/pwned", O_CREAT | O_WRONLY, 0644)); }\n' \
                "$A0_C" >"$T/evil.c"
        gcc -shared -fPIC -o "$T/b/rootfs/evil.so" "$T/evil.c"
        jq --arg p "LD_PRELOAD=$T/b/rootfs/evil.so" '.process.env += [$p]' "$T/b/config.json" >"$T/c" &&
                mv "$T/c" "$T/b/config.json"
        add_hook "$T/b" create-symlinks --link a::/b
        add_hook "$T/b" update-ldcache --folder /opt/nv
        add_hook "$T/b" noop
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ ! -e "$A0_C/pwned" ]
        a0_check
}

@test "cdi-hook: a failing hook says which path and why, exit 1, no temporary file left" {
        cdi_bundle "$T/b" '["/bin/true"]'
        rm -f "$T/b/rootfs/etc/ld.so.cache"
        mkdir -p "$T/b/rootfs/etc/ld.so.cache/x" # a directory where the cache goes
        add_hook "$T/b" update-ldcache --folder /opt/nv
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"nvidia-cdi-hook: update-ldcache: "*"ld.so.cache"* ]]
        [ -z "$(ls -A "$T/b/rootfs/etc" | grep nvcr-tmp)" ]
        a0_check
}

@test "cdi-hook: disable-device-node-modification masks params with ModifyDeviceFiles: 0 (simulated host)" {
        cdi_bundle "$T/b" '["/bin/sh","-c","echo mod=$(grep ^ModifyDeviceFiles: /proc/driver/nvidia/params); echo w=$( (echo x >/proc/driver/nvidia/params) 2>&1 | sed \"s/.*: //\"); echo gpus=$(ls /proc/driver/nvidia/gpus | wc -l)"]'
        # cdi_bundle dropped the simproc hook (--no-configure only): add it back, ordered first.
        make_bundle "$T/b2" --no-configure --args '["/bin/true"]'
        jq --slurpfile o "$T/b2/config.json" '.hooks.prestart = $o[0].hooks.prestart' "$T/b/config.json" >"$T/c" &&
                mv "$T/c" "$T/b/config.json"
        add_hook "$T/b" disable-device-node-modification
        local before
        before=$(sha256sum <"$SIM/proc/driver/nvidia/params")
        grep -q '^ModifyDeviceFiles: 1' "$SIM/proc/driver/nvidia/params"
        local id
        id=$(new_ctr_id cdi)
        run timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- "$RUNC" run -b "$T/b" "$id" </dev/null
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of mod)" = "ModifyDeviceFiles: 0" ]
        [ "$(value_of w)" = "Read-only file system" ]
        [ "$(value_of gpus)" = 8 ]
        [ "$(sha256sum <"$SIM/proc/driver/nvidia/params")" = "$before" ]
        a0_check
}

@test "cdi-hook: disable-device-node-modification without a driver on the host exits 0 quietly" {
        [ ! -e /proc/driver/nvidia/params ] || skip "this host has a driver"
        cdi_bundle "$T/b" '["/bin/true"]' --no-simproc
        add_hook "$T/b" disable-device-node-modification
        run run_ctr "$T/b"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

@test "cdi-hook: enable-cuda-compat puts newer compat libraries first, ignores older ones" {
        cdi_bundle "$T/b" '["/prog"]'
        mkdir -p "$T/b/rootfs/usr/local/cuda/compat"
        gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$T/b/rootfs/usr/local/cuda/compat/libcuda.so.999.1.2" "$SCRATCH/nvtest/lib.c"
        mkdir -p "$T/b/rootfs/drv"
        gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$T/b/rootfs/drv/libcuda.so.580.1.2" "$SCRATCH/nvtest/lib.c"
        add_hook "$T/b" enable-cuda-compat --host-driver-version=580.1.2
        add_hook "$T/b" update-ldcache --folder /drv --folder /opt/nv
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        ldconfig -p -C "$T/b/rootfs/etc/ld.so.cache" | grep 'libcuda.so.1 ' | head -1 | grep -q /usr/local/cuda/compat/
        grep -qx /usr/local/cuda/compat "$T/b/rootfs/etc/ld.so.conf.d/00-compat-nvcr.conf"
        # older compat libraries: nothing
        cdi_bundle "$T/b2" '["/bin/true"]'
        mkdir -p "$T/b2/rootfs/usr/local/cuda/compat"
        cp "$T/b/rootfs/usr/local/cuda/compat/libcuda.so.999.1.2" "$T/b2/rootfs/usr/local/cuda/compat/libcuda.so.470.1.2"
        cp "$T/b2/rootfs/etc/ld.so.cache" "$T/cache.before"
        add_hook "$T/b2" enable-cuda-compat --host-driver-version=580.1.2
        run run_ctr "$T/b2"
        [ "$status" -eq 0 ]
        [ ! -e "$T/b2/rootfs/etc/ld.so.conf.d/00-compat-nvcr.conf" ]
        cmp "$T/cache.before" "$T/b2/rootfs/etc/ld.so.cache"
}

@test "cdi-hook: update-application-profile, chmod, unknown hooks, --help" {
        cdi_bundle "$T/b" '["/bin/true"]'
        mkdir -p "$T/b/rootfs/srv"
        touch "$T/b/rootfs/srv/f"
        ln -s "$A0_V" "$T/b/rootfs/srv/victim"
        add_hook "$T/b" chmod --mode 0600 --path /srv/f --path /srv/victim
        add_hook "$T/b" no-such-hook --whatever
        run run_ctr "$T/b"
        echo "$output"
        # the victim link resolves inside the rootfs (to nothing): an error, the host file unchanged
        [ "$status" -ne 0 ]
        [ "$(stat -c %a "$T/b/rootfs/srv/f")" = 600 ]
        a0_check
        run "$CDIHOOK" update-ldcache --help
        [ "$status" -eq 0 ]
        [[ $output == *"--folder value"* ]]
        run "$CDIHOOK" no-such-hook
        [ "$status" -eq 0 ]
        [[ $output == *"unknown hook"* ]]
}

@test "nvidia-ctk hook: the same hooks as nvidia-cdi-hook, as a spec naming nvidia-ctk runs them (chained with --then too)" {
        CTK=$NVCR_BUILD_DIR/cmd/ctk/nvidia-ctk
        [ -x "$CTK" ] || skip "nvidia-ctk not built"
        cdi_bundle "$T/b" '["/bin/sh","-c","/prog; echo link=$(readlink /opt/nv/libnvtest.so)"]'
        jq --arg p "$CTK" '.hooks.createContainer = [{path: $p, env: ["PATH=/usr/bin:/bin"],
                args: ["nvidia-ctk","hook","create-symlinks","--link","libnvtest.so.1::/opt/nv/libnvtest.so",
                       "--then","update-ldcache","--folder","/opt/nv"]}]' \
                "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        run run_ctr "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of answer)" = 42 ]
        [ "$(value_of link)" = libnvtest.so.1 ]
        run "$CTK" hook --help
        [ "$status" -eq 0 ]
        [[ $output == *"update-ldcache"* && $output == *"disable-device-node-modification"* ]]
        a0_check
}
