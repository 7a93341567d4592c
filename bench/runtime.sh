#!/bin/bash
# Start time of runc through nvidia-container-runtime on the GPU host, all
# variants interleaved, N runs each after one untimed warm-up:
#   plain  runc alone, no GPU
#   shim   our runtime, a container that asks for no GPU (the shim's own cost)
#   gpu    our runtime with NVIDIA_VISIBLE_DEVICES=all (hook, default capabilities)
# Usage: bench/runtime.sh [CARRY_DIR] [N]     (binaries from scripts/build-carry.sh)
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
N=${2:-41}
SIM=
. "$REPO/tests/gpu/oci-lib.sh"
oci_setup || exit 1
RUNTIME=$CARRY/nvidia-container-runtime
T=$(mktemp -d /tmp/nvcr-rtb.XXXXXX)
chmod 0755 "$T"
trap 'oci_cleanup; rm -rf "$T"' EXIT
cat >"$T/config.toml" <<EOT
[nvidia-container-runtime]
runtimes = ["$RUNC"]
EOT
chmod 0644 "$T/config.toml"
export NVIDIA_CTK_CONFIG_FILE_PATH=$T/config.toml PATH=$CARRY:$PATH
echo "== machine"
uname -r
stat -fc 'cgroup fs: %T' /sys/fs/cgroup
nvidia-smi -L
echo "== start time: runc run /bin/true, $N runs each, interleaved (ms)"
for v in plain shim gpu; do
        oci_bundle "$T/bench-$v" "" /bin/true
done
python3 - "$T/bench-gpu/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["env"] += ["NVIDIA_VISIBLE_DEVICES=all"]
json.dump(c, open(p, "w"), indent=1)
PY
cp "$T/bench-gpu/config.json" "$T/gpu.json"
declare -A times
run_one() {
        local v=$1 t0 t1
        [ "$v" = gpu ] && cp "$T/gpu.json" "$T/bench-gpu/config.json"
        t0=$(date +%s%N)
        case $v in
        plain) oci_runc run -b "$T/bench-plain" b-$v >/dev/null 2>&1 ;;
        shim) "$RUNTIME" --root "$RUNC_STATE" run -b "$T/bench-shim" b-$v >/dev/null 2>&1 ;;
        gpu) "$RUNTIME" --root "$RUNC_STATE" run -b "$T/bench-gpu" b-$v >/dev/null 2>&1 ;;
        esac
        t1=$(date +%s%N)
        times[$v]+="$(((t1 - t0) / 1000)) "
}
for v in plain shim gpu; do run_one $v; times[$v]=; done
# The order rotates: the run after a GPU container pays for the driver
# tearing the GPU down (no persistence mode on the host), which a fixed order
# would always charge to the same variant.
orders=("plain shim gpu" "shim gpu plain" "gpu plain shim")
for i in $(seq 1 "$N"); do
        for v in ${orders[i % 3]}; do run_one $v; done
done
# Medians, minima and the median of the paired differences (run i of a
# variant minus run i of plain runc, taken seconds apart): the pairs cancel
# most of the drift of a shared machine, which moves whole medians by 20 ms.
python3 - "${times[plain]}" "${times[shim]}" "${times[gpu]}" <<'PY'
import statistics, sys
plain, shim, gpu = ([int(x) / 1000 for x in a.split()] for a in sys.argv[1:4])
rows = [("runc, no GPU", plain),
        ("nvidia-container-runtime, no GPU requested (shim)", shim),
        ("nvidia-container-runtime, NVIDIA_VISIBLE_DEVICES=all", gpu)]
print("%-52s %8s %8s" % ("variant", "median", "min"))
for name, t in rows:
    print("%-52s %8.1f %8.1f" % (name, statistics.median(t), min(t)))
def paired(a):
    return statistics.median([x - y for x, y in zip(a, plain)])
print("shim - runc: %.1f ms; GPU container - runc: %.1f ms (medians of paired differences)"
      % (paired(shim), paired(gpu)))
PY
