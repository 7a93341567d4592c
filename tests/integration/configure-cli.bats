#!/usr/bin/env bats
# nvidia-container-cli configure without an engine: standalone targets (a
# process sleeping in its own mount namespace, `configure --pid=PID ROOTFS`,
# as a hook would do), bad input, rollback, --dry-run, RPM-style rootfs, and
# the user-namespace mode LXC uses.

load containers

setup_file() {
        containers_setup_file --gpus 8
}

teardown_file() {
        containers_teardown_file
}

setup() {
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        R=$T/rootfs
        mk_rootfs "$R"
        a0_setup
}

teardown() {
        teardown_containers
}

# tree ROOTFS: every path of the tree with its type and size.
tree() {
        (cd "$1" && find . -printf '%p %y %s %m\n' | sort)
}

# bad_input EXPECTED ARG…: exit 1 with exactly EXPECTED; neither the target's
# mounts nor the rootfs nor the host changed.
bad_input() {
        local want=$1
        shift
        tree "$R" >"$T/tree.before"
        ns_mountinfo "$TARGET_PID" >"$T/ns.before"
        run cli_on "$SIM" configure "$@"
        echo "== configure $* -> $status"
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$output" = "$want" ]
        tree "$R" >"$T/tree.after"
        diff "$T/tree.before" "$T/tree.after"
        ns_mountinfo "$TARGET_PID" >"$T/ns.after"
        diff "$T/ns.before" "$T/ns.after"
        a0_check
}

@test "configure: bad input is exit 1 with the exact message, nothing changes" {
        start_target
        local p=$TARGET_PID
        bad_input "nvidia-container-cli: device error: 99: unknown device" \
                --pid="$p" --device=99 --compute --utility "$R"
        bad_input "nvidia-container-cli: device error: GPU-nope: unknown device" \
                --pid="$p" --device=0,GPU-nope "$R"
        bad_input "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=99, please update your driver to a newer version, or use an earlier cuda container" \
                --pid="$p" --device=0 --compute "--require=cuda>=99" "$R"
        bad_input "nvidia-container-cli: requirement error: unsatisfied condition: arch>=10.0" \
                --pid="$p" --device=0 --compute "--require=arch>=10.0" "$R"
        bad_input "nvidia-container-cli: input error: invalid rootfs directory: relative/path" \
                --pid="$p" --device=0 relative/path
        bad_input "nvidia-container-cli: input error: invalid rootfs directory: /" \
                --pid="$p" --device=0 /
        bad_input "nvidia-container-cli: container error: $T/missing: cannot open the rootfs: No such file or directory" \
                --pid="$p" --device=0 "$T/missing"
        bad_input "nvidia-container-cli: mig-config error: only 'all' devices are currently supported" \
                --pid="$p" --device=0 --mig-config=0 "$R"
        bad_input "nvidia-container-cli: mig-monitor error: only 'all' devices are currently supported" \
                --pid="$p" --device=0 --mig-monitor=1 "$R"
        bad_input "nvidia-container-cli: input error: unsupported IMEX channel value: abc" \
                --pid="$p" --device=0 --imex-channel=abc "$R"
        bad_input "nvidia-container-cli configure: invalid cuda-compat-mode: bogus
Try \`nvidia-container-cli configure --help' or \`nvidia-container-cli configure --usage' for more information." \
                --pid="$p" --device=0 --cuda-compat-mode=bogus "$R"
        bad_input "nvidia-container-cli configure: invalid pid: 0
Try \`nvidia-container-cli configure --help' or \`nvidia-container-cli configure --usage' for more information." \
                --pid=0 --device=0 "$R"
}

@test "configure: --pid of a process that has exited is a container error, nothing mounted" {
        local dead
        sleep 0 &
        dead=$!
        wait "$dead"
        tree "$R" >"$T/tree.before"
        run cli_on "$SIM" configure --pid="$dead" --no-cgroups --device=0 --compute --utility "$R"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ $output == "nvidia-container-cli: container error: container process $dead: "* ]]
        [ "${#lines[@]}" -eq 1 ]
        tree "$R" >"$T/tree.after"
        diff "$T/tree.before" "$T/tree.after"
        a0_check
}

# rollback_case PATH_IN_ROOTFS: a directory there (where a driver file must go)
# fails configure midway; every mount made before is undone.
rollback_case() {
        local obstacle=$1 name
        name=$(basename "$obstacle")
        # The obstacle comes after other mounts, so there is something to roll back.
        run cli_on "$SIM" configure --dry-run --format=json --no-cgroups --device=all --compute --utility "$R"
        [ "$status" -eq 0 ]
        local idx
        idx=$(jq --arg t "$obstacle" '[.mounts[].target] | index($t)' <<<"$output")
        echo "obstacle $obstacle is mount #$idx after $(jq '.devices | length' <<<"$output") devices"
        [ "$idx" -gt 0 ]
        mkdir -p "$R$obstacle"
        start_target
        ns_mountinfo "$TARGET_PID" >"$T/ns.before"
        run cli_target "$SIM" "$TARGET_PID" "$R" --no-cgroups --device=all --compute --utility
        echo "$output"
        [ "$status" -eq 1 ]
        [[ ${lines[-1]} == "nvidia-container-cli: mount error: "*"$name"*"exists and is a directory" ]]
        ns_mountinfo "$TARGET_PID" >"$T/ns.after"
        diff "$T/ns.before" "$T/ns.after"
        [ -d "$R$obstacle" ]
        stop_target "$TARGET_PID"
        a0_check
}

@test "configure rollback: a directory at a library's name fails with a mount error, the namespace is as before" {
        rollback_case "/usr/lib/x86_64-linux-gnu/libnvidia-cfg.so.$DRV"
}

@test "configure rollback: a directory at /usr/bin/nvidia-smi fails with a mount error, the namespace is as before" {
        rollback_case /usr/bin/nvidia-smi
}

@test "configure rollback, positive control: the same target and request without the obstacle gets every mount" {
        local plan want
        plan=$(cli_on "$SIM" configure --dry-run --format=json --no-cgroups --device=all --compute --utility "$R")
        # The target has no /proc/driver/nvidia: the procfs mask and its GPU dirs are skipped.
        want=$(jq '(.devices | length) + ([.mounts[] | select(.type != "proc")] | length)' <<<"$plan")
        start_target
        ns_mountinfo "$TARGET_PID" >"$T/ns.before"
        run cli_target "$SIM" "$TARGET_PID" "$R" --no-cgroups --device=all --compute --utility
        echo "$output"
        [ "$status" -eq 0 ]
        ns_mountinfo "$TARGET_PID" >"$T/ns.after"
        new_mounts "$T/ns.before" "$T/ns.after" >"$T/new"
        cat "$T/new"
        echo "new mounts: $(wc -l <"$T/new"), planned: $want"
        [ "$(wc -l <"$T/new")" -eq "$want" ]
        assert_new_mounts_ok "$T/ns.before" "$T/ns.after" "$R"
        grep -q " $R/usr/lib/x86_64-linux-gnu/libcuda.so.$DRV ro,nosuid,nodev" "$T/new"
        grep -q " $R/dev/nvidia7 ro,nosuid,noexec" "$T/new"
        # The symlinks are real files of the rootfs (the host sees them too).
        [ "$(readlink "$R/usr/lib/x86_64-linux-gnu/libcuda.so.1")" = "libcuda.so.$DRV" ]
        [ "$(readlink "$R/usr/lib/x86_64-linux-gnu/libcuda.so")" = libcuda.so.1 ]
        a0_check
}

@test "configure --dry-run --format=json: the plan as valid JSON, nothing changed" {
        local v=$DRV d=/usr/lib/x86_64-linux-gnu
        start_target
        tree "$R" >"$T/tree.before"
        ns_mountinfo "$TARGET_PID" >"$T/ns.before"
        run cli_target "$SIM" "$TARGET_PID" "$R" --dry-run --format=json --device=0,2 --compute --utility
        [ "$status" -eq 0 ]
        printf '%s\n' "$output" >"$T/plan.json"
        jq -e . "$T/plan.json" >/dev/null
        j() { jq -c "$@" "$T/plan.json"; }
        [ "$(j .rootfs)" = "\"$R\"" ]
        [ "$(j .pid)" = "$TARGET_PID" ]
        [ "$(j .library_dir)" = "\"$d\"" ]
        [ "$(j .driver_version)" = "\"$v\"" ]
        [ "$(j '[.devices[].target] | sort')" = '["/dev/nvidia-uvm","/dev/nvidia-uvm-tools","/dev/nvidia0","/dev/nvidia4","/dev/nvidiactl"]' ]
        [ "$(j '.devices[] | select(.target == "/dev/nvidia4") | [.major, .minor, .source]')" = "[195,4,\"$SIM/root/dev/nvidia4\"]" ]
        [ "$(j '.cgroup_rules | sort')" = '["c 195:0 rw","c 195:255 rw","c 195:4 rw","c 238:0 rw","c 238:1 rw"]' ]
        [ "$(j '[.masks[].target]')" = '["/proc/driver/nvidia"]' ]
        [ "$(j '.masks[0].files | sort')" = '["params","registry","version"]' ]
        [ "$(j '[.mounts[] | select(.type == "proc") | .target] | sort')" = '["/proc/driver/nvidia/gpus/0000:07:00.0","/proc/driver/nvidia/gpus/0000:47:00.0"]' ]
        [ "$(j --arg t "$d/libcuda.so.$v" '.mounts[] | select(.target == $t) | [.source, .type, .options]')" = "[\"$SIM/root$d/libcuda.so.$v\",\"driver-file\",\"ro,nosuid,nodev\"]" ]
        [ "$(j '.mounts[] | select(.target == "/usr/bin/nvidia-smi") | .options')" = '"ro,nosuid,nodev"' ]
        [ "$(j --arg t "/lib/firmware/nvidia/$v/gsp_ga10x.bin" '[.mounts[] | select(.target == $t)] | length')" = 1 ]
        [ "$(j --arg p "$d/libcuda.so.1" '.symlinks[] | select(.path == $p) | .target')" = "\"libcuda.so.$v\"" ]
        [ "$(j --arg p "$d/libcuda.so" '.symlinks[] | select(.path == $p) | .target')" = '"libcuda.so.1"' ]
        # Nothing of another capability, no other GPU.
        [ "$(j '[.mounts[].target | select(test("libnvidia-encode|libGLX|nvidia6"))] | length')" = 0 ]
        [ "$(j .ldconfig)" = "{\"path\":\"@/sbin/ldconfig\",\"directories\":[\"$d\"]}" ]
        # Every host source in the plan is a file of the (simulated) driver.
        [ "$(j --arg s "$SIM/" '[.devices[], .mounts[] | select(.source | startswith($s) | not)] | length')" = 0 ]
        tree "$R" >"$T/tree.after"
        diff "$T/tree.before" "$T/tree.after"
        ns_mountinfo "$TARGET_PID" >"$T/ns.after"
        diff "$T/ns.before" "$T/ns.after"
        # --no-cgroups: no rule; the default format is the same JSON.
        run cli_on "$SIM" configure --dry-run --no-cgroups --device=0,2 --compute --utility "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -c .cgroup_rules <<<"$output")" = "[]" ]
        [ "$(jq -c .pid <<<"$output")" = 0 ]
        tree "$R" >"$T/tree.after"
        diff "$T/tree.before" "$T/tree.after"
        a0_check
}

@test "configure: an RPM-style rootfs (no /etc/debian_version) gets the libraries in /usr/lib64" {
        local v=$DRV
        rm -rf "${R:?}"
        mk_rootfs "$R" rpm
        run cli_on "$SIM" configure --dry-run --format=json --device=0 --compute "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -r .library_dir <<<"$output")" = /usr/lib64 ]
        start_target
        ns_mountinfo "$TARGET_PID" >"$T/ns.before"
        run cli_target "$SIM" "$TARGET_PID" "$R" --no-cgroups --device=0 --compute
        echo "$output"
        [ "$status" -eq 0 ]
        ns_mountinfo "$TARGET_PID" >"$T/ns.after"
        new_mounts "$T/ns.before" "$T/ns.after" >"$T/new"
        grep -q " $R/usr/lib64/libcuda.so.$v ro,nosuid,nodev" "$T/new"
        ! grep -q " $R/usr/lib/x86_64-linux-gnu/" "$T/new" || false
        [ "$(readlink "$R/usr/lib64/libcuda.so.1")" = "libcuda.so.$v" ]
        [ ! -e "$R/usr/lib/x86_64-linux-gnu/libcuda.so.1" ]
        assert_new_mounts_ok "$T/ns.before" "$T/ns.after" "$R"
        a0_check
}

@test "configure without --pid works in the caller's mount namespace" {
        run unshare -m --propagation private /bin/sh -c '
                "$0" --root="$1/root" --proc-root="$1/proc" --sys-root="$1/sys" --cache-dir= \
                        configure --no-cgroups --device=1 --utility "$2" || exit 1
                grep " $2/" /proc/self/mountinfo' "$CLI" "$SIM" "$R"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *" $R/usr/bin/nvidia-smi ro,nosuid,nodev"* ]]
        [[ $output == *" $R/dev/nvidia6 ro,nosuid,noexec"* ]]
        a0_check
}

@test "configure --user in a user namespace (LXC's unprivileged mode)" {
        run unshare -U -r -m --propagation private /bin/sh -c '
                "$0" --root="$1/root" --proc-root="$1/proc" --sys-root="$1/sys" --cache-dir= \
                        --user configure --no-cgroups --device=all --utility "$2" || exit 1
                ls "$2/usr/bin/nvidia-smi" "$2/dev/nvidia0" &&
                        grep " $2/" /proc/self/mountinfo' "$CLI" "$SIM" "$R"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *" $R/usr/bin/nvidia-smi ro,nosuid,nodev"* ]]
        [[ $output == *" $R/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.$DRV ro,nosuid,nodev"* ]]
        [[ $output == *" $R/dev/nvidia3 ro,nosuid,noexec"* ]]
        a0_check
}

@test "config.toml: [nvidia-container-cli] root is the CLI's default driver root; --root overrides it; a broken file is an input error" {
        make_sim cfgsim --gpus 1
        printf '[nvidia-container-cli]\nroot = "/nonexistent-driver-root"\nload-kmods = false\n' >"$T/cfg.toml"
        run "$CONTAINERS_LIB_DIR/engines/ns-enter.sh" "$SCRATCH/cfgsim" "$T/cfg.toml" -- "$CLI" --cache-dir= list -l
        echo "$output"
        [ "$status" -eq 1 ]
        [[ $output == *"/nonexistent-driver-root"* ]]
        run "$CONTAINERS_LIB_DIR/engines/ns-enter.sh" "$SCRATCH/cfgsim" "$T/cfg.toml" -- "$CLI" --root=/ --cache-dir= list -l
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *libcuda.so.* ]]
        printf '[nvidia-container-cli]\nroot = \n' >"$T/bad.toml"
        run "$CONTAINERS_LIB_DIR/engines/ns-enter.sh" "$SCRATCH/cfgsim" "$T/bad.toml" -- "$CLI" --root=/ list -l
        echo "$output"
        [ "$status" -eq 1 ]
        [[ $output == *"input error: /etc/nvidia-container-runtime/config.toml:2"* ]]
}
