#!/bin/bash
# Where a container start's time goes outside runc, from the kernel's own
# clock: the sched_process_exec/exit events of a private ftrace instance
# (record-tgid on, trace_clock mono) around each engine call, marked from
# this shell through the instance's trace_marker.
#
# runtime.sh compares whole starts; runc's own create varies by tens of
# milliseconds from run to run on a VM, which is most of its intervals. Here
# each call is split into runc's life (its exec to the death of its last
# thread) and the rest: the shell's fork and wait, and for our runtime its
# exec, its work before runc is started and after runc has exited, its exit.
# The rest does not depend on runc's noise, so our runtime's part is seen
# within a few tens of microseconds:
#
#   our part of create = median(call minus runc's life, ours)
#                        - median(call minus runc's life, plain runc)
#   our part of start  = the same for `start` (engines call the runtime for
#                        it too: our exec, then runc's in its place)
#
# runc's life itself is compared too (ours against runc-edits, the same
# config.json given to runc alone): what our work running beside runc costs
# it, if anything; that one has runc's noise.
#
# Variants (interleaved, the order rotating, one untimed warm-up each):
#   plain       runc alone, no GPU
#   runc-edits  runc alone with the config.json our runtime writes for
#               NVIDIA_VISIBLE_DEVICES=all in jit-cdi mode, hook taken out
#   shim        our runtime, a container that asks for no GPU
#   jit         our runtime, jit-cdi mode, NVIDIA_VISIBLE_DEVICES=all
# create --pid-file, then start, as containerd does; the rootfs reused (as
# runtime.sh's BENCH_LAYERS=reuse).
# Usage: bench/start-trace.sh [CARRY_DIR] [N]    (as root; tracefs needed)
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
N=${2:-101}
SIM=
. "$REPO/tests/gpu/oci-lib.sh"
oci_setup || exit 1
RUNTIME=${BENCH_RUNTIME:-$CARRY/nvidia-container-runtime}
TRACEFS=/sys/kernel/tracing
if [ ! -e "$TRACEFS/instances" ]; then
        mount -t tracefs nodev "$TRACEFS" 2>/dev/null ||
                { echo "start-trace: no tracefs at $TRACEFS" >&2; exit 1; }
fi
T=$TRACEFS/instances/nvcr-start-trace.$$
mkdir "$T" || { echo "start-trace: cannot make the trace instance $T" >&2; exit 1; }
echo 0 >"$T/tracing_on"
S=$(mktemp -d /dev/shm/nvcr-trace.XXXXXX)
D=$(mktemp -d /var/tmp/nvcr-trace.XXXXXX)
chmod 0755 "$S" "$D"
rm -rf "$RUNC_STATE"
RUNC_STATE=$S/state
mkdir -p "$RUNC_STATE"
V=(plain runc-edits shim jit)
cleanup() {
        local v
        echo 0 >"$T/tracing_on" 2>/dev/null
        for v in "${V[@]}"; do
                oci_runc delete -f "t-$v" >/dev/null 2>&1
                umount "$S/$v/rootfs" 2>/dev/null
        done
        rmdir "$T" 2>/dev/null
        rm -rf "$S" "$D"
}
trap cleanup EXIT
printf '[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["%s"]\n' "$RUNC" >"$S/jit.toml"
printf '[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["/bin/true"]\n' >"$S/dry.toml"
chmod 0644 "$S"/*.toml
echo "== machine"
uname -r
nproc
oci_bundle "$D/image" "" /bin/true
cp "$D/image/config.json" "$S/plain.json"
cp "$S/plain.json" "$S/gpu.json"
oci_add_env "$S/gpu.json" NVIDIA_VISIBLE_DEVICES=all
for v in "${V[@]}"; do
        mkdir -p "$S/$v/rootfs" "$D/copy-$v"
        cp -a "$D/image/rootfs/." "$D/copy-$v/" && mount --bind "$D/copy-$v" "$S/$v/rootfs" || exit 1
done
oci_runc_edits "$RUNTIME" "$S/gpu.json" "$S/runc-edits" "$S/dry.toml" "$S/edits.json" || exit 1

# A run writes some 10 KB of events; 16 MB per CPU holds them all.
echo 16384 >"$T/buffer_size_kb"
echo mono >"$T/trace_clock"
echo 1 >"$T/options/record-tgid"
echo 1 >"$T/events/sched/sched_process_exec/enable"
echo 1 >"$T/events/sched/sched_process_exit/enable"
exec 9>"$T/trace_marker"
fails=0
run_one() {
        local v=$1 i=$2 b=$S/$1 id=t-$1 cfg rc=0
        case $v in
        plain | shim) cfg=$S/plain.json ;;
        runc-edits) cfg=$S/edits.json ;;
        *) cfg=$S/gpu.json ;;
        esac
        cp "$cfg" "$b/config.json"
        case $v in
        plain | runc-edits)
                echo "B $v $i create" >&9
                oci_runc create --pid-file "$S/$v.pid" -b "$b" "$id" >/dev/null 2>"$S/last-$v.log" || rc=1
                echo "E $v $i create" >&9
                echo "B $v $i start" >&9
                oci_runc start "$id" 2>>"$S/last-$v.log" || rc=1
                echo "E $v $i start" >&9 ;;
        *)
                echo "B $v $i create" >&9
                NVIDIA_CTK_CONFIG_FILE_PATH=$S/jit.toml "$RUNTIME" --root "$RUNC_STATE" create \
                        --pid-file "$S/$v.pid" -b "$b" "$id" >/dev/null 2>"$S/last-$v.log" || rc=1
                echo "E $v $i create" >&9
                echo "B $v $i start" >&9
                NVIDIA_CTK_CONFIG_FILE_PATH=$S/jit.toml "$RUNTIME" --root "$RUNC_STATE" start "$id" \
                        2>>"$S/last-$v.log" || rc=1
                echo "E $v $i start" >&9 ;;
        esac
        oci_runc delete -f "$id" >/dev/null 2>&1
        if ((rc != 0)); then
                fails=$((fails + 1))
                echo "run of $v failed: $(head -c 400 "$S/last-$v.log")" >&2
        fi
}
# Markers are refused while tracing is off: on for the warm-up too (run 0 is left out below).
echo 1 >"$T/tracing_on"
for v in "${V[@]}"; do run_one "$v" 0; done
echo "== $N runs of each variant, interleaved"
for i in $(seq 1 "$N"); do
        for k in "${!V[@]}"; do run_one "${V[(i + k) % ${#V[@]}]}" "$i"; done
done
echo 0 >"$T/tracing_on"
exec 9>&-
cat "$T/trace" >"$S/trace.txt"
grep -q "LOST" "$S/trace.txt" && echo "note: the trace lost events (buffer too small)"
echo "trace: $(wc -l <"$S/trace.txt") lines"
python3 - "$S/trace.txt" "$(basename "$RUNC")" "$(basename "$RUNTIME")" <<'PY'
import collections, random, re, statistics, sys
path, runc_name, ours_name = sys.argv[1:4]
# "  comm-TID  (  TGID) [cpu] flags  TS: event: fields"
line_re = re.compile(r"^\s*(.*?)-(\d+)\s+\(\s*(\S+)\)\s+\[\d+\]\s+\S+\s+([\d.]+):\s+(\w+):\s*(.*)$")
events = []
for line in open(path, errors="replace"):
    m = line_re.match(line)
    if not m:
        continue
    comm, tid, tgid, ts, ev, rest = m.groups()
    events.append((float(ts) * 1e6, int(tid), int(tgid) if tgid.isdigit() else int(tid), ev, rest))
events.sort(key=lambda e: e[0])
# Cut into calls by the markers.
calls = collections.defaultdict(dict)   # (variant, call) -> run -> dict
cur = None
for ts, tid, tgid, ev, rest in events:
    if ev == "tracing_mark_write":
        p = rest.split()
        if len(p) == 4 and p[0] in "BE":
            if p[0] == "B":
                cur = {"B": ts, "execs": [], "exits": {}}
            elif cur is not None:
                cur["E"] = ts
                calls[(p[1], p[3])][int(p[2])] = cur
                cur = None
        continue
    if cur is None:
        continue
    if ev == "sched_process_exec":
        f = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
        cur["execs"].append((ts, int(f.get("pid", tid)), f.get("filename", "")))
    elif ev == "sched_process_exit" and "group_dead=true" in rest:
        cur["exits"][tgid] = ts
def life(call, name):
    """exec of the first process whose program is NAME, death of its last thread"""
    for ts, pid, fn in call["execs"]:
        if fn.rsplit("/", 1)[-1] == name:
            end = call["exits"].get(pid)
            return (ts, end) if end is not None else None
    return None
def med(x):
    return statistics.median(x) if x else float("nan")
def ci(d):
    rng = random.Random(1)
    meds = sorted(statistics.median(rng.choices(d, k=len(d))) for _ in range(2000))
    return meds[50], meds[1949]
rows = {}
for (v, what), runs in sorted(calls.items()):
    total, rl, out, pre, post = {}, {}, {}, {}, {}
    for i, c in runs.items():
        if "E" not in c or i == 0:
            continue
        r = life(c, runc_name)
        if r is None:
            continue
        total[i] = c["E"] - c["B"]
        rl[i] = r[1] - r[0]
        out[i] = total[i] - rl[i]
        o = life(c, ours_name)
        if o is not None:
            pre[i] = r[0] - o[0]
            post[i] = o[1] - r[1]
    rows[(v, what)] = (total, rl, out, pre, post)
print("us, medians over the runs (n):        call   runc's life   call minus runc   "
      "ours: exec to runc's exec   runc's death to ours")
for (v, what), (total, rl, out, pre, post) in sorted(rows.items(), key=lambda k: (k[0][1], k[0][0])):
    print("  %-6s %-11s (%3d) %9.0f %12.0f %15.0f %20s %22s" % (
        what, v, len(total), med(list(total.values())), med(list(rl.values())),
        med(list(out.values())), "%.0f" % med(list(pre.values())) if pre else "-",
        "%.0f" % med(list(post.values())) if post else "-"))
print("paired differences (run i minus run i; median [95% bootstrap interval]), us:")
for what in ("create", "start"):
    for v, base, q, label in (("shim", "plain", 2, "call minus runc's life"),
                              ("jit", "plain", 2, "call minus runc's life"),
                              ("jit", "runc-edits", 1, "runc's life"),
                              ("runc-edits", "plain", 0, "whole call"),
                              ("jit", "plain", 0, "whole call")):
        a, b = rows.get((v, what)), rows.get((base, what))
        if not a or not b:
            continue
        d = [a[q][i] - b[q][i] for i in a[q] if i in b[q]]
        if len(d) < 5:
            continue
        lo, hi = ci(d)
        print("  %-6s %-10s over %-10s %-24s %+8.0f  [%+.0f, %+.0f]  (%d)" % (
            what, v, base, label, med(d), lo, hi, len(d)))
PY
echo "failed runs: $fails"
((fails == 0))
