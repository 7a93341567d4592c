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

# in_sim CMD…: in the simulated host's namespace (where runc keeps its state).
in_sim() {
        timeout 60 "$FIXTURES/simhost-enter" "$SIM" -- "$@" </dev/null
}

# rt MODE BUNDLE [RUNTIME ARGS…]: `nvidia-container-runtime run` with MODE's config.
rt() {
        local mode=$1 b=$2
        shift 2
        timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- env PATH="$SCRATCH/bin:$PATH" \
                NVIDIA_CTK_CONFIG_FILE_PATH="$SCRATCH/$mode.toml" "$RUNTIME" "$@" run -b "$b" "$(new_ctr_id jit)" </dev/null
}

# rt_create MODE BUNDLE [PID-FILE-ARGS…]: as containerd does it, in one
# simulated-host namespace: `nvidia-container-runtime create` (with
# --pid-file unless other args are given), `runc start`, wait for the end,
# `runc delete`. stdout: the container's output, then "create-status N".
rt_create() {
        local mode=$1 b=$2 id
        shift 2
        id=$(new_ctr_id jc)
        [ $# -gt 0 ] || set -- --pid-file "$T/$id.pid"
        timeout 120 "$FIXTURES/simhost-enter" "$SIM" -- env PATH="$SCRATCH/bin:$PATH" \
                NVIDIA_CTK_CONFIG_FILE_PATH="$SCRATCH/$mode.toml" /bin/sh -c '
                rt=$1 runc=$2 st=$3 b=$4 id=$5; shift 5
                "$rt" --root "$st" create "$@" -b "$b" "$id"; rc=$?
                if [ $rc -eq 0 ]; then
                        "$runc" --root "$st" start "$id"
                        for i in $(seq 200); do
                                [ "$("$runc" --root "$st" state "$id" 2>/dev/null | grep -o "\"status\": *\"[a-z]*\"" | grep -o "[a-z]*\"$")" = "stopped\"" ] && break
                                sleep 0.05
                        done
                        "$runc" --root "$st" delete -f "$id"
                fi
                echo "create-status $rc"' sh "$RUNTIME" "$RUNC" "$T/state" "$b" "$id" "$@" </dev/null
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
        # One process for all of it: the hooks chained with --then.
        jq -e '.hooks.createContainer | length == 1' "$c"
        jq -e '[.hooks.createContainer[0].args as $a | $a[0:2][], ($a | to_entries[] | select(.value == "--then") | $a[.key + 1])] == ["nvidia-cdi-hook","create-symlinks","enable-cuda-compat","update-ldcache","disable-device-node-modification"]' "$c"
        jq -e '[.hooks.prestart[] | select(.path | test("nvidia-container-runtime-hook$"))] | length == 0' "$c"
        jq -e '.process.env | index("NVIDIA_VISIBLE_DEVICES=void") != null' "$c"
        a0_check
}

@test "jit-cdi and legacy: the same request (NVIDIA_DRIVER_CAPABILITIES=all, GPUs 0,2) gives the same nodes, files and links" {
        printf '%s\n' "$GPU_LIST_SCRIPT" >"$T/list.sh"
        # jit-cdi twice: `run` (the chain as a createContainer hook) and
        # create/start as engines do it (the runtime runs the chain itself).
        for mode in legacy jit-cdi jit-create; do
                make_bundle "$T/$mode" --no-configure --script "$T/list.sh" || return 1
                jq '.process.env += ["NVIDIA_VISIBLE_DEVICES=0,2","NVIDIA_DRIVER_CAPABILITIES=all"]' \
                        "$T/$mode/config.json" >"$T/c" && mv "$T/c" "$T/$mode/config.json"
                if [ "$mode" = jit-create ]; then
                        run rt_create jit-cdi "$T/$mode"
                        [[ $output == *"create-status 0"* ]]
                        # No hook in config.json: nothing for runc to start.
                        jq -e '(.hooks.createContainer // []) | length == 0' "$T/$mode/config.json"
                else
                        run rt "$mode" "$T/$mode"
                fi
                echo "[$mode] status $status"
                [ "$status" -eq 0 ]
                printf '%s\n' "$output" | grep -E '^[LCF] ' >"$T/$mode.list"
        done
        diff -u "$T/legacy.list" "$T/jit-cdi.list"
        diff -u "$T/legacy.list" "$T/jit-create.list"
        # The loader cache: ldconfig in the sandbox (legacy) and our cache
        # writer, told only the names it added (jit-cdi), list the same driver entries.
        for mode in legacy jit-cdi jit-create; do
                ldconfig -p -C "$T/$mode/rootfs/etc/ld.so.cache" | grep -E 'nvidia|cuda|GL|EGL|vdpau|nvcuvid|nvoptix' | grep -v '^Cache generated' |
                        sed 's/^[[:space:]]*//' | sort >"$T/$mode.cache"
        done
        cat "$T/jit-cdi.cache"
        [ -s "$T/jit-cdi.cache" ]
        grep -q '^libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1$' "$T/jit-cdi.cache"
        diff -u "$T/legacy.cache" "$T/jit-cdi.cache"
        diff -u "$T/legacy.cache" "$T/jit-create.cache"
        # And it is the GPU: two GPU nodes, libcuda and nvidia-smi.
        grep -c '^C /dev/nvidia[0-9]' "$T/jit-cdi.list" | grep -qx 2
        grep -q "^F /usr/lib/x86_64-linux-gnu/libcuda.so.$DRV$" "$T/jit-cdi.list"
        grep -q '^F /usr/bin/nvidia-smi$' "$T/jit-cdi.list"
        a0_check
}

@test "jit-cdi create: the runtime does the chain itself around create (params masked, host's params untouched); no hook process" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=2"]' \
                '["/bin/sh","-c","echo mod=$(grep ^ModifyDeviceFiles: /proc/driver/nvidia/params); echo w=$( (echo x >/proc/driver/nvidia/params) 2>&1 | sed \"s/.*: //\"); echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1); grep -c libcuda.so.1 /etc/ld.so.cache"]'
        before=$(sha256sum <"$SIM/proc/driver/nvidia/params")
        grep -q '^ModifyDeviceFiles: 1' "$SIM/proc/driver/nvidia/params"
        run rt_create jit-cdi "$T/b"
        echo "$output"
        [[ $output == *"create-status 0"* ]]
        [ "$(value_of mod)" = "ModifyDeviceFiles: 0" ]
        [ "$(value_of w)" = "Read-only file system" ]
        [ "$(value_of link)" = "libcuda.so.$DRV" ]
        jq -e '(.hooks.createContainer // []) | length == 0' "$T/b/config.json"
        [ "$(sha256sum <"$SIM/proc/driver/nvidia/params")" = "$before" ]
        a0_check
}

@test "jit-cdi create: a read-only rootfs, or no --pid-file, keeps the createContainer hook (and works)" {
        for v in readonly nopid; do
                gpu_bundle "$T/$v" '["NVIDIA_VISIBLE_DEVICES=2"]' \
                        '["/bin/sh","-c","echo mod=$(grep ^ModifyDeviceFiles: /proc/driver/nvidia/params); echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1)"]'
                if [ $v = readonly ]; then
                        jq '.root.readonly = true' "$T/$v/config.json" >"$T/c" && mv "$T/c" "$T/$v/config.json"
                        run rt_create jit-cdi "$T/$v"
                else
                        run rt_create jit-cdi "$T/$v" --no-new-keyring
                fi
                echo "[$v] $output"
                [[ $output == *"create-status 0"* ]]
                [ "$(value_of mod)" = "ModifyDeviceFiles: 0" ]
                [ "$(value_of link)" = "libcuda.so.$DRV" ]
                jq -e '.hooks.createContainer | length == 1' "$T/$v/config.json"
        done
        a0_check
}

@test "jit-cdi create: a mount of the container's own at or above what the chain touches keeps the createContainer hook (and works)" {
        # The runtime does the chain's work in the bundle's rootfs while runc
        # creates the container: a mount there would hide it. Above the library
        # folder, on /etc/ld.so.conf.d, and inside the library folder.
        n=0
        for dst in /usr/lib /etc/ld.so.conf.d /usr/lib/x86_64-linux-gnu/extra; do
                n=$((n + 1))
                b=$T/b$n
                gpu_bundle "$b" '["NVIDIA_VISIBLE_DEVICES=2"]' \
                        '["/bin/sh","-c","echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1); echo mod=$(grep ^ModifyDeviceFiles: /proc/driver/nvidia/params)"]'
                if [ "$dst" = /usr/lib ]; then
                        # A bind of the image's own /usr/lib: the container still has its libraries.
                        jq --arg s "$b/rootfs/usr/lib" '.mounts += [{destination:"/usr/lib",type:"bind",source:$s,options:["rbind"]}]' \
                                "$b/config.json" >"$T/c"
                else
                        jq --arg d "$dst" '.mounts += [{destination:$d,type:"tmpfs",source:"tmpfs",options:["nosuid","nodev"]}]' \
                                "$b/config.json" >"$T/c"
                fi
                mv "$T/c" "$b/config.json"
                run rt_create jit-cdi "$b"
                echo "[$dst] $output"
                [[ $output == *"create-status 0"* ]]
                jq -e '.hooks.createContainer | length == 1' "$b/config.json"
                [ "$(value_of link)" = "libcuda.so.$DRV" ]
                [ "$(value_of mod)" = "ModifyDeviceFiles: 0" ]
        done
        a0_check
}

@test "hostile rootfs, jit-cdi create: library folder, /etc/ld.so.conf.d and /etc/ld.so.cache are symlinks to the host; all lands inside the rootfs" {
        # The chain's work is done from the host's mount namespace, before
        # runc has mounted anything: each path is resolved inside the rootfs.
        n=0
        for target in "$A0_C" "/proc/self/root$A0_C" "../../../../../../../..$A0_C"; do
                n=$((n + 1))
                b=$T/b$n
                gpu_bundle "$b" '["NVIDIA_VISIBLE_DEVICES=2"]' \
                        '["/bin/sh","-c","echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1)"]'
                r=$b/rootfs
                rm -rf "$r/usr/lib/x86_64-linux-gnu" "$r/etc/ld.so.conf.d" "$r/etc/ld.so.cache"
                ln -s "$target" "$r/usr/lib/x86_64-linux-gnu"
                ln -s "$target/conf.d" "$r/etc/ld.so.conf.d"
                ln -s "$target/ld.so.cache" "$r/etc/ld.so.cache"
                # The same path inside the rootfs: where a confined walk lands.
                mkdir -p "$r$A0_C/conf.d"
                run rt_create jit-cdi "$b"
                echo "[$target] $output"
                # The absolute link must work, inside; any may fail, leaving nothing.
                [ "$n" -gt 1 ] || [[ $output == *"create-status 0"* ]]
                if [[ $output == *"create-status 0"* ]]; then
                        [ "$(value_of link)" = "libcuda.so.$DRV" ]
                        [ "$(readlink "$r$A0_C/libcuda.so.1")" = "libcuda.so.$DRV" ]
                        ls "$r$A0_C/conf.d/" | grep -q '^00-nvcr-cdi-.*\.conf$'
                        # The cache replaces the link (a rename never follows one).
                        [ -f "$r/etc/ld.so.cache" ] && [ ! -L "$r/etc/ld.so.cache" ]
                        ldconfig -p -C "$r/etc/ld.so.cache" | grep -q "libcuda.so.1 .*=> /usr/lib/x86_64-linux-gnu/libcuda.so.1"
                        jq -e '(.hooks.createContainer // []) | length == 0' "$b/config.json"
                else
                        [[ $output == *"create-status 1"* ]]
                        [ -z "$(ls -A "$T/state" 2>/dev/null)" ]
                fi
                [ "$(readlink "$r/usr/lib/x86_64-linux-gnu")" = "$target" ]
                ! pgrep -f "runc init" | grep -q .
                a0_check
        done
}

@test "hostile rootfs, jit-cdi create: when the runtime's part fails, the container is deleted again and nothing is left" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=2"]'
        rm -f "$T/b/rootfs/etc/ld.so.cache"
        mkdir -p "$T/b/rootfs/etc/ld.so.cache/x" # a directory where the cache goes
        run rt_create jit-cdi "$T/b"
        echo "$output"
        [[ $output == *"create-status 1"* ]]
        [[ $output == *"update-ldcache"*"ld.so.cache"* ]]
        [[ $output == *"error finishing the GPU setup of container nvcr-jc-"* ]]
        # runc knows no container any more, and no process of it is left.
        [ -z "$(ls -A "$T/state" 2>/dev/null)" ]
        ! pgrep -f "runc init" | grep -q .
        [ -z "$(ls -A "$T/b/rootfs/etc" | grep nvcr-tmp)" ]
        a0_check
}

# bundle_files DIR: what the bundle directory holds, one "name type" per line.
bundle_files() {
        find "$1" -mindepth 1 -maxdepth 1 -printf '%f %y\n' | sort
}

# paused_create MODE BUNDLE: rt_create in the background, held at the early
# start's pause point (runc started, the edits not handed over); sets $bg.
paused_create() {
        mkdir -p "$T/pd"
        NVCR_TIMING=$T/timing.log NVCR_TEST_PAUSE=early-start-feed:$T/pd rt_create "$1" "$2" \
                >"$T/out" 2>&1 &
        bg=$!
        for i in $(seq 1 1000); do
                [ -e "$T/pd/paused" ] && return 0
                sleep 0.01
        done
        return 1
}

# resume_create: lets the paused create go on; $output is what rt_create printed.
resume_create() {
        touch "$T/pd/resume"
        wait "$bg"
        output=$(cat "$T/out")
        echo "$output"
}

@test "jit-cdi create, early start: runc starts before the edits are made and reads them; config.json is then a regular file, nothing else left" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=2"]' \
                '["/bin/sh","-c","echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1); echo mod=$(grep ^ModifyDeviceFiles: /proc/driver/nvidia/params); ls /dev | grep -c ^nvidia0$ | sed s/^/dev=/"]'
        NVCR_TIMING=$T/timing.log run rt_create jit-cdi "$T/b"
        echo "$output"
        cat "$T/timing.log"
        [[ $output == *"create-status 0"* ]]
        [ "$(value_of link)" = "libcuda.so.$DRV" ]
        [ "$(value_of mod)" = "ModifyDeviceFiles: 0" ]
        [ "$(value_of dev)" = 1 ]
        # Started by the front once config.json's bytes were read, before the
        # full runtime started, let alone parsed them (one timeline: the front
        # hands its clock over).
        [ "$(awk '{ $1 = ""; $NF = ""; print }' "$T/timing.log" | sed 's/^ *//; s/ *$//' | grep -E '^(front: config.json bytes read|runtime started early|full runtime started|config.json read|plan built|config.json written)$' | tr '\n' ,)" = "front: config.json bytes read,runtime started early,full runtime started,config.json read,plan built,config.json written," ]
        [ "$(bundle_files "$T/b")" = "$(printf 'config.json f\nrootfs d')" ]
        jq -e '[.linux.devices[].path] | index("/dev/nvidia0") != null' "$T/b/config.json"
        a0_check
}

@test "jit-cdi create, early start: runc opening config.json before the edits are made reads them from the FIFO, 3 MiB of it (more than a pipe holds)" {
        built_with_test_hooks || skip "needs a build with -Dtest_hooks=true (NVCR_BUILD=$NVCR_BUILD_DIR)"
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=2"]' \
                '["/bin/sh","-c","echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1); echo mod=$(grep ^ModifyDeviceFiles: /proc/driver/nvidia/params)"]'
        head -c 2400000 /dev/urandom | base64 -w0 >"$T/pad"
        jq --rawfile p "$T/pad" '.annotations["org.example.pad"] = $p' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
        paused_create jit-cdi "$T/b"
        # runc is waiting on the FIFO (config.json) for the bytes.
        reader=
        for i in $(seq 1 1000); do
                for p in $(pgrep -f "runc --root $T/state create"); do
                        for fd in /proc/$p/fd/*; do
                                [ -p "$fd" ] && [ "$(readlink "$fd")" = "$T/b/config.json" ] && reader=$p
                        done
                done
                [ -n "$reader" ] && break
                sleep 0.01
        done
        echo "runc $reader has the FIFO open"
        [ -n "$reader" ]
        [ -p "$T/b/config.json" ]
        resume_create
        [[ $output == *"create-status 0"* ]]
        [ "$(value_of link)" = "libcuda.so.$DRV" ]
        [ "$(value_of mod)" = "ModifyDeviceFiles: 0" ]
        [ "$(jq -r '.annotations["org.example.pad"]' "$T/b/config.json")" = "$(cat "$T/pad")" ]
        [ "$(bundle_files "$T/b")" = "$(printf 'config.json f\nrootfs d')" ]
        a0_check
}

@test "jit-cdi create, early start: a runtime named runc that reads config.json to the end of the file (cat) gets the end, and the edits" {
        built_with_test_hooks || skip "needs a build with -Dtest_hooks=true (NVCR_BUILD=$NVCR_BUILD_DIR)"
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=2"]' '["/bin/sh","-c","echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1)"]'
        mkdir -p "$T/eof"
        # A wrapper named runc: cat waits for the end of the file, then the real runc.
        printf '#!/bin/sh\ncat %s/config.json >%s/seen.json\nexec %s "$@"\n' "$T/b" "$T" "$RUNC" >"$T/eof/runc"
        chmod 0755 "$T/eof/runc"
        printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["%s"]\n' \
                "$T/eof/runc" >"$SCRATCH/eof.toml"
        chmod 0644 "$SCRATCH/eof.toml"
        paused_create eof "$T/b"
        # cat is blocked reading the FIFO before the bytes exist.
        for i in $(seq 1 1000); do
                pgrep -f "^cat $T/b/config.json" >/dev/null && break
                sleep 0.01
        done
        pgrep -f "^cat $T/b/config.json"
        resume_create
        [[ $output == *"create-status 0"* ]]
        [ "$(value_of link)" = "libcuda.so.$DRV" ]
        grep -q 'runtime started early' "$T/timing.log"
        cmp "$T/seen.json" "$T/b/config.json"
        jq -e '[.linux.devices[].path] | index("/dev/nvidia0") != null' "$T/seen.json"
        a0_check
}

@test "jit-cdi create, early start: a container that names NVIDIA_VISIBLE_DEVICES but asks for no GPU (void) keeps its config.json, the same file byte for byte" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=void"]' '["/bin/sh","-c","echo ok=yes"]'
        before=$(sha256sum <"$T/b/config.json")
        ino=$(stat -c %i "$T/b/config.json")
        NVCR_TIMING=$T/timing.log run rt_create jit-cdi "$T/b"
        echo "$output"
        [[ $output == *"create-status 0"* ]]
        [ "$(value_of ok)" = yes ]
        grep -q 'runtime started early' "$T/timing.log"
        [ "$(sha256sum <"$T/b/config.json")" = "$before" ]
        [ "$(stat -c %i "$T/b/config.json")" = "$ino" ]
        [ "$(bundle_files "$T/b")" = "$(printf 'config.json f\nrootfs d')" ]
        a0_check
}

@test "jit-cdi create, early start: our part failing after runc started (an unknown GPU) kills runc; config.json is the original byte for byte, nothing left" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=2,9"]'
        before=$(sha256sum <"$T/b/config.json")
        ino=$(stat -c %i "$T/b/config.json")
        NVCR_TIMING=$T/timing.log run rt_create jit-cdi "$T/b"
        echo "$output"
        [[ $output == *"create-status 1"* ]]
        [[ $output == *"error modifying OCI spec"*"9"* ]]
        grep -q 'runtime started early' "$T/timing.log"
        [ "$(sha256sum <"$T/b/config.json")" = "$before" ]
        [ "$(stat -c %i "$T/b/config.json")" = "$ino" ]
        [ "$(bundle_files "$T/b")" = "$(printf 'config.json f\nrootfs d')" ]
        [ -z "$(ls -A "$T/state" 2>/dev/null)" ]
        ! pgrep -f "runc.*$T/state" | grep -q .
        a0_check
}

@test "jit-cdi create, early start: runc failing on its own, before or after reading config.json, is reported with its status; no FIFO left, no hang" {
        # Before: runc refuses a flag of create, so it stops before config.json.
        gpu_bundle "$T/b1" '["NVIDIA_VISIBLE_DEVICES=2"]'
        run rt_create jit-cdi "$T/b1" --no-such-flag --pid-file "$T/p1"
        echo "$output"
        [[ $output == *"create-status 1"* ]]
        [[ $output == *"flag provided but not defined: -no-such-flag"* ]]
        [ "$(bundle_files "$T/b1")" = "$(printf 'config.json f\nrootfs d')" ]
        jq -e '[.linux.devices[].path] | index("/dev/nvidia0") != null' "$T/b1/config.json"
        # After: a config.json runc refuses (a relative cwd).
        gpu_bundle "$T/b2" '["NVIDIA_VISIBLE_DEVICES=2"]'
        jq '.process.cwd = "relative"' "$T/b2/config.json" >"$T/c" && mv "$T/c" "$T/b2/config.json"
        run rt_create jit-cdi "$T/b2"
        echo "$output"
        [[ $output == *"create-status 1"* ]]
        [[ $output == *"Cwd must be an absolute path"* ]]
        [ "$(bundle_files "$T/b2")" = "$(printf 'config.json f\nrootfs d')" ]
        [ -z "$(ls -A "$T/state" 2>/dev/null)" ]
        a0_check
}

@test "jit-cdi create, early start: off with NVCR_EARLY_START=0 and for a runtime not named runc (config.json written first)" {
        gpu_bundle "$T/b2" '["NVIDIA_VISIBLE_DEVICES=2"]' '["/bin/sh","-c","echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1)"]'
        rm -f "$T/timing.log"
        NVCR_EARLY_START=0 NVCR_TIMING=$T/timing.log run rt_create jit-cdi "$T/b2"
        echo "$output"
        [[ $output == *"create-status 0"* ]]
        [ "$(value_of link)" = "libcuda.so.$DRV" ]
        grep -q 'config.json written' "$T/timing.log"
        ! grep -q 'runtime started early' "$T/timing.log"
        # A runtime under another name (a wrapper of runc): written first.
        printf '#!/bin/sh\nexec %s "$@"\n' "$RUNC" >"$SCRATCH/bin/other-runtime"
        chmod 0755 "$SCRATCH/bin/other-runtime"
        printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nmode = "jit-cdi"\nruntimes = ["%s"]\n' \
                "$SCRATCH/bin/other-runtime" >"$SCRATCH/other.toml"
        chmod 0644 "$SCRATCH/other.toml"
        gpu_bundle "$T/b3" '["NVIDIA_VISIBLE_DEVICES=2"]' '["/bin/sh","-c","echo link=$(readlink /usr/lib/x86_64-linux-gnu/libcuda.so.1)"]'
        rm -f "$T/timing.log"
        NVCR_TIMING=$T/timing.log run rt_create other "$T/b3"
        echo "$output"
        [[ $output == *"create-status 0"* ]]
        ! grep -q 'runtime started early' "$T/timing.log"
        a0_check
}

@test "jit-cdi: the GPU's device rules are runc's own (state.json), so re-applying the cgroup keeps them; the legacy hook's are not" {
        # What systemd's daemon-reload (or runc) re-applies is runc's cgroup
        # configuration. The machine has no systemd to show the loss itself;
        # the configuration runc holds is what decides it.
        for mode in legacy jit-cdi; do
                gpu_bundle "$T/$mode" '["NVIDIA_VISIBLE_DEVICES=2"]' '["/bin/sleep","60"]'
                id=$(new_ctr_id upd)
                timeout 60 "$FIXTURES/simhost-enter" "$SIM" -- env PATH="$SCRATCH/bin:$PATH" \
                        NVIDIA_CTK_CONFIG_FILE_PATH="$SCRATCH/$mode.toml" "$RUNTIME" --root "$T/state" run -d -b "$T/$mode" "$id" \
                        </dev/null >"$T/$mode.out" 2>&1 || cat "$T/$mode.out"
                # No NVIDIA driver on this machine: an allowed open says ENXIO, a denied one EPERM.
                run in_sim "$RUNC" --root "$T/state" exec "$id" /bin/sh -c 'head -c1 /dev/nvidia0 2>&1; true'
                echo "[$mode] $output"
                [[ $output == *"No such device or address"* ]]
                # GPU 2 is /dev/nvidia0 (195:0) on the simulated host.
                n=$(jq '[.. | objects | select(.allow == true and .major == 195 and .minor == 0)] | length' "$T/state/$id/state.json")
                echo "[$mode] rules for 195:0 in runc's state: $n"
                if [ "$mode" = jit-cdi ]; then [ "$n" -ge 1 ]; else [ "$n" = 0 ]; fi
                in_sim "$RUNC" --root "$T/state" delete -f "$id" || true
        done
}

@test "hostile input: LD_PRELOAD/LD_LIBRARY_PATH in the image env never reach the createContainer hooks (runc 1.1.5 would hand them to a hook without env)" {
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=0"]'
        owned=$T/owned
        printf '#include <stdio.h>\n__attribute__((constructor)) static void c(void) { FILE *f = fopen("%s", "w"); if (f) fclose(f); }\n' "$owned" >"$T/poc.c"
        cc -shared -fPIC -o "$T/b/rootfs/poc.so" "$T/poc.c"
        # The host path of the image's library: the worst case for a hook that runs before pivot_root.
        jq --arg p "$T/b/rootfs/poc.so" --arg d "$T/b/rootfs" \
                '.process.env += ["LD_PRELOAD=" + $p, "LD_LIBRARY_PATH=" + $d, "LD_AUDIT=" + $p] | .process.args = ["/bin/busybox","true"]' \
                "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
        run rt jit-cdi "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ ! -e "$owned" ]
        a0_check
}

# cdi_setup: a spec generated by our nvidia-ctk into $T/cdi and a config of
# the cdi mode (or auto) reading it.
cdi_setup() {
        local mode=$1
        mkdir -p "$T/cdi"
        in_sim "$NVCR_BUILD_DIR/cmd/ctk/nvidia-ctk" cdi generate --cache-dir= \
                --nvidia-cdi-hook-path "$CDIHOOK" --output "$T/cdi/nvidia.yaml" >"$T/gen.log" 2>&1 || { cat "$T/gen.log"; return 1; }
        printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nmode = "%s"\nruntimes = ["%s"]\n[nvidia-container-runtime.modes.cdi]\nspec-dirs = ["%s"]\n' \
                "$mode" "$RUNC" "$T/cdi" >"$SCRATCH/cdi-$mode.toml"
        chmod 0644 "$SCRATCH/cdi-$mode.toml"
}

@test "cdi mode: nvidia.com/gpu=2 and a bare id (default-kind) resolve from spec-dirs; the container sees that GPU and the driver" {
        cdi_setup cdi
        for dev in nvidia.com/gpu=2 2; do
                rm -rf "$T/b"
                gpu_bundle "$T/b" "[\"NVIDIA_VISIBLE_DEVICES=$dev\"]" \
                        '["/bin/sh","-c","echo devs=$(ls /dev | grep nvidia); if [ -e /usr/bin/nvidia-smi ]; then echo smi=yes; fi; ls /usr/lib/x86_64-linux-gnu | grep -c libcuda"]'
                run rt cdi-cdi "$T/b"
                echo "[$dev] $output"
                [ "$status" -eq 0 ]
                [ "$(value_of devs)" = "nvidia-modeset nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl" ]
                [ "$(value_of smi)" = yes ]
        done
        a0_check
}

@test "cdi mode: an unknown CDI device is refused at create with the CDI library's kind of message, config.json unchanged" {
        cdi_setup cdi
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=99"]'
        sum=$(sha256sum <"$T/b/config.json")
        run rt cdi-cdi "$T/b"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"unresolvable CDI devices nvidia.com/gpu=99"* ]]
        [ "$(sha256sum <"$T/b/config.json")" = "$sum" ]
        a0_check
}

@test "auto mode: CDI names go the cdi way, a cdi.k8s.io/ annotation alone requests devices too" {
        cdi_setup auto
        gpu_bundle "$T/b" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0"]' '["/bin/sh","-c","echo devs=$(ls /dev | grep nvidia)"]'
        run rt cdi-auto "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-modeset nvidia-uvm nvidia-uvm-tools nvidia4 nvidiactl" ]
        rm -rf "$T/b"
        gpu_bundle "$T/b" '[]' '["/bin/sh","-c","echo devs=$(ls /dev | grep nvidia)"]'
        jq '.annotations["cdi.k8s.io/nvidia-device-plugin"] = "nvidia.com/gpu=1"' "$T/b/config.json" >"$T/c" &&
                mv "$T/c" "$T/b/config.json"
        run rt cdi-auto "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-modeset nvidia-uvm nvidia-uvm-tools nvidia6 nvidiactl" ]
        a0_check
}
