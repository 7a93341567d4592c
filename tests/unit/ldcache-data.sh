#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# ldcache-data.sh OUTDIR: builds the ld.so.cache test data for test-ldcache.
#
# OUTDIR/tree is a tiny driver root of ELF stubs; the real ldconfig writes its
# cache in every format it knows (glibc >= 2.33 implements -r by prefixing
# paths, not chroot, so this works as an ordinary user and the cache holds
# root-relative paths):
#
#   new.cache     ldconfig -c new     ("glibc-ld.so.cache1.1" only)
#   compat.cache  ldconfig -c compat  ("ld.so-1.7.0", new section hidden in its strings)
#   old.cache     ldconfig -c old     ("ld.so-1.7.0" only: no hwcap entries)
#   compat-oldonly.cache   compat.cache with the new magic smashed: readers
#                          must fall back to the old section, as ld.so does
#   bad/*.cache   truncated and corrupt variants; each must be rejected
#
# The tree holds, in the cache order ldconfig writes (names descending):
#   libz.so.1             x86-64                     0x0303
#   libnvidia-ml.so.1     x86-64                     0x0303
#   libnvidia-ml.so.1     i386, no DT_NEEDED libc    0x0001 (FLAG_ELF)
#   libcudadebugger.so.1  x86-64                     0x0303
#   libcuda.so.1          x32                        0x0803
#   libcuda.so.1          x86-64, glibc-hwcaps/x86-64-v3, hwcap != 0
#   libcuda.so.1          x86-64                     0x0303
#   libcuda.so.1          i386, DT_NEEDED libc.so.6  0x0003 (FLAG_ELF_LIBC6)
#
# ldconfig only marks a 32-bit library libc6 when it has DT_NEEDED libc.so.6,
# so the i386 libcuda links against a stub libc kept outside the tree.
# Needs only gcc, binutils and libc-bin; assumes a little-endian x86-64 host.
set -euo pipefail

out=${1:?usage: ldcache-data.sh OUTDIR}
ldconfig=${LDCONFIG:-}
if [ -z "$ldconfig" ]; then
        ldconfig=$(PATH=$PATH:/usr/sbin:/sbin command -v ldconfig) || {
                echo "ldcache-data.sh: ldconfig not found" >&2
                exit 1
        }
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/tree
work=$out/work
rm -rf "$tree" "$work" "$out/bad" "$out"/*.cache
lib64=$tree/usr/lib/x86_64-linux-gnu
lib32=$tree/usr/lib/i386-linux-gnu
libx32=$tree/usr/libx32
mkdir -p "$lib64/glibc-hwcaps/x86-64-v3" "$lib32" "$libx32" "$tree/etc" "$work" "$out/bad"

# ---------------------------------------------------------------- the tree

echo 'int nvcr_stub;' >"$work/stub.c"
printf '.globl nvcr_stub\nnvcr_stub:\n\tret\n' >"$work/stub.s"
as --32 -o "$work/stub32.o" "$work/stub.s"
as --x32 -o "$work/stubx32.o" "$work/stub.s"

lib64() { # FILE SONAME
        cc -shared -nostdlib -Wl,-soname,"$2" -o "$1" "$work/stub.c"
}

lib64 "$lib64/libcuda.so.580.1.2" libcuda.so.1
lib64 "$lib64/libcudadebugger.so.580.1.2" libcudadebugger.so.1
lib64 "$lib64/libnvidia-ml.so.580.1.2" libnvidia-ml.so.1
lib64 "$lib64/libz.so.1.2.13" libz.so.1
cp "$lib64/libcuda.so.580.1.2" "$lib64/glibc-hwcaps/x86-64-v3/"

ld -m elf_i386 -shared -soname libc.so.6 -o "$work/libc.so.6" "$work/stub32.o"
ld -m elf_i386 -shared -soname libcuda.so.1 -o "$lib32/libcuda.so.580.1.2" \
        "$work/stub32.o" "$work/libc.so.6"
ld -m elf_i386 -shared -soname libnvidia-ml.so.1 -o "$lib32/libnvidia-ml.so.580.1.2" \
        "$work/stub32.o"
ld -m elf32_x86_64 -shared -soname libcuda.so.1 -o "$libx32/libcuda.so.580.1.2" \
        "$work/stubx32.o"

printf '%s\n' /usr/lib/x86_64-linux-gnu /usr/lib/i386-linux-gnu /usr/libx32 \
        >"$tree/etc/ld.so.conf"

# ---------------------------------------------------------------- real caches

for fmt in new compat old; do
        "$ldconfig" -r "$tree" -c "$fmt" -C "/etc/$fmt.cache"
        cp "$tree/etc/$fmt.cache" "$out/$fmt.cache"
done

# ---------------------------------------------------------------- variants

u32() { # FILE OFFSET: the host-endian u32 there
        od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '
}

put32() { # FILE OFFSET VALUE
        local v=$3
        printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((v & 255)) $((v >> 8 & 255)) \
                $((v >> 16 & 255)) $((v >> 24 & 255)))" |
                dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

put8() { # FILE OFFSET VALUE
        printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

trunc() { # SRC LEN DST
        head -c "$2" "$1" >"$3"
}

patched() { # SRC DST: a copy to patch
        cp "$1" "$2"
        echo "$2"
}

new=$out/new.cache
compat=$out/compat.cache
old=$out/old.cache
bad=$out/bad

# new format: 48-byte header, 24-byte entries, strings right after them
n=$(u32 "$new" 20)
strings=$((48 + 24 * n))
len_strings=$(u32 "$new" 24)
size=$(stat -c %s "$new")

: >"$bad/empty.cache"
trunc "$new" 10 "$bad/short-magic.cache"
put8 "$(patched "$new" "$bad/bad-magic.cache")" 0 0x78
put8 "$(patched "$new" "$bad/bad-version.cache")" 19 0x30
put8 "$(patched "$new" "$bad/new-big-endian.cache")" 28 3
trunc "$new" 30 "$bad/new-cut-header.cache"
trunc "$new" 48 "$bad/new-header-only.cache"
trunc "$new" $((48 + 24 * 2 + 10)) "$bad/new-cut-entries.cache"
trunc "$new" $((strings + 10)) "$bad/new-cut-strings.cache"
# the last string ends the string table: drop its NUL
trunc "$new" $((strings + len_strings - 1)) "$bad/new-no-nul.cache"
put32 "$(patched "$new" "$bad/new-nlibs-huge.cache")" 20 4294967295
put32 "$(patched "$new" "$bad/new-name-oob.cache")" $((48 + 24 + 4)) 2147483647
put32 "$(patched "$new" "$bad/new-path-oob.cache")" $((48 + 48 + 8)) "$size"

# compat: 16-byte old header, 12-byte old entries, new header at the next 8-byte boundary
n_old=$(u32 "$compat" 12)
new_at=$(((16 + 12 * n_old + 7) / 8 * 8))
put8 "$(patched "$compat" "$out/compat-oldonly.cache")" "$new_at" 0x78
trunc "$compat" $((16 + 12 + 5)) "$bad/compat-cut-old.cache"
trunc "$compat" $((new_at + 30)) "$bad/compat-cut-new-header.cache"
trunc "$compat" $((new_at + 48 + 24 + 7)) "$bad/compat-cut-new-entries.cache"
put32 "$(patched "$compat" "$bad/compat-nlibs-huge.cache")" 12 2147483647
put32 "$(patched "$compat" "$bad/compat-new-nlibs-huge.cache")" $((new_at + 20)) 4294967295

# old: string offsets count from the end of the old entries
n_old=$(u32 "$old" 12)
trunc "$old" $((16 + 12 * 3 + 4)) "$bad/old-cut-entries.cache"
trunc "$old" $((16 + 12 * n_old + 3)) "$bad/old-cut-strings.cache"
put32 "$(patched "$old" "$bad/old-nlibs-huge.cache")" 12 4294967295
put32 "$(patched "$old" "$bad/old-name-oob.cache")" $((16 + 4)) 4294967295
