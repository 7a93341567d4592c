#!/usr/bin/env bats
# `nvidia-ctk cdi generate` and `cdi list` on the 8-GPU simulated host, and
# podman 4.3 (Debian) running containers from the generated spec with
# `--device nvidia.com/gpu=…`, once from a YAML spec and once from a JSON one.
#
# Podman 4.3 reads CDI specs only from /etc/cdi and /var/run/cdi (no
# cdi_spec_dirs in containers.conf before 4.5), so every podman call runs in
# the simulated host's namespace (engines/ns-enter.sh) with one more mount
# there: an overlay on /etc whose upper dir is the test's scratch dir, in
# which /etc/cdi holds just the spec under test. The host's /etc, /run and
# /dev are never written; the namespace, and with it every mount, ends with
# the command.
#
# The spec's hooks name our nvidia-cdi-hook (build dir). Where that binary
# cannot run its `noop` hook (a build without lib/cdihook), the specs name a
# scratch no-op script instead and the symlink check is left out.
# Needs root, runc, busybox-static, jq; installs podman when missing.

load engines
bats_require_minimum_version 1.5.0

CTK=$NVCR_BUILD_DIR/cmd/ctk/nvidia-ctk
CDIHOOK=$NVCR_BUILD_DIR/cmd/cdi-hook/nvidia-cdi-hook

# in_sim CMD…: CMD in the simulated host's namespace (driver at the real paths).
in_sim() {
        timeout 90 "$ENGINES/ns-enter.sh" "$SIM" "$SCRATCH/config.toml" -- "$@" </dev/null
}

# gen ARGS…: `nvidia-ctk cdi generate` in the simulated host; the NVML cache off
# (it would live under the host's /run).
gen() {
        in_sim "$CTK" cdi generate --cache-dir= --nvidia-cdi-hook-path "$CDI_HOOK_PATH" "$@"
}

setup_file() {
        engines_setup_file
        [ -x "$CTK" ] || skip "nvidia-ctk not built"
        engine_install podman podman conmon
        [ -x "$RUNC" ] || skip "no runc at $RUNC"
        export PD=$SCRATCH/podman
        "$ENGINES/podman-conf.sh" "$PD" "$HOOK"
        export CDI_HOOK_PATH=$CDIHOOK HOOK_WORKS=1
        if ! [ -x "$CDIHOOK" ] || ! echo '{}' | "$CDIHOOK" noop >/dev/null 2>&1; then
                CDI_HOOK_PATH=$SCRATCH/bin/cdi-hook-noop
                HOOK_WORKS=0
                printf '#!/bin/sh\nexit 0\n' >"$CDI_HOOK_PATH"
                chmod 0755 "$CDI_HOOK_PATH"
                echo "# nvidia-cdi-hook not usable: specs name a no-op hook" >&3
        fi
        export SPECS=$SCRATCH/specs
        mkdir -p "$SPECS"
        gen --output "$SPECS/nvidia.yaml" 2>"$SPECS/gen-yaml.err" ||
                { cat "$SPECS/gen-yaml.err" >&2; return 1; }
        gen --format json --output "$SPECS/nvidia" 2>"$SPECS/gen-json.err" ||
                { cat "$SPECS/gen-json.err" >&2; return 1; }
}

teardown_file() {
        [ -z "${PD:-}" ] || remove_cgroups "$ENGINE_TAG"
        containers_teardown_file
}

setup() {
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
}

# pod_cdi SPEC ARGS…: `podman run --rm ARGS…` in the simulated host's
# namespace, with SPEC the only file in /etc/cdi (see the header).
pod_cdi() {
        local spec=$1
        shift
        mkdir -p "$T/etc/upper" "$T/etc/work"
        [ -d "$T/rootfs" ] || mk_rootfs "$T/rootfs" debian
        # shellcheck disable=SC2016 # expanded by the inner shell
        timeout 120 "$ENGINES/ns-enter.sh" "$SIM" "$SCRATCH/config.toml" -- \
                sh -ec 'w=$1 spec=$2 pd=$3 bin=$4
                        shift 4
                        mount -t overlay nvcr-cdi-etc -o "lowerdir=/etc,upperdir=$w/upper,workdir=$w/work" /etc
                        rm -rf /etc/cdi && mkdir -m 0755 /etc/cdi
                        if [ -d /var/run/cdi ]; then mount -t tmpfs nvcr-cdi-run /var/run/cdi; fi
                        cp "$spec" /etc/cdi/
                        exec env CONTAINERS_CONF="$pd/containers.conf" PATH="$bin:/usr/sbin:/usr/bin:/sbin:/bin" \
                                podman --root "$pd/root" --runroot "$pd/runroot" --tmpdir "$pd/tmp" "$@"' \
                sh "$T/etc" "$spec" "$PD" "$SCRATCH/bin" \
                run --rm --network none --cgroup-parent "/$ENGINE_TAG" "$@" </dev/null
}

# The default caps of a CDI spec are all of them: driver files, the control
# nodes (modeset included), nvidia-smi; libcuda's soname link when the hook ran.
assert_cdi_gpus() {
        check_eq devs "$1" &&
                check_eq ctl "nvidia-modeset nvidia-uvm nvidia-uvm-tools nvidiactl" &&
                check_eq libs "libcuda.so.$DRV libnvidia-ml.so.$DRV" && check_eq smi yes &&
                check_eq ro ro &&
                { [ "$HOOK_WORKS" = 0 ] || check_eq link "libcuda.so.$DRV"; }
}

@test "cdi generate: 8 GPUs by index and UUID plus all, cdiVersion 0.5.0, driver files and hooks" {
        local f=$SPECS/nvidia.yaml
        run jq -r '.cdiVersion, .kind' "$SPECS/nvidia.json"
        [ "${lines[0]}" = 0.5.0 ] && [ "${lines[1]}" = nvidia.com/gpu ]
        run jq -r '[.devices[].name] | join(" ")' "$SPECS/nvidia.json"
        echo "$output"
        [[ "$output" =~ ^0\ GPU-[0-9a-f-]+\ 1\ GPU-.*\ 7\ GPU-[0-9a-f-]+\ all$ ]]
        run jq '.devices | length' "$SPECS/nvidia.json"
        [ "$output" = 17 ]
        # GPU index 0 is the lowest bus id, minor 4 on this host.
        run jq -r '.devices[0].containerEdits.deviceNodes[].path' "$SPECS/nvidia.json"
        [ "$output" = /dev/nvidia4 ]
        run jq -r '.devices[16].containerEdits.deviceNodes | length' "$SPECS/nvidia.json"
        [ "$output" = 8 ]
        run jq -r '.containerEdits.deviceNodes[].path' "$SPECS/nvidia.json"
        [[ "$output" == *"/dev/nvidiactl"* ]] && [[ "$output" == *"/dev/nvidia-uvm"* ]]
        run jq -r '.containerEdits.env[]' "$SPECS/nvidia.json"
        [[ "$output" == *"NVIDIA_VISIBLE_DEVICES=void"* ]]
        run jq -r --arg d "$DRV" '.containerEdits.mounts[].containerPath | select(endswith("libcuda.so." + $d))' \
                "$SPECS/nvidia.json"
        [ -n "$output" ]
        run jq -r '[.containerEdits.hooks[] | .hookName + " " + .path + " " + .args[1]] | unique | join(",")' \
                "$SPECS/nvidia.json"
        echo "$output"
        [[ "$output" == *"createContainer $CDI_HOOK_PATH create-symlinks"* ]]
        # The YAML says the same (the test binary reads both back).
        grep -q '^cdiVersion: 0.5.0$' "$f" && grep -q '^kind: nvidia.com/gpu$' "$f"
        grep -q '^- name: "0"$' "$f" && grep -q '^- name: all$' "$f"
        # Logged as the reference does.
        grep -q 'Generated CDI spec with version 0.5.0' "$SPECS/gen-yaml.err"
}

@test "cdi generate: --format json without extension writes NAME.json atomically, no temp file left" {
        [ -f "$SPECS/nvidia.json" ] && [ ! -e "$SPECS/nvidia" ]
        run ls -A "$SPECS"
        [ "$(echo "$output" | grep -c '^\.')" = 0 ]
}

@test "cdi generate: --device-name-strategy type-index, --no-all-device, --vendor/--class" {
        run gen --device-name-strategy type-index --no-all-device --vendor example.com --class acc --format json
        [ "$status" -eq 0 ]
        local j
        j=$(echo "$output" | sed -n '/^{/,$p')
        [ "$(jq -r .kind <<<"$j")" = example.com/acc ]
        [ "$(jq -r '[.devices[].name] | join(" ")' <<<"$j")" = "gpu0 gpu1 gpu2 gpu3 gpu4 gpu5 gpu6 gpu7" ]
}

@test "cdi generate: bad --mode, --format, strategy and flags are errors" {
        run "$CTK" cdi generate --mode wsl
        [ "$status" -eq 1 ] && [[ "$output" == *"invalid discovery mode: wsl"* ]]
        run "$CTK" cdi generate --format toml
        [ "$status" -eq 1 ] && [[ "$output" == *"invalid output format: toml"* ]]
        run "$CTK" cdi generate --device-name-strategy name
        [ "$status" -eq 1 ] && [[ "$output" == *"invalid device name strategy: name"* ]]
        run "$CTK" cdi generate --nope
        [ "$status" -eq 1 ] && [[ "$output" == *"flag provided but not defined: --nope"* ]]
        run "$CTK" cdi generate --vendor 'a b'
        [ "$status" -eq 1 ] && [[ "$output" == *"invalid"* ]]
}

@test "cdi list: Found 17 CDI devices, then every name" {
        mkdir -p "$T/d"
        cp "$SPECS/nvidia.yaml" "$T/d/"
        run --separate-stderr "$CTK" cdi list --spec-dir "$T/d"
        [ "$status" -eq 0 ]
        [[ "$stderr" == *'Found 17 CDI devices'* ]]
        [ "${#lines[@]}" = 17 ]
        [ "${lines[0]}" = nvidia.com/gpu=0 ]
        [ "${lines[7]}" = nvidia.com/gpu=7 ]
        [[ "${lines[8]}" == nvidia.com/gpu=GPU-* ]]
        [ "${lines[16]}" = nvidia.com/gpu=all ]
}

@test "cdi list: a broken spec is skipped with a warning, the others listed; missing dir is empty" {
        mkdir -p "$T/d"
        cp "$SPECS/nvidia.json" "$T/d/"
        printf 'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: x\n  containerEdits:\n    deviceNodes: [{path: /dev/../etc/shadow}]\n' >"$T/d/evil.yaml"
        run --separate-stderr "$CTK" cdi list --spec-dir "$T/d"
        [ "$status" -eq 0 ]
        [[ "$stderr" == *'evil.yaml: device \"x\": device node path \"/dev/../etc/shadow\" has a \"..\" component'* ]]
        [ "${#lines[@]}" = 17 ]
        run --separate-stderr "$CTK" cdi list --spec-dir "$T/none"
        [ "$status" -eq 0 ] && [ -z "$output" ] && [[ "$stderr" == *'Found 0 CDI devices'* ]]
}

@test "podman: --device nvidia.com/gpu=all from the YAML spec sees all 8 GPUs and the driver" {
        run pod_cdi "$SPECS/nvidia.yaml" --device nvidia.com/gpu=all --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_cdi_gpus "nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7"
        check_eq node4 c3:4
}

@test "podman: --device nvidia.com/gpu=0 from the YAML spec sees GPU 0 (nvidia4) only" {
        run pod_cdi "$SPECS/nvidia.yaml" --device nvidia.com/gpu=0 --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_cdi_gpus nvidia4
}

@test "podman: --device nvidia.com/gpu=all from the JSON spec sees all 8 GPUs and the driver" {
        run pod_cdi "$SPECS/nvidia.json" --device nvidia.com/gpu=all --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_cdi_gpus "nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7"
}

@test "podman: --device nvidia.com/gpu=<UUID of GPU 1> from the JSON spec sees nvidia6 only" {
        local uuid
        uuid=$(jq -r '.devices[3].name' "$SPECS/nvidia.json")
        [[ "$uuid" == GPU-* ]]
        run pod_cdi "$SPECS/nvidia.json" --device "nvidia.com/gpu=$uuid" --rootfs "$T/rootfs" sh -c "$GPU_REPORT"
        echo "$output"
        [ "$status" -eq 0 ]
        assert_cdi_gpus nvidia6
}

@test "podman: --device nvidia.com/gpu=99 is an error, no container runs" {
        run pod_cdi "$SPECS/nvidia.yaml" --device nvidia.com/gpu=99 --rootfs "$T/rootfs" sh -c 'echo started=1'
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"unresolvable CDI devices nvidia.com/gpu=99"* ]]
        [[ "$output" != *"started=1"* ]]
}

@test "three paths, one plan: legacy hook, jit-cdi spec and the CDI spec through podman give the same nodes, files and links (GPUs 0,2, NVIDIA_DRIVER_CAPABILITIES=all)" {
        [ "$HOOK_WORKS" = 1 ] || skip "nvidia-cdi-hook not usable"
        # The runtime finds nvidia-cdi-hook on its PATH for jit-cdi.
        ln -sf "$CDIHOOK" "$SCRATCH/bin/nvidia-cdi-hook"
        for mode in legacy jit-cdi; do
                printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nmode = "%s"\nruntimes = ["%s"]\n' \
                        "$mode" "$RUNC" >"$T/$mode.toml"
                mk_rootfs "$T/rootfs-$mode" debian
                run timeout 120 "$ENGINES/ns-enter.sh" "$SIM" "$T/$mode.toml" -- \
                        env CONTAINERS_CONF="$PD/containers.conf" PATH="$SCRATCH/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
                        podman --root "$PD/root" --runroot "$PD/runroot" --tmpdir "$PD/tmp" \
                        run --rm --network none --cgroup-parent "/$ENGINE_TAG" --runtime "$RUNTIME" \
                        -e NVIDIA_VISIBLE_DEVICES=0,2 -e NVIDIA_DRIVER_CAPABILITIES=all \
                        --rootfs "$T/rootfs-$mode" sh -c "$GPU_LIST_SCRIPT" </dev/null
                echo "[$mode] status $status"
                [ "$status" -eq 0 ]
                printf '%s\n' "$output" | grep -E '^[LCF] ' >"$T/$mode.list"
        done
        run pod_cdi "$SPECS/nvidia.yaml" --device nvidia.com/gpu=0 --device nvidia.com/gpu=2 \
                --rootfs "$T/rootfs" sh -c "$GPU_LIST_SCRIPT"
        echo "[cdi] status $status"
        [ "$status" -eq 0 ]
        printf '%s\n' "$output" | grep -E '^[LCF] ' >"$T/cdi.list"
        rm -f "$SCRATCH/bin/nvidia-cdi-hook"
        wc -l "$T"/*.list
        diff -u "$T/legacy.list" "$T/jit-cdi.list"
        diff -u "$T/legacy.list" "$T/cdi.list"
        # It is the GPU: GPU 0 is nvidia4, GPU 2 nvidia0; libcuda; nvidia-smi.
        grep -q '^C /dev/nvidia4 c3:4$' "$T/cdi.list"
        grep -q '^C /dev/nvidia0 c3:0$' "$T/cdi.list"
        grep -q "^F /usr/lib/x86_64-linux-gnu/libcuda.so.$DRV$" "$T/cdi.list"
        grep -q '^F /usr/bin/nvidia-smi$' "$T/cdi.list"
}
