#!/bin/bash
# Each step of the jit-cdi hook chain timed alone on the GPU host (as runc
# runs it: the OCI state on stdin; here in a private mount namespace, the
# rootfs a plain directory). Medians of N runs, ms; the rootfs is reused, so
# from the second run on every step replaces what the first one made.
# Usage: bench/cdi-hook-steps.sh [CARRY_DIR] [N]
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
N=${2:-21}
SIM=
. "$REPO/tests/gpu/oci-lib.sh"
oci_setup || exit 1
T=$(mktemp -d /tmp/nvcr-hs.XXXXXX)
chmod 0755 "$T"
trap 'oci_cleanup; rm -rf "$T"' EXIT
export PATH=$CARRY:$PATH
printf '[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["/bin/true"]\n' >"$T/jit.toml"
chmod 0644 "$T/jit.toml"
oci_bundle "$T/b" "" /bin/true
oci_add_env "$T/b/config.json" NVIDIA_VISIBLE_DEVICES=all
NVIDIA_CTK_CONFIG_FILE_PATH=$T/jit.toml "$CARRY/nvidia-container-runtime" create -b "$T/b" x >/dev/null 2>&1
python3 - "$T/b/config.json" "$T" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
args = c["hooks"]["createContainer"][0]["args"][1:]
steps, cur = [], []
for a in args:
    if a == "--then":
        steps.append(cur); cur = []
    else:
        cur.append(a)
steps.append(cur)
for i, s in enumerate(steps):
    open("%s/step%d" % (sys.argv[2], i), "w").write("\n".join(s) + "\n")
open("%s/chain" % sys.argv[2], "w").write("\n".join(args) + "\n")
PY
state=$(printf '{"ociVersion":"1.0.2","id":"x","pid":%d,"bundle":"%s"}' $$ "$T/b")
time_step() { # FILE
        local f=$1 t0 t1 all=()
        mapfile -t a <"$f"
        for i in $(seq 0 "$N"); do
                t0=$(date +%s%N)
                unshare -m sh -c 'exec "$0" "$@"' "$CARRY/nvidia-cdi-hook" "${a[@]}" <<<"$state" >/dev/null 2>"$T/err" ||
                        { echo "  failed: $(head -3 "$T/err")"; return; }
                t1=$(date +%s%N)
                ((i == 0)) || all+=($(((t1 - t0) / 1000)))
        done
        printf '%-36s %s\n' "${a[0]}" "$(printf '%s\n' "${all[@]}" | sort -n |
                awk '{v[NR]=$1} END {printf "median %.2f ms  min %.2f ms", v[int((NR+1)/2)]/1000, v[1]/1000}')"
}
echo "== each step alone, $N runs (unshare -m + exec included)"
printf 'noop\n' >"$T/noop"
time_step "$T/noop"
for f in "$T"/step*; do time_step "$f"; done
echo "== the whole chain"
time_step "$T/chain"
df -T "$T" | tail -1
