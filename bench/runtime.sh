#!/bin/bash
# Start time of a container through nvidia-container-runtime on the GPU
# host, as engines start one (containerd: `create --pid-file`, then
# `start`; the time is create + start, the wait for the end and `delete`
# are not counted). All variants interleaved, N runs each after one
# untimed warm-up:
#   plain     runc alone, no GPU
#   shim      our runtime, a container that asks for no GPU (the shim's own cost)
#   legacy    our runtime, legacy mode, NVIDIA_VISIBLE_DEVICES=all (prestart
#             hook, default capabilities)
#   jit       our runtime, jit-cdi mode, the same request: runc does mounts,
#             nodes and cgroups, the runtime itself does links, loader cache
#             and params mask after create (apply/post-create.h)
#   jit-hook  the same without --pid-file: the work is a createContainer hook
#             of nvidia-cdi-hook that runc starts (what `run`, a read-only
#             rootfs or a user namespace get)
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
echo "== start time: create + start of /bin/true, $N runs each, interleaved (ms)"
V=(plain shim legacy jit jit-hook)
for v in "${V[@]}"; do
        oci_bundle "$T/bench-$v" "" /bin/true
done
oci_add_env "$T/bench-legacy/config.json" NVIDIA_VISIBLE_DEVICES=all
cp "$T/bench-legacy/config.json" "$T/gpu.json"
declare -A times
run_one() {
        local v=$1 t0 t1 rc=0 b=$T/bench-$1 id=b-$1 mode=legacy pid=(--pid-file "$T/pid")
        case $v in legacy | jit | jit-hook) cp "$T/gpu.json" "$b/config.json" ;; esac
        case $v in jit | jit-hook) mode=jit-cdi ;; esac
        [ "$v" = jit-hook ] && pid=()
        t0=$(date +%s%N)
        if [ "$v" = plain ]; then
                oci_runc create "${pid[@]}" -b "$b" "$id" >/dev/null 2>"$T/last-$v.log"
        else
                NVIDIA_CTK_CONFIG_FILE_PATH=$T/$mode.toml "$RUNTIME" --root "$RUNC_STATE" create \
                        "${pid[@]}" -b "$b" "$id" >/dev/null 2>"$T/last-$v.log"
        fi && oci_runc start "$id" 2>>"$T/last-$v.log"
        rc=$?
        t1=$(date +%s%N)
        oci_runc delete -f "$id" >/dev/null 2>&1
        if ((rc != 0)); then
                fails=$((fails + 1))
                echo "run of $v failed (rc $rc): $(head -c 400 "$T/last-$v.log")" >&2
        fi
        times[$v]+="$(((t1 - t0) / 1000)) "
}
fails=0
for v in "${V[@]}"; do run_one "$v"; times[$v]=; done
# The order rotates: the run after a GPU container pays for the driver
# tearing the GPU down (no persistence mode on the host), which a fixed order
# would always charge to the same variant.
for i in $(seq 1 "$N"); do
        for k in 0 1 2 3 4; do run_one "${V[(i + k) % 5]}"; done
done
# Medians, minima and the median of the paired differences (run i of a
# variant minus run i of plain runc, taken seconds apart): the pairs cancel
# most of the drift of a shared machine, which moves whole medians by 20 ms.
python3 - "${times[plain]}" "${times[shim]}" "${times[legacy]}" "${times[jit]}" "${times[jit-hook]}" <<'PY'
import statistics, sys
plain, shim, legacy, jit, jithook = ([int(x) / 1000 for x in a.split()] for a in sys.argv[1:6])
rows = [("runc, no GPU", plain),
        ("nvidia-container-runtime, no GPU requested (shim)", shim),
        ("legacy (prestart hook), NVIDIA_VISIBLE_DEVICES=all", legacy),
        ("jit-cdi, chain run by the runtime after create", jit),
        ("jit-cdi, chain as a createContainer hook", jithook)]
print("%-52s %8s %8s" % ("variant", "median", "min"))
for name, t in rows:
    print("%-52s %8.1f %8.1f" % (name, statistics.median(t), min(t)))
def paired(a):
    return statistics.median([x - y for x, y in zip(a, plain)])
print("over runc (medians of paired differences): shim %.1f ms; legacy %.1f ms; "
      "jit-cdi %.1f ms; jit-cdi with the hook %.1f ms"
      % (paired(shim), paired(legacy), paired(jit), paired(jithook)))
PY
echo "failed runs: $fails"
((fails == 0))
