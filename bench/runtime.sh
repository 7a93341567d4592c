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
N=${2:-21}
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
for i in $(seq 1 "$N"); do
        for v in plain shim gpu; do run_one $v; done
done
med() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'; }
printf '%-52s %8s\n' "runc, no GPU" "$(med "${times[plain]}")"
printf '%-52s %8s\n' "nvidia-container-runtime, no GPU requested (shim)" "$(med "${times[shim]}")"
printf '%-52s %8s\n' "nvidia-container-runtime, NVIDIA_VISIBLE_DEVICES=all" "$(med "${times[gpu]}")"
awk -v a="$(med "${times[plain]}")" -v b="$(med "${times[shim]}")" -v c="$(med "${times[gpu]}")" \
        'BEGIN { printf "shim - runc: %.1f ms; GPU container - runc: %.1f ms\n", b - a, c - a }'
