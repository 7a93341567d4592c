#!/bin/bash
# Builds everything the GPU host runs into .carry/ (git-ignored), which
# tests/gpu/run.sh uses. The GPU host (Ubuntu 24.04) has no compiler of ours,
# no package manager, no runc and no network, so all of it comes from here:
#
#   nvidia-container-cli  json-c, libseccomp, libbpf, libelf, zlib linked
#                         statically (-Dprefer_static=true picks the .a files):
#                         needs only glibc; checked below
#   runc                  Debian's /usr/sbin/runc (needs libseccomp.so.2), with
#   lib/libseccomp.so.2   RUNPATH $ORIGIN/lib:/tmp/nvcr-carry/lib:/var/tmp/…
#                         (patchelf); tests/gpu/oci-lib.sh copies the .so to
#                         one of the fixed directories, which `runc init`
#                         needs (it runs from a memfd: no $ORIGIN; see there)
#   noop-hook             static no-op OCI hook (the benchmark's floor)
#   cuda-check            tests/gpu/cuda-check.cu: static cudart, static
#                         libstdc++/libgcc: needs only glibc (+ libcuda, dlopened)
#   rootfs.tar            tests/gpu/mkrootfs.sh: busybox + glibc + cuda-check
#
# Needs: meson, ninja, gcc, busybox-static, runc, patchelf and musl-tools
# (installed here if missing), nvcc (/usr/local/cuda/bin or $NVCC).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
C=.carry
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}

# Release build, dependencies static. werror off here only: a warning that
# -O3 -D_FORTIFY_SOURCE=2 brings up (and the debug builds do not see) must not
# cost a GPU run; they are printed, and counted at the end.
if ! command -v musl-gcc >/dev/null; then
        apt-get install -y -qq --no-install-recommends musl-tools >/dev/null ||
                { apt-get update -qq && apt-get install -y -qq --no-install-recommends musl-tools >/dev/null; }
fi
opts=(-Dtests=false -Dtest_hooks=false -Dprefer_static=true -Dbuildtype=release -Dwerror=false
      -Druntime_front_libc=musl)
if [ -f build-gpu/build.ninja ]; then
        meson configure build-gpu "${opts[@]}" >/dev/null
else
        meson setup build-gpu "${opts[@]}" >/dev/null
fi
# Only the CLI is carried (libnvcr.so, which links the same .a files into a
# shared object, is not built here).
rc=0
ninja -C build-gpu cmd/cli/nvidia-container-cli cmd/hook/nvidia-container-runtime-hook \
        cmd/runtime/nvidia-container-runtime cmd/runtime/nvidia-container-runtime-full \
        cmd/cdi-hook/nvidia-cdi-hook cmd/ctk/nvidia-ctk >build-gpu/carry-build.log 2>&1 || rc=$?
grep -E '(warning|error):' build-gpu/carry-build.log || true
if [ "$rc" != 0 ]; then
        tail -20 build-gpu/carry-build.log >&2
        echo "build-carry: build failed" >&2
        exit 1
fi
rm -rf "$C"
mkdir -p "$C/lib"
cp build-gpu/cmd/cli/nvidia-container-cli build-gpu/cmd/hook/nvidia-container-runtime-hook \
        build-gpu/cmd/runtime/nvidia-container-runtime build-gpu/cmd/runtime/nvidia-container-runtime-full \
        build-gpu/cmd/cdi-hook/nvidia-cdi-hook \
        build-gpu/cmd/ctk/nvidia-ctk "$C/"

# only_glibc FILE: fails when FILE needs a shared library beyond glibc's.
only_glibc() {
        local extra
        extra=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
                grep -vxE 'libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux-x86-64\.so\.2' || true)
        if [ -n "$extra" ]; then
                echo "build-carry: $1 needs more than glibc: $extra" >&2
                return 1
        fi
}
only_glibc "$C/nvidia-container-cli"
only_glibc "$C/nvidia-container-runtime-hook"
only_glibc "$C/nvidia-container-runtime-full"
# The front is a static musl program (needs nothing): musl-tools is installed above.
only_glibc "$C/nvidia-container-runtime"
if readelf -d "$C/nvidia-container-runtime" 2>/dev/null | grep -q NEEDED; then
        echo "build-carry: nvidia-container-runtime (the front) is not static: is musl-gcc missing?" >&2
        exit 1
fi
only_glibc "$C/nvidia-cdi-hook"
only_glibc "$C/nvidia-ctk"
# Weak stand-ins (lib/apply/pending-stubs.c) in the static archive win over
# the real definitions when their member is pulled in first: a CLI that still
# says "not built yet" would waste a GPU run.
if grep -qa 'not built yet' "$C/nvidia-container-cli"; then
        echo "build-carry: the CLI links stand-ins that say 'not built yet' (lib/apply/pending-stubs.c)" >&2
        [ -n "${CARRY_ALLOW_STUBS:-}" ] || exit 1
fi

if ! command -v patchelf >/dev/null; then
        echo "build-carry: installing patchelf"
        apt-get install -y -qq --no-install-recommends patchelf >/dev/null ||
                { apt-get update -qq && apt-get install -y -qq --no-install-recommends patchelf >/dev/null; }
fi
cp /usr/sbin/runc "$C/runc"
# shellcheck disable=SC2016 # $ORIGIN is for the loader
patchelf --set-rpath '$ORIGIN/lib:/tmp/nvcr-carry/lib:/var/tmp/nvcr-carry/lib' "$C/runc"
cp -L "$(ldd /usr/sbin/runc | awk '$1 == "libseccomp.so.2" {print $3}')" "$C/lib/libseccomp.so.2"
! ldd "$C/runc" | grep -vqE 'libseccomp|libc\.so|ld-linux|vdso' ||
        { echo "build-carry: runc needs more than libseccomp and glibc" >&2; exit 1; }

gcc -O2 -static -s -o "$C/noop-hook" tests/gpu/noop-hook.c

"$NVCC" -O2 -cudart static -gencode 'arch=compute_90,code=[sm_90,compute_90]' \
        -Xcompiler -static-libstdc++,-static-libgcc -o "$C/cuda-check" tests/gpu/cuda-check.cu
strip "$C/cuda-check"
only_glibc "$C/cuda-check"

bash tests/gpu/mkrootfs.sh "$C/rootfs.tar" "$C/cuda-check"

nwarn=$(grep -c 'warning:' build-gpu/carry-build.log || true)
echo "build-carry: $nwarn compiler warning(s) in this build (see above)"
echo "build-carry: $(du -sh "$C" | cut -f1) in $C:"
find "$C" -type f -printf '  %9s %p\n'
