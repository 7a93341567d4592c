#!/bin/bash
# GPU validation of the CDI path on the real GPU host: `nvidia-ctk cdi
# generate` lists the GPU (by index and UUID, plus `all`) and the driver
# files where this host keeps them (/usr/local/nvidia); `cdi list` prints the
# names; then runc through our runtime in `cdi` mode with
# NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=all resolves the name from that spec
# and runs nvidia-smi -L and the CUDA check. Both formats (YAML, JSON).
# Usage: tests/gpu/validate-cdi.sh [CARRY_DIR]
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
CARRY=$(readlink -f "${1:-$REPO/.carry}")
SIM=
. "$REPO/tests/gpu/oci-lib.sh"
pass=0
fail=0
check() {
        local d=$1
        shift
        if "$@"; then echo "ok - $d"; pass=$((pass + 1)); else echo "not ok - $d"; fail=$((fail + 1)); fi
}
has() { grep -qE -- "$2" <<<"$1"; }

echo "== machine"
uname -r
nvidia-smi -L
uuid=$(nvidia-smi --query-gpu=uuid --format=csv,noheader | head -1)
oci_setup || exit 1
CTK=$CARRY/nvidia-ctk
RUNTIME=$CARRY/nvidia-container-runtime
T=$(mktemp -d /tmp/nvcr-cdi.XXXXXX)
chmod 0755 "$T"
trap 'oci_cleanup; rm -rf "$T"' EXIT
mkdir -p "$T/cdi"
export PATH=$CARRY:$PATH

echo "== nvidia-ctk cdi generate (YAML)"
"$CTK" cdi generate --nvidia-cdi-hook-path="$CARRY/nvidia-cdi-hook" --output="$T/cdi/nvidia.yaml" 2>&1 | tail -5
spec=$(cat "$T/cdi/nvidia.yaml" 2>/dev/null)
echo "$spec" | head -60 | sed 's/^/    | /'
echo "    | … ($(wc -l <"$T/cdi/nvidia.yaml") lines)"
check "spec kind nvidia.com/gpu" has "$spec" '^kind: "?nvidia.com/gpu"?'
check "device 0" has "$spec" "name: \"?0\"?$"
check "device $uuid" has "$spec" "name: \"?$uuid\"?$"
check "device all" has "$spec" 'name: "?all"?$'
check "libcuda from /usr/local/nvidia" has "$spec" 'hostPath: "?/usr/local/nvidia/lib64/libcuda\.so\.'
check "nvidia-smi from /usr/local/nvidia" has "$spec" 'hostPath: "?/usr/local/nvidia/bin/nvidia-smi"?$'
check "/dev/nvidia0 node" has "$spec" 'path: "?/dev/nvidia0"?$'
echo "== nvidia-ctk cdi list"
o=$("$CTK" cdi list --spec-dir="$T/cdi" 2>&1)
echo "$o" | sed 's/^/    | /'
check "list names nvidia.com/gpu=0" has "$o" '^nvidia.com/gpu=0$'
check "list names nvidia.com/gpu=all" has "$o" '^nvidia.com/gpu=all$'

for fmt in yaml json; do
        if [ "$fmt" = json ]; then
                rm -f "$T/cdi/nvidia.yaml"
                "$CTK" cdi generate --format=json --nvidia-cdi-hook-path="$CARRY/nvidia-cdi-hook" \
                        --output="$T/cdi/nvidia.json" >/dev/null 2>&1
        fi
        cat >"$T/config.toml" <<EOT
[nvidia-container-runtime]
mode = "cdi"
runtimes = ["$RUNC"]
[nvidia-container-runtime.modes.cdi]
spec-dirs = ["$T/cdi"]
EOT
        chmod 0644 "$T/config.toml"
        b=$T/b-$fmt
        oci_bundle "$b" "" /bin/sh -c 'ls /dev | grep nvidia; nvidia-smi -L; echo "nvidia-smi rc=$?"; /usr/local/bin/cuda-check; echo "cuda-check rc=$?"'
        oci_add_env "$b/config.json" NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=all
        echo "== runtime, cdi mode, NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=all, $fmt spec"
        o=$(NVIDIA_CTK_CONFIG_FILE_PATH=$T/config.toml "$RUNTIME" --root "$RUNC_STATE" run -b "$b" "nvcr-cdi-$fmt" </dev/null 2>&1)
        echo "$o" | sed 's/^/    | /'
        check "cdi mode ($fmt): nvidia-smi -L lists the GPU" has "$o" '^GPU 0: .*\(UUID: GPU-'
        check "cdi mode ($fmt): cuda-check 0 wrong" has "$o" ': 1048576 values, 0 wrong$'
done
echo "$pass passed, $fail failed"
((fail == 0))
