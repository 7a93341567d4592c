#!/usr/bin/env bats
# What is kept between container starts besides the NVML answers
# (cli-cache.bats):
#  - the driver's file list (lib/driver/files-cache.h): a warm cache gives
#    what a search gives; any change to a directory the search looked into,
#    a file it found, the ld.so.cache or the driver version makes it search
#    again; a cache file that is not root's alone is not used;
#  - the GPUs procfs lists (lib/driver/gpus-cache.h): a warm cache reads no
#    gpus/*/information; a GPU gone, an information file changed or another
#    boot makes it read procfs again.
# Through nvidia-container-cli on a simulated host whose driver root is not
# "/" (every identity taken through the safe-path layer).

load helpers

setup() {
        export SCRATCH
        SCRATCH=$(scratch_dir)
        make_sim h --layout debian --gpus 2
        SIM=$SCRATCH/h
        LIB=$SIM/root/usr/lib/x86_64-linux-gnu
        DRV=$(sim_fact "$SIM" SIM_DRIVER_VERSION)
        export CACHE_DIR=$SCRATCH/cache
}

teardown() {
        rm -rf "$SCRATCH"
}

# listed [CLI ARGS…]: `list` with the cache (stdout in out, stderr in err);
# $hit says whether the cache answered.
listed() {
        rm -f "$SCRATCH/debug"
        NVC_DEBUG_FILE=$SCRATCH/debug cli_on "$SIM" list "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
        hit=no
        grep -q 'driver files from the cache' "$SCRATCH/debug" && hit=yes
        return 0
}

@test "files cache: cold and warm give what no cache gives; the file is root's alone" {
        CACHE_DIR= run cli_on "$SIM" list
        [ "$status" -eq 0 ]
        none=$output
        [[ $none == *"libcuda.so.$DRV"* ]]
        listed
        [ "$hit" = no ]
        [ "$(cat "$SCRATCH/out")" = "$none" ]
        f=$(ls "$CACHE_DIR"/driver-files-*)
        [ "$(stat -c '%a %u' "$f")" = "600 0" ]
        grep -q "^root $SIM/root$" "$f"
        listed
        [ "$hit" = yes ]
        [ "$(cat "$SCRATCH/out")" = "$none" ]
}

@test "files cache: a library added to a searched directory is found at once" {
        listed
        listed
        [ "$hit" = yes ]
        ! grep -q libnvidia-nscq "$SCRATCH/out"
        # Not in the ld.so.cache: only the directory's change tells.
        cp "$LIB/libnvidia-cfg.so.$DRV" "$LIB/libnvidia-nscq.so.$DRV"
        listed
        [ "$hit" = no ]
        grep -q "libnvidia-nscq.so.$DRV" "$SCRATCH/out"
        listed
        [ "$hit" = yes ]
        grep -q "libnvidia-nscq.so.$DRV" "$SCRATCH/out"
}

@test "files cache: a library removed, or rewritten in place, is searched again" {
        listed
        rm "$LIB/libnvidia-opencl.so.$DRV"
        listed
        [ "$hit" = no ]
        ! grep -q "libnvidia-opencl.so.$DRV" "$SCRATCH/out"
        listed
        [ "$hit" = yes ]
        # Same name, same directory entry, new content: the file's own identity changed.
        cat "$LIB/libcuda.so.$DRV" >"$SCRATCH/copy"
        cat "$SCRATCH/copy" >"$LIB/libcuda.so.$DRV"
        listed
        [ "$hit" = no ]
        grep -q "libcuda.so.$DRV" "$SCRATCH/out"
}

@test "files cache: a rewritten ld.so.cache, or another driver version, is searched again" {
        listed
        touch "$SIM/root/etc/ld.so.cache"
        listed
        [ "$hit" = no ]
        listed
        [ "$hit" = yes ]
        sed -i "s/$DRV/580.200.01/" "$SIM/proc/driver/nvidia/version"
        listed
        [ "$hit" = no ]
        # Libraries of the old version are not the driver's any more, and a
        # hit says so again: the warnings are kept with the answer.
        ! grep -q "libcuda.so.$DRV" "$SCRATCH/out"
        grep -q "libcuda.so.$DRV: version does not match the kernel module's 580.200.01, skipped" "$SCRATCH/err"
        cp "$SCRATCH/err" "$SCRATCH/err.miss"
        listed
        [ "$hit" = yes ]
        diff -u "$SCRATCH/err.miss" "$SCRATCH/err"
}

# forge_libcuda_entry CACHE_FILE: the entry of libcuda now names another
# file of the host (/etc/passwd), identity and all else kept.
forge_libcuda_entry() {
        sed -i "s#^\(f [0-9]* [0-9a-f]* [^ ]*\) \(.*\)/libcuda.so.$DRV\t#\1 /etc/passwd\t#" "$1"
        grep -q '/etc/passwd' "$1"
}

@test "files cache: a cache file that is group-writable, a symlink, or in a directory others can write is not used" {
        listed
        f=$(ls "$CACHE_DIR"/driver-files-*)
        forge_libcuda_entry "$f"
        chmod 0660 "$f"
        listed
        [ "$hit" = no ]
        ! grep -q /etc/passwd "$SCRATCH/out"
        cp "$f" "$SCRATCH/elsewhere"
        chmod 0600 "$SCRATCH/elsewhere"
        rm -f "$f"
        ln -s "$SCRATCH/elsewhere" "$f"
        listed
        [ "$hit" = no ]
        rm -f "$f"
        listed
        chmod 0777 "$CACHE_DIR"
        listed
        [ "$hit" = no ]
        grep -q "libcuda.so.$DRV" "$SCRATCH/out"
}

@test "files cache: a forged entry whose identity does not match its file is a miss" {
        listed
        f=$(ls "$CACHE_DIR"/driver-files-*)
        # Root's own file, but the entry now names a file the search never found.
        forge_libcuda_entry "$f"
        listed
        [ "$hit" = no ]
        ! grep -q /etc/passwd "$SCRATCH/out"
        grep -q "libcuda.so.$DRV" "$SCRATCH/out"
}

# Runs info under strace: $info_opens counts the information files it opened.
traced_info() {
        strace -f -qq -e trace=open,openat,openat2 -o "$SCRATCH/trace" \
                "$CLI" --root="$SIM/root" --proc-root="$SIM/proc" --sys-root="$SIM/sys" \
                --cache-dir="$CACHE_DIR" info >"$SCRATCH/out" 2>&1
        info_opens=$(grep -v ENOENT "$SCRATCH/trace" | grep -c 'gpus/[^/]*/information' || true)
}

@test "gpus cache: the second info reads no information file and says the same; the file is root's alone" {
        traced_info
        [ "$info_opens" -ge 2 ]
        first=$(cat "$SCRATCH/out")
        [ "$(stat -c '%a %u' "$CACHE_DIR/procfs-gpus")" = "600 0" ]
        traced_info
        [ "$info_opens" = 0 ]
        [ "$(cat "$SCRATCH/out")" = "$first" ]
}

@test "gpus cache: a GPU gone, a changed information file, or another boot reads procfs again" {
        traced_info
        traced_info
        [ "$info_opens" = 0 ]
        # The driver rewrites what it says about a GPU: a new UUID shows at once.
        d=$(ls -d "$SIM"/proc/driver/nvidia/gpus/* | head -1)
        old=$(sed -n 's/^GPU UUID:[[:space:]]*//p' "$d/information")
        sed -i "s/$old/GPU-11111111-2222-3333-4444-555555555555/" "$d/information"
        traced_info
        [ "$info_opens" -ge 2 ]
        grep -q GPU-11111111-2222-3333-4444-555555555555 "$SCRATCH/out"
        # Another boot.
        traced_info
        [ "$info_opens" = 0 ]
        echo 00000000-1111-2222-3333-444444444444 >"$SIM/proc/sys/kernel/random/boot_id"
        traced_info
        [ "$info_opens" -ge 2 ]
        # A GPU gone: one device less.
        rm -rf "$(ls -d "$SIM"/proc/driver/nvidia/gpus/* | tail -1)"
        traced_info
        [ "$(grep -c '^Device Index:' "$SCRATCH/out")" = 1 ]
}

@test "gpus cache: a cache file that is group-writable is not used" {
        traced_info
        sed -i 's/=GPU-[0-9a-f-]*/=GPU-99999999-9999-9999-9999-999999999999/' "$CACHE_DIR/procfs-gpus"
        chmod 0660 "$CACHE_DIR/procfs-gpus"
        traced_info
        [ "$info_opens" -ge 2 ]
        ! grep -q GPU-99999999 "$SCRATCH/out"
}
