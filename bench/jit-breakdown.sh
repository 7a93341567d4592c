#!/bin/bash
# Where the jit-cdi start time goes, on the GPU host (medians of N runs, ms):
#   shim-jit     nvidia-container-runtime in jit-cdi mode, the low-level runtime
#                replaced by /bin/true: request -> plan -> config.json edit
#   shim-legacy  the same in legacy mode (adds one hook entry)
#   runc-plain   runc alone
#   runc-edits   runc with the jit-cdi config.json, hooks removed (its mounts,
#                nodes and cgroup rules only)
#   runc-hooks   runc with the full jit-cdi config.json (+ the hook chain)
# Usage: bench/jit-breakdown.sh [CARRY_DIR] [N]
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
N=${2:-31}
SIM=
. "$REPO/tests/gpu/oci-lib.sh"
oci_setup || exit 1
RUNTIME=$CARRY/nvidia-container-runtime
T=$(mktemp -d /tmp/nvcr-jb.XXXXXX)
chmod 0755 "$T"
trap 'oci_cleanup; rm -rf "$T"' EXIT
export PATH=$CARRY:$PATH
for m in jit-cdi legacy; do
        printf '[nvidia-container-runtime]\nmode = "%s"\nruntimes = ["/bin/true"]\n' "$m" >"$T/$m.toml"
        chmod 0644 "$T/$m.toml"
done
for v in shim plain edits hooks; do oci_bundle "$T/$v" "" /bin/true; done
oci_add_env "$T/shim/config.json" NVIDIA_VISIBLE_DEVICES=all
cp "$T/shim/config.json" "$T/gpu.json"
NVIDIA_CTK_CONFIG_FILE_PATH=$T/jit-cdi.toml "$RUNTIME" create -b "$T/shim" x >/dev/null 2>&1
cp "$T/shim/config.json" "$T/hooks/config.json"
python3 - "$T/shim/config.json" "$T/edits/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["hooks"].pop("createContainer", None)
json.dump(c, open(sys.argv[2], "w"), indent=1)
PY
declare -A times
one() {
        local v=$1 t0 t1
        t0=$(date +%s%N)
        case $v in
        shim-jit) cp "$T/gpu.json" "$T/shim/config.json"; t0=$(date +%s%N)
                NVIDIA_CTK_CONFIG_FILE_PATH=$T/jit-cdi.toml "$RUNTIME" create -b "$T/shim" x >/dev/null 2>&1 ;;
        shim-legacy) cp "$T/gpu.json" "$T/shim/config.json"; t0=$(date +%s%N)
                NVIDIA_CTK_CONFIG_FILE_PATH=$T/legacy.toml "$RUNTIME" create -b "$T/shim" x >/dev/null 2>&1 ;;
        runc-plain) oci_runc run -b "$T/plain" bp >/dev/null 2>&1 ;;
        runc-edits) oci_runc run -b "$T/edits" be >/dev/null 2>&1 ;;
        runc-hooks) oci_runc run -b "$T/hooks" bh >/dev/null 2>&1 ;;
        esac
        t1=$(date +%s%N)
        times[$v]+="$(((t1 - t0) / 1000)) "
}
V=(shim-jit shim-legacy runc-plain runc-edits runc-hooks)
for v in "${V[@]}"; do one "$v"; times[$v]=; done
for i in $(seq 1 "$N"); do for v in "${V[@]}"; do one "$v"; done; done
for v in "${V[@]}"; do
        printf '%-14s %s\n' "$v" "$(tr ' ' '\n' <<<"${times[$v]}" | grep . | sort -n |
                awk '{a[NR]=$1} END {printf "median %.2f ms  min %.2f ms", a[int((NR+1)/2)]/1000, a[1]/1000}')"
done
echo "--- a runc-hooks run with the hook's debug output:"
python3 - "$T/hooks/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for h in c["hooks"]["createContainer"]:
    print(" ".join(h["args"])[:300])
PY
