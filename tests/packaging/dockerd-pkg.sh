#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# dockerd-pkg.sh DIR SIMDIR: (run inside sandbox.sh) a Docker daemon as the
# packages leave it: it reads the system's /etc/docker/daemon.json (what
# nvidia-docker2 registered the runtime in) and finds our installed programs
# on its PATH, with the installed /etc/nvidia-container-runtime/config.toml.
# It runs inside tests/fixtures/simhost-enter SIMDIR (the simulated GPU
# host over the real paths). What must not touch the host is given as flags
# (they must not be in daemon.json too, or dockerd refuses to start): data,
# exec root, pidfile and socket under DIR, no iptables, no bridge, no
# ip_forward change. Writes DIR/dockerd.pid, DIR/dockerd.mntns and
# DIR/host-residue as tests/integration/engines/dockerd-start.sh does, so
# that its dockerd-stop.sh DIR stops it. Then: DOCKER_HOST=unix://DIR/docker.sock.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: dockerd-pkg.sh DIR SIMDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
D=$(readlink -f "$1")
SIM=$(readlink -f "$2")
mkdir -p "$D"
chmod 0755 "$D"
: >"$D/dockerd.log"
if [ ! -f "$D/host-residue" ]; then
        {
                for h in /sys/fs/cgroup/*/; do
                        [ -e "${h}docker" ] || echo "${h}docker"
                done
        } >"$D/host-residue"
fi
s=$(date +%s%N)
# The exec chain simhost-enter -> unshare -> simhost-enter -> env -> dockerd
# keeps one PID, so $! is dockerd's.
setsid "$here/../fixtures/simhost-enter" "$SIM" -- \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        /usr/sbin/dockerd --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pidfile" \
        --host "unix://$D/docker.sock" --iptables=false --ip6tables=false --ip-masq=false \
        --ip-forward=false --bridge=none --storage-driver="${DOCKER_STORAGE_DRIVER:-overlay2}" \
        </dev/null >>"$D/dockerd.log" 2>&1 &
pid=$!
echo "$pid" >"$D/dockerd.pid"
for _ in $(seq 1 300); do
        if DOCKER_HOST=unix://$D/docker.sock DOCKER_CONFIG=$D/client /usr/bin/docker version >/dev/null 2>&1; then
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
