#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# dockerd-start.sh DIR SIMDIR BUILDDIR [--default-runtime]
#
# Starts a private Docker daemon (Debian docker.io 20.10) for the tests, inside
# tests/fixtures/simhost-enter SIMDIR (the simulated GPU host laid over the
# real paths), with everything it writes under DIR:
#  - DIR/daemon.json: data-root, exec-root, pidfile, socket and the trust key
#    under DIR; no iptables, no ip masquerading, no ip_forward change, no bridge
#    (containers get only lo); runtime "nvidia" = BUILDDIR's
#    nvidia-container-runtime (and the default runtime with --default-runtime);
#  - DIR/bin on dockerd's PATH: nvidia-container-runtime-hook and
#    nvidia-container-cli (links to BUILDDIR's). dockerd looks the hook up once
#    at start to register the "nvidia" device driver (--gpus);
#    NVCR_MODE=MODE in the environment: config.toml gets mode = MODE and DIR/bin
#    nvidia-cdi-hook too (jit-cdi, as an install has it);
#  - DIR/config.toml (root, 0644): load-kmods = false, runtimes = [runc]; given
#    to the runtime shim through NVIDIA_CTK_CONFIG_FILE_PATH, and shown at
#    /etc/nvidia-container-runtime/config.toml in the daemon's namespace (the
#    hook that --gpus adds reads the default path). /etc is a writable overlay
#    there (upper dir DIR/etc-upper): the host's /etc is never written.
# The daemon's mount namespace is private: its container mounts never appear
# on the host and vanish with the namespace. Prints "dockerd ready after N ms".
# Stop it with dockerd-stop.sh DIR. Then: DOCKER_HOST=unix://DIR/docker.sock.
set -euo pipefail

[ $# -ge 3 ] || {
        echo "usage: dockerd-start.sh DIR SIMDIR BUILDDIR [--default-runtime]" >&2
        exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
D=$(readlink -f "$1")
SIM=$(readlink -f "$2")
BUILD=$(readlink -f "$3")
default_runtime=runc
[ "${4:-}" != --default-runtime ] || default_runtime=nvidia
RUNC=${RUNC:-/usr/sbin/runc}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKER_CLIENT=${DOCKER_CLIENT:-/usr/bin/docker}

command -v "$DOCKERD" >/dev/null || { echo "no dockerd ($DOCKERD)" >&2; exit 1; }
case $D in *[,:\ ]*) echo "DIR must not contain ',', ':' or spaces: $D" >&2; exit 1 ;; esac
if [ -f "$D/dockerd.pid" ] && kill -0 "$(cat "$D/dockerd.pid")" 2>/dev/null; then
        echo "a dockerd from $D is running already (pid $(cat "$D/dockerd.pid"))" >&2
        exit 1
fi

mkdir -p "$D/bin" "$D/etc-add/nvidia-container-runtime" "$D/etc-upper" "$D/etc-work"
chmod 0755 "$D"
ln -sfn "$BUILD/cmd/hook/nvidia-container-runtime-hook" "$D/bin/nvidia-container-runtime-hook"
ln -sfn "$BUILD/cmd/cli/nvidia-container-cli" "$D/bin/nvidia-container-cli"
# NVCR_MODE=jit-cdi: the runtime's spec path, nvidia-cdi-hook beside the others
# (what an install gives: auto then means jit-cdi).
mode_line=
if [ -n "${NVCR_MODE:-}" ]; then
        mode_line="mode = \"$NVCR_MODE\""
        ln -sfn "$BUILD/cmd/cdi-hook/nvidia-cdi-hook" "$D/bin/nvidia-cdi-hook"
fi
cat >"$D/config.toml" <<TOML
[nvidia-container-cli]
load-kmods = false
[nvidia-container-runtime]
$mode_line
runtimes = ["$RUNC"]
TOML
chown root:root "$D/config.toml"
chmod 0644 "$D/config.toml"
cp -p "$D/config.toml" "$D/etc-add/nvidia-container-runtime/config.toml"

cat >"$D/daemon.json" <<JSON
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
  "log-level": "info",
  "features": {"buildkit": false},
  "default-runtime": "$default_runtime",
  "runtimes": {
    "nvidia": {"path": "$BUILD/cmd/runtime/nvidia-container-runtime"}
  }
}
JSON

# Run inside the namespace (after simhost-enter's mounts): /etc as a writable
# overlay whose lower layers are DIR/etc-add and the real /etc, the mounts
# under /etc (simhost-enter's ld.so.cache, the container's resolv.conf, …)
# re-attached, then dockerd with a fixed environment.
cat >"$D/ns-init.sh" <<'INIT'
#!/bin/bash
set -euo pipefail
D=$1
shift
subs=$(awk '$5 ~ "^/etc/" { print substr($5, 6) }' /proc/self/mountinfo | sort -u)
mkdir -p "$D/hostetc"
mount --rbind /etc "$D/hostetc"
mount -t overlay nvcr-docker-etc \
        -o "lowerdir=$D/etc-add:/etc,upperdir=$D/etc-upper,workdir=$D/etc-work" /etc
for rel in $subs; do
        mount --bind "$D/hostetc/$rel" "/etc/$rel"
done
umount -l "$D/hostetc"
exec "$@"
INIT
chmod 0755 "$D/ns-init.sh"

: >"$D/dockerd.log"
# What dockerd leaves on the host that did not exist before (dockerd-stop.sh
# removes these when empty): its cgroups, the containerd "opt" directory.
if [ ! -f "$D/host-residue" ]; then
        {
                for h in /sys/fs/cgroup/*/; do
                        [ -e "${h}docker" ] || echo "${h}docker"
                done
                [ -e /opt/containerd ] || echo /opt/containerd
        } >"$D/host-residue"
fi
s=$(date +%s%N)
# setsid: the daemon outlives this script and gets no terminal signals.
# The exec chain simhost-enter -> unshare -> simhost-enter -> ns-init -> env ->
# dockerd keeps one PID, so $! is dockerd's.
setsid "$here/../../fixtures/simhost-enter" "$SIM" -- "$D/ns-init.sh" "$D" \
        env -i PATH="$D/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        HOME=/root NVIDIA_CTK_CONFIG_FILE_PATH="$D/config.toml" \
        "$DOCKERD" --config-file "$D/daemon.json" </dev/null >>"$D/dockerd.log" 2>&1 &
pid=$!
echo "$pid" >"$D/dockerd.pid"
for _ in $(seq 1 300); do
        if DOCKER_HOST=unix://$D/docker.sock DOCKER_CONFIG=$D/client "$DOCKER_CLIENT" version >/dev/null 2>&1; then
                # The daemon's mount namespace: dockerd-stop.sh ends what is left in it.
                readlink "/proc/$pid/ns/mnt" >"$D/dockerd.mntns"
                echo "dockerd ready after $((($(date +%s%N) - s) / 1000000)) ms (pid $pid)"
                exit 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
                echo "dockerd died; log:" >&2
                tail -30 "$D/dockerd.log" >&2
                exit 1
        fi
        sleep 0.1
done
echo "dockerd not ready after 30 s; log:" >&2
tail -30 "$D/dockerd.log" >&2
exit 1
