#!/usr/bin/env bats
# nvidia-container-cli list, with each of its options, on every layout.

load helpers

setup_file() {
        export SCRATCH
        SCRATCH=$(scratch_dir)
        make_sim debian1 --layout debian --gpus 1
        make_sim local8 --layout local-nvidia --gpus 8 --mig
        make_sim droot --layout driver-root --gpus 8
        make_sim mismatch --layout debian --gpus 1 --mismatch-lib libnvidia-ml
}

teardown_file() {
        rm -rf "$SCRATCH"
}

# Index of the first output line matching a regex (fails when absent).
line_of() {
        local i
        for i in "${!lines[@]}"; do
                if [[ ${lines[$i]} =~ $1 ]]; then
                        echo "$i"
                        return 0
                fi
        done
        echo "no line matches $1" >&2
        return 1
}

@test "list: default lists devices, binaries, libraries, 32-bit libraries, ipcs, firmware in order" {
        local sim=$SCRATCH/debian1 v
        v=$(sim_fact "$sim" SIM_DRIVER_VERSION)
        run cli_on "$sim" list
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = /dev/nvidiactl ]
        [ "${lines[1]}" = /dev/nvidia-uvm ]
        [ "${lines[2]}" = /dev/nvidia-uvm-tools ]
        [ "${lines[3]}" = /dev/nvidia-modeset ]
        [ "${lines[4]}" = "/dev/nvidia$(sim_fact "$sim" SIM_GPU0_MINOR)" ]
        dev=$(line_of '^/dev/nvidia[0-9]+$')
        bin=$(line_of '^/usr/bin/nvidia-smi$')
        lib=$(line_of "^/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.$v\$")
        lib32=$(line_of "^/usr/lib/i386-linux-gnu/libcuda.so.$v\$")
        ipc=$(line_of '^/run/nvidia-persistenced/socket$')
        fw=$(line_of "/firmware/nvidia/$v/gsp_.*\\.bin\$")
        ((dev < bin && bin < lib && lib < lib32 && lib32 < ipc && ipc < fw))
        line_of "^/usr/lib/x86_64-linux-gnu/libcuda.so.$v\$"
        line_of "^/usr/lib/x86_64-linux-gnu/vdpau/libvdpau_nvidia.so.$v\$"
        line_of "^/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.$v\$"
        line_of '^/usr/bin/nvidia-cuda-mps-control$'
        ! line_of 'libGL\.so\.1'
}

@test "list: /usr/local/nvidia layout finds libraries, binaries and firmware there" {
        local sim=$SCRATCH/local8 v
        v=$(sim_fact "$sim" SIM_DRIVER_VERSION)
        run cli_on "$sim" list
        [ "$status" -eq 0 ]
        line_of "^/usr/local/nvidia/lib64/libcuda.so.$v\$"
        line_of "^/usr/local/nvidia/lib64/libnvidia-ml.so.$v\$"
        line_of '^/usr/local/nvidia/bin/nvidia-smi$'
        line_of '^/usr/local/nvidia/bin/nvidia-persistenced$'
        line_of "^/usr/local/nvidia/firmware/nvidia/$v/gsp_ga10x.bin\$"
        line_of '^/run/nvidia-fabricmanager/socket$'
        [ "$(printf '%s\n' "$output" | grep -c '^/dev/nvidia[0-9]*$')" -eq 8 ]
}

@test "list: a driver under --root prints paths inside the root" {
        local sim=$SCRATCH/droot v
        v=$(sim_fact "$sim" SIM_DRIVER_VERSION)
        run cli_on "$sim" list -l
        [ "$status" -eq 0 ]
        line_of "^/usr/lib64/libcuda.so.$v\$"
        ! line_of "$SCRATCH"
}

@test "list -l / -b / -i / -f: one class each, no devices" {
        local sim=$SCRATCH/debian1
        run cli_on "$sim" list -l
        [ "$status" -eq 0 ]
        ! line_of '^/dev/'
        ! line_of '^/usr/bin/'
        ! line_of 'i386-linux-gnu'
        line_of 'libcuda\.so\.'
        run cli_on "$sim" list --binaries
        [ "$status" -eq 0 ]
        for l in "${lines[@]}"; do [[ $l == /usr/bin/* ]]; done
        run cli_on "$sim" list --ipcs
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = /run/nvidia-persistenced/socket ]
        run cli_on "$sim" list --firmwares
        [ "$status" -eq 0 ]
        for l in "${lines[@]}"; do [[ $l == */firmware/nvidia/*/gsp_*.bin ]]; done
        [ "${#lines[@]}" -ge 1 ]
}

@test "list -l --compat32 adds the 32-bit libraries" {
        run cli_on "$SCRATCH/debian1" list -l --compat32
        [ "$status" -eq 0 ]
        line_of '^/usr/lib/i386-linux-gnu/libcuda\.so\.'
        line_of '^/usr/lib/i386-linux-gnu/libnvidia-ml\.so\.'
}

@test "list --device: by index, UUID, UUID prefix, PCI bus id, several" {
        local sim=$SCRATCH/local8
        run cli_on "$sim" list --device=3
        [ "$status" -eq 0 ]
        [ "${lines[4]}" = "/dev/nvidia$(sim_fact "$sim" SIM_GPU3_MINOR)" ]
        [ "${#lines[@]}" -eq 5 ]
        run cli_on "$sim" list -d "$(sim_fact "$sim" SIM_GPU5_UUID)"
        [ "${lines[4]}" = "/dev/nvidia$(sim_fact "$sim" SIM_GPU5_MINOR)" ]
        uuid=$(sim_fact "$sim" SIM_GPU6_UUID)
        run cli_on "$sim" list -d "${uuid:0:30}"
        [ "${lines[4]}" = "/dev/nvidia$(sim_fact "$sim" SIM_GPU6_MINOR)" ]
        run cli_on "$sim" list -d "$(sim_fact "$sim" SIM_GPU2_BUS)"
        [ "${lines[4]}" = "/dev/nvidia$(sim_fact "$sim" SIM_GPU2_MINOR)" ]
        run cli_on "$sim" list -d 7 -d 1
        [ "$status" -eq 0 ]
        [ "${lines[4]}" = "/dev/nvidia$(sim_fact "$sim" SIM_GPU1_MINOR)" ]
        [ "${lines[5]}" = "/dev/nvidia$(sim_fact "$sim" SIM_GPU7_MINOR)" ]
}

@test "list --device: MIG devices list their gi/ci access files" {
        local sim=$SCRATCH/local8 minor
        minor=$(sim_fact "$sim" SIM_GPU0_MINOR)
        run cli_on "$sim" list -d 0:0
        [ "$status" -eq 0 ]
        [ "${lines[4]}" = "/dev/nvidia$minor" ]
        line_of "^/proc/driver/nvidia/capabilities/gpu$minor/mig/gi[0-9]+/access\$"
        line_of "^/proc/driver/nvidia/capabilities/gpu$minor/mig/gi[0-9]+/ci[0-9]+/access\$"
        line_of '^/dev/nvidia-caps/nvidia-cap[0-9]+$'
}

@test "list --device=MIG-<uuid> asks NVML for MIG UUIDs" {
        local sim=$SCRATCH/local8 mig
        mig=$(cli_on "$sim" info --format=json | python3 -c 'import json,sys; print(json.load(sys.stdin)["devices"][0]["mig_devices"][1]["uuid"])')
        run cli_on "$sim" list -d "$mig"
        [ "$status" -eq 0 ]
        [ "${lines[4]}" = "/dev/nvidia$(sim_fact "$sim" SIM_GPU0_MINOR)" ]
        line_of '/ci[0-9]+/access$'
}

@test "list --device with an unknown id is a device error, exit 1" {
        run cli_on "$SCRATCH/local8" list -d 8
        [ "$status" -eq 1 ]
        [ "$output" = "nvidia-container-cli: device error: 8: unknown device" ]
        run cli_on "$SCRATCH/local8" list -d GPU-nope
        [ "$status" -eq 1 ]
        [ "$output" = "nvidia-container-cli: device error: GPU-nope: unknown device" ]
}

@test "list --mig-config / --mig-monitor: only 'all', with the config and per-GPU files" {
        local sim=$SCRATCH/local8
        run cli_on "$sim" list --mig-config=all -d 0
        [ "$status" -eq 0 ]
        line_of '^/proc/driver/nvidia/capabilities/mig/config$'
        line_of "^/proc/driver/nvidia/capabilities/gpu$(sim_fact "$sim" SIM_GPU0_MINOR)/mig\$"
        run cli_on "$sim" list --mig-monitor=all -d 0
        [ "$status" -eq 0 ]
        line_of '^/proc/driver/nvidia/capabilities/mig/monitor$'
        run cli_on "$sim" list --mig-config=0
        [ "$status" -eq 1 ]
        [ "$output" = "nvidia-container-cli: mig-config error: only 'all' devices are currently supported" ]
}

@test "list --imex-channel: channel nodes; out-of-range values rejected" {
        run cli_on "$SCRATCH/debian1" list --imex-channel=0,7
        [ "$status" -eq 0 ]
        line_of '^/dev/nvidia-caps-imex-channels/channel0$'
        line_of '^/dev/nvidia-caps-imex-channels/channel7$'
        line_of 'libcuda\.so\.'
        run cli_on "$SCRATCH/debian1" list --imex-channel=1048576
        [ "$status" -eq 1 ]
        [[ $output == *"unsupported IMEX channel value: 1048576"* ]]
}

@test "list --no-persistenced / --no-fabricmanager drop their sockets" {
        run cli_on "$SCRATCH/local8" list -i
        line_of '^/run/nvidia-persistenced/socket$'
        line_of '^/run/nvidia-fabricmanager/socket$'
        run cli_on "$SCRATCH/local8" list -i --no-persistenced --no-fabricmanager
        [ "$status" -eq 0 ]
        ! line_of 'persistenced'
        ! line_of 'fabricmanager'
}

@test "list: libraries whose version differs from the kernel module are skipped with a warning" {
        local sim=$SCRATCH/mismatch
        run cli_on "$sim" list -l
        [ "$status" -eq 0 ]
        ! line_of '^/usr/lib/x86_64-linux-gnu/libnvidia-ml\.so'
        line_of 'libcuda\.so\.'
        line_of '^nvidia-container-cli: warning: /usr/lib/x86_64-linux-gnu/libnvidia-ml\.so\.[0-9.]+: version does not match'
}

@test "list: a corrupt ld.so.cache is a clear error, exit 1" {
        local sim=$SCRATCH/corrupt
        make_sim corrupt --layout debian --gpus 1
        head -c 100 "$sim/root/etc/ld.so.cache" >"$sim/cut"
        cp "$sim/cut" "$sim/root/etc/ld.so.cache"
        run cli_on "$sim" list
        [ "$status" -eq 1 ]
        [[ $output == "nvidia-container-cli: detection error: /etc/ld.so.cache: "* ]]
        printf 'garbage garbage garbage garbage garbage garbage\n' >"$sim/root/etc/ld.so.cache"
        run cli_on "$sim" list
        [ "$status" -eq 1 ]
        [[ $output == *"/etc/ld.so.cache"*"unsupported file format"* ]]
}

@test "list --ldcache points at another cache inside the root" {
        local sim=$SCRATCH/altcache
        make_sim altcache --layout debian --gpus 1
        mv "$sim/root/etc/ld.so.cache" "$sim/root/etc/other.cache"
        printf 'garbage\n' >"$sim/root/etc/ld.so.cache"
        run cli_on "$sim" --ldcache=/etc/other.cache list -l
        [ "$status" -eq 0 ]
        line_of 'libcuda\.so\.'
        # Global options must precede the command, as with the reference.
        run cli_on "$sim" list -l --ldcache=/etc/other.cache
        [ "$status" -eq 1 ]
        [[ $output == *"unrecognized option '--ldcache=/etc/other.cache'"* ]]
}

@test "list: runs unmodified on the simulated host laid over the real paths" {
        local v
        v=$(sim_fact "$SCRATCH/local8" SIM_DRIVER_VERSION)
        run "$FIXTURES/simhost-enter" "$SCRATCH/local8" -- "$CLI" list
        [ "$status" -eq 0 ]
        line_of "^/usr/local/nvidia/lib64/libcuda.so.$v\$"
        line_of '^/usr/local/nvidia/bin/nvidia-smi$'
        line_of '^/dev/nvidiactl$'
        run "$FIXTURES/simhost-enter" "$SCRATCH/debian1" -- "$CLI" list -l
        [ "$status" -eq 0 ]
        line_of "^/usr/lib/x86_64-linux-gnu/libcuda.so.$(sim_fact "$SCRATCH/debian1" SIM_DRIVER_VERSION)\$"
}
