#!/bin/bash
# containerd-start.sh SIM CONFIG DIR [BINDIR]: a private containerd (CRI off), all its
# state under DIR, started inside the simulated host's namespace (ns-enter.sh)
# with BINDIR (default DIR/bin) first on its PATH. Its /run/containerd lives on that
# namespace's /run tmpfs. Writes DIR/containerd.pid (join the namespace with
# nsenter -t PID -m). Stop: containerd-stop.sh DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sim=$1 cfg=$2 C=$3 bin=${4:-$3/bin}
mkdir -p "$C" "$bin"
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
PATH=$bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        setsid "$here/ns-enter.sh" "$sim" "$cfg" -- containerd --config "$C/config.toml" \
        </dev/null >"$C/containerd.log" 2>&1 &
echo $! >"$C/containerd.pid"
for _ in $(seq 1 300); do
        if ctr -a "$C/containerd.sock" version >/dev/null 2>&1; then
                exit 0
        fi
        kill -0 "$(cat "$C/containerd.pid")" 2>/dev/null || {
                echo "containerd died:" >&2
                tail -20 "$C/containerd.log" >&2
                exit 1
        }
        sleep 0.1
done
echo "containerd not ready after 30 s" >&2
exit 1
