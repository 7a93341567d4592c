#!/usr/bin/env bats
# Files the image plants where configure creates things (security.md §4
# P0-9, P1-20, P2-23): a symlink or a wrong device at a /dev/nvidia* name is
# replaced, never followed; a FIFO at a link or mount target name neither
# blocks configure nor gets opened. Standalone targets (the image's /dev is
# used as is). A0 after each.

load security

setup_file() {
        containers_setup_file --gpus 8
}

teardown_file() {
        containers_teardown_file
}

setup() {
        security_setup
        R=$T/rootfs
        mk_rootfs "$R"
}

teardown() {
        teardown_containers
}

# ns_stat PATH: stat of PATH in the last standalone target's view.
ns_stat() {
        nsenter -t "$TARGET_PID" -m stat -c '%F %t:%T' "$1"
}

@test "planted: /dev/nvidia0 -> C/x and /dev/nvidiactl -> /proc/1/root\$C/y are replaced by the real nodes, never followed" {
        ln -s "$A0_C/x" "$R/dev/nvidia0"
        ln -s "/proc/1/root$A0_C/y" "$R/dev/nvidiactl"
        # A node of the wrong device at another GPU's name.
        mknod "$R/dev/nvidia1" c 1 3
        start_target
        ns_mountinfo "$TARGET_PID" >"$T/ns.before"
        run cli_target "$SIM" "$TARGET_PID" "$R" --no-cgroups --device=all --compute --utility
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(ns_stat "$R/dev/nvidia0")" = "character special file c3:0" ]
        [ "$(ns_stat "$R/dev/nvidiactl")" = "character special file c3:ff" ]
        [ "$(ns_stat "$R/dev/nvidia1")" = "character special file c3:1" ]
        # Outside the target's mounts the links were replaced by empty files.
        [ "$(stat -c %F "$R/dev/nvidia0")" = "regular empty file" ]
        [ "$(stat -c %F "$R/dev/nvidiactl")" = "regular empty file" ]
        ns_mountinfo "$TARGET_PID" >"$T/ns.after"
        assert_new_mounts_ok "$T/ns.before" "$T/ns.after" "$R"
        a0_check
}

@test "planted: a dangling /dev/nvidia-uvm -> ../../..\$C/z (relative) is replaced, C stays empty" {
        ln -s "../../../../../../../../../..$A0_C/z" "$R/dev/nvidia-uvm"
        configure_once "$R" --no-cgroups --device=0 --compute
        echo "$output"
        assert_clean_outcome "$R"
        [ "$status" -eq 0 ]
        new_mounts "$NS_BEFORE" "$NS_AFTER" | grep -q " $R/dev/nvidia-uvm ro,nosuid,noexec"
        [ ! -L "$R/dev/nvidia-uvm" ]
        a0_check
}

@test "planted: a directory at /dev/nvidia0 fails cleanly, nothing left mounted" {
        mkdir "$R/dev/nvidia0"
        configure_once "$R" --no-cgroups --device=all --compute
        echo "$output"
        [ "$status" -eq 1 ]
        assert_clean_outcome "$R"
        [[ ${lines[-1]} == "nvidia-container-cli: mount error: "*nvidia0* ]]
        a0_check
}

# fifo_case PATH: a FIFO at PATH (inside the rootfs); configure must finish
# within 10 s and must not open it for writing (a reader would wake up).
fifo_case() {
        local fifo=$R$1 reader
        mkfifo "$fifo"
        # A reader blocked in open(2): returns only if someone opens it to write.
        timeout 30 cat "$fifo" >"$T/reader.out" 2>&1 </dev/null 3>&- &
        reader=$!
        echo "$reader" >>"$SCRATCH/racers.list"
        start_target
        NS_BEFORE=$T/ns.before
        NS_AFTER=$T/ns.after
        ns_mountinfo "$TARGET_PID" >"$NS_BEFORE"
        run timeout 10 "$CLI" --root="$SIM/root" --proc-root="$SIM/proc" --sys-root="$SIM/sys" \
                --cache-dir= configure --pid="$TARGET_PID" --no-cgroups --device=0 --compute --utility "$R"
        echo "FIFO at $1: exit $status"
        echo "$output"
        ns_mountinfo "$TARGET_PID" >"$NS_AFTER"
        [ "$status" -ne 124 ]
        assert_clean_outcome "$R"
        # Nobody opened the FIFO to write: the reader is still blocked in open(2).
        [ -d "/proc/$reader" ] && [ "$(awk '{print $3}' "/proc/$reader/stat")" != Z ]
        kill "$reader"
        wait "$reader" || : # killed: 143
        [ ! -s "$T/reader.out" ]
        a0_check
}

@test "planted: a FIFO at /usr/lib/x86_64-linux-gnu/libcuda.so.1 (a soname link) neither blocks nor is opened" {
        fifo_case /usr/lib/x86_64-linux-gnu/libcuda.so.1
        # Left alone (an image file), or replaced by our link: either way no FIFO was followed.
        [ -p "$R/usr/lib/x86_64-linux-gnu/libcuda.so.1" ] ||
                [ "$(readlink "$R/usr/lib/x86_64-linux-gnu/libcuda.so.1")" = "libcuda.so.$DRV" ]
}

@test "planted: a FIFO at a mount target (/usr/lib/x86_64-linux-gnu/libcuda.so.<ver>) neither blocks nor is opened" {
        fifo_case "/usr/lib/x86_64-linux-gnu/libcuda.so.$DRV"
}

@test "planted: a FIFO at /usr/bin/nvidia-smi and at /dev/nvidiactl neither blocks nor is opened" {
        fifo_case /usr/bin/nvidia-smi
        teardown_containers
        a0_setup
        rm -rf "${R:?}"
        mk_rootfs "$R"
        fifo_case /dev/nvidiactl
}
