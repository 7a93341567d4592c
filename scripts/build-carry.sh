#!/bin/bash
# Builds the binaries the GPU host runs (json-c linked statically: only glibc
# is needed there) into .carry/, which tests/gpu/run.sh uses.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/build.sh build-gpu -Dtests=false -Dprefer_static=true --buildtype=release
mkdir -p .carry
cp build-gpu/cmd/cli/nvidia-container-cli .carry/
