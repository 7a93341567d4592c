#!/bin/bash
# Installs, from Debian's packages, whatever the build and the tests need and
# the machine lacks. Safe to run again: nothing is fetched when all is there.
set -euo pipefail

PKGS=(meson ninja-build gcc clang pkg-config libjson-c-dev libcmocka-dev bats strace
      python3 binutils libc-bin util-linux kmod libseccomp-dev libbpf-dev libelf-dev zlib1g-dev libyaml-dev
      musl-tools runc crun busybox-static jq patchelf
      debhelper dpkg-dev fakeroot lintian man-db)

missing=()
for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing+=("$p")
done
if ((${#missing[@]})); then
        echo "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
