#!/usr/bin/env bats
# The driver's file list kept between starts (lib/driver/files-cache.h): a
# warm cache gives what a search gives; any change to a directory the search
# looked into, a file it found, the ld.so.cache or the driver version makes
# it search again; a cache file that is not root's alone is not used. Through
# `nvidia-container-cli list` on a simulated host whose driver root is not
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

@test "files cache: a cache file that is group-writable, a symlink, or in a directory others can write is not used" {
        listed
        f=$(ls "$CACHE_DIR"/driver-files-*)
        # A forged entry: another file of the host where libcuda was.
        sed -i "s#^\(f [0-9]* [0-9a-f]* [^ ]*\) \(.*\)/libcuda.so.$DRV\t#\1 /etc/passwd\t#" "$f"
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
        sed -i "s#\t\(libcuda.so.1\)\$#\t\1#; s#/usr/lib/x86_64-linux-gnu/libcuda.so.$DRV\t#/etc/passwd\t#" "$f"
        grep -q '/etc/passwd' "$f"
        listed
        [ "$hit" = no ]
        ! grep -q /etc/passwd "$SCRATCH/out"
        grep -q "libcuda.so.$DRV" "$SCRATCH/out"
}
