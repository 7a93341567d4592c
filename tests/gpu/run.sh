#!/bin/bash
# Entry point on the GPU host (as root): validation of info/list, the info
# benchmark, validation of configure as a runc prestart hook, and the
# configure benchmark. Binaries come prebuilt in .carry/ (the GPU host has no
# compiler toolchain of ours and no network): scripts/build-carry.sh makes
# them. Logs go to $OUT (default /tmp), five files:
#   validate-info.log  bench-info.log  validate-configure.log
#   configure-debug.log (the CLI's --debug output of each configure run)
#   bench-configure.log
# Usage: tests/gpu/run.sh [N]    (N: benchmark runs per variant, default 21)
# SIM=DIR runs the configure parts against a simulated host instead (the info
# parts need a real one and are skipped).
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.." || exit 1
out=${OUT:-/tmp}
N=${1:-21}
export OUT=$out
rc=0
if [ -z "${SIM:-}" ]; then
        echo "== tests/gpu/validate-info.sh"
        bash tests/gpu/validate-info.sh "$PWD/.carry" 2>&1 | tee "$out/validate-info.log"
        ((PIPESTATUS[0] == 0)) || rc=1
        echo "== bench/info.sh"
        bash bench/info.sh "$PWD/.carry/nvidia-container-cli" "$N" 2>&1 | tee "$out/bench-info.log"
fi
echo "== tests/gpu/validate-configure.sh"
bash tests/gpu/validate-configure.sh "$PWD/.carry" 2>&1 | tee "$out/validate-configure.log"
((PIPESTATUS[0] == 0)) || rc=1
echo "== bench/configure.sh"
bash bench/configure.sh "$PWD/.carry" "$N" 2>&1 | tee "$out/bench-configure.log"
((PIPESTATUS[0] == 0)) || rc=1
if [ -z "${SIM:-}" ]; then
        echo "== tests/gpu/validate-runtime.sh"
        bash tests/gpu/validate-runtime.sh "$PWD/.carry" 2>&1 | tee "$out/validate-runtime.log"
        ((PIPESTATUS[0] == 0)) || rc=1
        echo "== tests/gpu/validate-runtime.sh, MODE=jit-cdi"
        MODE=jit-cdi bash tests/gpu/validate-runtime.sh "$PWD/.carry" 2>&1 | tee "$out/validate-jit-cdi.log"
        ((PIPESTATUS[0] == 0)) || rc=1
        if [ -f tests/gpu/validate-cdi.sh ]; then
                echo "== tests/gpu/validate-cdi.sh"
                bash tests/gpu/validate-cdi.sh "$PWD/.carry" 2>&1 | tee "$out/validate-cdi.log"
                ((PIPESTATUS[0] == 0)) || rc=1
        fi
        echo "== bench/runtime.sh"
        bash bench/runtime.sh "$PWD/.carry" "$N" 2>&1 | tee "$out/bench-runtime.log"
fi
echo "== summary"
for f in validate-info validate-configure validate-runtime validate-jit-cdi validate-cdi; do
        [ -f "$out/$f.log" ] || continue
        [ -z "${SIM:-}" ] || [ "$f" = validate-configure ] || continue
        echo "$f: $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/$f.log")"
done
exit "$rc"
