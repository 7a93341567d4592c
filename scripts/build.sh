#!/bin/bash
# build.sh [BUILDDIR [meson options…]]: configure (once) and build.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null
elif (($#)); then
        meson configure "$dir" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
