#!/bin/bash
# Entry point on the GPU host: validation of info/list, then the info
# benchmark. Binaries come prebuilt in .carry/ (the GPU host has no compiler
# toolchain of ours and no network): scripts/build-carry.sh makes them.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
out=${OUT:-/tmp}
bash tests/gpu/validate-info.sh "$PWD/.carry" 2>&1 | tee "$out/validate-info.log"
rc=${PIPESTATUS[0]}
echo "== bench/info.sh"
bash bench/info.sh "$PWD/.carry/nvidia-container-cli" 21 2>&1 | tee "$out/bench-info.log"
exit "$rc"
