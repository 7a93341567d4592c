#!/bin/bash
# GPU validation of `info` and `list` (run on the real GPU host, as root).
# Usage: tests/gpu/validate-info.sh BINDIR
# Compares nvidia-container-cli info with nvidia-smi's own answers and checks
# that list finds the driver files where this host keeps them. Prints
# "N passed, N failed" last; exits non-zero on any failure.
set -uo pipefail
BIN=${1:?usage: validate-info.sh BINDIR}
CLI=$BIN/nvidia-container-cli
pass=0
fail=0
check() { # DESCRIPTION EXPECTED ACTUAL
        if [ "$2" = "$3" ]; then
                echo "ok   - $1: $3"
                pass=$((pass + 1))
        else
                echo "FAIL - $1: expected '$2', got '$3'"
                fail=$((fail + 1))
        fi
}
check_true() { # DESCRIPTION COMMAND…
        local d=$1
        shift
        if "$@"; then echo "ok   - $d"; pass=$((pass + 1)); else echo "FAIL - $d"; fail=$((fail + 1)); fi
}
field() { printf '%s\n' "$1" | grep "^$2:" | sed -n "$(($3 + 1))p" | sed -E "s/^$2: +//"; }

echo "== machine"
uname -r
stat -fc 'cgroup fs: %T' /sys/fs/cgroup
nvidia-smi -L

echo "== nvidia-container-cli info (first run: NVML through the helper)"
cache=$(mktemp -d)
chmod 700 "$cache"
info=$("$CLI" --cache-dir="$cache/c" info) || { echo "FAIL - info exited $?"; fail=$((fail + 1)); }
printf '%s\n' "$info"

smi_ver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)
smi_cuda=$(nvidia-smi | sed -nE 's/.*CUDA Version: ([0-9.]+).*/\1/p' | head -1)
check "driver version" "$smi_ver" "$(field "$info" "NVRM version" 0)"
check "CUDA version" "$smi_cuda" "$(field "$info" "CUDA version" 0)"
n=$(nvidia-smi --query-gpu=index --format=csv,noheader | wc -l)
check "GPU count" "$n" "$(printf '%s\n' "$info" | grep -c '^Device Index:')"
for ((i = 0; i < n; i++)); do
        q=$(nvidia-smi -i "$i" --query-gpu=uuid,pci.bus_id,name,compute_cap --format=csv,noheader)
        IFS=, read -r uuid bus name cc <<<"$q"
        minor=$(nvidia-smi -i "$i" -q | sed -nE 's/^ *Minor Number *: *([0-9]+).*/\1/p')
        check "GPU $i UUID" "$(echo $uuid)" "$(field "$info" "GPU UUID" "$i")"
        check "GPU $i bus location" "$(echo $bus | tr A-F a-f)" "$(field "$info" "Bus Location" "$i")"
        check "GPU $i minor" "$minor" "$(field "$info" "Device Minor" "$i")"
        check "GPU $i model" "$(echo $name)" "$(field "$info" "Model" "$i")"
        check "GPU $i architecture" "$(echo $cc)" "$(field "$info" "Architecture" "$i")"
done

echo "== info again: from the cache (no NVML load)"
"$CLI" --debug="$cache/debug.log" --cache-dir="$cache/c" info >"$cache/info2"
check "cached info prints the same" "$info" "$(cat "$cache/info2")"
check_true "cached info took its answers from the cache" grep -q "NVML answers from the cache" "$cache/debug.log"
"$CLI" --cache-dir="$cache/c" info --csv
"$CLI" --cache-dir="$cache/c" info --format=json

echo "== nvidia-container-cli list"
list=$("$CLI" --cache-dir="$cache/c" list)
printf '%s\n' "$list"
ver=$(field "$info" "NVRM version" 0)
check_true "libcuda under /usr/local/nvidia" grep -qx "/usr/local/nvidia/lib64/libcuda.so.$ver" <<<"$list"
check_true "libnvidia-ml under /usr/local/nvidia" grep -qx "/usr/local/nvidia/lib64/libnvidia-ml.so.$ver" <<<"$list"
check_true "nvidia-smi under /usr/local/nvidia/bin" grep -qx /usr/local/nvidia/bin/nvidia-smi <<<"$list"
check_true "GSP firmware under /usr/local/nvidia" grep -qE "^/usr/local/nvidia/firmware/nvidia/$ver/gsp_.*\\.bin$" <<<"$list"
check_true "/dev/nvidiactl" grep -qx /dev/nvidiactl <<<"$list"
check_true "/dev/nvidia-uvm" grep -qx /dev/nvidia-uvm <<<"$list"
for ((i = 0; i < n; i++)); do
        check_true "GPU $i node" grep -qx "/dev/nvidia$(field "$info" "Device Minor" "$i")" <<<"$list"
done
for f in $(grep -E '^/usr/local/nvidia/' <<<"$list"); do
        [ -e "$f" ] || { echo "FAIL - listed file missing: $f"; fail=$((fail + 1)); }
done
"$CLI" --load-kmods --cache-dir="$cache/c" info >/dev/null
check "--load-kmods info exit status" 0 "$?"
rm -rf "$cache"
echo "$pass passed, $fail failed"
((fail == 0))
