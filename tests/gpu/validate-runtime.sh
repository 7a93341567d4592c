#!/bin/bash
# GPU validation of nvidia-container-runtime (the runc shim) and its hook on
# the real GPU host: runc through our runtime with NVIDIA_VISIBLE_DEVICES=all
# and the default capabilities runs nvidia-smi -L and the CUDA check;
# NVIDIA_REQUIRE_CUDA=cuda>=99.0 is refused with the reference's message;
# NVIDIA_VISIBLE_DEVICES=void gets no GPU. (Start times: bench/runtime.sh.)
# MODE=legacy (default: the prestart hook) or MODE=jit-cdi (the plan written
# into config.json: runc makes the mounts, nodes and device cgroup rules;
# nvidia-cdi-hook's createContainer hooks do links, ld cache, params mask;
# with create --pid-file, as engines call it, the runtime does that itself).
# Usage: [MODE=jit-cdi] tests/gpu/validate-runtime.sh [CARRY_DIR]
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
lacks() { ! grep -qE -- "$2" <<<"$1"; }

echo "== machine"
uname -r
stat -fc 'cgroup fs: %T' /sys/fs/cgroup
nvidia-smi -L
oci_setup || exit 1
RUNTIME=$CARRY/nvidia-container-runtime
T=$(mktemp -d /tmp/nvcr-rt.XXXXXX)
chmod 0755 "$T"
trap 'oci_cleanup; rm -rf "$T"' EXIT
MODE=${MODE:-legacy}
cat >"$T/config.toml" <<EOT
[nvidia-container-runtime]
mode = "$MODE"
runtimes = ["$RUNC"]
EOT
chmod 0644 "$T/config.toml"
# The hook is found on the runtime's PATH, as dockerd's environment would give it.
export NVIDIA_CTK_CONFIG_FILE_PATH=$T/config.toml PATH=$CARRY:$PATH

# bundle NAME ENV… : a bundle whose container reports what it sees.
bundle() {
        local b=$T/$1
        shift
        oci_bundle "$b" "" /bin/sh -c 'ls /dev | grep nvidia; echo "procfs-mask: $(grep -h ModifyDeviceFiles /proc/driver/nvidia/params 2>&1)"; echo "procfs-fs: $(stat -fc %T /proc/driver/nvidia 2>&1)"; echo "--- nvidia-smi -L"; nvidia-smi -L; echo "nvidia-smi rc=$?"; echo "--- cuda-check"; /usr/local/bin/cuda-check; echo "cuda-check rc=$?"'
        oci_add_env "$b/config.json" "$@"
}
rt_run() { "$RUNTIME" --root "$RUNC_STATE" run -b "$T/$1" "nvcr-rt-$1" </dev/null 2>&1; }

echo "== runtime ($MODE), NVIDIA_VISIBLE_DEVICES=all, default capabilities"
bundle all NVIDIA_VISIBLE_DEVICES=all
o=$(rt_run all)
echo "$o" | sed 's/^/    | /'
check "runc through nvidia-container-runtime exits 0" has "$o" 'cuda-check rc=0'
check "nvidia-smi -L in the container lists the GPU" has "$o" '^GPU 0: .*\(UUID: GPU-'
check "cuda-check in the container: 0 wrong" has "$o" ': 1048576 values, 0 wrong$'
# /proc/driver/nvidia is masked: the container cannot make the driver
# create device nodes (ModifyDeviceFiles 0), the host's file is untouched.
# Legacy lays a tmpfs over the directory; jit-cdi binds a params copy.
if [ "$MODE" = legacy ]; then
        check "container's /proc/driver/nvidia is the tmpfs mask" has "$o" '^procfs-fs: tmpfs$'
        check "the runtime added exactly one hook" [ "$(grep -c nvidia-container-runtime-hook "$T/all/config.json")" = 1 ]
else
        c=$T/all/config.json
        check "config.json: GPU 0's node is a linux.devices entry (runc makes it)" \
                python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if any(d["path"]=="/dev/nvidia0" for d in c["linux"]["devices"]) else 1)' "$c"
        check "config.json: device cgroup allow rules for 195:* (runc owns them)" \
                python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if any(r.get("allow") and r.get("major")==195 for r in c["linux"]["resources"]["devices"]) else 1)' "$c"
        check "config.json: every createContainer hook has its own env" \
                python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); h=c["hooks"]["createContainer"]; sys.exit(0 if h and all(x.get("env") for x in h) else 1)' "$c"
        check "config.json: no legacy prestart hook" [ "$(grep -c nvidia-container-runtime-hook "$c")" = 0 ]
fi
check "container's params say ModifyDeviceFiles: 0" has "$o" '^procfs-mask: ModifyDeviceFiles: 0$'
check "host's params unchanged (ModifyDeviceFiles: 1)" grep -q '^ModifyDeviceFiles: 1$' /proc/driver/nvidia/params

if [ "$MODE" = jit-cdi ]; then
        # As containerd starts a container: create --pid-file, then start.
        # The runtime then does the chain's work itself after create (no
        # createContainer hook in config.json: apply/post-create.h).
        echo "== runtime (jit-cdi), create + start as engines do, NVIDIA_VISIBLE_DEVICES=all"
        bundle created NVIDIA_VISIBLE_DEVICES=all
        "$RUNTIME" --root "$RUNC_STATE" create --pid-file "$T/created.pid" -b "$T/created" nvcr-rt-created \
                </dev/null >"$T/created.out" 2>&1
        crc=$?
        if [ "$crc" = 0 ]; then
                oci_runc start nvcr-rt-created
                for _ in $(seq 600); do
                        oci_runc state nvcr-rt-created 2>/dev/null | grep -q '"status": *"stopped"' && break
                        sleep 0.05
                done
                oci_runc delete -f nvcr-rt-created
        fi
        o=$(cat "$T/created.out")
        echo "$o" | sed 's/^/    | /'
        c=$T/created/config.json
        check "create exits 0" [ "$crc" = 0 ]
        check "config.json: no createContainer hook (the runtime did the work itself)" \
                python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if not c.get("hooks", {}).get("createContainer") else 1)' "$c"
        check "nvidia-smi -L in the container lists the GPU" has "$o" '^GPU 0: .*\(UUID: GPU-'
        check "cuda-check in the container: 0 wrong" has "$o" ': 1048576 values, 0 wrong$'
        check "container's params say ModifyDeviceFiles: 0" has "$o" '^procfs-mask: ModifyDeviceFiles: 0$'
        check "host's params unchanged (ModifyDeviceFiles: 1)" grep -q '^ModifyDeviceFiles: 1$' /proc/driver/nvidia/params
fi

echo "== runtime, NVIDIA_REQUIRE_CUDA=cuda>=99.0"
bundle req NVIDIA_VISIBLE_DEVICES=all 'NVIDIA_REQUIRE_CUDA=cuda>=99.0'
o=$(rt_run req)
echo "$o" | sed 's/^/    | /'
check "refused with the reference's message" has "$o" 'requirement error: unsatisfied condition: cuda>=99.0, please update your driver to a newer version, or use an earlier cuda container'
check "the container did not run" lacks "$o" 'nvidia-smi rc='

echo "== runtime, NVIDIA_VISIBLE_DEVICES=void"
bundle void NVIDIA_VISIBLE_DEVICES=void
sum=$(sha256sum <"$T/void/config.json")
o=$(rt_run void)
echo "$o" | sed 's/^/    | /'
check "no GPU node in the container" lacks "$o" '^nvidia[0-9]'
check "no driver in the container (nvidia-smi missing)" lacks "$o" '^GPU 0'
check "config.json untouched (byte for byte)" [ "$(sha256sum <"$T/void/config.json")" = "$sum" ]
echo "$pass passed, $fail failed"
((fail == 0))
