#!/bin/bash
# GPU validation of `nvidia-container-cli configure` as a runc prestart hook
# (run as root on the real GPU host, or here on a simulated one).
# Usage: tests/gpu/validate-configure.sh [CARRY_DIR]      (default: .carry)
#   SIM=DIR  simulated-host mode: DIR is a tests/fixtures/mksimhost tree; the
#            CLI gets --root/--proc-root/--sys-root pointing there, a first
#            prestart hook binds DIR/proc/driver into the container's procfs,
#            and what needs a real driver (nvidia-smi, CUDA) is left out:
#            opening a simulated node gives ENXIO once past the device cgroup.
#   OUT=DIR  the CLI's debug logs are gathered into DIR/configure-debug.log.
# Binaries come from CARRY_DIR (scripts/build-carry.sh): runc, the CLI, the
# no-op hook, rootfs.tar (busybox + glibc + cuda-check).
# Each container gets a fresh rootfs and a config.json written here, with
# runc's default device cgroup (deny all but the standard devices), so the
# GPU is reachable only through the rules configure adds.
# Prints "ok - …" / "not ok - …" and "N passed, N failed" last; exits
# non-zero on any failure.
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
SIM=${SIM:+$(readlink -f "$SIM")}
. "$REPO/tests/gpu/oci-lib.sh"

pass=0
fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }
# check DESCRIPTION COMMAND…
check() {
        local d=$1
        shift
        if "$@"; then ok "$d"; else not_ok "$d"; fi
}
has_line() { grep -qxF -- "$2" <<<"$1"; }
lacks_line() { ! grep -qxF -- "$2" <<<"$1"; }
has_re() { grep -qE -- "$2" <<<"$1"; }
lacks_re() { ! grep -qE -- "$2" <<<"$1"; }

real=1
[ -n "$SIM" ] && real=0

echo "== machine"
uname -r
stat -fc 'cgroup fs: %T' /sys/fs/cgroup
if ((real)); then
        nvidia-smi -L
else
        (. "$SIM/sim.env" && echo "simulated host: $SIM ($SIM_LAYOUT layout, $SIM_NGPUS GPU(s), driver $SIM_DRIVER_VERSION)")
fi

oci_setup || exit 1
T=$(mktemp -d /tmp/nvcr-cfg.XXXXXX)
chmod 0755 "$T"
cleanup() {
        oci_cleanup
        rm -rf "$T"
}
trap cleanup EXIT
mounts_before=$(cat /proc/self/mountinfo)
CACHE=()
[ -n "$SIM" ] && CACHE=(--cache-dir="$T/cache")

echo "== tools"
oci_runc --version | head -1
"$CLI" --version
echo "ldconfig: $(if [ -x /sbin/ldconfig.real ]; then echo /sbin/ldconfig.real; else echo /sbin/ldconfig; fi)"
if ((real)); then
        check "cuda-check on the host itself" "$CARRY/cuda-check"
fi

# The GPUs, as the CLI sees them (index order).
info=$("$CLI" "${CLI_GLOBAL[@]}" "${CACHE[@]}" info) || { not_ok "nvidia-container-cli info"; echo "$pass passed, $fail failed"; exit 1; }
mapfile -t MINORS < <(sed -nE 's/^Device Minor: +//p' <<<"$info")
mapfile -t BUSES < <(sed -nE 's/^Bus Location: +//p' <<<"$info" | tr A-F a-f)
mapfile -t UUIDS < <(sed -nE 's/^GPU UUID: +//p' <<<"$info")
NGPU=${#MINORS[@]}
echo "GPUs: $NGPU (minors ${MINORS[*]})"
((NGPU > 0)) || { not_ok "the CLI sees a GPU"; echo "$pass passed, $fail failed"; exit 1; }
# procfs directory of a GPU: the NVML bus id with a 4-digit domain.
proc_bus() { local b=${BUSES[$1]}; [ ${#b} = 16 ] && b=${b#0000}; echo "$b"; }

PRE=()   # prestart hooks that come before ours (SIM: the procfs bind)
[ -n "$SIM" ] && PRE=("$(hook_simproc)")
join_hooks() { local IFS=,; echo "$*"; }

echo "== runc alone"
oci_bundle "$T/plain" "" /bin/sh -c 'cat /etc/debian_version; ls /dev'
o=$(oci_run "$T/plain" plain-$$)
rc=$?
check "runc runs a container, no hook (rc $rc)" [ "$rc" = 0 ]
check "no NVIDIA device in a container without the hook" lacks_re "$o" nvidia
oci_bundle "$T/noop" "$(join_hooks "${PRE[@]}" "$(hook_noop)")" /bin/sh -c 'ls /proc/driver/nvidia/gpus 2>&1; exit 0'
o=$(oci_run "$T/noop" noop-$$)
rc=$?
check "runc runs a container with a no-op prestart hook (rc $rc)" [ "$rc" = 0 ]
if [ -n "$SIM" ]; then
        check "SIM: the simulated /proc/driver/nvidia is visible in the container" has_line "$o" "$(proc_bus 0)"
fi

if ! "$CLI" configure --help >/dev/null 2>&1; then
        not_ok "nvidia-container-cli has a configure command"
        scenarios=()
else
        # name  --device value  selected GPU indices (space separated)
        all=$(seq -s ' ' 0 $((NGPU - 1)))
        # nocg: --no-cgroups, for contrast: the nodes are there, runc's default
        # device cgroup still closes them (what the reference does on cgroup v2).
        scenarios=("all|all|$all" "index0|0|0" "uuid|${UUIDS[$((NGPU - 1))]}|$((NGPU - 1))" "none|none|"
                "nocg|all|$all")
fi

for s in "${scenarios[@]}"; do
        IFS='|' read -r name dev sel <<<"$s"
        echo "== configure --device=$dev"
        sel_minors=()
        for i in $sel; do sel_minors+=("${MINORS[$i]}"); done
        # A minor that must stay closed: an unselected GPU's, else one no GPU has.
        unsel=
        for ((i = 0; i < NGPU; i++)); do
                [[ " $sel " == *" $i "* ]] || { unsel=${MINORS[$i]}; break; }
        done
        if [ -z "$unsel" ]; then
                unsel=$(printf '%s\n' "${MINORS[@]}" | sort -n | tail -1)
                unsel=$((unsel + 1))
        fi
        b=$T/b-$name
        dbg=$T/debug-$name.log
        saved_env=("${HOOK_ENV[@]}")
        if [ "$name" = nocg ]; then
                dev="$dev --no-cgroups"
                HOOK_ENV+=("NVCR_CONFIGURE_OPTS=${NVCR_CONFIGURE_OPTS:---compute --utility} --no-cgroups")
        fi
        oci_bundle "$b" "$(join_hooks "${PRE[@]}" "$(hook_configure "${dev%% *}" --debug="$dbg" "${CACHE[@]}")")" \
                /bin/sh /usr/local/bin/probe "$(IFS=,; echo "${sel_minors[*]}")" "$unsel" "$real"
        HOOK_ENV=("${saved_env[@]}")
        cp "$REPO/tests/gpu/container-probe.sh" "$b/rootfs/usr/local/bin/probe"
        o=$(timeout 300 "$RUNC" --root "$RUNC_STATE" run -b "$b" "cfg-$name-$$" </dev/null 2>&1)
        rc=$?
        if [ "$rc" != 0 ]; then
                not_ok "[$dev] runc run with the configure hook exits 0 (rc $rc)"
                printf '%s\n' "$o" | tail -20 | sed 's/^/    /'
                [ -f "$dbg" ] && tail -8 "$dbg" | sed 's/^/    debug: /'
                continue
        fi
        ok "[$dev] runc run with the configure hook exits 0"
        printf '%s\n' "$o" | sed 's/^/    | /'
        if [ "$name" = nocg ]; then
                for m in "${sel_minors[@]}"; do
                        check "[$dev] /dev/nvidia$m in the container" has_line "$o" "dev /dev/nvidia$m"
                        check "[$dev] open /dev/nvidia$m: the device cgroup (no rule added) refuses" \
                                has_line "$o" "open $m failed: Operation not permitted"
                done
                if ((real)); then
                        check "[$dev] nvidia-smi -L in the container fails" lacks_line "$o" "nvidia-smi rc=0"
                fi
                continue
        fi

        for ((i = 0; i < NGPU; i++)); do
                m=${MINORS[$i]}
                if [[ " $sel " == *" $i "* ]]; then
                        check "[$dev] GPU $i: /dev/nvidia$m in the container" has_line "$o" "dev /dev/nvidia$m"
                        check "[$dev] GPU $i: /proc/driver/nvidia/gpus lists $(proc_bus "$i")" has_line "$o" "gpu $(proc_bus "$i")"
                else
                        check "[$dev] GPU $i not selected: no /dev/nvidia$m" lacks_line "$o" "dev /dev/nvidia$m"
                        check "[$dev] GPU $i not selected: /proc/driver/nvidia/gpus hides $(proc_bus "$i")" lacks_line "$o" "gpu $(proc_bus "$i")"
                fi
        done
        check "[$dev] /dev/nvidiactl in the container" has_line "$o" "dev /dev/nvidiactl"
        check "[$dev] /dev/nvidia-uvm in the container (compute)" has_line "$o" "dev /dev/nvidia-uvm"
        check "[$dev] libcuda.so.1 resolvable in /usr/lib/x86_64-linux-gnu" grep -q '^libcuda yes' <<<"$o"
        check "[$dev] nvidia-smi mounted at /usr/bin/nvidia-smi" has_line "$o" "nvidia-smi present"
        mnt=$(grep -E '^mount /usr/(lib/x86_64-linux-gnu|bin)/' <<<"$o")
        check "[$dev] driver libraries and binaries are mounts" grep -qE '^mount /usr/lib/x86_64-linux-gnu/libcuda\.so' <<<"$mnt"
        check "[$dev] every library/binary mount is read-only" \
                [ -z "$(awk '{ if ((","$3",") !~ /,ro,/) print }' <<<"$mnt")" ]
        check "[$dev] ldconfig ran: the container's ld.so.cache names libcuda.so.1" \
                grep -qsa 'libcuda\.so\.1' "$b/rootfs/etc/ld.so.cache"
        check "[$dev] the container's env has no NVIDIA_ variable" lacks_line "$o" "env has NVIDIA_ variables"
        # Past the device cgroup, a real node opens; a simulated one has no
        # driver behind it: ENXIO. The cgroup itself answers EPERM.
        want_open=ok
        ((real)) || want_open="failed: No such device or address"
        for m in "${sel_minors[@]}"; do
                check "[$dev] open /dev/nvidia$m passes the device cgroup" has_line "$o" "open $m $want_open"
        done
        check "[$dev] open /dev/nvidiactl passes the device cgroup" has_line "$o" "open ctl $want_open"
        check "[$dev] a node for minor $unsel (not selected) is refused by the device cgroup" \
                has_line "$o" "mknod-open $unsel failed: Operation not permitted"
        if ((real)); then
                smi=$(sed -n '/^--- nvidia-smi -L$/,/^nvidia-smi rc=/p' <<<"$o")
                cuda=$(sed -n '/^--- cuda-check$/,/^cuda-check rc=/p' <<<"$o")
                if [ -n "$sel" ]; then
                        check "[$dev] nvidia-smi -L in the container exits 0" has_line "$smi" "nvidia-smi rc=0"
                        for i in $sel; do
                                check "[$dev] nvidia-smi -L lists ${UUIDS[$i]}" has_re "$smi" "UUID: ${UUIDS[$i]}\)"
                        done
                        check "[$dev] nvidia-smi -L lists only the selected GPU(s)" \
                                [ "$(grep -c '^GPU [0-9]' <<<"$smi")" = "$(wc -w <<<"$sel")" ]
                        check "[$dev] cuda-check in the container: 0 wrong" has_re "$cuda" ': 1048576 values, 0 wrong$'
                        check "[$dev] cuda-check in the container exits 0" has_line "$cuda" "cuda-check rc=0"
                else
                        # With the driver but no GPU node, nvidia-smi -L says so and exits 0.
                        check "[$dev] nvidia-smi -L says: No devices found" has_re "$smi" '^No devices (were )?found'
                        check "[$dev] nvidia-smi -L lists no GPU" lacks_re "$smi" '^GPU [0-9]'
                        check "[$dev] cuda-check in the container: no CUDA-capable device" \
                                has_re "$cuda" 'no CUDA-capable device is detected'
                        check "[$dev] cuda-check in the container fails" lacks_line "$cuda" "cuda-check rc=0"
                fi
        fi
done

echo "== host"
left=$(oci_runc list -q 2>/dev/null)
check "no runc container left" [ -z "$left" ]
mounts_after=$(cat /proc/self/mountinfo)
if [ "$mounts_before" = "$mounts_after" ]; then
        ok "the host mount table is the same as before"
else
        not_ok "the host mount table is the same as before"
        diff <(echo "$mounts_before") <(echo "$mounts_after") | head -20 | sed 's/^/    /'
fi
if [ -n "${OUT:-}" ]; then
        for f in "$T"/debug-*.log; do
                [ -f "$f" ] && { echo "=== $f"; cat "$f"; }
        done >"$OUT/configure-debug.log" 2>/dev/null
fi
echo "$pass passed, $fail failed"
((fail == 0))
