#!/usr/bin/env bats
# Podman 4.3 (Debian) on the 8-GPU simulated host, both ways NVIDIA's
# packaging offers:
#  - `podman run --runtime <our nvidia-container-runtime>`: the runc shim adds
#    our hook when the container's env asks for GPUs;
#  - an OCI hooks dir (hooks.d JSON, version 1.0.0, when always, stage
#    prestart) naming our nvidia-container-runtime-hook with args
#    [nvidia-container-runtime-hook, prestart]: the hook runs for every
#    container and acts on NVIDIA_VISIBLE_DEVICES only.
# Podman is daemonless: every call runs inside the simulated host's
# namespace (engines/ns-enter.sh), state under $SCRATCH, runc, cgroupfs under
# the cgroup parent /$ENGINE_TAG, no network. Containers run from a plain
# directory (--rootfs), so no image store or blob cache is written.
# Installs podman when missing. Needs root, runc, busybox-static, jq.

load engines

setup_file() {
        engines_setup_file
        engine_install podman podman conmon
        [ -x "$RUNC" ] || skip "no runc at $RUNC"
        export PD=$SCRATCH/podman
        "$ENGINES/podman-conf.sh" "$PD" "$HOOK"
}

teardown_file() {
        [ -z "${PD:-}" ] || remove_cgroups "$ENGINE_TAG"
        containers_teardown_file
}

setup() {
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        mk_rootfs "$T/rootfs" debian
}

# pod ARGS…: `podman run --rm ARGS…` in the simulated host's namespace, with
# our bin dir (the runtime finds the hook there) first on PATH.
pod_run() {
        timeout 90 "$ENGINES/ns-enter.sh" "$SIM" "$SCRATCH/config.toml" -- \
                env CONTAINERS_CONF="$PD/containers.conf" PATH="$SCRATCH/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
                podman --root "$PD/root" --runroot "$PD/runroot" --tmpdir "$PD/tmp" \
                run --rm --network none --cgroup-parent "/$ENGINE_TAG" "$@" </dev/null
}

@test "podman: --runtime <our runtime> with NVIDIA_VISIBLE_DEVICES=1 sees GPU 1 (nvidia6) and the driver" {
        run pod_run --runtime "$RUNTIME" -e NVIDIA_VISIBLE_DEVICES=1 --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_gpus nvidia6 "nvidia-uvm nvidia-uvm-tools nvidiactl"
        check_eq node4 ""
}

@test "podman: --runtime <our runtime> without NVIDIA_* variables is untouched" {
        run pod_run --runtime "$RUNTIME" --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_untouched
}

@test "podman: hooks.d prestart hook (always), NVIDIA_VISIBLE_DEVICES=all sees all 8 GPUs" {
        run pod_run --hooks-dir "$PD/hooks.d" -e NVIDIA_VISIBLE_DEVICES=all --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_gpus "nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7" \
                "nvidia-uvm nvidia-uvm-tools nvidiactl"
        check_eq node4 c3:4
}

@test "podman: hooks.d prestart hook (always), no NVIDIA_* variables leaves the container untouched" {
        run pod_run --hooks-dir "$PD/hooks.d" --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_untouched
}

@test "podman: hooks.d with NVIDIA_VISIBLE_DEVICES=0,2 and NVIDIA_DRIVER_CAPABILITIES=utility: nvidia4 and nvidia0, no libcuda" {
        run pod_run --hooks-dir "$PD/hooks.d" -e NVIDIA_VISIBLE_DEVICES=0,2 -e NVIDIA_DRIVER_CAPABILITIES=utility \
                --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        check_eq devs "nvidia0 nvidia4"
        check_eq ctl nvidiactl
        check_eq libs "libnvidia-ml.so.$DRV"
        check_eq smi yes
}
