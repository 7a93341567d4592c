#!/bin/bash
# Start time of a container through nvidia-container-runtime on the GPU
# host, as engines start one: containerd runs `create --pid-file`, then
# `start`, both through the runtime under test; the time is create + start
# (the wait for the end and `delete` are not counted). Storage as containerd lays it out: the bundle
# (config.json) and runc's state on a tmpfs (/run there, /dev/shm here),
# the rootfs an overlay mount whose upper layer is new at every run (a new
# container's writable layer) over the image unpacked on disk. Variants,
# interleaved (the order rotates), N runs each after one untimed warm-up:
#   plain       runc alone, no GPU
#   shim        our runtime, a container that asks for no GPU
#   runc-edits  runc alone with the config.json our runtime writes for
#               NVIDIA_VISIBLE_DEVICES=all in jit-cdi mode, hook taken out:
#               runc's own mounts, device nodes and cgroup rules (the floor)
#   jit         our runtime, jit-cdi mode, the same request: runc does
#               mounts, nodes and cgroups; the runtime does links, loader
#               cache and params mask around create (apply/post-create.h);
#               runc is started before the edits are made and reads them
#               through a FIFO (apply/early-start.h)
#   jit-late    the same with NVCR_EARLY_START=0: config.json written
#               first, then runc started
#   jit-hook    the same without --pid-file: the work is a createContainer
#               hook of nvidia-cdi-hook that runc starts (what `run`, a
#               read-only rootfs or a user namespace get)
#   legacy      our runtime, legacy mode (prestart hook)
# Then, for jit, where its time goes inside the runtime (NVCR_TIMING marks,
# lib/core/timing.h): medians in microseconds from the runtime's start.
# Usage: bench/runtime.sh [CARRY_DIR] [N]
#   BENCH_LAYERS=copy: each run's rootfs is a fresh plain copy of the image
#   instead of a new overlay layer (runc then creates its mount targets
#   without copying directories up).
#   BENCH_LAYERS=reuse: each variant keeps one plain rootfs for all its runs,
#   as the reference's figures were taken (runc run on one bundle): mount
#   targets and links made by the first run are there for the next.
#   BENCH_NO_NETNS=1: the containers get no network namespace of their own
#   (creating and tearing one down is most of the noise of a start on some
#   kernels; the differences between variants stay what they are).
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
N=${2:-41}
SIM=
. "$REPO/tests/gpu/oci-lib.sh"
oci_setup || exit 1
RUNTIME=$CARRY/nvidia-container-runtime
S=$(mktemp -d /dev/shm/nvcr-rtb.XXXXXX)
D=$(mktemp -d /var/tmp/nvcr-rtb.XXXXXX)
chmod 0755 "$S" "$D"
rm -rf "$RUNC_STATE"
RUNC_STATE=$S/state
mkdir -p "$RUNC_STATE"
V=(plain shim runc-edits jit jit-late jit-hook legacy)
cleanup() {
        local v
        for v in "${V[@]}"; do
                oci_runc delete -f "b-$v" >/dev/null 2>&1
                umount "$S/$v/rootfs" 2>/dev/null
        done
        rm -rf "$S" "$D"
}
trap cleanup EXIT
for m in legacy jit-cdi; do
        printf '[nvidia-container-runtime]\nmode = "%s"\nruntimes = ["%s"]\n' "$m" "$RUNC" >"$S/$m.toml"
done
printf '[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["/bin/true"]\n' >"$S/dry.toml"
chmod 0644 "$S"/*.toml
export PATH=$CARRY:$PATH
echo "== machine"
uname -r
stat -fc 'cgroup fs: %T' /sys/fs/cgroup
nvidia-smi -L
# The image, unpacked once; each variant's bundle gets its config.json.
oci_bundle "$D/image" "" /bin/true
if [ "${BENCH_NO_NETNS:-0}" = 1 ]; then
        python3 - "$D/image/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
        echo "note: no network namespace (BENCH_NO_NETNS=1)"
fi
cp "$D/image/config.json" "$S/plain.json"
cp "$S/plain.json" "$S/gpu.json"
oci_add_env "$S/gpu.json" NVIDIA_VISIBLE_DEVICES=all
for v in "${V[@]}"; do mkdir -p "$S/$v/rootfs"; done
# A new writable layer over the image, as a new container gets; where
# overlayfs cannot be used (an upper directory on overlayfs itself), a fresh
# copy of the image instead.
LAYERS=${BENCH_LAYERS:-overlay}
layer() {
        local v=$1
        if [ "$LAYERS" = reuse ]; then
                mountpoint -q "$S/$v/rootfs" && return 0
                cp -a "$D/image/rootfs" "$D/copy-$v" && mount --bind "$D/copy-$v" "$S/$v/rootfs"
                return
        fi
        umount "$S/$v/rootfs" 2>/dev/null
        rm -rf "$D/up-$v" "$D/work-$v"
        if [ "$LAYERS" = overlay ]; then
                mkdir -p "$D/up-$v" "$D/work-$v"
                mount -t overlay overlay \
                        -o "lowerdir=$D/image/rootfs,upperdir=$D/up-$v,workdir=$D/work-$v" \
                        "$S/$v/rootfs" 2>/dev/null && return 0
                LAYERS=copy
                echo "note: no overlay mount here; each run gets a fresh copy of the image"
        fi
        umount "$S/$v/rootfs" 2>/dev/null
        rm -rf "$D/copy-$v"
        cp -a "$D/image/rootfs" "$D/copy-$v" && mount --bind "$D/copy-$v" "$S/$v/rootfs"
}
# runc-edits: what the runtime writes (here without --pid-file, so with the
# hook, which is then taken out), runc left to carry it out alone.
layer runc-edits || exit 1
oci_runc_edits "$RUNTIME" "$S/gpu.json" "$S/runc-edits" "$S/dry.toml" "$S/edits.json" || exit 1
declare -A times ctimes
fails=0
run_one() {
        local v=$1 t0 t1 rc=0 b=$S/$1 id=b-$1 mode=legacy pid=(--pid-file "$S/$1.pid") cfg
        case $v in
        plain | shim) cfg=$S/plain.json ;;
        runc-edits) cfg=$S/edits.json ;;
        *) cfg=$S/gpu.json ;;
        esac
        cp "$cfg" "$b/config.json"
        layer "$v" || { echo "overlay mount failed" >&2; exit 1; }
        case $v in jit | jit-late | jit-hook) mode=jit-cdi ;; esac
        [ "$v" = jit-hook ] && pid=()
        t0=$(date +%s%N)
        case $v in
        plain | runc-edits)
                oci_runc create "${pid[@]}" -b "$b" "$id" >/dev/null 2>"$S/last-$v.log" ;;
        jit)
                NVCR_TIMING=$S/timing.log NVIDIA_CTK_CONFIG_FILE_PATH=$S/$mode.toml "$RUNTIME" \
                        --root "$RUNC_STATE" create "${pid[@]}" -b "$b" "$id" >/dev/null 2>"$S/last-$v.log" ;;
        jit-late)
                NVCR_EARLY_START=0 NVCR_TIMING=$S/timing-late.log NVIDIA_CTK_CONFIG_FILE_PATH=$S/$mode.toml \
                        "$RUNTIME" --root "$RUNC_STATE" create "${pid[@]}" -b "$b" "$id" >/dev/null \
                        2>"$S/last-$v.log" ;;
        *)
                NVIDIA_CTK_CONFIG_FILE_PATH=$S/$mode.toml "$RUNTIME" --root "$RUNC_STATE" create \
                        "${pid[@]}" -b "$b" "$id" >/dev/null 2>"$S/last-$v.log" ;;
        esac && tc=$(date +%s%N) && case $v in
        plain | runc-edits) oci_runc start "$id" 2>>"$S/last-$v.log" ;;
        # Engines call the runtime they were given for start too.
        *) NVIDIA_CTK_CONFIG_FILE_PATH=$S/jit-cdi.toml "$RUNTIME" --root "$RUNC_STATE" start "$id" \
                2>>"$S/last-$v.log" ;;
        esac
        rc=$?
        t1=$(date +%s%N)
        oci_runc delete -f "$id" >/dev/null 2>&1
        if ((rc != 0)); then
                fails=$((fails + 1))
                echo "run of $v failed (rc $rc): $(head -c 400 "$S/last-$v.log")" >&2
        fi
        times[$v]+="$(((t1 - t0) / 1000)) "
        ((rc == 0)) && ctimes[$v]+="$(((tc - t0) / 1000)) "
}
echo "== start time: create + start of /bin/true, $N runs each, interleaved (ms); rootfs: $LAYERS"
for v in "${V[@]}"; do run_one "$v"; times[$v]=; ctimes[$v]=; done
rm -f "$S/timing.log" "$S/timing-late.log"
# The order rotates: the run after a GPU container pays for the driver
# tearing the GPU down (no persistence mode on the host), which a fixed order
# would always charge to the same variant.
for i in $(seq 1 "$N"); do
        for k in "${!V[@]}"; do run_one "${V[(i + k) % ${#V[@]}]}"; done
done
# Medians, minima and the median of the paired differences (run i of a
# variant minus run i of plain runc, taken within a second): the pairs
# cancel most of the drift of a shared machine, which moves whole medians by
# several milliseconds.
args=()
for v in "${V[@]}"; do args+=("$v=${times[$v]}" "$v=${ctimes[$v]}"); done
touch "$S/timing.log" "$S/timing-late.log"
python3 - "$S/timing.log" "$S/timing-late.log" "${args[@]}" <<'PY'
import collections, random, statistics, sys
names = {"plain": "runc, no GPU",
         "shim": "our runtime, no GPU requested (shim)",
         "runc-edits": "runc alone with the jit-cdi edits (the floor)",
         "jit": "jit-cdi (runc started early, chain by the runtime)",
         "jit-late": "jit-cdi, config.json written before runc starts",
         "jit-hook": "jit-cdi, chain as a createContainer hook",
         "legacy": "legacy (prestart hook)"}
keys, total, create = [], {}, {}
for k, a in enumerate(sys.argv[3:]):
    v, t = a.split("=", 1)
    if k % 2 == 0:
        keys.append(v)
        total[v] = [int(x) / 1000 for x in t.split()]
    else:
        create[v] = [int(x) / 1000 for x in t.split()]
def pdiff(a, b):
    return statistics.median([x - y for x, y in zip(a, b)])
def pct(t, q):
    s = sorted(t)
    return s[min(len(s) - 1, int(q * len(s)))]
plain = total["plain"]
def ci(a, b):
    # 95% bootstrap interval of the median of the paired differences
    # (2000 resamples, fixed seed: the same data give the same interval).
    d = [x - y for x, y in zip(a, b)]
    rng = random.Random(1)
    meds = sorted(statistics.median(rng.choices(d, k=len(d))) for _ in range(2000))
    return meds[50], meds[1949]
print("%-52s %7s %7s %7s %7s %10s  %s" % ("variant", "min", "p25", "median", "p75", "over runc",
                                          "95% interval"))
for v in keys:
    t = total[v]
    lo, hi = ci(t, plain)
    print("%-52s %7.2f %7.2f %7.2f %7.2f %+10.2f  [%+.2f, %+.2f]" % (
        names.get(v, v), min(t), pct(t, .25), statistics.median(t), pct(t, .75), pdiff(t, plain),
        lo, hi))
print("over runc: median of the paired differences (run i minus plain run i)")
for a, b in (("jit", "runc-edits"), ("jit-late", "runc-edits"), ("jit-late", "jit")):
    lo, hi = ci(total[a], total[b])
    print("%s over %s (paired): %+.2f ms  [%+.2f, %+.2f]" % (a, b, pdiff(total[a], total[b]),
                                                            lo, hi))
print("create alone (the engine's `create` call) and start alone, p10 / median (ms):")
for v in keys:
    t, c = total[v], create[v]
    st = [a - b for a, b in zip(t, c)] if len(t) == len(c) else []
    print("  %-10s create %7.2f %7.2f   start %7.2f %7.2f" % (
        v, pct(c, .1), statistics.median(c), pct(st, .1) if st else 0,
        statistics.median(st) if st else 0))
print("all runs, sorted (ms):")
for v in keys:
    print("  %-10s %s" % (v, " ".join("%.1f" % x for x in sorted(total[v]))))
print("all runs, in the order taken (run i of each variant within one round; ms):")
for v in keys:
    print("  %-10s %s" % (v, " ".join("%.2f" % x for x in total[v])))
for path, what in ((sys.argv[1], "jit-cdi"), (sys.argv[2], "jit-cdi, NVCR_EARLY_START=0")):
    runs = collections.defaultdict(dict)
    d = collections.defaultdict(list)
    order = []
    for line in open(path):
        p = line.split()
        label = " ".join(p[1:-1])
        runs[p[0]][label] = int(p[-1])
        d[label].append(int(p[-1]))
        if label not in order:
            order.append(label)
    if not d:
        continue
    inner = [r["create returned"] - r["create started"] for r in runs.values()
             if "create returned" in r and "create started" in r]
    print("== inside the runtime, %s (us from its start; medians of %d runs)" % (what, len(d["start"])))
    prev = 0
    for k in order:
        m = statistics.median(d[k])
        print("  %-24s %7d  (+%d)" % (k, m, m - prev))
        prev = m
    if inner:
        print("  runc create as the runtime's child (create started to returned): p10 %.2f, median %.2f ms"
              % (pct(inner, .1) / 1000, statistics.median(inner) / 1000))
    # The create call's time outside runc's own life (runc spawned to
    # reaped), run by run: our exec, our work before runc starts, the mask
    # after it, our exit (and the shell's fork, as for plain runc). Within
    # one call, so without the machine's run-to-run noise.
    key = "jit" if path == sys.argv[1] else "jit-late"
    pids = list(runs)
    outside = []
    for pid, c in zip(pids, create.get(key, [])):
        r = runs[pid]
        s0 = r.get("runtime started early", r.get("create started"))
        if s0 is not None and "create returned" in r:
            outside.append(c * 1000 - (r["create returned"] - s0))
    if outside:
        print("  create call minus runc's life inside it: p10 %.2f, median %.2f ms (%d runs)"
              % (pct(outside, .1) / 1000, statistics.median(outside) / 1000, len(outside)))
PY
# What one more process costs: our runtime exec'ing /bin/true (a config
# whose only runtime is /bin/true) against /bin/true alone, 500 each, in
# the same loop: the binary's exec and dynamic loading, config.toml read.
exec_cost() {
        local i t0 t1 t2
        t0=$(date +%s%N)
        for i in $(seq 1 500); do /bin/true state x; done
        t1=$(date +%s%N)
        for i in $(seq 1 500); do
                NVIDIA_CTK_CONFIG_FILE_PATH=$S/dry.toml "$RUNTIME" state x
        done
        t2=$(date +%s%N)
        echo "$(((t1 - t0) / 500000)) $(((t2 - t1) / 500000))"
}
echo "== one more process: our runtime exec'ing /bin/true vs /bin/true alone (us per call, 3 rounds)"
for r in 1 2 3; do
        read -r a b < <(exec_cost)
        echo "  /bin/true $a   runtime + /bin/true $b   difference $((b - a))"
done
echo "failed runs: $fails"
((fails == 0))
