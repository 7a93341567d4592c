#!/bin/bash
# The main job: build, then show what nvidia-container-cli finds. On a host
# with the NVIDIA kernel module loaded it runs on the real driver; elsewhere
# on the simulated GPU host of tests/fixtures, laid over the real paths in a
# private mount namespace (nothing on this machine is changed).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
bash scripts/install-deps.sh
bash scripts/build.sh build
cli=$PWD/build/cmd/cli/nvidia-container-cli

if [ -r /proc/driver/nvidia/version ]; then
        echo "== real NVIDIA driver found: $(head -1 /proc/driver/nvidia/version)"
        set -x
        "$cli" info
        "$cli" list
        exit 0
fi

echo "== no NVIDIA kernel module here: using the simulated GPU host (tests/fixtures)"
sim=$(mktemp -d /tmp/nvcr-simhost.XXXXXX)
trap 'rm -rf "$sim"' EXIT
chmod 0755 "$sim"
tests/fixtures/mksimhost --layout debian --gpus 8 --mig "$sim/host" >/dev/null
tests/fixtures/simhost-enter "$sim/host" -- sh -c "
        set -x
        '$cli' info
        '$cli' info --csv
        '$cli' list"
