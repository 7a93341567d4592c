#!/usr/bin/env bats
# The Debian packages (scripts/build-debs.sh, packaging/debian) installed
# with dpkg the way a user installs them, Docker run through them on the
# 8-GPU simulated host, then purged. Everything happens in tests/packaging/
# sandbox.sh: a copy-on-write view of this machine (an overlay over / in a
# private mount namespace, pivot_root'ed into), so dpkg, the maintainer
# scripts, /usr/bin and /etc/docker/daemon.json change there only and the
# host is left exactly as it was, whatever happens to the test.
# The dockerd (tests/packaging/dockerd-pkg.sh) reads the sandbox's
# /etc/docker/daemon.json and runs inside tests/fixtures/simhost-enter.
# NVCR_DEBS=DIR: use the .debs there instead of building them (~20 s).
# GPU index -> minor on this sim: 0 -> 4, 1 -> 6, 2 -> 0.

load ../integration/containers

HERE=$BATS_TEST_DIRNAME
REPO=$(cd "$HERE/../.." && pwd)
ENGINES=$REPO/tests/integration/engines
DOCKER=/usr/bin/docker
IMAGE=nvcr/busybox:1
CONF=/etc/docker/daemon.json
# The packages, in the order dpkg -L and purge take them.
PKGS="nvidia-docker2 nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools libnvcr-dev libnvcr1"
# shellcheck disable=SC2016 # expanded in the container
LIST='echo devs=$(ls /dev | grep nvidia | tr "\n" " "); echo libcuda=$(ls /usr/lib/x86_64-linux-gnu | grep -c "^libcuda\.so"); echo nv=$(env | grep ^NVIDIA_VISIBLE | sort | tr "\n" " ")'

setup_file() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        if ! command -v dockerd >/dev/null || [ ! -x "$DOCKER" ] || ! command -v docker-compose >/dev/null; then
                skip "docker.io and docker-compose not installed (tests/integration/docker.bats installs them)"
        fi
        command -v jq >/dev/null || skip "needs jq"
        export SB DEBS D DOCKER_HOST DOCKER_CONFIG HOST_SUMS
        containers_setup_file --gpus 8
        DEBS=$SCRATCH/debs
        mkdir -p "$DEBS"
        if [ -n "${NVCR_DEBS:-}" ]; then
                cp "$NVCR_DEBS"/*.deb "$DEBS/"
                [ ! -f "$NVCR_DEBS/lintian.txt" ] || cp "$NVCR_DEBS/lintian.txt" "$DEBS/"
        else
                bash "$REPO/scripts/build-debs.sh" "$DEBS" >"$SCRATCH/build-debs.log" 2>&1 ||
                        { tail -30 "$SCRATCH/build-debs.log" >&2; return 1; }
        fi
        rm -f "$DEBS"/*-dbgsym_*.deb
        # What must be the same on the host afterwards.
        HOST_SUMS=$SCRATCH/host-sums
        host_sums >"$HOST_SUMS"
        SB=$SCRATCH/sb
        "$HERE/sandbox.sh" start "$SB" "$SCRATCH"
        D=$SCRATCH/docker
        DOCKER_HOST=unix://$D/docker.sock
        DOCKER_CONFIG=$D/client
        tar -C "$SCRATCH/tmpl-debian" -cf "$SCRATCH/rootfs.tar" .
}

teardown_file() {
        [ -z "${D:-}" ] || "$ENGINES/dockerd-stop.sh" "$D" >/dev/null 2>&1
        [ -z "${SB:-}" ] || "$HERE/sandbox.sh" stop "$SB"
        containers_teardown_file
}

# host_sums: what the packages would touch on the host, with checksums.
host_sums() {
        local p
        for p in /etc/docker/daemon.json /etc/nvidia-container-runtime /usr/bin/nvidia-ctk \
                /usr/bin/nvidia-container-cli /usr/bin/nvidia-cdi-hook /usr/bin/nvidia-docker \
                /usr/bin/nvidia-container-runtime /usr/bin/nvidia-container-runtime-hook \
                /usr/libexec/nvidia-container-runtime-full /var/lib/nvidia-docker2; do
                if [ -f "$p" ]; then
                        echo "$p $(sha256sum <"$p" | cut -d' ' -f1)"
                else
                        echo "$p $(stat -c %F "$p" 2>/dev/null || echo absent)"
                fi
        done
        # shellcheck disable=SC2086 # package names
        dpkg-query -W -f='${Package} ${Version} ${Status}\n' $PKGS 2>/dev/null || :
}

# in_sb CMD…: run in the sandbox.
in_sb() {
        "$HERE/sandbox.sh" run "$SB" "$@"
}

dk() {
        timeout 60 "$DOCKER" "$@" </dev/null
}

# debs: the package files, every one.
debs() {
        ls "$DEBS"/*.deb
}

# runtimes: the runtimes the running dockerd knows, one line.
runtimes() {
        # shellcheck disable=SC2016 # a Go template
        dk info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}'
}

# wait_runtime has|lacks NAME: until dockerd's runtimes have (or lack) NAME:
# it reloads daemon.json on SIGHUP, asynchronously.
wait_runtime() {
        local r
        for _ in $(seq 1 50); do
                r=" $(runtimes) "
                if [ "$1" = has ] && [[ $r == *" $2 "* ]]; then return 0; fi
                if [ "$1" = lacks ] && [[ $r != *" $2 "* ]]; then return 0; fi
                sleep 0.1
        done
        echo "dockerd's runtimes: $(runtimes); expected: $1 $2" >&2
        return 1
}

# set_conf CONTENT|--absent: the sandbox's daemon.json before an install.
set_conf() {
        if [ "$1" = --absent ]; then
                in_sb rm -f "$CONF"
        else
                printf '%s' "$1" >"$SCRATCH/conf.in"
                in_sb cp "$SCRATCH/conf.in" "$CONF"
        fi
}

# purge_all: dpkg --purge of every package, output in $output.
purge_all() {
        # shellcheck disable=SC2086 # package names
        run in_sb dpkg --purge $PKGS
        echo "$output"
        [ "$status" -eq 0 ]
}

@test "lintian reports no error on the packages" {
        if [ ! -f "$DEBS/lintian.txt" ]; then
                lintian --allow-root "$DEBS"/*.deb >"$DEBS/lintian.txt" 2>&1 || :
        fi
        cat "$DEBS/lintian.txt"
        run grep '^E: ' "$DEBS/lintian.txt"
        [ "$status" -eq 1 ]
        # It did look at all six packages.
        [ "$(debs | wc -l)" -eq 6 ]
}

@test "the packages are split as the reference's: library, CLI tools, toolkit base, toolkit (hook), nvidia-docker2" {
        has() { # PACKAGE PATH…
                local deb p
                deb=$(ls "$DEBS/$1"_*.deb)
                shift
                for p in "$@"; do
                        dpkg-deb -c "$deb" | grep -q " \./${p#/}\( ->.*\)\?$" || { echo "$p not in $deb"; return 1; }
                done
        }
        has libnvcr1 /usr/lib/x86_64-linux-gnu/libnvcr.so.1
        has libnvcr-dev /usr/include/nvcr.h /usr/lib/x86_64-linux-gnu/libnvcr.a /usr/lib/x86_64-linux-gnu/libnvcr.so \
                /usr/lib/x86_64-linux-gnu/pkgconfig/nvcr.pc
        has libnvidia-container-tools /usr/bin/nvidia-container-cli /usr/share/man/man1/nvidia-container-cli.1.gz
        has nvidia-container-toolkit-base /usr/bin/nvidia-container-runtime /usr/bin/nvidia-ctk /usr/bin/nvidia-cdi-hook \
                /usr/libexec/nvidia-container-runtime-full \
                /etc/nvidia-container-runtime/config.toml /usr/share/man/man5/nvidia-container-runtime-config.toml.5.gz
        has nvidia-container-toolkit /usr/bin/nvidia-container-runtime-hook
        has nvidia-docker2 /usr/bin/nvidia-docker /usr/share/bash-completion/completions/nvidia-docker
        # config.toml is a conffile; nvidia-docker2 needs the toolkit (its postinst runs nvidia-ctk).
        dpkg-deb -I "$DEBS"/nvidia-container-toolkit-base_*.deb conffiles | grep -qx /etc/nvidia-container-runtime/config.toml
        dpkg-deb -f "$DEBS"/nvidia-docker2_*.deb Depends | grep -q 'nvidia-container-toolkit'
        dpkg-deb -f "$DEBS"/nvidia-container-toolkit_*.deb Replaces | grep -q 'nvidia-container-runtime-hook'
}

@test "install with no daemon.json: dpkg -i registers the nvidia runtime and reloads the running dockerd; docker run --runtime=nvidia gets GPUs 0,1" {
        set_conf --absent
        run in_sb "$HERE/dockerd-pkg.sh" "$D" "$SIM"
        echo "$output"
        [ "$status" -eq 0 ]
        dk import "$SCRATCH/rootfs.tar" "$IMAGE" >/dev/null
        [[ " $(runtimes) " != *" nvidia "* ]]
        # Paths the packages will own, and which of them exist already.
        for deb in $(debs); do
                dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||; s|/$||' | sed '/^$/d'
        done | sort -u >"$SCRATCH/paths"
        # shellcheck disable=SC2016 # expanded by that sh
        in_sb sh -c 'while read -r p; do [ ! -e "$p" ] || echo "$p"; done' <"$SCRATCH/paths" >"$SCRATCH/paths-before"
        # shellcheck disable=SC2046 # one word per file
        run in_sb dpkg -i $(debs)
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"nvidia-docker2: dockerd (pid "*") reloads /etc/docker/daemon.json"* ]]
        run in_sb cat "$CONF"
        echo "$output"
        [ "$(jq -c .runtimes <<<"$output")" = '{"nvidia":{"args":[],"path":"nvidia-container-runtime"}}' ]
        # No restart: the running daemon took the new runtime.
        wait_runtime has nvidia
        # The seed's command, against the installed runtime and config.toml (mode auto: jit-cdi, nvidia-cdi-hook is installed).
        run dk run --rm --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0,1 "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia4 nvidia6 nvidiactl" ]
        [ "$(value_of libcuda)" -ge 3 ]
        # For later tests: what dpkg says it installed.
        for p in $PKGS; do
                in_sb dpkg -L "$p"
        done | grep -vx '/\.' | sort -u >"$SCRATCH/dpkg-L"
        [ "$(wc -l <"$SCRATCH/dpkg-L")" -gt 30 ]
}

@test "the seed's other commands on the installed packages: nvidia-container-cli --load-kmods info, --gpus after a dockerd restart, compose runtime: nvidia, nvidia-docker, man" {
        run in_sb "$REPO/tests/fixtures/simhost-enter" "$SIM" -- nvidia-container-cli --load-kmods info
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Device Index:   7"* ]]
        run in_sb which nvidia-container-cli nvidia-ctk nvidia-docker
        [ "$output" = $'/usr/bin/nvidia-container-cli\n/usr/bin/nvidia-ctk\n/usr/bin/nvidia-docker' ]
        # Docker looks the hook up for --gpus once, at start: restarted, as after an
        # install, the daemon (with the daemon.json the package wrote) finds ours.
        "$ENGINES/dockerd-stop.sh" "$D" >/dev/null
        in_sb "$HERE/dockerd-pkg.sh" "$D" "$SIM" >/dev/null
        run dk run --rm --gpus '"device=2"' "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl" ]
        # Compose's runtime: nvidia.
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        cat >"$T/docker-compose.yml" <<YML
version: "2.4"
services:
  gpu:
    image: $IMAGE
    runtime: nvidia
    network_mode: none
    environment:
      - NVIDIA_VISIBLE_DEVICES=1
    command: ["sh", "-c", '${LIST//\$/\$\$}']
YML
        run bash -c "cd '$T' && timeout 90 docker-compose -p nvcrpkg$$ up --no-color --abort-on-container-exit --exit-code-from gpu 2>&1"
        (cd "$T" && timeout 60 docker-compose -p "nvcrpkg$$" down >/dev/null 2>&1) || :
        output=$(printf '%s\n' "$output" | sed -E 's/^[^|]*\| //')
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia6 nvidiactl" ]
        # The installed wrapper.
        run in_sb env DOCKER_HOST="$DOCKER_HOST" DOCKER_CONFIG="$DOCKER_CONFIG" NV_GPU=2 \
                nvidia-docker run --rm "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl" ]
        # Installed man pages render.
        for p in nvidia-container-cli nvidia-container-runtime-hook nvidia-container-runtime nvidia-ctk \
                nvidia-cdi-hook nvidia-docker "5 nvidia-container-runtime-config.toml"; do
                # shellcheck disable=SC2086 # section and name
                in_sb env MANWIDTH=80 man $p >/dev/null
        done
}

@test "purge: daemon.json is gone again (there was none), dockerd told to reload, nothing of the packages is left on disk (dpkg -L)" {
        purge_all
        [[ $output == *"the \"nvidia\" runtime was taken out of /etc/docker/daemon.json"* ]]
        [[ $output == *"nvidia-docker2: dockerd (pid "*") reloads /etc/docker/daemon.json"* ]]
        run in_sb test -e "$CONF"
        [ "$status" -ne 0 ]
        # (dockerd keeps the runtimes it has when a reload finds no "runtimes"
        # key at all, so this daemon forgets "nvidia" only when it restarts;
        # the test below, with other runtimes in the file, sees it go at once.)
        # Every path dpkg -L listed is gone, unless it was there before the install
        # (/usr/bin, /etc/docker, …).
        # shellcheck disable=SC2016 # expanded by that sh
        run in_sb sh -c 'while read -r p; do [ ! -e "$p" ] && [ ! -L "$p" ] || echo "$p"; done' <"$SCRATCH/dpkg-L"
        left=$(comm -23 <(printf '%s\n' "$output" | sed '/^$/d' | sort) "$SCRATCH/paths-before")
        [ -z "$left" ] || { echo "left on disk: $left"; return 1; }
        grep -qx /usr/bin/nvidia-ctk "$SCRATCH/dpkg-L"
        grep -qx /etc/nvidia-container-runtime/config.toml "$SCRATCH/dpkg-L"
        run in_sb test -e /var/lib/nvidia-docker2
        [ "$status" -ne 0 ]
        run in_sb sh -c "dpkg-query -W -f='\${Package} \${Status}\n' $PKGS 2>/dev/null | grep -v 'not-installed\$' || :"
        [ -z "$output" ]
}

@test "install over a daemon.json with other runtimes and options keeps them; purge puts it back byte for byte" {
        orig='{
  "log-level": "warn",
  "runtimes": {
    "crun": { "path": "/usr/bin/crun", "runtimeArgs": ["--debug"] }
  },
  "default-ulimits": { "nofile": { "Name": "nofile", "Hard": 20000, "Soft": 20000 } },
  "features": { "buildkit": false }
}
'
        set_conf "$orig"
        in_sb chmod 0600 "$CONF"
        in_sb cp -p "$CONF" "$SCRATCH/conf.before"
        # shellcheck disable=SC2046 # one word per file
        run in_sb dpkg -i $(debs)
        echo "$output"
        [ "$status" -eq 0 ]
        run in_sb cat "$CONF"
        echo "$output"
        [ "$(jq -c . <<<"$output")" = '{"log-level":"warn","runtimes":{"crun":{"path":"/usr/bin/crun","runtimeArgs":["--debug"]},"nvidia":{"args":[],"path":"nvidia-container-runtime"}},"default-ulimits":{"nofile":{"Name":"nofile","Hard":20000,"Soft":20000}},"features":{"buildkit":false}}' ]
        [ "$(in_sb stat -c %a "$CONF")" = 600 ]
        wait_runtime has crun
        wait_runtime has nvidia
        run dk run --rm --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=2 "$IMAGE" sh -c "$LIST"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(value_of devs)" = "nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl" ]
        purge_all
        in_sb cmp "$SCRATCH/conf.before" "$CONF"
        [ "$(in_sb stat -c %a "$CONF")" = 600 ]
        wait_runtime lacks nvidia
        wait_runtime has crun
}

@test "a daemon.json changed after the install: purge takes out only runtimes.nvidia, the change stays" {
        set_conf '{"runtimes": {"crun": {"path": "/usr/bin/crun"}}}'
        # shellcheck disable=SC2046 # one word per file
        run in_sb dpkg -i $(debs)
        [ "$status" -eq 0 ]
        in_sb sh -c "jq '. + {\"debug\": false}' $CONF >$CONF.new && mv $CONF.new $CONF"
        purge_all
        run in_sb cat "$CONF"
        echo "$output"
        [ "$(jq -c . <<<"$output")" = '{"runtimes":{"crun":{"path":"/usr/bin/crun"}},"debug":false}' ]
}

@test "install over a daemon.json that is not valid JSON: the install step says so and fails, the file is kept byte for byte" {
        bad='{
  "log-level": "warn",
  "runtimes": {
}
'
        set_conf "$bad"
        in_sb cp -p "$CONF" "$SCRATCH/conf.before"
        # shellcheck disable=SC2046 # one word per file
        run in_sb dpkg -i $(debs)
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"/etc/docker/daemon.json:5:1: invalid JSON"* ]]
        [[ $output == *"nvidia-docker2: /etc/docker/daemon.json is not valid JSON"* ]]
        in_sb cmp "$SCRATCH/conf.before" "$CONF"
        # The rest is installed; nvidia-docker2 waits for the file to be fixed.
        # shellcheck disable=SC2016 # dpkg-query's format
        [ "$(in_sb dpkg-query -W -f='${Status}' nvidia-docker2)" = "install ok half-configured" ]
        # shellcheck disable=SC2016 # dpkg-query's format
        [ "$(in_sb dpkg-query -W -f='${Status}' nvidia-container-toolkit)" = "install ok installed" ]
        run in_sb test -e /var/lib/nvidia-docker2
        [ "$status" -ne 0 ]
        purge_all
        in_sb cmp "$SCRATCH/conf.before" "$CONF"
}

@test "afterwards: dockerd stopped without residue; the host's daemon.json, /usr/bin and dpkg database are untouched" {
        run "$ENGINES/dockerd-stop.sh" "$D"
        echo "$output"
        [ "$status" -eq 0 ]
        "$HERE/sandbox.sh" stop "$SB"
        run diff "$HOST_SUMS" <(host_sums)
        echo "$output"
        [ "$status" -eq 0 ]
        if grep " $SCRATCH/" /proc/self/mountinfo; then
                return 1
        fi
}
