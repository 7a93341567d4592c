#!/usr/bin/env bats
# nvidia-container-runtime (the runc shim) and nvidia-container-runtime-hook
# (the OCI prestart hook) with the real runc, on the 8-GPU simulated host laid
# over the real paths by simhost-enter (so both run with their defaults, as
# under Docker). The request comes from the container's NVIDIA_* environment.
# Needs root, runc, busybox-static, jq.

load containers

RUNTIME=$NVCR_BUILD_DIR/cmd/runtime/nvidia-container-runtime
HOOK=$NVCR_BUILD_DIR/cmd/hook/nvidia-container-runtime-hook

setup_file() {
        containers_setup_file --gpus 8
        # Engines find the hook on their PATH; here a directory holding only it.
        mkdir -p "$SCRATCH/hookbin"
        ln -sf "$HOOK" "$SCRATCH/hookbin/nvidia-container-runtime-hook"
        # The config: root-owned 0644 (anything else is refused).
        cat >"$SCRATCH/config.toml" <<EOT
[nvidia-container-cli]
load-kmods = false
[nvidia-container-runtime]
runtimes = ["$RUNC"]
EOT
        chmod 0644 "$SCRATCH/config.toml"
}

teardown_file() {
        containers_teardown_file
}

setup() {
        [ -x "$RUNTIME" ] && [ -x "$HOOK" ] || skip "runtime/hook not built"
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        a0_setup
}

teardown() {
        teardown_containers
}

# gpu_bundle BUNDLE ENV_JSON_ARRAY [make_bundle option…]: a bundle whose only
# hook is the simulated procfs one; the container lists what it sees.
gpu_bundle() {
        local b=$1 env=$2
        shift 2
        make_bundle "$b" --no-configure "$@" --args \
                '["/bin/sh","-c","echo devs=$(ls /dev | grep nvidia); echo gpus=$(ls /proc/driver/nvidia/gpus 2>/dev/null); echo libs=$(ls /usr/lib/x86_64-linux-gnu | grep -c -e libcuda -e libnvidia-ml); if [ -e /usr/bin/nvidia-smi ]; then echo smi=yes; else echo smi=no; fi"]' ||
                return 1
        jq --argjson e "$env" '.process.env += $e' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
}

# through_runtime BUNDLE: `nvidia-container-runtime run` with the test config.
through_runtime() {
        local id
        id=$(new_ctr_id rt)
        timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- env PATH="$SCRATCH/hookbin:$PATH" \
                NVIDIA_CTK_CONFIG_FILE_PATH="$SCRATCH/config.toml" "$RUNTIME" run -b "$1" "$id" </dev/null
}

gpu_hooks() {
        jq '[.hooks.prestart[]? | select(.path | test("nvidia-container-runtime-hook$"))] | length' "$1/config.json"
}

@test "runtime: NVIDIA_VISIBLE_DEVICES=0,2 gets GPUs 0 and 2 (minors 4, 0), default capabilities utility,compute" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=0,2"]'
        run through_runtime "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidia4 nvidiactl" ]
        [ "$(value_of gpus)" = "0000:07:00.0 0000:47:00.0" ]
        [ "$(value_of libs)" -ge 4 ]     # libcuda and libnvidia-ml, versioned + soname links
        [ "$(value_of smi)" = yes ]
        # The hook was added once, with an explicit environment.
        [ "$(gpu_hooks "$T/b")" = 1 ]
        jq -e '.hooks.prestart[-1].env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]' "$T/b/config.json"
        a0_check
}

@test "runtime: NVIDIA_VISIBLE_DEVICES=none gives the driver without any GPU" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=none"]'
        run through_runtime "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidiactl" ]
        [ "$(value_of gpus)" = "" ]
        [ "$(value_of smi)" = yes ]
        a0_check
}

@test "runtime: void, empty or unset NVIDIA_VISIBLE_DEVICES leaves config.json byte for byte and the container without GPU" {
        for env in '["NVIDIA_VISIBLE_DEVICES=void"]' '["NVIDIA_VISIBLE_DEVICES="]' '[]'; do
                rm -rf "$T/b"
                gpu_bundle "$T/b" "$env"
                sum=$(sha256sum <"$T/b/config.json")
                run through_runtime "$T/b"
                echo "$env: $output"
                [ "$status" -eq 0 ]
                [ "$(sha256sum <"$T/b/config.json")" = "$sum" ]
                [ "$(value_of devs)" = "" ]
                [ "$(value_of smi)" = no ]
        done
        a0_check
}

@test "runtime: a bundle that already has the hook (docker --gpus with --runtime=nvidia) does not get it twice" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=1"]'
        jq --arg h "$SCRATCH/hookbin/nvidia-container-runtime-hook" \
                '.hooks.prestart += [{path:$h, args:["nvidia-container-runtime-hook","-config='"$SCRATCH"'/config.toml","prestart"], env:["PATH=/usr/bin:/bin"]}]' \
                "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        run through_runtime "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(gpu_hooks "$T/b")" = 1 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia6 nvidiactl" ]
}

@test "hook alone (docker --gpus): runc runs our hook from config.json, NVIDIA_VISIBLE_DEVICES=all" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=all","NVIDIA_DRIVER_CAPABILITIES=utility"]'
        jq --arg h "$HOOK" --arg c "$SCRATCH/config.toml" \
                '.hooks.prestart += [{path:$h, args:["nvidia-container-runtime-hook","-config",$c,"prestart"]}]' \
                "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        id=$(new_ctr_id hook)
        run timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- "$RUNC" run -b "$T/b" "$id" </dev/null
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(wc -w <<<"$(value_of devs)")" = 9 ]   # 8 GPUs + nvidiactl (utility: no uvm)
        [ "$(value_of libs)" -ge 2 ]   # libnvidia-ml, no libcuda
        a0_check
}

@test "hook: requirements, capabilities and MIG errors are the reference's messages, the container does not start" {
        for case in 'NVIDIA_REQUIRE_CUDA=cuda>=99.0|requirement error: unsatisfied condition: cuda>=99.0, please update your driver to a newer version, or use an earlier cuda container' \
                'NVIDIA_DRIVER_CAPABILITIES=compute,bogus|input error: unsupported capabilities found in' \
                'NVIDIA_MIG_CONFIG_DEVICES=all|cannot set MIG_CONFIG_DEVICES in non privileged container'; do
                rm -rf "$T/b"
                gpu_bundle "$T/b" "$(jq -cn --arg e "${case%%|*}" '["NVIDIA_VISIBLE_DEVICES=0", $e]')"
                run through_runtime "$T/b"
                echo "$output"
                [ "$status" -ne 0 ]
                [[ $output == *"${case#*|}"* ]]
        done
        a0_check
}

@test "hook: an unprivileged container asking by env gets no GPU when the config refuses it" {
        cfg=$T/refuse.toml
        printf '%s\n' 'accept-nvidia-visible-devices-envvar-when-unprivileged = false' \
                '[nvidia-container-cli]' 'load-kmods = false' >"$cfg"
        chmod 0644 "$cfg"
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=all"]'
        jq --arg h "$HOOK" --arg c "$cfg" \
                '.hooks.prestart += [{path:$h, args:["nvidia-container-runtime-hook","-config",$c,"prestart"]}]' \
                "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        id=$(new_ctr_id unpriv)
        run timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- "$RUNC" run -b "$T/b" "$id" </dev/null
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "" ]
}

@test "hostile input: symlinked or malformed config.json, invalid config.toml: clear errors, nothing changed" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=0"]'
        cp "$T/b/config.json" "$T/real.json"
        ln -sf "$T/real.json" "$T/b/config.json"
        run through_runtime "$T/b"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"error modifying OCI spec"*"config.json"* ]]
        [ -L "$T/b/config.json" ]
        cmp "$T/real.json" "$T/b/config.json"
        printf '{"ociVersion": "1.0.2", "process": {' >"$T/b/config.json.new" && mv "$T/b/config.json.new" "$T/b/config.json"
        run through_runtime "$T/b"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"error modifying OCI spec"* ]]
        printf '[nvidia-container-cli]\nload-kmods = maybe\n' >"$T/bad.toml"
        chmod 0644 "$T/bad.toml"
        cp "$T/real.json" "$T/b/config.json"
        run timeout 60 "$FIXTURES/simhost-enter" "$SIM" -- env NVIDIA_CTK_CONFIG_FILE_PATH="$T/bad.toml" \
                "$RUNTIME" run -b "$T/b" "$(new_ctr_id bad)" </dev/null
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"bad.toml:2"* ]]
        cmp "$T/real.json" "$T/b/config.json"
        a0_check
}

@test "hostile input: LD_PRELOAD/LD_LIBRARY_PATH in the image env pointing into the rootfs never reach our hook" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=0"]'
        # A library that would leave a file on the host if any process of ours loaded it.
        owned=$T/owned
        printf '#include <stdio.h>\n__attribute__((constructor)) static void c(void) { FILE *f = fopen("%s", "w"); if (f) fclose(f); }\n' "$owned" >"$T/poc.c"
        cc -shared -fPIC -o "$T/b/rootfs/poc.so" "$T/poc.c"
        jq '.process.env += ["LD_PRELOAD=/proc/self/cwd/poc.so", "LD_LIBRARY_PATH=/proc/self/cwd", "LD_AUDIT=/proc/self/cwd/poc.so"]' \
                "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        # The container itself would load it inside (that is its own business): run /bin/true statically.
        jq '.process.args = ["/bin/busybox","true"]' "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        run through_runtime "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ ! -e "$owned" ]
        # docker --gpus: the hook entry has no env of its own; runc gives it runc's.
        jq --arg h "$HOOK" --arg c "$SCRATCH/config.toml" \
                '.hooks.prestart = [.hooks.prestart[] | select(.path | test("nvidia-container-runtime-hook$") | not)] |
                 .hooks.prestart += [{path:$h, args:["nvidia-container-runtime-hook","-config",$c,"prestart"]}]' \
                "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        run timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- "$RUNC" run -b "$T/b" "$(new_ctr_id ldp)" </dev/null
        echo "$output"
        [ "$status" -eq 0 ]
        [ ! -e "$owned" ]
        a0_check
}

@test "runtime: a relative --bundle, one with '..', and none (the current directory) resolve as runc resolves them" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=5"]'
        mkdir -p "$T/sub"
        for how in "-b b" "--bundle=sub/../b" "-b $T/sub/../b" ""; do
                cp "$T/b/config.json" "$T/orig.json"
                id=$(new_ctr_id rel)
                # shellcheck disable=SC2086 # $how is one or two words on purpose
                run timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- /bin/sh -c \
                        'cd "$0" && exec env PATH="$1:$PATH" NVIDIA_CTK_CONFIG_FILE_PATH="$2" "$3" run $4 "$5"' \
                        "$([ -n "$how" ] && echo "$T" || echo "$T/b")" "$SCRATCH/hookbin" \
                        "$SCRATCH/config.toml" "$RUNTIME" "$how" "$id" </dev/null
                echo "[$how] $output"
                [ "$status" -eq 0 ]
                [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia7 nvidiactl" ]
                [ "$(gpu_hooks "$T/b")" = 1 ]
                cp "$T/orig.json" "$T/b/config.json"
        done
        a0_check
}

@test "hostile input: a hook's OCI state with '..' in the bundle path is refused before anything is touched" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=0"]'
        mkdir -p "$T/sub"
        # A target in its own mount namespace: were the state trusted, the
        # GPU would be mounted there.
        unshare -m --propagation private sleep 600 &
        tpid=$!
        sleep 0.2
        cat "/proc/$tpid/mountinfo" >"$T/mi.before"
        sum=$(sha256sum <"$T/b/config.json")
        for bundle in "$T/sub/../b" "$T/b/.." "b"; do
                run timeout 60 "$FIXTURES/simhost-enter" "$SIM" -- "$HOOK" -config "$SCRATCH/config.toml" prestart \
                        < <(jq -cn --argjson p "$tpid" --arg b "$bundle" '{ociVersion:"1.0.2",id:"x",pid:$p,bundle:$b}')
                echo "[$bundle] $output"
                [ "$status" -ne 0 ]
                [[ $output == *"bundle"* ]]
                [[ $output == *"'..' component"* || $output == *"not an absolute path"* ]]
        done
        cat "/proc/$tpid/mountinfo" >"$T/mi.after"
        kill "$tpid"
        wait "$tpid" || true
        cmp "$T/mi.before" "$T/mi.after"
        [ "$(sha256sum <"$T/b/config.json")" = "$sum" ]
        a0_check
}

@test "hostile input: a config.json over 16 MiB or nested 10000 deep: clear errors from runtime and hook, file unchanged" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=0"]'
        cp "$T/b/config.json" "$T/orig.json"
        # 17 MiB of annotation: valid JSON, over the limit.
        head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' a >"$T/pad"
        jq --rawfile p "$T/pad" '.annotations.pad = $p' "$T/orig.json" >"$T/huge.json"
        python3 -c 'import sys; print("[" * 10000 + "]" * 10000)' >"$T/deep"
        jq --rawfile d "$T/deep" '.annotations.deep = "@DEEP@"' "$T/orig.json" |
                python3 -c 'import sys; d=open(sys.argv[1]).read().strip(); sys.stdout.write(sys.stdin.read().replace("\"@DEEP@\"", d))' "$T/deep" >"$T/deep.json"
        # The hook's target: a process in its own mount namespace, never this shell.
        unshare -m --propagation private sleep 600 &
        tpid=$!
        for case in "huge|larger than 16777216 bytes" "deep|nested deeper than 64 levels"; do
                name=${case%%|*}
                cp "$T/$name.json" "$T/b/config.json"
                sum=$(sha256sum <"$T/b/config.json")
                run through_runtime "$T/b"
                echo "[$name runtime] ${output:0:400}"
                [ "$status" -ne 0 ]
                [[ $output == *"error modifying OCI spec"*"${case#*|}"* ]]
                [ "$(sha256sum <"$T/b/config.json")" = "$sum" ]
                # The hook given the same bundle (docker --gpus mode).
                run timeout 60 "$FIXTURES/simhost-enter" "$SIM" -- "$HOOK" -config "$SCRATCH/config.toml" prestart \
                        < <(jq -cn --argjson p "$tpid" --arg b "$T/b" '{ociVersion:"1.0.2",id:"x",pid:$p,bundle:$b}')
                echo "[$name hook] ${output:0:400}"
                [ "$status" -ne 0 ]
                [[ $output == *"${case#*|}"* ]]
                [ "$(sha256sum <"$T/b/config.json")" = "$sum" ]
        done
        kill "$tpid"
        wait "$tpid" || true
        ls -A "$T/b" >"$T/ls"
        [ "$(cat "$T/ls")" = "$(printf 'config.json\nrootfs')" ]   # no temp file left
        a0_check
}

@test "runtime with crun as the low-level runtime: NVIDIA_VISIBLE_DEVICES=3 gets minor 2" {
        command -v "$CRUN" >/dev/null || skip "crun not installed"
        printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nruntimes = ["%s"]\n' \
                "$CRUN" >"$T/crun.toml"
        chmod 0644 "$T/crun.toml"
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=3"]'
        id=$(new_ctr_id crun crun)
        # crun 1.8 refuses this machine's hybrid cgroups unless cgroup2's
        # controllers are hidden (reference/engines.md §1b): inside the
        # simhost-enter namespace only.
        run timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- /bin/sh -c \
                'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers &&
                 exec env PATH="$0:$PATH" NVIDIA_CTK_CONFIG_FILE_PATH="$1" "$2" run -b "$3" "$4"' \
                "$SCRATCH/hookbin" "$T/crun.toml" "$RUNTIME" "$T/b" "$id" </dev/null
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia2 nvidiactl" ]
        [ "$(gpu_hooks "$T/b")" = 1 ]
        a0_check
}
