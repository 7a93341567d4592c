#!/usr/bin/env bats
# nvidia-container-runtime's front (cmd/runtime/front.c): containers that
# cannot ask for a GPU go straight to runc without the full runtime; every
# way of asking reaches the full runtime; the early-start state it hands
# over cannot be forged from the engine's environment. On the simulated
# host (simhost-enter) with the real runc. Needs root, runc, jq.

load containers

FRONT=$NVCR_BUILD_DIR/cmd/runtime/nvidia-container-runtime
FULL=$NVCR_BUILD_DIR/cmd/runtime/nvidia-container-runtime-full
CDIHOOK=$NVCR_BUILD_DIR/cmd/cdi-hook/nvidia-cdi-hook

setup_file() {
        containers_setup_file --gpus 2
        mkdir -p "$SCRATCH/bin" "$SCRATCH/alone"
        ln -sf "$CDIHOOK" "$SCRATCH/bin/nvidia-cdi-hook"
        # The front without the full runtime beside it.
        cp "$FRONT" "$SCRATCH/alone/nvidia-container-runtime"
        printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["%s"]\n' \
                "$RUNC" >"$SCRATCH/jit.toml"
        printf 'swarm-resource = "DOCKER_RESOURCE_GPU, OTHER_GPUS"\n[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["/bin/true"]\n' \
                >"$SCRATCH/dry.toml"
        chmod 0644 "$SCRATCH"/*.toml
}

teardown_file() {
        containers_teardown_file
}

setup() {
        [ -x "$FRONT" ] && [ -x "$FULL" ] || skip "runtime not built"
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
}

teardown() {
        teardown_containers
}

# bundle DIR ENV_JSON_ARRAY: a container printing "hello", with that env added.
bundle() {
        make_bundle "$1" --no-configure --args '["/bin/echo","hello"]' || return 1
        jq --argjson e "$2" '.process.env += $e' "$1/config.json" >"$1/c" && mv "$1/c" "$1/config.json"
}

# lifecycle RUNTIME CONFIG BUNDLE: create (--pid-file), start, delete through
# RUNTIME, in one simulated-host namespace, as containerd calls a runtime.
# stdout: the container's output, the runtime's messages, "rc N" per step.
lifecycle() {
        local rt=$1 cfg=$2 b=$3 id
        id=$(new_ctr_id fr)
        timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- env PATH="$SCRATCH/bin:$PATH" \
                NVIDIA_CTK_CONFIG_FILE_PATH="$cfg" /bin/sh -c '
                rt=$1 st=$2 b=$3 id=$4
                "$rt" --root "$st" create --pid-file "$st.pid" -b "$b" "$id" 2>&1; echo "create rc $?"
                "$rt" --root "$st" start "$id" 2>&1; echo "start rc $?"
                sleep 0.2
                "$rt" --root "$st" delete -f "$id" 2>&1; echo "delete rc $?"
                "$rt" --root "$st" list -q 2>&1; echo "list rc $?"' sh "$rt" "$T/state" "$b" "$id" </dev/null
}

@test "front: nvidia-container-runtime is a static program where musl-gcc is installed (no glibc start-up per call)" {
        command -v musl-gcc >/dev/null || skip "musl-gcc not installed: the front is built with the system libc"
        run readelf -d "$FRONT"
        [[ $output != *NEEDED* ]]
        run readelf -l "$FRONT"
        [[ $output != *INTERP* ]]
}

@test "front: a container that cannot ask for a GPU is created, started and deleted through runc without the full runtime" {
        strings "$FRONT" | grep -q '^/.*/nvidia-container-runtime-full$'
        installed=$(strings "$FRONT" | grep '^/.*/nvidia-container-runtime-full$' | head -1)
        [ ! -e "$installed" ] || skip "a full runtime is installed at $installed"
        bundle "$T/b" '["FOO=bar"]'
        cp "$T/b/config.json" "$T/orig.json"
        run lifecycle "$SCRATCH/alone/nvidia-container-runtime" "$SCRATCH/jit.toml" "$T/b"
        echo "$output"
        [[ $output == *"create rc 0"*"start rc 0"*"delete rc 0"*"list rc 0"* ]]
        [[ $output == *hello* ]]
        # Passed through untouched: runc read the original file.
        cmp "$T/orig.json" "$T/b/config.json"
}

@test "front: a container that may ask for a GPU, with no full runtime to run, fails at create naming it; config.json untouched, nothing left" {
        installed=$(strings "$FRONT" | grep '^/.*/nvidia-container-runtime-full$' | head -1)
        [ ! -e "$installed" ] || skip "a full runtime is installed at $installed"
        bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=all"]'
        cp "$T/b/config.json" "$T/orig.json"
        ino=$(stat -c %i "$T/b/config.json")
        run lifecycle "$SCRATCH/alone/nvidia-container-runtime" "$SCRATCH/jit.toml" "$T/b"
        echo "$output"
        [[ $output == *"nvidia-container-runtime: cannot run nvidia-container-runtime-full: No such file or directory"*"create rc 1"* ]]
        [[ $output != *hello* ]]
        cmp "$T/orig.json" "$T/b/config.json"
        [ "$(stat -c %i "$T/b/config.json")" = "$ino" ]
        [ "$(ls -A "$T/b" | tr '\n' ' ')" = "config.json rootfs " ]
        # runc never created it (list printed nothing before its rc).
        [[ $output == *"delete rc "*$'\n'"list rc 0" ]]
}

@test "front: every way of asking reaches the full runtime (escaped names, swarm-resource variables with blanks, annotations)" {
        # NVIDIA_VISIBLE_DEVICES spelled with a JSON escape: the bytes never show the name.
        make_bundle "$T/esc" --no-configure --args '["/bin/true"]'
        python3 - "$T/esc/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["env"].append("NVIDIA_VISIBLE_DEVICES=0")
s = json.dumps(c).replace("NVIDIA_VISIBLE_DEVICES", "NVIDIA\\u005fVISIBLE\\u005fDEVICES")
open(p, "w").write(s)
PY
        ! grep -q NVIDIA_ "$T/esc/config.json"
        # The second of two swarm-resource names (the config has a blank before it).
        bundle "$T/swarm" '["OTHER_GPUS=1"]'
        for b in esc swarm; do
                run timeout 60 "$FIXTURES/simhost-enter" "$SIM" -- env PATH="$SCRATCH/bin:$PATH" \
                        NVIDIA_CTK_CONFIG_FILE_PATH="$SCRATCH/dry.toml" "$FRONT" create -b "$T/$b" "x-$b"
                echo "$b: $output"
                [ "$status" -eq 0 ]
                jq -e '[.linux.devices[].path] | index("/dev/nvidia0") != null or index("/dev/nvidia1") != null' "$T/$b/config.json"
        done
}

@test "front: the early-start state cannot come from the engine's environment" {
        # Into the front: dropped (a container with no GPU runs as usual).
        bundle "$T/b" '["FOO=bar"]'
        cp "$T/b/config.json" "$T/orig.json"
        NVCR_EARLY_START_STATE="pid=1,pidfd=0,fifo=1,bundle=2,saved=.config.json.fifo.1" \
                run lifecycle "$FRONT" "$SCRATCH/jit.toml" "$T/b"
        echo "$output"
        [[ $output == *"create rc 0"*"start rc 0"* ]]
        [[ $output == *hello* ]]
        cmp "$T/orig.json" "$T/b/config.json"
        # Into the full runtime directly: refused before any descriptor is used.
        bundle "$T/g" '["NVIDIA_VISIBLE_DEVICES=0"]'
        cp "$T/g/config.json" "$T/g.json"
        for state in "garbage" "pid=1,pidfd=0,fifo=1,bundle=2,saved=.config.json.fifo.1" \
                "pid=$$,pidfd=0,fifo=1,bundle=2,saved=../../etc/passwd"; do
                run env NVCR_EARLY_START_STATE="$state" NVIDIA_CTK_CONFIG_FILE_PATH="$SCRATCH/dry.toml" \
                        "$FULL" create -b "$T/g" x-g
                echo "$state: $output"
                [ "$status" -eq 1 ]
                [[ $output == *"NVCR_EARLY_START_STATE"* ]]
                cmp "$T/g.json" "$T/g/config.json"
        done
}
