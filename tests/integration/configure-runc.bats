#!/usr/bin/env bats
# nvidia-container-cli configure as an OCI prestart hook of the real runc
# (1.1.5 here, cgroup v1 devices) on the 8-GPU simulated host. The container
# prints what it sees (write_gpu_check); the tests read its report.
# Needs root, runc, busybox-static, jq.

load containers

setup_file() {
        containers_setup_file --gpus 8
}

teardown_file() {
        containers_teardown_file
}

setup() {
        command -v "$RUNC" >/dev/null || skip "runc not installed"
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        a0_setup
        write_gpu_check "$T/check.sh"
}

teardown() {
        teardown_containers
}

@test "runc: --device=0,2 --compute --utility: selected GPUs only, read-only driver files, masked procfs, device cgroup" {
        make_bundle "$T/b" --script "$T/check.sh" --cap CAP_MKNOD -- --device=0,2 --compute --utility
        id=$(new_ctr_id main)
        run runc_run "$T/b" "$id"
        echo "$output"
        hook_result "$T/b"
        [ "$status" -eq 0 ]
        assert_main_checks
        # After exit: the host ldconfig updated the container's cache.
        assert_ldcache_updated "$T/b/rootfs"
        # Nothing of it is left on the host.
        a0_check
}

@test "runc: --no-cgroups: the node is there but the runtime's device cgroup denies it" {
        make_bundle "$T/b" --script "$T/check.sh" -- --device=0,2 --compute --utility --no-cgroups
        id=$(new_ctr_id nocg)
        run runc_run "$T/b" "$id"
        echo "$output"
        hook_result "$T/b"
        [ "$status" -eq 0 ]
        check_eq GPU_NODES "nvidia0 nvidia4"
        check_eq NODE_nvidia4 c3:4
        check_eq OPEN_SELECTED "Operation not permitted"
        check_eq OPEN_CTL "Operation not permitted"
        check_eq "LIB_libcuda.so.$DRV" file
        a0_check
}

@test "runc: --device=none: driver files and nvidiactl, no GPU node, no GPU in procfs" {
        make_bundle "$T/b" --script "$T/check.sh" -- --device=none --compute --utility
        id=$(new_ctr_id none)
        run runc_run "$T/b" "$id"
        echo "$output"
        hook_result "$T/b"
        [ "$status" -eq 0 ]
        check_eq GPU_NODES ""
        check_eq NODE_nvidiactl c3:ff
        check_eq NODE_nvidia-uvm ee:0
        check_eq "LIB_libcuda.so.$DRV" file
        check_eq "LIB_libnvidia-ml.so.$DRV" file
        check_eq LINK_libcuda.so.1 "libcuda.so.$DRV"
        check_eq SMI 8
        check_eq PROC_GPUS ""
        check_eq PROC_MODIFY "ModifyDeviceFiles: 0"
        check_eq OPEN_CTL "No such device or address"
        a0_check
}

@test "runc: --device by UUID and by PCI bus id selects the right minors" {
        local uuid bus
        uuid=$(sim_fact "$SIM" SIM_GPU1_UUID)  # index 1: bus 0f, minor 6
        bus=$(sim_fact "$SIM" SIM_GPU5_BUS)    # index 5: bus 90, minor 7
        make_bundle "$T/b" --script "$T/check.sh" -- "--device=$uuid,$bus" --utility
        id=$(new_ctr_id uuid)
        run runc_run "$T/b" "$id"
        echo "$output"
        hook_result "$T/b"
        [ "$status" -eq 0 ]
        check_eq GPU_NODES "nvidia6 nvidia7"
        check_eq NODE_nvidia6 c3:6
        check_eq PROC_GPUS "0000:0f:00.0 0000:90:00.0"
        # --utility only: no compute library, no uvm.
        check_eq "LIB_libcuda.so.$DRV" missing
        check_eq "LIB_libnvidia-ml.so.$DRV" file
        check_eq NODE_nvidia-uvm absent
        a0_check
}

# bad_input_runc EXPECTED_MESSAGE CONFIGURE_ARGS…: the hook fails with exit 1
# and exactly that message, runc does not start the container, the host is unchanged.
bad_input_runc() {
        local want=$1 id b
        shift
        b=$(mktemp -d "$T/bad.XXXXXX")
        make_bundle "$b" --script "$T/check.sh" -- "$@"
        id=$(new_ctr_id bad)
        run runc_run "$b" "$id"
        echo "== configure $* -> runc status $status"
        echo "$output"
        hook_result "$b"
        [ "$status" -ne 0 ]
        [ "$(cat "$b/hook.rc")" = 1 ]
        [ "$(cat "$b/hook.err")" = "$want" ]
        [[ $output == *"error running hook #1: error running hook: exit status 1"* ]]
        [[ $output != *STARTED=1* ]]
        [ ! -e "$b/rootfs/started" ]
        ! "$RUNC" state "$id" >/dev/null 2>&1 || false
        a0_check
}

@test "runc: bad input fails the hook (exit 1, exact message), the container never starts, host unchanged" {
        bad_input_runc "nvidia-container-cli: device error: 99: unknown device" --device=99 --compute
        bad_input_runc "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=99, please update your driver to a newer version, or use an earlier cuda container" \
                --device=0 --compute "--require=cuda>=99"
        bad_input_runc "nvidia-container-cli: mig-config error: only 'all' devices are currently supported" \
                --device=0 --mig-config=0
        bad_input_runc "nvidia-container-cli: input error: unsupported IMEX channel value: abc" \
                --device=0 --imex-channel=abc
        bad_input_runc "nvidia-container-cli configure: invalid cuda-compat-mode: bogus
Try \`nvidia-container-cli configure --help' or \`nvidia-container-cli configure --usage' for more information." \
                --device=0 --cuda-compat-mode=bogus
}

@test "runc: a failure in the middle (a directory where a library goes) rolls back and the container does not start" {
        make_bundle "$T/b" --script "$T/check.sh" -- --device=0 --compute --utility
        mkdir "$T/b/rootfs/usr/bin/nvidia-smi"
        id=$(new_ctr_id rollback)
        run runc_run "$T/b" "$id"
        echo "$output"
        hook_result "$T/b"
        [ "$status" -ne 0 ]
        [ "$(cat "$T/b/hook.rc")" = 1 ]
        [[ $(tail -1 "$T/b/hook.err") == "nvidia-container-cli: mount error: "*nvidia-smi* ]]
        [[ $output != *STARTED=1* ]]
        a0_check
}
