#!/bin/bash
# Builds the container root filesystem the GPU checks run in, as a tarball.
# Usage: tests/gpu/mkrootfs.sh OUT.tar [EXTRA_BINARY…]
#
# A Debian/Ubuntu-like, merged-/usr tree (bin, sbin, lib, lib64 are links
# into usr/, as in ubuntu:24.04 images), so that `configure` meets the layout
# real images have:
#   usr/bin/busybox (static, from busybox-static) + a link per applet
#   this machine's glibc (ld.so, libc, libm, libdl, libpthread, librt, …) in
#     usr/lib/x86_64-linux-gnu: what nvidia-smi, libnvidia-ml and libcuda need
#   etc/debian_version (so `configure` uses the Debian library directory),
#     etc/ld.so.conf(.d), passwd, group
#   EXTRA_BINARY… (e.g. cuda-check) in usr/local/bin
# No ld.so.cache: the driver's ldconfig run writes the first one.
set -euo pipefail
out=${1:?usage: mkrootfs.sh OUT.tar [EXTRA_BINARY…]}
shift
BUSYBOX=${BUSYBOX:-/bin/busybox}
case $(file -L "$BUSYBOX") in
*statically*) ;;
*) echo "mkrootfs: $BUSYBOX is not static (install busybox-static)" >&2; exit 1 ;;
esac

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
r=$d/rootfs
mkdir -p "$r"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64,local/bin} \
        "$r"/{etc/ld.so.conf.d,proc,sys,dev,tmp,root,run,var/tmp,home,mnt,opt,srv}
for l in bin sbin lib lib64; do ln -s "usr/$l" "$r/$l"; done
chmod 1777 "$r/tmp" "$r/var/tmp"
chmod 0700 "$r/root"

cp "$BUSYBOX" "$r/usr/bin/busybox"
# --list-full names each applet's usual place (bin/sh, sbin/ifconfig, usr/bin/env…);
# merged /usr puts them all under usr/.
"$BUSYBOX" --list-full | while read -r a; do
        case $a in */*) ;; *) continue ;; esac
        a=${a#usr/}
        [ -e "$r/usr/$a" ] || [ -L "$r/usr/$a" ] || ln -s /usr/bin/busybox "$r/usr/$a"
done

# glibc, by the names the loader looks for (soname = file name in glibc >= 2.34).
libdir=/lib/x86_64-linux-gnu
for so in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 \
        libresolv.so.2 libutil.so.1 libanl.so.1; do
        cp -L "$libdir/$so" "$r/usr/lib/x86_64-linux-gnu/$so"
done
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$r/usr/lib64/ld-linux-x86-64.so.2"

for b in "$@"; do
        cp "$b" "$r/usr/local/bin/"
done

. /etc/os-release
printf '%s\n' "$(cat /etc/debian_version 2>/dev/null || echo 12.0)" >"$r/etc/debian_version"
printf 'PRETTY_NAME="nvcr test rootfs (busybox + %s glibc)"\nID=debian\n' "$PRETTY_NAME" \
        >"$r/etc/os-release"
echo 'include /etc/ld.so.conf.d/*.conf' >"$r/etc/ld.so.conf"
printf '%s\n' /usr/local/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu \
        >"$r/etc/ld.so.conf.d/x86_64-linux-gnu.conf"
echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >>"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
echo 'nvcr-test' >"$r/etc/hostname"

tar -C "$r" --numeric-owner --owner=0 --group=0 -cf "$out.tmp" .
mv "$out.tmp" "$out"
