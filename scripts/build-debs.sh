#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# build-debs.sh [OUTDIR]: the Debian packages of packaging/debian, built with
# dpkg-buildpackage (binary only, unsigned) from a copy of the tracked and
# untracked-but-not-ignored sources, so that the checkout is never written to
# (no debian/ dir, no obj-* build tree). OUTDIR (default build-debs/, git-
# ignored) gets the .deb files, the .changes and .buildinfo, and lintian.txt
# (lintian's report on the .changes) unless NVCR_LINTIAN=0.
# Installs the build dependencies with apt-get when they are missing (root).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
out=$(readlink -f "${1:-build-debs}")

need=(debhelper dpkg-dev fakeroot lintian meson ninja-build pkgconf libjson-c-dev
      libseccomp-dev libbpf-dev libelf-dev zlib1g-dev libyaml-dev git)
missing=()
for p in "${need[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
        echo "build-debs: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" \
                >/dev/null 2>&1 || {
                apt-get update -qq
                apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
                        "${missing[@]}" >/dev/null
        }
fi

version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
work=$(mktemp -d /tmp/nvcr-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The source tree as git sees it (committed or not), without build outputs.
tree=$work/nvcr-${version%-*}
mkdir -p "$tree"
while IFS= read -r -d '' f; do
        # A tracked file deleted in the working tree is not part of it.
        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
done < <(git ls-files -z --cached --others --exclude-standard) |
        tar --null -T - -cf - | tar -C "$tree" -xf -
rm -rf "$tree/debian"
cp -a packaging/debian "$tree/debian"

echo "build-debs: building $version in $tree"
(cd "$tree" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
        tail -40 "$work/build.log" >&2
        echo "build-debs: dpkg-buildpackage failed" >&2
        exit 1
}
mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out/lintian.txt"
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
cp "$work/build.log" "$out/build.log"
if [ "${NVCR_LINTIAN:-1}" != 0 ]; then
        # lintian refuses to run as root without this (it unpacks untrusted data).
        lintian --allow-root --no-tag-display-limit --info "$out"/*.changes >"$out/lintian.txt" 2>&1 || true
        echo "build-debs: lintian: $(grep -c '^E: ' "$out/lintian.txt" || true) error(s)," \
                "$(grep -c '^W: ' "$out/lintian.txt" || true) warning(s) (see $out/lintian.txt)"
fi
echo "build-debs: in $out:"
(cd "$out" && ls -1 ./*.deb)
