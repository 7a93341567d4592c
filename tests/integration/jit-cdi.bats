#!/usr/bin/env bats
# The spec path (jit-cdi): nvidia-container-runtime writes the container's
# plan into config.json (mounts, linux.devices, device cgroup rules,
# createContainer hooks of nvidia-cdi-hook with their own env) and runc does
# the work. On the 8-GPU simulated host laid over the real paths
# (simhost-enter), with the real runc. Needs root, runc, busybox-static, jq.

load containers

RUNTIME=$NVCR_BUILD_DIR/cmd/runtime/nvidia-container-runtime
HOOK=$NVCR_BUILD_DIR/cmd/hook/nvidia-container-runtime-hook
CDIHOOK=$NVCR_BUILD_DIR/cmd/cdi-hook/nvidia-cdi-hook

setup_file() {
        containers_setup_file --gpus 8
        # What an install puts on the engine's PATH: the legacy hook and nvidia-cdi-hook.
        mkdir -p "$SCRATCH/bin"
        ln -sf "$HOOK" "$SCRATCH/bin/nvidia-container-runtime-hook"
        ln -sf "$CDIHOOK" "$SCRATCH/bin/nvidia-cdi-hook"
        for mode in jit-cdi legacy auto; do
                printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nmode = "%s"\nruntimes = ["%s"]\n' \
                        "$mode" "$RUNC" >"$SCRATCH/$mode.toml"
                chmod 0644 "$SCRATCH/$mode.toml"
        done
        printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["/bin/true"]\n' \
                >"$SCRATCH/dry.toml"
        chmod 0644 "$SCRATCH/dry.toml"
}

teardown_file() {
        containers_teardown_file
}

setup() {
        [ -x "$RUNTIME" ] && [ -x "$CDIHOOK" ] || skip "runtime/nvidia-cdi-hook not built"
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        a0_setup
}

teardown() {
        teardown_containers
}

# gpu_bundle BUNDLE ENV_JSON_ARRAY [ARGS_JSON]: the simulated procfs hook only.
gpu_bundle() {
        local b=$1 env=$2 args=${3:-'["/bin/true"]'}
        make_bundle "$b" --no-configure --args "$args" || return 1
        jq --argjson e "$env" '.process.env += $e' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
}

# rt MODE BUNDLE [RUNTIME ARGS…]: `nvidia-container-runtime run` with MODE's config.
rt() {
        local mode=$1 b=$2
        shift 2
        timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- env PATH="$SCRATCH/bin:$PATH" \
                NVIDIA_CTK_CONFIG_FILE_PATH="$SCRATCH/$mode.toml" "$RUNTIME" "$@" run -b "$b" "$(new_ctr_id jit)" </dev/null
}

@test "jit-cdi: config.json gets the plan as mounts, devices, cgroup rules and createContainer hooks with env" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=2"]'
        jq --arg h "$HOOK" '.hooks.prestart += [{path:$h, args:["nvidia-container-runtime-hook","prestart"]}]' \
                "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        run rt dry "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        c=$T/b/config.json
        # GPU 2 is minor 0 on the simulated host; control and UVM nodes too.
        [ "$(jq -r '[.linux.devices[].path] | sort | join(" ")' "$c")" = "/dev/nvidia-uvm /dev/nvidia-uvm-tools /dev/nvidia0 /dev/nvidiactl" ]
        jq -e '.linux.resources.devices[] | select(.allow and .type == "c" and .minor == 0 and .access == "rw")' "$c"
        jq -e '[.mounts[] | select(.destination == "/usr/lib/x86_64-linux-gnu/libcuda.so.'"$DRV"'")][0].options == ["ro","nosuid","nodev","rbind","rprivate"]' "$c"
        jq -e '[.mounts[] | select(.destination == "/usr/bin/nvidia-smi")] | length == 1' "$c"
        # Every hook we add carries its own env; the legacy hook Docker's --gpus added is gone.
        jq -e '[.hooks.createContainer[] | select(.env == null)] | length == 0' "$c"
        jq -e '[.hooks.createContainer[].args[1]] == ["create-symlinks","enable-cuda-compat","update-ldcache","disable-device-node-modification"]' "$c"
        jq -e '[.hooks.prestart[] | select(.path | test("nvidia-container-runtime-hook$"))] | length == 0' "$c"
        jq -e '.process.env | index("NVIDIA_VISIBLE_DEVICES=void") != null' "$c"
        a0_check
}
