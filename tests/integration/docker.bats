#!/usr/bin/env bats
# Docker Engine (Debian's docker.io 20.10) and docker-compose 1.29 with our
# runtime shim, our hook and our CLI, on the 8-GPU simulated host: a private
# dockerd runs inside tests/fixtures/simhost-enter (started and stopped by
# tests/integration/engines/dockerd-{start,stop}.sh, everything under $SCRATCH).
# Installs docker.io and docker-compose when missing (skips when it cannot).
# The simulated /proc/driver/nvidia is not given to Docker's containers (no
# per-container hook here), so its mask is skipped: the rest is checked.
# GPU index -> minor on this sim: 0 -> 4, 1 -> 6, 2 -> 0.

load containers

ENGINES=$BATS_TEST_DIRNAME/engines
DOCKER=/usr/bin/docker
IMAGE=nvcr/busybox:1
# What a container prints (read with value_of).
# shellcheck disable=SC2016 # expanded in the container
LIST='echo devs=$(ls /dev | grep nvidia | tr "\n" " "); echo libcuda=$(ls /usr/lib/x86_64-linux-gnu | grep -c "^libcuda\.so"); echo libml=$(ls /usr/lib/x86_64-linux-gnu | grep -c "^libnvidia-ml\.so"); echo nv=$(env | grep ^NVIDIA_ | sort | tr "\n" " ")'

install_engines() {
        local missing=()
        if ! command -v dockerd >/dev/null || [ ! -x "$DOCKER" ]; then
                missing+=(docker.io)
        fi
        command -v docker-compose >/dev/null || missing+=(docker-compose)
        [ ${#missing[@]} -eq 0 ] && return 0
        command -v apt-get >/dev/null || return 1
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
                -o DPkg::Lock::Timeout=600 "${missing[@]}" >"$BATS_FILE_TMPDIR/apt.log" 2>&1 ||
                {
                        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
                        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
                                -o DPkg::Lock::Timeout=600 "${missing[@]}" >"$BATS_FILE_TMPDIR/apt.log" 2>&1
                }
}

setup_file() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        install_engines || skip "docker.io/docker-compose cannot be installed (see $BATS_FILE_TMPDIR/apt.log)"
        if [ ! -x "$NVCR_BUILD_DIR/cmd/runtime/nvidia-container-runtime" ] ||
                [ ! -x "$NVCR_BUILD_DIR/cmd/hook/nvidia-container-runtime-hook" ]; then
                skip "runtime/hook not built"
        fi
        export KEY_JSON_EXISTED=0 DOCKER_HOST DOCKER_CONFIG D D2
        [ ! -e /etc/docker/key.json ] || KEY_JSON_EXISTED=1
        containers_setup_file --gpus 8
        ls -d /sys/fs/cgroup/*/docker /opt/containerd >"$SCRATCH/before.list" 2>/dev/null || :
        D=$SCRATCH/docker
        D2=$SCRATCH/docker2
        "$ENGINES/dockerd-start.sh" "$D" "$SIM" "$NVCR_BUILD_DIR" >&3
        DOCKER_HOST=unix://$D/docker.sock
        DOCKER_CONFIG=$D/client
        tar -C "$SCRATCH/tmpl-debian" -cf "$SCRATCH/rootfs.tar" .
        "$DOCKER" import "$SCRATCH/rootfs.tar" "$IMAGE" >/dev/null
}

# stop_all: both daemons stopped, their residue gone.
stop_all() {
        local rc=0
        [ ! -d "${D2:-}" ] || "$ENGINES/dockerd-stop.sh" "$D2" || rc=1
        [ ! -d "${D:-}" ] || "$ENGINES/dockerd-stop.sh" "$D" || rc=1
        if [ "${KEY_JSON_EXISTED:-1}" = 0 ] && [ -e /etc/docker/key.json ]; then
                echo "/etc/docker/key.json was written" >&2
                rm -f /etc/docker/key.json
                rc=1
        fi
        return "$rc"
}

teardown_file() {
        stop_all >/dev/null 2>&1
        containers_teardown_file
}

# dk ARGS…: the docker 20.10 client against our daemon.
dk() {
        timeout 60 "$DOCKER" "$@" </dev/null
}

@test "docker --runtime=nvidia, NVIDIA_VISIBLE_DEVICES=0,2: /dev/nvidia4 and /dev/nvidia0 only, nvidiactl, driver libraries" {
        run dk run --rm --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0,2 "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidia4 nvidiactl" ]
        [ "$(value_of libcuda)" -ge 3 ]   # libcuda.so.VER, .so.1, .so
        [ "$(value_of libml)" -ge 2 ]
}

@test "docker --runtime=nvidia with NVIDIA_VISIBLE_DEVICES=void or without it: no GPU, no driver" {
        for env in "-e NVIDIA_VISIBLE_DEVICES=void" ""; do
                # shellcheck disable=SC2086 # the option is one word or none
                run dk run --rm --runtime=nvidia $env "$IMAGE" sh -c "$LIST"
                echo "[$env] $output"
                [ "$status" -eq 0 ]
                [ "$(value_of devs)" = "" ]
                [ "$(value_of libcuda)" = 0 ]
                [ "$(value_of libml)" = 0 ]
        done
}

@test "docker --gpus (no --runtime, our hook found on dockerd's PATH): all, device=0,1, capabilities=utility" {
        run dk run --rm --gpus all "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7 nvidiactl" ]
        [ "$(value_of nv)" = "NVIDIA_VISIBLE_DEVICES=all" ]
        [ "$(value_of libcuda)" -ge 3 ]

        run dk run --rm --gpus '"device=0,1"' "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia4 nvidia6 nvidiactl" ]

        run dk run --rm --gpus 'all,"capabilities=utility"' "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7 nvidiactl" ]
        [ "$(value_of libml)" -ge 2 ]
        [ "$(value_of libcuda)" = 0 ]
        [ "$(value_of nv)" = "NVIDIA_DRIVER_CAPABILITIES=utility NVIDIA_VISIBLE_DEVICES=all" ]
}

@test "docker with default-runtime nvidia (second daemon): NVIDIA_VISIBLE_DEVICES=1 without --runtime gets minor 6" {
        "$ENGINES/dockerd-start.sh" "$D2" "$SIM" "$NVCR_BUILD_DIR" --default-runtime
        DOCKER_HOST=unix://$D2/docker.sock dk import "$SCRATCH/rootfs.tar" "$IMAGE" >/dev/null
        run env DOCKER_HOST="unix://$D2/docker.sock" timeout 60 "$DOCKER" run --rm \
                -e NVIDIA_VISIBLE_DEVICES=1 "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia6 nvidiactl" ]
        # Without the variable the default runtime leaves the container alone.
        run env DOCKER_HOST="unix://$D2/docker.sock" timeout 60 "$DOCKER" run --rm "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "" ]
        "$ENGINES/dockerd-stop.sh" "$D2"
}

# compose FILE SERVICE: `up` the one-service project, then `down`; $output is
# the service's output without compose's "svc_1  | " prefixes.
compose() {
        local rc out
        out=$(cd "$T" && timeout 90 docker-compose -f "$1" -p "nvcr$$" up --no-color \
                --abort-on-container-exit --exit-code-from "$2" 2>&1)
        rc=$?
        (cd "$T" && timeout 60 docker-compose -f "$1" -p "nvcr$$" down >/dev/null 2>&1)
        printf '%s\n' "$out" | sed -E 's/^[^|]*\| //'
        return "$rc"
}

@test "docker-compose: runtime: nvidia with environment, and deploy.resources.reservations.devices driver nvidia" {
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        cat >"$T/runtime.yml" <<YML
version: "2.4"
services:
  gpu:
    image: $IMAGE
    runtime: nvidia
    network_mode: none
    environment:
      - NVIDIA_VISIBLE_DEVICES=2
    command: ["sh", "-c", '${LIST//\$/\$\$}']
YML
        run compose runtime.yml gpu
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl" ]
        [ "$(value_of libcuda)" -ge 3 ]
        cat >"$T/deploy.yml" <<YML
version: "3.8"
services:
  gpu:
    image: $IMAGE
    network_mode: none
    command: ["sh", "-c", '${LIST//\$/\$\$}']
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu]
YML
        run compose deploy.yml gpu
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7 nvidiactl" ]
}

@test "docker --runtime=nvidia, NVIDIA_REQUIRE_CUDA=cuda>=99.0: the container fails with the requirement error" {
        run dk run --rm --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0 -e 'NVIDIA_REQUIRE_CUDA=cuda>=99.0' \
                "$IMAGE" sh -c 'echo STARTED=1'
        echo "$output"
        [ "$status" -ne 0 ]
        [ "$(value_of STARTED)" = "" ]
        [[ $output == *"unsatisfied condition: cuda>=99.0"* ]]
}

@test "scripts/nvidia-docker: run gets --runtime=nvidia (and NV_GPU), other commands go to docker unchanged" {
        W=$BATS_TEST_DIRNAME/../../scripts/nvidia-docker
        run env DOCKER="$DOCKER" timeout 60 "$W" run --rm -e NVIDIA_VISIBLE_DEVICES=1 "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia6 nvidiactl" ]
        # NV_GPU, and a global option before the command.
        run env DOCKER="$DOCKER" NV_GPU="0 2" timeout 60 "$W" -H "$DOCKER_HOST" run --rm "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidia4 nvidiactl" ]
        # Not run/create: plain docker (here `images` lists our image).
        run env DOCKER="$DOCKER" timeout 60 "$W" images --format '{{.Repository}}:{{.Tag}}'
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"$IMAGE"* ]]
        # $DOCKER on PATH by default.
        mkdir -p "$SCRATCH/wbin"
        printf '#!/bin/sh\necho "ARGS=$*"\n' >"$SCRATCH/wbin/docker"
        chmod 0755 "$SCRATCH/wbin/docker"
        run env -u DOCKER PATH="$SCRATCH/wbin:$PATH" "$W" create -it x
        [ "$(value_of ARGS)" = "create --runtime=nvidia -it x" ]
        run env -u DOCKER PATH="$SCRATCH/wbin:$PATH" "$W" ps -a
        [ "$(value_of ARGS)" = "ps -a" ]
}

@test "stopping the daemons leaves nothing behind: no process, no mount, no cgroup, no key.json" {
        run stop_all
        echo "$output"
        [ "$status" -eq 0 ]
        # No process of ours: nothing runs with our scratch dir in its command line.
        for p in /proc/[0-9]*; do
                if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -e "$D/" -e "$D2/"; then
                        echo "left: ${p#/proc/} $(tr '\0' ' ' <"$p/cmdline")" >&2
                        return 1
                fi
        done
        if grep " $SCRATCH/" /proc/self/mountinfo; then
                return 1
        fi
        # Docker's cgroups (and /opt/containerd) are gone unless they were there before.
        for c in /sys/fs/cgroup/*/docker /opt/containerd; do
                [ ! -e "$c" ] || grep -qxF "$c" "$SCRATCH/before.list"
        done
}
