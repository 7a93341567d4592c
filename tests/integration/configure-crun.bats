#!/usr/bin/env bats
# nvidia-container-cli configure as an OCI prestart hook of the real crun
# (1.8.1 here). crun refuses this machine's hybrid cgroup layout, so it runs
# in a private mount namespace where cgroup2's cgroup.controllers is hidden
# (reference/engines.md §1b); nothing changes on the host.

load containers

setup_file() {
        containers_setup_file --gpus 8
}

teardown_file() {
        containers_teardown_file
}

setup() {
        command -v "$CRUN" >/dev/null || skip "crun not installed"
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        a0_setup
        write_gpu_check "$T/check.sh"
}

teardown() {
        teardown_containers
}

@test "crun: --device=0,2 --compute --utility: selected GPUs only, read-only driver files, masked procfs, device cgroup" {
        make_bundle "$T/b" --script "$T/check.sh" --cap CAP_MKNOD -- --device=0,2 --compute --utility
        id=$(new_ctr_id crun crun)
        run crun_run "$T/b" "$id"
        echo "$output"
        hook_result "$T/b"
        [ "$status" -eq 0 ]
        # crun's state on the hook's stdin: its own layout, the container's pid.
        [ "$(jq -r .status "$T/b/hook.state")" = created ]
        [ "$(jq -r .pid "$T/b/hook.state")" -gt 1 ]
        assert_main_checks
        assert_ldcache_updated "$T/b/rootfs"
        a0_check
}

@test "crun: a failing configure (unknown device) stops the container before it starts" {
        make_bundle "$T/b" --script "$T/check.sh" -- --device=99 --compute
        id=$(new_ctr_id crunbad crun)
        run crun_run "$T/b" "$id"
        echo "$output"
        hook_result "$T/b"
        [ "$status" -ne 0 ]
        [ "$(cat "$T/b/hook.rc")" = 1 ]
        [ "$(cat "$T/b/hook.err")" = "nvidia-container-cli: device error: 99: unknown device" ]
        [[ $output != *STARTED=1* ]]
        [ ! -e "$T/b/rootfs/started" ]
        a0_check
}
