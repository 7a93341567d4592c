#!/usr/bin/env bats
# nvidia-ctk runtime configure, end to end, as root, with every path given
# by flags under $SCRATCH (the host's /etc is never written):
#  - docker: a private dockerd (engines/dockerd-start.sh, on the 8-GPU
#    simulated host) runs with the daemon.json that `runtime configure`
#    wrote, and `docker run --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0`
#    sees GPU 0 (/dev/nvidia4 on this sim);
#  - containerd 1.6: the main config + drop-in it wrote load (`containerd
#    config dump` shows the nvidia runtime), a containerd started with them
#    serves, and `ctr run` with the runtime's BinaryName sees the GPU;
#  - hostile inputs: invalid daemon.json (refused, byte for byte kept), a
#    read-only directory (clear error, nothing written), a symlinked
#    daemon.json (followed like the reference: the target is rewritten, the
#    link kept; a dangling one refused), --dry-run (writes nothing).

bats_require_minimum_version 1.5.0

load engines

CTK=$NVCR_BUILD_DIR/cmd/ctk/nvidia-ctk
IMAGE=nvcr/busybox:1
# shellcheck disable=SC2016 # expanded in the container
LIST='echo devs=$(ls /dev | grep nvidia | tr "\n" " "); echo libcuda=$(ls /usr/lib/x86_64-linux-gnu | grep -c "^libcuda\.so")'

setup_file() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        [ -x "$CTK" ] || skip "nvidia-ctk not built"
        engines_setup_file
}

teardown_file() {
        if [ -n "${SCRATCH:-}" ]; then
                [ ! -f "$SCRATCH/docker/dockerd.pid" ] || "$ENGINES/dockerd-stop.sh" "$SCRATCH/docker" >/dev/null 2>&1
                [ ! -f "$SCRATCH/containerd/containerd.pid" ] || "$ENGINES/containerd-stop.sh" "$SCRATCH/containerd"
                remove_cgroups "$ENGINE_TAG"
        fi
        containers_teardown_file
}

setup() {
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
}

# entries DIR: what is in DIR, hidden files included (temporary files would show).
entries() {
        find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' '
}

@test "runtime configure (docker): keys kept in place, runtime added, 4-space indent, info lines" {
        printf '{"data-root": "/x", "runtimes": {"crun": {"path": "/usr/bin/crun"}}, "log-opts": {"max-size": "10m"}}\n' >"$T/daemon.json"
        run "$CTK" runtime configure --config="$T/daemon.json"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Wrote updated config to $T/daemon.json"* ]]
        [[ $output == *"It is recommended that docker daemon be restarted."* ]]
        [ "$(jq -c . "$T/daemon.json")" = '{"data-root":"/x","runtimes":{"crun":{"path":"/usr/bin/crun"},"nvidia":{"args":[],"path":"nvidia-container-runtime"}},"log-opts":{"max-size":"10m"}}' ]
        grep -q '^    "runtimes": {$' "$T/daemon.json"
        grep -q '^            "args": \[\],$' "$T/daemon.json"
        [ "$(tail -c1 "$T/daemon.json" | od -An -c | tr -d ' ')" = '\n' ]

        run "$CTK" runtime configure --config="$T/daemon.json" --nvidia-runtime-name=nv2 \
                --runtime-path=/opt/nv --set-as-default --enable-cdi
        [ "$status" -eq 0 ]
        [ "$(jq -c '[.runtimes.nv2, ."default-runtime", .features]' "$T/daemon.json")" = '[{"args":[],"path":"/opt/nv"},"nv2",{"cdi":true}]' ]
        [ "$(jq -r '.runtimes.nvidia.path' "$T/daemon.json")" = nvidia-container-runtime ]
        [ "$(entries "$T")" = "daemon.json " ]
}

@test "runtime configure (docker): a missing daemon.json is created with its directories; the file's mode is kept" {
        run "$CTK" runtime configure --config="$T/etc/docker/daemon.json" --nvidia-runtime-path=/r
        [ "$status" -eq 0 ]
        [ "$(stat -c %a "$T/etc/docker")" = 755 ]
        [ "$(stat -c %a "$T/etc/docker/daemon.json")" = 644 ]
        [ "$(jq -c . "$T/etc/docker/daemon.json")" = '{"runtimes":{"nvidia":{"args":[],"path":"/r"}}}' ]
        chmod 0600 "$T/etc/docker/daemon.json"
        run "$CTK" runtime configure --config="$T/etc/docker/daemon.json" --set-as-default
        [ "$status" -eq 0 ]
        [ "$(stat -c %a "$T/etc/docker/daemon.json")" = 600 ]
        [ "$(jq -r '."default-runtime"' "$T/etc/docker/daemon.json")" = nvidia ]
}

@test "runtime configure (docker): invalid JSON or a non-object is refused with the file and position; file byte for byte kept" {
        printf '{\n  "a": 1,\n  "b" 2\n}\n' >"$T/daemon.json"
        cp -p "$T/daemon.json" "$T/orig"
        run "$CTK" runtime configure --config="$T/daemon.json"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"$T/daemon.json:3:"*"invalid JSON"* ]]
        cmp "$T/daemon.json" "$T/orig"
        [ "$(entries "$T")" = "daemon.json orig " ]

        printf '["not", "an", "object"]' >"$T/daemon.json"
        cp "$T/daemon.json" "$T/orig"
        run "$CTK" runtime configure --config="$T/daemon.json"
        [ "$status" -ne 0 ]
        [[ $output == *"not a JSON object"* ]]
        cmp "$T/daemon.json" "$T/orig"

        printf '{"runtimes": "nvidia"}' >"$T/daemon.json"
        cp "$T/daemon.json" "$T/orig"
        run "$CTK" runtime configure --config="$T/daemon.json"
        [ "$status" -ne 0 ]
        [[ $output == *'runtimes'*'is not a JSON object'* ]]
        cmp "$T/daemon.json" "$T/orig"
}

@test "runtime configure: a read-only config directory is a clear error, nothing is written or left behind" {
        mkdir "$T/ro"
        printf '{"a": 1}\n' >"$T/ro/daemon.json"
        # shellcheck disable=SC2016 # expanded by the inner sh
        run unshare -m --propagation private sh -c '
                mount --bind "$1/ro" "$1/ro" && mount -o remount,bind,ro "$1/ro" || exit 99
                "$2" runtime configure --config="$1/ro/daemon.json"; echo "docker-rc=$?"
                "$2" runtime configure --runtime=containerd --config="$1/ro/config.toml" --drop-in-config="$1/ro/conf.d/99-nvidia.toml"; echo "containerd-rc=$?"
                "$2" runtime configure --runtime=crio --drop-in-config="$1/ro/99-nvidia.toml"; echo "crio-rc=$?"' \
                sh "$T" "$CTK"
        echo "$output"
        [ "$status" -ne 99 ]
        [[ $output == *"docker-rc=1"* ]]
        [[ $output == *"containerd-rc=1"* ]]
        [[ $output == *"crio-rc=1"* ]]
        [[ $output == *"$T/ro/daemon.json: cannot create a temporary file in $T/ro: Read-only file system"* ]]
        [[ $output == *"cannot create directory $T/ro/conf.d: Read-only file system"* ]]
        [ "$(entries "$T/ro")" = "daemon.json " ]
        [ "$(cat "$T/ro/daemon.json")" = '{"a": 1}' ]
}

@test "runtime configure (docker): a symlinked daemon.json is followed (target rewritten, link kept); a dangling one is refused" {
        mkdir "$T/real" "$T/etc"
        printf '{"debug": true}\n' >"$T/real/daemon.json"
        ln -s ../real/daemon.json "$T/etc/daemon.json"
        run "$CTK" runtime configure --config="$T/etc/daemon.json"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Wrote updated config to $T/real/daemon.json"* ]]
        [ -L "$T/etc/daemon.json" ]
        [ "$(readlink "$T/etc/daemon.json")" = ../real/daemon.json ]
        [ "$(jq -c . "$T/real/daemon.json")" = '{"debug":true,"runtimes":{"nvidia":{"args":[],"path":"nvidia-container-runtime"}}}' ]
        [ "$(entries "$T/real")" = "daemon.json " ]

        ln -s ../nowhere/daemon.json "$T/etc/dangling.json"
        run "$CTK" runtime configure --config="$T/etc/dangling.json"
        [ "$status" -ne 0 ]
        [[ $output == *"is a symlink that cannot be resolved"* ]]
        [ ! -e "$T/nowhere" ]
}

@test "runtime configure --dry-run prints the result and writes nothing (docker, containerd, crio)" {
        printf '{"a": 1}\n' >"$T/daemon.json"
        cp "$T/daemon.json" "$T/orig"
        run --separate-stderr "$CTK" runtime configure --config="$T/daemon.json" --dry-run
        [ "$status" -eq 0 ]
        [ "$(printf '%s\n' "$output" | jq -c .)" = '{"a":1,"runtimes":{"nvidia":{"args":[],"path":"nvidia-container-runtime"}}}' ]
        cmp "$T/daemon.json" "$T/orig"

        run --separate-stderr "$CTK" runtime configure --config="$T/new/daemon.json" --dry-run
        [ "$status" -eq 0 ]
        [[ $output == *'"nvidia"'* ]]
        [ ! -e "$T/new" ]

        run --separate-stderr "$CTK" runtime configure --runtime=containerd --config="$T/c/config.toml" \
                --drop-in-config="$T/c/conf.d/99-nvidia.toml" --dry-run
        [ "$status" -eq 0 ]
        [[ $output == *'BinaryName = "/usr/bin/nvidia-container-runtime"'* ]]
        [ ! -e "$T/c" ]

        run --separate-stderr "$CTK" runtime configure --runtime=crio --drop-in-config="$T/crio/99-nvidia.toml" --dry-run
        [ "$status" -eq 0 ]
        [[ $output == *'[crio.runtime.runtimes.nvidia]'* ]]
        [ ! -e "$T/crio" ]
        [ "$(entries "$T")" = "daemon.json orig " ]
}

@test "runtime configure (containerd): an existing imports array is extended, the rest kept byte for byte, runc options copied; a second run changes nothing" {
        cat >"$T/config.toml" <<'TOML'
# site settings
version = 2
root = "/var/lib/containerd"   # comment
imports = [
  "/etc/containerd/other.toml",
]
oom_score = -999

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true
TOML
        run "$CTK" runtime configure --runtime=containerd --config="$T/config.toml" \
                --drop-in-config="$T/conf.d/99-nvidia.toml" --nvidia-runtime-path=/opt/nvidia-runtime
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"It is recommended that containerd daemon be restarted."* ]]
        diff -u - "$T/config.toml" <<TOML
# site settings
version = 2
root = "/var/lib/containerd"   # comment
imports = [
  "/etc/containerd/other.toml",
  "$T/conf.d/*.toml",
]
oom_score = -999

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true
TOML
        grep -q 'BinaryName = "/opt/nvidia-runtime"' "$T/conf.d/99-nvidia.toml"
        # runc's options are copied (the cgroup driver must match).
        grep -q '^            SystemdCgroup = true$' "$T/conf.d/99-nvidia.toml"
        cp -p "$T/config.toml" "$T/orig"
        run "$CTK" runtime configure --runtime=containerd --config="$T/config.toml" \
                --drop-in-config="$T/conf.d/99-nvidia.toml"
        [ "$status" -eq 0 ]
        cmp "$T/config.toml" "$T/orig"
        [ "$(entries "$T")" = "conf.d config.toml orig " ]
}

@test "runtime configure (crio): the drop-in, with default_runtime when asked" {
        run "$CTK" runtime configure --runtime=crio --drop-in-config="$T/crio.conf.d/99-nvidia.toml" --set-as-default
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Wrote updated config to $T/crio.conf.d/99-nvidia.toml"* ]]
        [[ $output == *"It is recommended that crio daemon be restarted."* ]]
        grep -q '^    default_runtime = "nvidia"$' "$T/crio.conf.d/99-nvidia.toml"
        grep -q '^      \[crio.runtime.runtimes.nvidia\]$' "$T/crio.conf.d/99-nvidia.toml"
        grep -q '^        runtime_path = "/usr/bin/nvidia-container-runtime"$' "$T/crio.conf.d/99-nvidia.toml"
        grep -q '^        runtime_type = "oci"$' "$T/crio.conf.d/99-nvidia.toml"
}

@test "runtime configure: bad flags" {
        run "$CTK" runtime configure --runtime=podman --config="$T/x"
        [ "$status" -ne 0 ]
        [[ $output == *"unrecognized runtime 'podman'"* ]]
        run "$CTK" runtime configure --bogus
        [ "$status" -ne 0 ]
        [[ $output == *"flag provided but not defined: --bogus"* ]]
        run "$CTK" runtime configure --config-source=nope
        [ "$status" -ne 0 ]
        [ "$(entries "$T")" = "" ]
}

@test "docker: dockerd with the daemon.json nvidia-ctk wrote runs --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0 and sees GPU 0" {
        command -v dockerd >/dev/null && [ -x /usr/bin/docker ] || skip "docker.io not installed"
        local D=$SCRATCH/docker
        mkdir -p "$D"
        # What dockerd-start.sh writes, minus the runtime: that is ours to add.
        cat >"$D/ours.json" <<JSON
{
  "data-root": "$D/data",
  "exec-root": "$D/exec",
  "pidfile": "$D/dockerd.pidfile",
  "hosts": ["unix://$D/docker.sock"],
  "deprecated-key-path": "$D/key.json",
  "storage-driver": "${DOCKER_STORAGE_DRIVER:-overlay2}",
  "iptables": false,
  "ip6tables": false,
  "ip-masq": false,
  "ip-forward": false,
  "bridge": "none",
  "features": {"buildkit": false}
}
JSON
        run "$CTK" runtime configure --config="$D/ours.json" --nvidia-runtime-path="$RUNTIME"
        echo "$output"
        [ "$status" -eq 0 ]
        # dockerd-start.sh runs $DOCKERD --config-file <its own daemon.json>:
        # this wrapper (exec, same pid) gives dockerd ours instead.
        printf '#!/bin/sh\nexec /usr/sbin/dockerd --config-file %s\n' "$D/ours.json" >"$D/dockerd-ours"
        chmod 0755 "$D/dockerd-ours"
        DOCKERD=$D/dockerd-ours "$ENGINES/dockerd-start.sh" "$D" "$SIM" "$NVCR_BUILD_DIR" >&3
        export DOCKER_HOST=unix://$D/docker.sock DOCKER_CONFIG=$D/client
        tar -C "$SCRATCH/tmpl-debian" -cf "$SCRATCH/rootfs.tar" .
        timeout 60 /usr/bin/docker import "$SCRATCH/rootfs.tar" "$IMAGE" >/dev/null
        run timeout 60 /usr/bin/docker info --format '{{json .Runtimes.nvidia}}'
        echo "$output"
        [[ $output == *"$RUNTIME"* ]]
        run timeout 60 /usr/bin/docker run --rm --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0 "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia4 nvidiactl " ] ||
                [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia4 nvidiactl" ]
        [ "$(value_of libcuda)" -ge 3 ]
        "$ENGINES/dockerd-stop.sh" "$D" >&3
}

@test "containerd 1.6: the config + drop-in nvidia-ctk wrote load, list the nvidia runtime, and ctr runs with its BinaryName" {
        engine_install containerd containerd ctr containerd-shim-runc-v2
        local C=$SCRATCH/containerd
        mkdir -p "$C"
        # containerd-start.sh's config, which `runtime configure` then extends.
        cat >"$C/config.toml" <<TOML
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$C/containerd.sock"
[ttrpc]
  address = "$C/containerd.sock.ttrpc"
[debug]
  address = "$C/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
TOML
        run "$CTK" runtime configure --runtime=containerd --config="$C/config.toml" \
                --drop-in-config="$C/conf.d/99-nvidia.toml" --nvidia-runtime-path="$RUNTIME" \
                --set-as-default --cdi.enabled
        echo "$output"
        [ "$status" -eq 0 ]
        grep -qx "imports = \[\"$C/conf.d/\*.toml\"\]" "$C/config.toml"

        # The daemon below runs without CRI (no CNI here), and a disabled
        # plugin's settings are left out of `config dump`: dump the same
        # files with CRI enabled to see what the CRI plugin would get.
        grep -v '^disabled_plugins' "$C/config.toml" >"$C/config-cri.toml"
        run containerd --config "$C/config-cri.toml" config dump
        echo "$output" | grep -E -A3 'imports|runtimes.nvidia|default_runtime_name|enable_cdi'
        [ "$status" -eq 0 ]
        [[ $output == *"$C/conf.d/99-nvidia.toml"* ]]
        [[ $output == *'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]'* ]]
        [[ $output == *'default_runtime_name = "nvidia"'* ]]
        # enable_cdi is containerd >= 1.7's: 1.6 ignores it (it is in the drop-in).
        grep -q '^    enable_cdi = true$' "$C/conf.d/99-nvidia.toml"
        [[ $output == *'runtime_type = "io.containerd.runc.v2"'* ]]
        local bin
        bin=$(printf '%s\n' "$output" | sed -n 's/^ *BinaryName = "\(.*\)"$/\1/p' | grep -F nvidia | head -1)
        [ "$bin" = "$RUNTIME" ]

        # The daemon with that config (started as containerd-start.sh does, so
        # containerd-stop.sh recognises it).
        PATH=$SCRATCH/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                setsid "$ENGINES/ns-enter.sh" "$SIM" "$SCRATCH/config.toml" -- containerd --config "$C/config.toml" \
                </dev/null >"$C/containerd.log" 2>&1 &
        echo $! >"$C/containerd.pid"
        local ok=0
        for _ in $(seq 1 300); do
                if ctr -a "$C/containerd.sock" version >/dev/null 2>&1; then ok=1; break; fi
                kill -0 "$(cat "$C/containerd.pid")" 2>/dev/null || break
                sleep 0.1
        done
        [ "$ok" = 1 ] || { tail -20 "$C/containerd.log"; false; }
        mk_rootfs "$SCRATCH/img-rootfs" debian
        "$ENGINES/mkimage.sh" "$SCRATCH/img-rootfs" docker.io/nvcr/busybox:1 "$SCRATCH/img.tar"
        ctr_ns() {
                timeout 60 nsenter -t "$(cat "$C/containerd.pid")" -m -- \
                        env PATH="$SCRATCH/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
                        ctr -a "$C/containerd.sock" -n "$ENGINE_TAG" "$@" </dev/null
        }
        ctr_ns images import "$SCRATCH/img.tar" >/dev/null
        run ctr_ns run --rm --runtime io.containerd.runc.v2 --runc-binary "$bin" \
                --env NVIDIA_VISIBLE_DEVICES=0 docker.io/nvcr/busybox:1 "ctk-$RANDOM" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_gpus "nvidia4" "nvidia-uvm nvidia-uvm-tools nvidiactl"
        "$ENGINES/containerd-stop.sh" "$C"
}
