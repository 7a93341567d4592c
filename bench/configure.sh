#!/bin/bash
# Times `runc run` of /bin/true (busybox) with and without our configure as
# the prestart hook, all variants interleaved in the same loop (round i runs
# every variant once, starting at variant i mod the number of variants), N
# runs each after one untimed warm-up run of each:
#   plain         no hook
#   noop          a no-op prestart hook (static binary: the floor of any hook)
#   wrapper       tests/gpu/prestart-configure.sh with the no-op in place of
#                 the CLI (what the shell wrapper itself costs)
#   cfg-all       configure --device=all --compute --utility (cgroups on),
#                 NVML answer cache warm (the default cache directory)
#   cfg-all-nc    the same with --cache-dir= (no cache)
#   cfg-uuid      the same as cfg-all with --device=<UUID of GPU 0>
#   cfg-uuid-nc   and with --cache-dir=
# Prints median/min/max in ms and the differences.
# Usage: bench/configure.sh [CARRY_DIR] [N]      (N >= 15, default 21)
#   SIM=DIR: against a simulated host (tests/fixtures/mksimhost): the CLI gets
#   --root/--proc-root/--sys-root, the warm cache is a temporary directory, and
#   every hooked variant but noop also runs the procfs-bind hook first.
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
N=${2:-21}
((N >= 15)) || { echo "N must be at least 15" >&2; exit 2; }
SIM=${SIM:+$(readlink -f "$SIM")}
. "$REPO/tests/gpu/oci-lib.sh"
oci_setup || exit 1
T=$(mktemp -d /tmp/nvcr-bench.XXXXXX)
chmod 0755 "$T"
trap 'oci_cleanup; rm -rf "$T"' EXIT

echo "== machine"
uname -r
stat -fc 'cgroup fs: %T' /sys/fs/cgroup
if [ -n "$SIM" ]; then echo "simulated host: $SIM"; else nvidia-smi -L; fi
oci_runc --version | head -1

WARM=()
[ -n "$SIM" ] && WARM=(--cache-dir="$T/cache")
uuid=$("$CLI" "${CLI_GLOBAL[@]}" "${WARM[@]}" info | sed -nE 's/^GPU UUID: +//p' | head -1)
PRE=
[ -n "$SIM" ] && PRE="$(hook_simproc),"
if ! "$CLI" configure --help >/dev/null 2>&1; then
        echo "bench/configure: $CLI has no configure command" >&2
        exit 1
fi

V=(plain noop wrapper cfg-all cfg-all-nc)
[ -n "$uuid" ] && V+=(cfg-uuid cfg-uuid-nc)
declare -A DESC=(
        [plain]="runc, no hook"
        [noop]="runc + no-op prestart hook"
        [wrapper]="runc + hook wrapper, no-op CLI"
        [cfg-all]="runc + configure --device=all (warm cache)"
        [cfg-all-nc]="runc + configure --device=all (--cache-dir=)"
        [cfg-uuid]="runc + configure --device=UUID (warm cache)"
        [cfg-uuid-nc]="runc + configure --device=UUID (--cache-dir=)"
)
oci_bundle "$T/plain" "" /bin/true
oci_bundle "$T/noop" "$(hook_noop)" /bin/true
oci_bundle "$T/wrapper" "$PRE$(hook_wrapper_noop)" /bin/true
oci_bundle "$T/cfg-all" "$PRE$(hook_configure all "${WARM[@]}")" /bin/true
oci_bundle "$T/cfg-all-nc" "$PRE$(hook_configure all --cache-dir=)" /bin/true
if [ -n "$uuid" ]; then
        oci_bundle "$T/cfg-uuid" "$PRE$(hook_configure "$uuid" "${WARM[@]}")" /bin/true
        oci_bundle "$T/cfg-uuid-nc" "$PRE$(hook_configure "$uuid" --cache-dir=)" /bin/true
fi

declare -A TIMES FAILS
for v in "${V[@]}"; do
        TIMES[$v]=
        FAILS[$v]=0
        # Warm-up: fills the NVML cache, creates configure's mount points.
        if ! err=$(oci_run "$T/$v" "w-$v-$$"); then
                echo "warm-up of $v failed:" >&2
                printf '%s\n' "$err" | tail -5 >&2
        fi
done
nv=${#V[@]}
for ((i = 0; i < N; i++)); do
        # Each round starts at another variant: no variant always runs first.
        for ((k = 0; k < nv; k++)); do
                v=${V[$(((i + k) % nv))]}
                t0=${EPOCHREALTIME/./}
                oci_runc run -b "$T/$v" "b-$v-$i-$$" </dev/null >/dev/null 2>&1
                rc=$?
                t1=${EPOCHREALTIME/./}
                if [ "$rc" = 0 ]; then
                        TIMES[$v]+="$((10#$t1 - 10#$t0)) "
                else
                        FAILS[$v]=$((FAILS[$v] + 1))
                fi
        done
done

# stats "US US …" -> "median min max" in ms
stats() {
        tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {
                if (NR == 0) { print "- - -"; exit }
                m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
                printf "%.1f %.1f %.1f\n", m / 1000, a[1] / 1000, a[NR] / 1000 }'
}
echo "== runc run /bin/true, $N runs each, interleaved (ms)"
printf '%-48s %8s %8s %8s %6s\n' variant median min max failed
declare -A MED
for v in "${V[@]}"; do
        read -r med min max <<<"$(stats "${TIMES[$v]}")"
        MED[$v]=$med
        printf '%-48s %8s %8s %8s %6s\n' "${DESC[$v]}" "$med" "$min" "$max" "${FAILS[$v]}"
done
diffrow() { # A B LABEL
        awk -v a="${MED[$1]}" -v b="${MED[$2]}" -v l="$3" \
                'BEGIN { if (a == "-" || b == "-") printf "%-48s %8s\n", l, "-"; else printf "%-48s %8.1f\n", l, a - b }'
}
echo "== differences of medians (ms)"
diffrow noop plain "no-op hook - no hook"
diffrow cfg-all noop "configure all (warm) - no-op hook"
diffrow cfg-all wrapper "configure all (warm) - wrapper (CLI alone)"
diffrow cfg-all-nc noop "configure all (no cache) - no-op hook"
if [ -n "$uuid" ]; then
        diffrow cfg-uuid noop "configure UUID (warm) - no-op hook"
        diffrow cfg-uuid-nc noop "configure UUID (no cache) - no-op hook"
fi
total=0
for v in "${V[@]}"; do total=$((total + FAILS[$v])); done
((total == 0))
