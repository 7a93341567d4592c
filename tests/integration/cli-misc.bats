#!/usr/bin/env bats
# Global options, errors, the debug log and --load-kmods.

load helpers

setup_file() {
        export SCRATCH
        SCRATCH=$(scratch_dir)
        make_sim h --layout debian --gpus 8
}

teardown_file() {
        rm -rf "$SCRATCH"
}

@test "--version prints the reference's fields" {
        run "$CLI" --version
        [ "$status" -eq 0 ]
        [[ ${lines[0]} == "cli-version: "* ]]
        [[ ${lines[1]} == "lib-version: "* ]]
        [[ ${lines[2]} == "build date: "* ]]
        [[ ${lines[3]} == "build revision: "* ]]
        [[ ${lines[4]} == "build compiler: "* ]]
}

@test "--help lists the commands; usage errors exit 1 with the hint" {
        run "$CLI" --help
        [ "$status" -eq 0 ]
        [[ $output == *"info"*"list"* ]]
        run "$CLI"
        [ "$status" -eq 1 ]
        [[ $output == *"Try \`nvidia-container-cli --help'"* ]]
        run "$CLI" frobnicate
        [ "$status" -eq 1 ]
        [[ $output == *"unknown command: frobnicate"* ]]
        run "$CLI" --bogus info
        [ "$status" -eq 1 ]
        run "$CLI" --user=root info
        [ "$status" -eq 1 ]
        run "$CLI" --root=relative/path info
        [ "$status" -eq 1 ]
        [ "$output" = "nvidia-container-cli: input error: root: path must be absolute: relative/path" ]
        run cli_on "$SCRATCH/h" info --format=yaml
        [ "$status" -eq 1 ]
}

@test "--debug=FILE writes a glog-style log" {
        run "$CLI" --debug="$SCRATCH/debug.log" --root="$SCRATCH/h/root" \
                --proc-root="$SCRATCH/h/proc" --cache-dir= list
        [ "$status" -eq 0 ]
        grep -qE '^[DIWE][0-9]{4} [0-9:.]{15} [0-9]+ [a-z-]+\.c:[0-9]+\] ' "$SCRATCH/debug.log"
        NVC_DEBUG_FILE="$SCRATCH/env.log" run cli_on "$SCRATCH/h" list
        [ -s "$SCRATCH/env.log" ]
}

@test "info --help and list --help print their options and exit 0 (no driver needed)" {
        run "$CLI" info --help
        [ "$status" -eq 0 ]
        [[ $output == "Usage: nvidia-container-cli info [OPTION...]"* ]]
        [[ $output == *"--csv"*"--format=FORMAT"* ]]
        run "$CLI" list --help
        [ "$status" -eq 0 ]
        [[ $output == "Usage: nvidia-container-cli list [OPTION...]"* ]]
        [[ $output == *"--libraries"*"--no-fabricmanager"* ]]
        run "$CLI" info --bogus
        [ "$status" -eq 1 ]
        [[ $output == *"unrecognized option '--bogus'"* ]]
}

@test "--user runs the NVML helper as that user; bare -u is the caller" {
        run cli_on "$SCRATCH/h" --user=65534:65534 info
        [ "$status" -eq 0 ]
        [[ $output == *"CUDA version:   $(sim_fact "$SCRATCH/h" SIM_CUDA_VERSION)"* ]]
        run cli_on "$SCRATCH/h" -u info
        [ "$status" -eq 0 ]
}

@test "--load-kmods creates the missing host nodes with the majors of /proc/devices" {
        local dev=$SCRATCH/dev i minor
        mkdir -p "$dev"
        run "$CLI" --load-kmods --root="$SCRATCH/h/root" --proc-root="$SCRATCH/h/proc" \
                --dev-root="$dev" --cache-dir= info
        [ "$status" -eq 0 ]
        # No NVIDIA module on this machine: modprobe fails, as a warning only.
        [[ $output == *"warning: could not load kernel module nvidia"* ]]
        [ "$(stat -c '%F %t:%T %a' "$dev/nvidiactl")" = "character special file c3:ff 666" ]
        [ "$(stat -c '%t:%T' "$dev/nvidia-uvm")" = "ee:0" ]
        [ "$(stat -c '%t:%T' "$dev/nvidia-uvm-tools")" = "ee:1" ]
        for i in 0 1 2 3 4 5 6 7; do
                minor=$(sim_fact "$SCRATCH/h" SIM_GPU${i}_MINOR)
                [ "$(stat -c '%t:%T' "$dev/nvidia$minor")" = "c3:$(printf %x "$minor")" ]
        done
        # A second run leaves the existing nodes alone.
        run "$CLI" --load-kmods --root="$SCRATCH/h/root" --proc-root="$SCRATCH/h/proc" \
                --dev-root="$dev" --cache-dir= info
        [ "$status" -eq 0 ]
        [[ $output != *"created"* ]]
}

@test "configure --load-kmods asks modprobe only for what its capabilities use (uvm: compute/video, modeset: display)" {
        local dev=$SCRATCH/dev-caps
        mkdir -p "$dev"
        # An unknown device stops configure after the modules, before any container is needed.
        for case in "--utility|nvidia|nvidia_uvm nvidia_modeset" \
                "--compute|nvidia nvidia_uvm|nvidia_modeset" \
                "--video --display|nvidia nvidia_uvm nvidia_modeset|"; do
                IFS='|' read -r caps want notwant <<<"$case"
                # shellcheck disable=SC2086
                run "$CLI" --load-kmods --root="$SCRATCH/h/root" --proc-root="$SCRATCH/h/proc" \
                        --dev-root="$dev" --cache-dir= configure $caps --device=99 --pid=1 /nonexistent
                echo "[$caps] $output"
                [ "$status" -ne 0 ]
                [[ $output == *"unknown device"* ]]
                for m in $want; do
                        [[ $output == *"could not load kernel module $m"$'\n'* || $output == *"could not load kernel module $m" ]]
                done
                for m in $notwant; do
                        [[ $output != *"could not load kernel module $m"* ]]
                done
        done
}
