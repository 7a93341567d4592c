#!/usr/bin/env bats
# The NVML answer cache: a hit loads no NVML and opens no GPU; driver or GPU
# changes invalidate it; an unusable cache directory changes nothing.

load helpers

setup() {
        export SCRATCH
        SCRATCH=$(scratch_dir)
        make_sim h --layout debian --gpus 8 --mig
        export CACHE_DIR=$SCRATCH/cache
        SIM=$SCRATCH/h
}

teardown() {
        rm -rf "$SCRATCH"
}

# Runs info under strace; sets $opened to the files it opened.
traced_info() {
        strace -f -qq -e trace=open,openat,openat2 -o "$SCRATCH/trace" \
                "$CLI" --root="$SIM/root" --proc-root="$SIM/proc" --sys-root="$SIM/sys" \
                --cache-dir="$CACHE_DIR" info >"$SCRATCH/out" 2>&1
        opened=$(grep -v ENOENT "$SCRATCH/trace" || true)
}

@test "cache: the first info writes it root-only, the second loads no NVML and opens no GPU" {
        traced_info
        grep -q 'libnvidia-ml' <<<"$opened"
        [ "$(stat -c %a "$CACHE_DIR")" = 700 ]
        [ "$(stat -c %a "$CACHE_DIR/nvml-answers.json")" = 600 ]
        first=$(cat "$SCRATCH/out")
        traced_info
        [ "$(cat "$SCRATCH/out")" = "$first" ]
        ! grep -q 'libnvidia-ml' <<<"$opened"
        ! grep -qE '/dev/nvidia' <<<"$opened"
        grep -q "CUDA version:   $(sim_fact "$SIM" SIM_CUDA_VERSION)" "$SCRATCH/out"
}

@test "cache: a hit answers even with NVML gone" {
        run cli_on "$SIM" info
        [ "$status" -eq 0 ]
        rm -f "$SIM"/root/usr/lib/x86_64-linux-gnu/libnvidia-ml.so*
        run cli_on "$SIM" info
        [ "$status" -eq 0 ]
        [ "$(info_field "$output" "CUDA version" 0)" = "$(sim_fact "$SIM" SIM_CUDA_VERSION)" ]
        [ "$(info_field "$output" "Architecture" 7)" = "$(sim_fact "$SIM" SIM_GPU7_ARCH)" ]
        run cli_on "$SIM" list -d "$(cli_on "$SIM" info --format=json | python3 -c 'import json,sys; print(json.load(sys.stdin)["devices"][0]["mig_devices"][0]["uuid"])')"
        [ "$status" -eq 0 ]
}

@test "cache: a new driver version invalidates it" {
        run cli_on "$SIM" info
        [ "$status" -eq 0 ]
        sed -i 's/580\.159\.04/580.200.01/' "$SIM/proc/driver/nvidia/version"
        traced_info
        grep -q 'libnvidia-ml' <<<"$opened"
        grep -q 'driver=580.200.01' "$CACHE_DIR/nvml-answers.json"
        grep -q '^NVRM version:   580.200.01$' "$SCRATCH/out"
}

@test "cache: a changed GPU set invalidates it" {
        local gone
        run cli_on "$SIM" info
        [ "$status" -eq 0 ]
        gone=$(sim_fact "$SIM" SIM_GPU7_UUID)
        grep -q "$gone" "$CACHE_DIR/nvml-answers.json"
        rm -rf "$SIM/proc/driver/nvidia/gpus/$(sim_fact "$SIM" SIM_GPU7_BUS | sed 's/^0000//')"
        traced_info
        grep -q 'libnvidia-ml' <<<"$opened"
        [ "$(grep -c '^Device Index:' "$SCRATCH/out")" -eq 7 ]
        ! grep -q "|gpu=$gone" "$CACHE_DIR/nvml-answers.json"
}

@test "cache: changed MIG instances invalidate it" {
        run cli_on "$SIM" info
        minor=$(sim_fact "$SIM" SIM_GPU0_MINOR)
        gi=$(ls -d "$SIM/proc/driver/nvidia/capabilities/gpu$minor/mig/"gi* | tail -1)
        rm -rf "$gi"
        traced_info
        grep -q 'libnvidia-ml' <<<"$opened"
}

@test "cache: an unwritable or untrusted cache directory still works, without caching" {
        CACHE_DIR=/proc/nvcr-no-such-dir run cli_on "$SIM" info
        [ "$status" -eq 0 ]
        [ "$(info_field "$output" "CUDA version" 0)" = "$(sim_fact "$SIM" SIM_CUDA_VERSION)" ]
        mkdir -m 0777 "$SCRATCH/open"
        CACHE_DIR=$SCRATCH/open run cli_on "$SIM" info
        [ "$status" -eq 0 ]
        [ ! -e "$SCRATCH/open/nvml-answers.json" ]
        mkdir -m 0700 "$SCRATCH/theirs"
        chown 65534 "$SCRATCH/theirs"
        CACHE_DIR=$SCRATCH/theirs run cli_on "$SIM" info
        [ "$status" -eq 0 ]
        [ ! -e "$SCRATCH/theirs/nvml-answers.json" ]
}

@test "cache: a tampered cache file (group-writable, or a symlink) is not trusted" {
        run cli_on "$SIM" info
        sed -i 's/"cuda":"[0-9.]*"/"cuda":"99.9"/' "$CACHE_DIR/nvml-answers.json"
        chmod 0666 "$CACHE_DIR/nvml-answers.json"
        run cli_on "$SIM" info
        [ "$(info_field "$output" "CUDA version" 0)" = "$(sim_fact "$SIM" SIM_CUDA_VERSION)" ]
        cp "$CACHE_DIR/nvml-answers.json" "$SCRATCH/elsewhere.json"
        sed -i 's/"cuda":"[0-9.]*"/"cuda":"99.9"/' "$SCRATCH/elsewhere.json"
        ln -sf "$SCRATCH/elsewhere.json" "$CACHE_DIR/nvml-answers.json"
        run cli_on "$SIM" info
        [ "$(info_field "$output" "CUDA version" 0)" = "$(sim_fact "$SIM" SIM_CUDA_VERSION)" ]
}
