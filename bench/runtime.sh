#!/bin/bash
# Start time of runc through nvidia-container-runtime on the GPU host, all
# variants interleaved, N runs each after one untimed warm-up:
#   plain  runc alone, no GPU
#   shim   our runtime, a container that asks for no GPU (the shim's own cost)
#   gpu    our runtime, legacy mode, NVIDIA_VISIBLE_DEVICES=all (prestart hook,
#          default capabilities)
#   jit    our runtime, jit-cdi mode, the same request (runc does mounts,
#          nodes and cgroups; nvidia-cdi-hook createContainer hooks)
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
for m in legacy jit-cdi; do
        cat >"$T/$m.toml" <<EOT
[nvidia-container-runtime]
mode = "$m"
runtimes = ["$RUNC"]
EOT
        chmod 0644 "$T/$m.toml"
done
export PATH=$CARRY:$PATH
echo "== machine"
uname -r
stat -fc 'cgroup fs: %T' /sys/fs/cgroup
nvidia-smi -L
echo "== start time: runc run /bin/true, $N runs each, interleaved (ms)"
for v in plain shim gpu jit; do
        oci_bundle "$T/bench-$v" "" /bin/true
done
oci_add_env "$T/bench-gpu/config.json" NVIDIA_VISIBLE_DEVICES=all
cp "$T/bench-gpu/config.json" "$T/gpu.json"
cp "$T/gpu.json" "$T/bench-jit/config.json"
declare -A times
run_one() {
        local v=$1 t0 t1 rc=0
        case $v in gpu | jit) cp "$T/gpu.json" "$T/bench-$v/config.json" ;; esac
        t0=$(date +%s%N)
        case $v in
        plain) oci_runc run -b "$T/bench-plain" b-$v >/dev/null 2>&1 ;;
        shim) NVIDIA_CTK_CONFIG_FILE_PATH=$T/legacy.toml "$RUNTIME" --root "$RUNC_STATE" run -b "$T/bench-shim" b-$v >/dev/null 2>&1 ;;
        gpu) NVIDIA_CTK_CONFIG_FILE_PATH=$T/legacy.toml "$RUNTIME" --root "$RUNC_STATE" run -b "$T/bench-gpu" b-$v >/dev/null 2>&1 ;;
        jit) NVIDIA_CTK_CONFIG_FILE_PATH=$T/jit-cdi.toml "$RUNTIME" --root "$RUNC_STATE" run -b "$T/bench-jit" b-$v >"$T/last-$v.log" 2>&1 ;;
        esac
        rc=$?
        t1=$(date +%s%N)
        if ((rc != 0)); then
                fails=$((fails + 1))
                echo "run of $v failed (rc $rc)" >&2
        fi
        times[$v]+="$(((t1 - t0) / 1000)) "
}
fails=0
for v in plain shim gpu jit; do run_one $v; times[$v]=; done
# The order rotates: the run after a GPU container pays for the driver
# tearing the GPU down (no persistence mode on the host), which a fixed order
# would always charge to the same variant.
orders=("plain shim gpu jit" "shim gpu jit plain" "gpu jit plain shim" "jit plain shim gpu")
for i in $(seq 1 "$N"); do
        for v in ${orders[i % 4]}; do run_one $v; done
done
# Medians, minima and the median of the paired differences (run i of a
# variant minus run i of plain runc, taken seconds apart): the pairs cancel
# most of the drift of a shared machine, which moves whole medians by 20 ms.
python3 - "${times[plain]}" "${times[shim]}" "${times[gpu]}" "${times[jit]}" <<'PY'
import statistics, sys
plain, shim, gpu, jit = ([int(x) / 1000 for x in a.split()] for a in sys.argv[1:5])
rows = [("runc, no GPU", plain),
        ("nvidia-container-runtime, no GPU requested (shim)", shim),
        ("legacy (prestart hook), NVIDIA_VISIBLE_DEVICES=all", gpu),
        ("jit-cdi (spec edits), NVIDIA_VISIBLE_DEVICES=all", jit)]
print("%-52s %8s %8s" % ("variant", "median", "min"))
for name, t in rows:
    print("%-52s %8.1f %8.1f" % (name, statistics.median(t), min(t)))
def paired(a):
    return statistics.median([x - y for x, y in zip(a, plain)])
print("shim - runc: %.1f ms; legacy GPU container - runc: %.1f ms; jit-cdi GPU container - runc: %.1f ms"
      % (paired(shim), paired(gpu), paired(jit)))
print("(medians of paired differences)")
PY
echo "failed runs: $fails"
((fails == 0))
