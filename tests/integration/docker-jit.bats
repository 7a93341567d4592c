#!/usr/bin/env bats
# Docker Engine 20.10 with our runtime in jit-cdi mode (what `auto` picks once
# nvidia-cdi-hook is installed beside the runtime): the runtime writes the GPU
# into config.json and runc makes it. A private dockerd on the 8-GPU simulated
# host (engines/dockerd-start.sh with NVCR_MODE=jit-cdi).
# GPU index -> minor on this sim: 0 -> 4, 1 -> 6, 2 -> 0.

load containers

ENGINES=$BATS_TEST_DIRNAME/engines
DOCKER=/usr/bin/docker
IMAGE=nvcr/busybox:1
# shellcheck disable=SC2016 # expanded in the container
LIST='echo devs=$(ls /dev | grep nvidia | tr "\n" " "); echo libcuda=$(ls /usr/lib/x86_64-linux-gnu | grep -c "^libcuda\.so"); echo nv=$(env | grep ^NVIDIA_VISIBLE | sort | tr "\n" " ")'

setup_file() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        command -v dockerd >/dev/null && [ -x "$DOCKER" ] || skip "docker.io not installed (docker.bats installs it)"
        [ -x "$NVCR_BUILD_DIR/cmd/cdi-hook/nvidia-cdi-hook" ] || skip "nvidia-cdi-hook not built"
        export KEY_JSON_EXISTED=0 DOCKER_HOST DOCKER_CONFIG D
        [ ! -e /etc/docker/key.json ] || KEY_JSON_EXISTED=1
        containers_setup_file --gpus 8
        D=$SCRATCH/docker
        NVCR_MODE=jit-cdi "$ENGINES/dockerd-start.sh" "$D" "$SIM" "$NVCR_BUILD_DIR" >&3
        DOCKER_HOST=unix://$D/docker.sock
        DOCKER_CONFIG=$D/client
        tar -C "$SCRATCH/tmpl-debian" -cf "$SCRATCH/rootfs.tar" .
        "$DOCKER" import "$SCRATCH/rootfs.tar" "$IMAGE" >/dev/null
}

teardown_file() {
        [ ! -d "${D:-}" ] || "$ENGINES/dockerd-stop.sh" "$D" >/dev/null 2>&1
        if [ "${KEY_JSON_EXISTED:-1}" = 0 ] && [ -e /etc/docker/key.json ]; then
                rm -f /etc/docker/key.json
        fi
        containers_teardown_file
}

dk() {
        timeout 60 "$DOCKER" "$@" </dev/null
}

@test "docker --runtime=nvidia (jit-cdi), NVIDIA_VISIBLE_DEVICES=0,2: nvidia4 and nvidia0 made by runc, the driver mounted" {
        run dk run --rm --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0,2 "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidia4 nvidiactl" ]
        [ "$(value_of libcuda)" -ge 3 ]
        # The spec path's mark: the container's request became void (the legacy hook would leave it).
        [ "$(value_of nv)" = "NVIDIA_VISIBLE_DEVICES=void" ]
}

@test "docker --runtime=nvidia --gpus device=1 (jit-cdi): the legacy hook dockerd adds is replaced by the edits, GPU 1 only" {
        run dk run --rm --runtime=nvidia --gpus '"device=1"' "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia6 nvidiactl" ]
        [ "$(value_of nv)" = "NVIDIA_VISIBLE_DEVICES=void" ]
}

@test "docker --runtime=nvidia (jit-cdi) without NVIDIA_*: untouched; an unsatisfied requirement stops the start" {
        run dk run --rm --runtime=nvidia "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "" ]
        run dk run --rm --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0 -e 'NVIDIA_REQUIRE_CUDA=cuda>=99.0' "$IMAGE" true
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"requirement error: unsatisfied condition: cuda>=99.0"* ]]
}
