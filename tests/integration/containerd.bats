#!/usr/bin/env bats
# containerd 1.6 (Debian) with ctr, on the 8-GPU simulated host:
#  - `ctr run --runc-binary <our nvidia-container-runtime>`: the runtime adds
#    our hook when the container's env asks for GPUs;
#  - `ctr run --gpus N`: containerd's own nvidia support runs
#    `containerd oci-hook -- nvidia-container-cli --load-kmods configure
#    --device=N --compute --compat32 --graphics --utility --video --display
#    --pid=… ROOTFS` with our CLI (found on ctr's PATH).
# A private containerd (state under $SCRATCH, namespace $ENGINE_TAG, CRI off)
# runs inside the simulated host's mount namespace; ctr joins it with nsenter.
# Installs containerd when missing. Needs root, runc, busybox-static, jq.

load engines

setup_file() {
        engines_setup_file
        engine_install containerd containerd ctr containerd-shim-runc-v2
        [ -x "$RUNC" ] || skip "no runc at $RUNC"
        export C=$SCRATCH/containerd
        "$ENGINES/containerd-start.sh" "$SIM" "$SCRATCH/config.toml" "$C" "$SCRATCH/bin"
        mk_rootfs "$SCRATCH/img-rootfs" debian
        "$ENGINES/mkimage.sh" "$SCRATCH/img-rootfs" docker.io/nvcr/busybox:1 "$SCRATCH/img.tar"
        ctr_ns images import "$SCRATCH/img.tar" >/dev/null
}

teardown_file() {
        if [ -n "${C:-}" ]; then
                "$ENGINES/containerd-stop.sh" "$C"
                remove_cgroups "$ENGINE_TAG"
        fi
        containers_teardown_file
}

# ctr_ns ARGS…: ctr in containerd's mount namespace (its FIFOs live under the
# namespace's /run), with only our bin dir and the system's on its PATH.
ctr_ns() {
        timeout 60 nsenter -t "$(cat "$C/containerd.pid")" -m -- \
                env PATH="$SCRATCH/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
                ctr -a "$C/containerd.sock" -n "$ENGINE_TAG" "$@" </dev/null
}

@test "containerd: ctr run --runc-binary <our runtime> with NVIDIA_VISIBLE_DEVICES=0,2 sees GPUs 0 and 2 (nvidia4, nvidia0) and the driver" {
        run ctr_ns run --rm --runc-binary "$RUNTIME" --env NVIDIA_VISIBLE_DEVICES=0,2 \
                docker.io/nvcr/busybox:1 "rt-$RANDOM" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_gpus "nvidia0 nvidia4" "nvidia-uvm nvidia-uvm-tools nvidiactl"
        check_eq node4 c3:4
}

@test "containerd: ctr run --runc-binary <our runtime> without NVIDIA_* variables is untouched" {
        run ctr_ns run --rm --runc-binary "$RUNTIME" docker.io/nvcr/busybox:1 "rt0-$RANDOM" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_untouched
        # And with NVIDIA_VISIBLE_DEVICES=void the same.
        run ctr_ns run --rm --runc-binary "$RUNTIME" --env NVIDIA_VISIBLE_DEVICES=void \
                docker.io/nvcr/busybox:1 "rtv-$RANDOM" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_untouched
}

@test "containerd: ctr run --gpus 0 runs our nvidia-container-cli (--load-kmods, --compat32, all capabilities): GPU 0 only" {
        run ctr_ns run --rm --gpus 0 docker.io/nvcr/busybox:1 "gpus-$RANDOM" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        # --display/--graphics: nvidia-modeset too.
        assert_gpus nvidia4 "nvidia-modeset nvidia-uvm nvidia-uvm-tools nvidiactl"
        check_eq node4 c3:4
        # graphics, video: more than the compute/utility set
        [ "$(value_of nlibs)" -gt 12 ]
}

@test "containerd: ctr run --gpus 1 sees GPU 1 (nvidia6); a plain ctr run sees no GPU" {
        run ctr_ns run --rm --gpus 1 docker.io/nvcr/busybox:1 "gpus1-$RANDOM" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        check_eq devs nvidia6
        run ctr_ns run --rm docker.io/nvcr/busybox:1 "plain-$RANDOM" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_untouched
}
