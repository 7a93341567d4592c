#!/bin/bash
# The main job: build, then run a GPU container through our
# nvidia-container-runtime and the real runc, as `docker run --runtime=nvidia
# -e NVIDIA_VISIBLE_DEVICES=…` would: the runtime adds our prestart hook, the
# hook gives the container its GPUs. On a host with the NVIDIA kernel module
# loaded it uses the real driver (nvidia-smi -L runs in the container);
# elsewhere the simulated GPU host of tests/fixtures, laid over the real paths
# in a private mount namespace by simhost-enter (nothing on this machine is
# changed: the container's mounts live and die in its own mount namespace).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
REPO=$PWD

[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
bash scripts/install-deps.sh
bash scripts/build.sh build
cli=$REPO/build/cmd/cli/nvidia-container-cli

work=$(mktemp -d /tmp/nvcr-run.XXXXXX)
chmod 0755 "$work"
trap 'runc --root "$work/runc" delete -f nvcr-run >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# What oci-lib.sh expects in CARRY: runc, the CLI, a no-op hook and a rootfs.
CARRY=$work/carry
mkdir -p "$CARRY"
ln -s "$(command -v runc)" "$CARRY/runc"
ln -s "$cli" "$CARRY/nvidia-container-cli"
ln -s /bin/true "$CARRY/noop-hook"
bash tests/gpu/mkrootfs.sh "$CARRY/rootfs.tar" >/dev/null

if [ -r /proc/driver/nvidia/version ]; then
        echo "== real NVIDIA driver: $(head -1 /proc/driver/nvidia/version)"
        SIM=
        devices=all
        inside='nvidia-smi -L; ls -l /dev/nvidia*; ls /proc/driver/nvidia/gpus'
else
        echo "== no NVIDIA kernel module here: the simulated GPU host (8 GPUs, tests/fixtures)"
        SIM=$work/sim
        tests/fixtures/mksimhost --layout debian --gpus 8 "$SIM" >/dev/null
        devices=0,2
        # The simulated nodes have no driver behind them: opening one gives ENXIO
        # when the device cgroup lets it through (EPERM if it did not).
        inside='ls -l /dev/nvidia*; echo "/proc/driver/nvidia/gpus:" $(ls /proc/driver/nvidia/gpus);'
        inside+=' grep ModifyDeviceFiles /proc/driver/nvidia/params;'
        inside+=' ls /usr/lib/x86_64-linux-gnu | grep -E "libcuda|libnvidia-ml";'
        inside+=' echo "open /dev/nvidia4 (selected; ENXIO = allowed by the device cgroup):"; cat /dev/nvidia4 2>&1 | head -1'
fi
export CARRY REPO SIM
# shellcheck source=tests/gpu/oci-lib.sh
. tests/gpu/oci-lib.sh
oci_setup
RUNC_STATE=$work/runc
mkdir -p "$RUNC_STATE" "$work/bin"
# Where an engine would find the hook: on the runtime's PATH.
ln -s "$REPO/build/cmd/hook/nvidia-container-runtime-hook" "$work/bin/"
kmods=true
[ -n "$SIM" ] && kmods=false
printf '[nvidia-container-cli]\nload-kmods = %s\n[nvidia-container-runtime]\nruntimes = ["%s"]\n' \
        "$kmods" "$(command -v runc)" >"$work/config.toml"
chmod 0644 "$work/config.toml"
hooks=
[ -n "$SIM" ] && hooks=$(hook_simproc)
oci_bundle "$work/bundle" "$hooks" /bin/sh -c "$inside"
jq --arg d "$devices" '.process.env += ["NVIDIA_VISIBLE_DEVICES=" + $d]' "$work/bundle/config.json" \
        >"$work/config.json" && mv "$work/config.json" "$work/bundle/config.json"
run=(env PATH="$work/bin:$PATH" NVIDIA_CTK_CONFIG_FILE_PATH="$work/config.toml"
        "$REPO/build/cmd/runtime/nvidia-container-runtime" --root "$RUNC_STATE" run -b "$work/bundle" nvcr-run)
[ -n "$SIM" ] && run=(tests/fixtures/simhost-enter "$SIM" -- "${run[@]}")
echo "== nvidia-container-runtime run (runc; the container's env: NVIDIA_VISIBLE_DEVICES=$devices)"
start=$(date +%s%N)
"${run[@]}" </dev/null
end=$(date +%s%N)
echo "== container exited 0 after $(((end - start) / 1000000)) ms; the runtime added to config.json:"
jq -c '.hooks.prestart[-1]' "$work/bundle/config.json"
echo "== its ld.so.cache:"
ldconfig -p -C "$work/bundle/rootfs/etc/ld.so.cache" | grep -E 'libcuda|libnvidia-ml'
