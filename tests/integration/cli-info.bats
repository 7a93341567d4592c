#!/usr/bin/env bats
# nvidia-container-cli info on every simulated layout.

load helpers

setup_file() {
        export SCRATCH
        SCRATCH=$(scratch_dir)
        make_sim debian1 --layout debian --gpus 1
        make_sim local8 --layout local-nvidia --gpus 8 --mig
        make_sim droot --layout driver-root --gpus 8
        make_sim nonvml --layout debian --gpus 8 --no-nvml
        make_sim nvmlfail --layout debian --gpus 1 --nvml-fail
}

teardown_file() {
        rm -rf "$SCRATCH"
}

# Checks the text output of info against the facts the simulated host was made from.
check_info_text() {
        local sim=$1 out=$2 n i
        n=$(sim_fact "$sim" SIM_NGPUS)
        [ "$(info_field "$out" "NVRM version" 0)" = "$(sim_fact "$sim" SIM_DRIVER_VERSION)" ]
        [ "$(info_field "$out" "CUDA version" 0)" = "$(sim_fact "$sim" SIM_CUDA_VERSION)" ]
        [ "$(printf '%s\n' "$out" | grep -c '^Device Index:')" -eq "$n" ]
        for ((i = 0; i < n; i++)); do
                [ "$(info_field "$out" "Device Index" $i)" = "$i" ]
                [ "$(info_field "$out" "Device Minor" $i)" = "$(sim_fact "$sim" SIM_GPU${i}_MINOR)" ]
                [ "$(info_field "$out" "Model" $i)" = "$(sim_fact "$sim" SIM_GPU${i}_MODEL)" ]
                [ "$(info_field "$out" "Brand" $i)" = "$(sim_fact "$sim" SIM_GPU${i}_BRAND)" ]
                [ "$(info_field "$out" "GPU UUID" $i)" = "$(sim_fact "$sim" SIM_GPU${i}_UUID)" ]
                [ "$(info_field "$out" "Bus Location" $i)" = "$(sim_fact "$sim" SIM_GPU${i}_BUS)" ]
                [ "$(info_field "$out" "Architecture" $i)" = "$(sim_fact "$sim" SIM_GPU${i}_ARCH)" ]
        done
}

@test "info: debian layout, 1 GPU whose minor differs from its index" {
        run cli_on "$SCRATCH/debian1" info
        [ "$status" -eq 0 ]
        check_info_text "$SCRATCH/debian1" "$output"
        [ "$(info_field "$output" "Device Minor" 0)" != 0 ]
}

@test "info: /usr/local/nvidia layout, 8 GPUs with MIG, indices in bus id order" {
        run cli_on "$SCRATCH/local8" info
        [ "$status" -eq 0 ]
        check_info_text "$SCRATCH/local8" "$output"
}

@test "info: driver under a separate --root" {
        run cli_on "$SCRATCH/droot" info
        [ "$status" -eq 0 ]
        check_info_text "$SCRATCH/droot" "$output"
}

@test "info: exact text layout of the reference (printf %-15s)" {
        run cli_on "$SCRATCH/debian1" info
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "NVRM version:   $(sim_fact "$SCRATCH/debian1" SIM_DRIVER_VERSION)" ]
        [ "${lines[1]}" = "CUDA version:   $(sim_fact "$SCRATCH/debian1" SIM_CUDA_VERSION)" ]
        [ "${lines[2]}" = "Device Index:   0" ]
        [ "${lines[4]}" = "Model:          $(sim_fact "$SCRATCH/debian1" SIM_GPU0_MODEL)" ]
        # bats drops empty lines from $lines: check the blank separator in $output.
        printf '%s\n' "$output" | sed -n 3p | grep -qx ''
}

@test "info --csv: header lines and one row per GPU" {
        local sim=$SCRATCH/local8 i
        run cli_on "$sim" info --csv
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "NVRM version,CUDA version" ]
        [ "${lines[1]}" = "$(sim_fact "$sim" SIM_DRIVER_VERSION),$(sim_fact "$sim" SIM_CUDA_VERSION)" ]
        [ "${lines[2]}" = "Device Index,Device Minor,Model,Brand,GPU UUID,Bus Location,Architecture" ]
        for i in 0 1 2 3 4 5 6 7; do
                [ "${lines[$((3 + i))]}" = "$i,$(sim_fact "$sim" SIM_GPU${i}_MINOR),$(sim_fact "$sim" SIM_GPU${i}_MODEL),$(sim_fact "$sim" SIM_GPU${i}_BRAND),$(sim_fact "$sim" SIM_GPU${i}_UUID),$(sim_fact "$sim" SIM_GPU${i}_BUS),$(sim_fact "$sim" SIM_GPU${i}_ARCH)" ]
        done
        [ "${#lines[@]}" -eq 11 ]
}

@test "info --format=json: every field, MIG devices with their UUIDs" {
        local sim=$SCRATCH/local8
        run cli_on "$sim" info --format=json
        [ "$status" -eq 0 ]
        (. "$sim/sim.env"; export ${!SIM_*}; printf '%s' "$output" | python3 -c '
import json, os, sys
d = json.load(sys.stdin)
e = os.environ
assert d["nvrm_version"] == e["SIM_DRIVER_VERSION"], d
assert d["cuda_version"] == e["SIM_CUDA_VERSION"], d
assert len(d["devices"]) == int(e["SIM_NGPUS"])
for i, g in enumerate(d["devices"]):
    p = "SIM_GPU%d_" % i
    assert g["index"] == i
    assert g["minor"] == int(e[p + "MINOR"]), g
    assert g["uuid"] == e[p + "UUID"] and g["bus_location"] == e[p + "BUS"]
    assert g["model"] == e[p + "MODEL"] and g["brand"] == e[p + "BRAND"]
    assert g["architecture"] == e[p + "ARCH"]
migs = [m for g in d["devices"] for m in g["mig_devices"]]
assert migs and all(m["uuid"].startswith("MIG-") for m in migs), migs
assert d["devices"][0]["mig_enabled"] is True
assert d["missing"] == []
')
}

@test "info: without NVML the procfs fields are still printed, and what is missing is said" {
        local sim=$SCRATCH/nonvml
        run cli_on "$sim" info
        [ "$status" -eq 0 ]
        [ "$(info_field "$output" "NVRM version" 0)" = "$(sim_fact "$sim" SIM_DRIVER_VERSION)" ]
        [ "$(info_field "$output" "CUDA version" 0)" = "N/A" ]
        [ "$(info_field "$output" "GPU UUID" 3)" = "$(sim_fact "$sim" SIM_GPU3_UUID)" ]
        [ "$(info_field "$output" "Device Minor" 3)" = "$(sim_fact "$sim" SIM_GPU3_MINOR)" ]
        [ "$(info_field "$output" "Bus Location" 3)" = "$(sim_fact "$sim" SIM_GPU3_BUS)" ]
        [ "$(info_field "$output" "Model" 3)" = "$(sim_fact "$sim" SIM_GPU3_MODEL)" ]
        [ "$(info_field "$output" "Architecture" 3)" = "N/A" ]
        printf '%s\n' "$output" | grep -q "warning: NVML unavailable, CUDA version, brand and architecture unknown"
        run cli_on "$sim" info --format=json
        printf '%s' "$output" | sed '/^nvidia-container-cli: warning/d' |
                python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["missing"]==["nvml"] and d["cuda_version"] is None, d'
}

@test "info: NVML that fails to initialise is reported, procfs fields printed" {
        run cli_on "$SCRATCH/nvmlfail" info
        [ "$status" -eq 0 ]
        [ "$(info_field "$output" "GPU UUID" 0)" = "$(sim_fact "$SCRATCH/nvmlfail" SIM_GPU0_UUID)" ]
        printf '%s\n' "$output" | grep -q "warning: NVML unavailable.*nvmlInit_v2 failed"
}

@test "info: no /proc/driver/nvidia is a detection error, exit 1" {
        local sim=$SCRATCH/nomod
        make_sim nomod --layout debian --gpus 1
        rm -rf "$sim/proc/driver/nvidia"
        run cli_on "$sim" info
        [ "$status" -eq 1 ]
        [ "$output" = "nvidia-container-cli: detection error: $sim/proc/driver/nvidia/version: No such file or directory (is the NVIDIA kernel module loaded?)" ]
}

@test "info: runs unmodified on the simulated host laid over the real paths" {
        local sim=$SCRATCH/debian1
        run "$FIXTURES/simhost-enter" "$sim" -- "$CLI" info
        [ "$status" -eq 0 ]
        check_info_text "$sim" "$output"
        run "$FIXTURES/simhost-enter" "$SCRATCH/local8" -- "$CLI" info
        [ "$status" -eq 0 ]
        check_info_text "$SCRATCH/local8" "$output"
        # Nothing of the simulated host is left on the real one.
        [ ! -e /proc/driver/nvidia ]
        [ ! -e /dev/nvidiactl ]
}
