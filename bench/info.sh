#!/bin/bash
# Times `nvidia-container-cli info` (NVML each time, and from the answer
# cache) against `nvidia-smi -L`: medians of N runs, in milliseconds.
# Usage: bench/info.sh CLI [N]
set -euo pipefail
CLI=${1:?usage: bench/info.sh CLI [N]}
N=${2:-21}
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

median_ms() { # COMMAND… : runs it N times, prints the median wall time in ms
        local i t0 t1
        for ((i = 0; i < N; i++)); do
                t0=$(date +%s%N)
                "$@" >/dev/null 2>&1
                t1=$(date +%s%N)
                echo $(((t1 - t0) / 1000))
        done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

"$CLI" --cache-dir="$cache/c" info >/dev/null # fill the cache
printf '%-46s %8s\n' "command (median of $N runs)" "ms"
printf '%-46s %8s\n' "nvidia-smi -L" "$(median_ms nvidia-smi -L)"
printf '%-46s %8s\n' "nvidia-container-cli info (NVML, no cache)" "$(median_ms "$CLI" --cache-dir= info)"
printf '%-46s %8s\n' "nvidia-container-cli info (answer cache)" "$(median_ms "$CLI" --cache-dir="$cache/c" info)"
printf '%-46s %8s\n' "nvidia-container-cli list" "$(median_ms "$CLI" --cache-dir="$cache/c" list)"
printf '%-46s %8s\n' "/bin/true (process start floor)" "$(median_ms /bin/true)"
