#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# build-carry-deb.sh [--debs DIR] [--into DIR]: what tests/gpu/run.sh runs, with
# the five programs taken from the Debian packages instead of build-gpu/: the
# packages (scripts/build-debs.sh into build-debs/, or the .debs of --debs
# DIR) are unpacked with dpkg -x into DIR/root (default DIR: .carry-deb/,
# git-ignored), their /usr/bin programs are copied, byte for byte, to DIR/
# where tests/gpu/*.sh look for them, and the rest of a carry directory
# (runc, lib/libseccomp.so.2, noop-hook, cuda-check, rootfs.tar) is copied
# from .carry/, which scripts/build-carry.sh must have made first (it needs
# nvcc). tests/gpu/run.sh reads $PWD/.carry: on the GPU host, put DIR there:
#   bash scripts/build-carry.sh && bash scripts/build-carry-deb.sh
#   (GPU host)  mv .carry .carry-static && mv .carry-deb .carry && bash tests/gpu/run.sh
# or build straight into it:  bash scripts/build-carry-deb.sh --into .carry
#
# Unlike .carry's, the packaged programs link json-c, libseccomp, libbpf
# (libelf, zlib) and libyaml dynamically, as any Debian package does. DIR/NEEDED
# lists those libraries; DIR/deps/ holds this machine's copies, and
# DIR/check-deps.sh (run on the GPU host) says which the host lacks. The
# hooks run with an environment of their own, so LD_LIBRARY_PATH cannot stand
# in for a missing library there.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
debs=
into=.carry-deb
while [ $# -gt 0 ]; do
        case $1 in
        --debs) debs=$2; shift 2 ;;
        --into) into=$2; shift 2 ;;
        *) echo "usage: build-carry-deb.sh [--debs DIR] [--into DIR]" >&2; exit 2 ;;
        esac
done
progs=(nvidia-container-cli nvidia-container-runtime-hook nvidia-container-runtime nvidia-ctk nvidia-cdi-hook)

if [ -z "$debs" ]; then
        bash scripts/build-debs.sh build-debs
        debs=build-debs
fi
if [ "$(readlink -f "$into")" != "$(readlink -f .carry)" ]; then
        for f in runc lib/libseccomp.so.2 noop-hook cuda-check rootfs.tar; do
                [ -e ".carry/$f" ] || { echo "build-carry-deb: no .carry/$f: run scripts/build-carry.sh first" >&2; exit 1; }
        done
        rm -rf "$into"
        mkdir -p "$into"
        cp -a .carry/runc .carry/lib .carry/noop-hook .carry/cuda-check .carry/rootfs.tar "$into/"
fi
rm -rf "$into/root" "$into/deps"
mkdir -p "$into/root" "$into/deps"
for d in "$debs"/*.deb; do
        case $d in *-dbgsym_*) continue ;; esac
        dpkg -x "$d" "$into/root"
done
for p in "${progs[@]}"; do
        cp -p "$into/root/usr/bin/$p" "$into/$p"
done

# The shared libraries the packaged programs need beyond glibc.
needed=$(for p in "${progs[@]}"; do
        readelf -d "$into/$p" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
done | sort -u | grep -vxE 'libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux-x86-64\.so\.2')
# libbpf needs libelf and zlib in turn.
needed=$(printf '%s\n' "$needed" libelf.so.1 libz.so.1 | sort -u)
printf '%s\n' "$needed" >"$into/NEEDED"
for l in $needed; do
        src=$(ldconfig -p | awk -v l="$l" '$1 == l && /x86-64/ && !f {f = $NF} END {print f}')
        if [ -n "$src" ]; then cp -L "$src" "$into/deps/$l"; fi
done
cat >"$into/check-deps.sh" <<'CHECK'
#!/bin/bash
# check-deps.sh: which shared libraries of the packaged programs this host lacks.
cd "$(dirname "$(readlink -f "$0")")" || exit 1
rc=0
for p in nvidia-container-cli nvidia-container-runtime-hook nvidia-container-runtime nvidia-ctk nvidia-cdi-hook; do
        miss=$(ldd "./$p" | grep 'not found') && { echo "$p: $miss"; rc=1; }
done
[ "$rc" = 0 ] && echo "check-deps: every library is there" ||
        echo "check-deps: copies are in deps/ (Debian 12's), e.g. for /usr/local/lib + ldconfig"
exit "$rc"
CHECK
chmod 0755 "$into/check-deps.sh"
n=0
for d in "$debs"/*.deb; do
        case $d in *-dbgsym_*) ;; *) n=$((n + 1)) ;; esac
done
echo "build-carry-deb: from $n packages into $into:"
for p in "${progs[@]}"; do
        printf '  %s  %s\n' "$(sha256sum <"$into/$p" | cut -c1-16)" "$p"
done
echo "build-carry-deb: needs beyond glibc: $(tr '\n' ' ' <"$into/NEEDED")(check on the GPU host: $into/check-deps.sh)"
