#!/bin/bash
# Where a jit-cdi container start goes, on the GPU host. Every variant is
# timed N times, interleaved (rotating order), after one untimed warm-up;
# medians and minima in ms:
#   exec        bash starting /bin/true (the cost of starting any process)
#   shim-plain  nvidia-container-runtime create, low-level runtime replaced
#               by /bin/true, a container that asks for no GPU: process
#               start, config.toml, config.json parsed (nothing written)
#   shim-jit    the same for NVIDIA_VISIBLE_DEVICES=all in jit-cdi mode (no
#               --pid-file, so the chain goes into config.json): discovery,
#               plan, edits, config.json written
#   runc-plain  runc create + start of the container without GPU
#   runc-edits  runc create + start with the config.json shim-jit wrote,
#               its hook taken out: runc's own mounts, nodes, cgroup rules
#   jit         nvidia-container-runtime create --pid-file + runc start: the
#               whole thing (plan, runc, the chain run by the runtime)
# The runtime's own part after create is jit - runc-edits - (shim-jit - exec).
# Usage: bench/jit-breakdown.sh [CARRY_DIR] [N]
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
N=${2:-41}
SIM=
. "$REPO/tests/gpu/oci-lib.sh"
oci_setup || exit 1
RUNTIME=$CARRY/nvidia-container-runtime
T=$(mktemp -d /tmp/nvcr-jb.XXXXXX)
chmod 0755 "$T"
trap 'oci_cleanup; rm -rf "$T"' EXIT
export PATH=$CARRY:$PATH
printf '[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["/bin/true"]\n' >"$T/dry.toml"
printf '[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["%s"]\n' "$RUNC" >"$T/jit.toml"
chmod 0644 "$T"/*.toml
for v in shim plain edits jit; do oci_bundle "$T/$v" "" /bin/true; done
cp "$T/plain/config.json" "$T/plain.json"
oci_add_env "$T/jit/config.json" NVIDIA_VISIBLE_DEVICES=all
cp "$T/jit/config.json" "$T/gpu.json"
cp "$T/gpu.json" "$T/shim/config.json"
NVIDIA_CTK_CONFIG_FILE_PATH=$T/dry.toml "$RUNTIME" create -b "$T/shim" x >/dev/null 2>&1
python3 - "$T/shim/config.json" "$T/edits/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["hooks"].pop("createContainer", None)
json.dump(c, open(sys.argv[2], "w"), indent=1)
print("jit-cdi edits: %d mounts, %d device nodes, %d device rules"
      % (len(c["mounts"]), len(c["linux"].get("devices", [])),
         len(c["linux"]["resources"].get("devices", []))))
PY
declare -A times
one() {
        local v=$1 t0 t1
        case $v in
        shim-plain) cp "$T/plain.json" "$T/shim/config.json" ;;
        shim-jit) cp "$T/gpu.json" "$T/shim/config.json" ;;
        jit) cp "$T/gpu.json" "$T/jit/config.json" ;;
        esac
        t0=$(date +%s%N)
        case $v in
        exec) /bin/true ;;
        shim-plain | shim-jit)
                NVIDIA_CTK_CONFIG_FILE_PATH=$T/dry.toml "$RUNTIME" create -b "$T/shim" x >/dev/null 2>&1 ;;
        runc-plain) oci_runc create --pid-file "$T/pid" -b "$T/plain" bp >/dev/null 2>&1 && oci_runc start bp ;;
        runc-edits) oci_runc create --pid-file "$T/pid" -b "$T/edits" be >/dev/null 2>&1 && oci_runc start be ;;
        jit) NVIDIA_CTK_CONFIG_FILE_PATH=$T/jit.toml "$RUNTIME" --root "$RUNC_STATE" create \
                --pid-file "$T/pid" -b "$T/jit" bj >/dev/null 2>"$T/jit.err" && oci_runc start bj ;;
        esac
        t1=$(date +%s%N)
        case $v in runc-plain) oci_runc delete -f bp ;; runc-edits) oci_runc delete -f be ;; jit) oci_runc delete -f bj ;; esac >/dev/null 2>&1
        times[$v]+="$(((t1 - t0) / 1000)) "
}
V=(exec shim-plain shim-jit runc-plain runc-edits jit)
for v in "${V[@]}"; do one "$v"; times[$v]=; done
for i in $(seq 1 "$N"); do
        for k in 0 1 2 3 4 5; do one "${V[(i + k) % 6]}"; done
done
for v in "${V[@]}"; do
        printf '%-12s %s\n' "$v" "$(tr ' ' '\n' <<<"${times[$v]}" | grep . | sort -n |
                awk '{a[NR]=$1} END {printf "median %6.2f ms   min %6.2f ms", a[int((NR+1)/2)]/1000, a[1]/1000}')"
done
[ -s "$T/jit.err" ] && { echo "--- last jit run's stderr:"; cat "$T/jit.err"; }
exit 0
