#!/usr/bin/env bats
# nvidia-ctk system create-dev-char-symlinks against the simulated GPU host
# (tests/fixtures/mksimhost: real device nodes made with mknod) into a
# scratch --dev-char-path, and nvidia-ctk config (default, --set, --in-place,
# --output, errors; what it writes is read back by nvidia-ctk itself). No
# host path is written: everything is under $SCRATCH. Needs root (mknod).

bats_require_minimum_version 1.5.0

load helpers

CTK=${NVCR_BUILD:-$BATS_TEST_DIRNAME/../../build}/cmd/ctk/nvidia-ctk

setup_file() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        [ -x "$CTK" ] || skip "nvidia-ctk not built"
        export SCRATCH
        SCRATCH=$(scratch_dir)
        make_sim sim --gpus 8
}

teardown_file() {
        [ -z "${SCRATCH:-}" ] || rm -rf --one-file-system "$SCRATCH"
}

setup() {
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        ROOT=$SCRATCH/sim/root
}

# nodes: "MAJ:MIN path" of every NVIDIA char device of the sim, sorted.
nodes() {
        find "$ROOT/dev" -type c \( -name 'nvidia*' \) -printf '%p\n' | while read -r n; do
                echo "$((0x$(stat -c %t "$n"))):$((0x$(stat -c %T "$n"))) $n"
        done | sort
}

# links DIR: "name target-resolved" of every link in DIR, sorted.
links() {
        local l
        for l in "$1"/*; do
                [ -L "$l" ] || continue
                echo "$(basename "$l") $(readlink -f "$l")"
        done | sort
}

@test "create-dev-char-symlinks: one relative MAJ:MIN link per NVIDIA node of the driver root (ctl, GPUs, uvm, modeset, caps, nvswitch)" {
        run "$CTK" system create-dev-char-symlinks --driver-root="$ROOT" --dev-char-path="$T/dev/char"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(stat -c %a "$T/dev/char")" = 755 ]
        [ "$(links "$T/dev/char")" = "$(nodes)" ]
        [ "$(nodes | wc -l)" -ge 16 ]
        # Relative, as the kernel's own /dev/char links.
        for l in "$T"/dev/char/*; do
                case $(readlink "$l") in /*) echo "absolute: $l"; false ;; esac
        done
        [ "$(readlink "$T/dev/char/195:255")" = "../../../sim/root/dev/nvidiactl" ]
        [[ $(readlink "$T/dev/char/$(nodes | grep nvidia-cap1 | cut -d' ' -f1)") == ../../../sim/root/dev/nvidia-caps/nvidia-cap1 ]]
        [[ $output == *"Creating link $T/dev/char/195:255 => ../../../sim/root/dev/nvidiactl"* ]]
}

@test "create-dev-char-symlinks: right links kept, wrong ones replaced without following them, other files left alone" {
        mkdir -p "$T/char" "$T/victim"
        "$CTK" system create-dev-char-symlinks --driver-root="$ROOT" --dev-char-path="$T/char" 2>/dev/null
        local ino
        ino=$(stat -c %i "$T/char/195:255")
        # A wrong link, a link to a directory (never followed: nothing is
        # created in it), and a regular file at a link's name.
        ln -sfn ../nowhere "$T/char/195:4"
        rm "$T/char/195:6" && ln -s "$T/victim" "$T/char/195:6"
        rm "$T/char/238:0" && echo keep >"$T/char/238:0"
        run "$CTK" -d system create-dev-char-symlinks --driver-root="$ROOT" --dev-char-path="$T/char"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(stat -c %i "$T/char/195:255")" = "$ino" ]
        [[ $output == *"Link $T/char/195:255 => ../../sim/root/dev/nvidiactl already exists"* ]]
        [[ $output == *"Replacing link $T/char/195:4 => ../../sim/root/dev/nvidia4"* ]]
        [ "$(readlink "$T/char/195:4")" = ../../sim/root/dev/nvidia4 ]
        [ "$(readlink "$T/char/195:6")" = ../../sim/root/dev/nvidia6 ]
        [ -z "$(ls -A "$T/victim")" ]
        [[ $output == *"$T/char/238:0 exists and is not a symlink: left alone"* ]]
        [ "$(cat "$T/char/238:0")" = keep ]
        # No temporary links left.
        [ -z "$(find "$T/char" -mindepth 1 ! -name '*:*')" ]
}

@test "create-dev-char-symlinks --dry-run creates nothing; no nodes is a warning" {
        run "$CTK" system create-dev-char-symlinks --driver-root="$ROOT" --dev-char-path="$T/char" --dry-run
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Would create link $T/char/195:255 => ../../sim/root/dev/nvidiactl"* ]]
        [ ! -e "$T/char" ]
        mkdir -p "$T/empty/dev"
        run "$CTK" system create-dev-char-symlinks --driver-root="$T/empty" --dev-char-path="$T/char2"
        [ "$status" -eq 0 ]
        [[ $output == *"no NVIDIA device nodes found under $T/empty/dev"* ]]
        run "$CTK" system create-dev-char-symlinks --driver-root="$T/none" --dev-char-path="$T/char3"
        [ "$status" -ne 0 ]
        [[ $output == *"cannot list $T/none/dev"* ]]
        run "$CTK" system create-dev-char-symlinks --bogus
        [ "$status" -ne 0 ]
}

@test "config default: the shipped layout, read back unchanged by nvidia-ctk config" {
        run --separate-stderr "$CTK" config default
        [ "$status" -eq 0 ]
        printf '%s\n' "$output" >"$T/default.toml"
        grep -qx '#accept-nvidia-visible-devices-as-volume-mounts = false' "$T/default.toml"
        grep -qx '\[nvidia-container-cli\]' "$T/default.toml"
        grep -qx 'ldconfig = "@/sbin/ldconfig"' "$T/default.toml"
        grep -qx 'runtimes = \["runc", "crun"\]' "$T/default.toml"
        grep -qx '#debug = "/var/log/nvidia-container-runtime.log"' "$T/default.toml"
        "$CTK" config default --output="$T/out.toml"
        cmp "$T/default.toml" "$T/out.toml"
        # A missing file is the defaults; the defaults written read back the same.
        run --separate-stderr "$CTK" config --config-file="$T/missing.toml"
        [ "$output" = "$(cat "$T/default.toml")" ]
        run --separate-stderr "$CTK" config --config-file="$T/out.toml"
        [ "$output" = "$(cat "$T/default.toml")" ]
}

@test "config --set … --in-place: applied, atomic, mode kept; read back by config; the global --config is the default file" {
        printf '# mine\n[nvidia-container-cli]\nno-cgroups = true\n' >"$T/config.toml"
        chmod 0640 "$T/config.toml"
        run "$CTK" config --config-file="$T/config.toml" --in-place \
                --set nvidia-container-cli.load-kmods=false \
                --set nvidia-container-runtime.runtimes=/usr/sbin/runc:crun --set-list-separator=: \
                --set features.allow-cuda-compat-libs-from-container \
                --set nvidia-container-runtime.mode=cdi
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(stat -c %a "$T/config.toml")" = 640 ]
        grep -qx 'load-kmods = false' "$T/config.toml"
        grep -qx 'no-cgroups = true' "$T/config.toml"
        grep -qx 'runtimes = \["/usr/sbin/runc", "crun"\]' "$T/config.toml"
        grep -qx 'mode = "cdi"' "$T/config.toml"
        grep -qx 'allow-cuda-compat-libs-from-container = true' "$T/config.toml"
        [ "$(ls -A "$T")" = config.toml ]
        # What was written reads back as itself (through the global --config too).
        run --separate-stderr "$CTK" --config="$T/config.toml" config
        [ "$status" -eq 0 ]
        [ "$output" = "$(cat "$T/config.toml")" ]
        # --output writes elsewhere, the source untouched.
        cp -p "$T/config.toml" "$T/orig"
        run "$CTK" config --config-file="$T/config.toml" --set nvidia-container-cli.no-cgroups=false --output="$T/new.toml"
        [ "$status" -eq 0 ]
        cmp "$T/config.toml" "$T/orig"
        grep -qx '#no-cgroups = false' "$T/new.toml"
}

@test "config --set: an unknown key or a bad value is an error naming it; nothing written" {
        printf '[nvidia-container-cli]\nload-kmods = true\n' >"$T/config.toml"
        cp "$T/config.toml" "$T/orig"
        run "$CTK" config --config-file="$T/config.toml" --in-place --set features.foo
        [ "$status" -ne 0 ]
        [[ $output == *'unknown key'*'features.foo'* ]]
        run "$CTK" config --config-file="$T/config.toml" --in-place --set nvidia-container-cli.load-kmods=maybe
        [ "$status" -ne 0 ]
        [[ $output == *'invalid value'*'maybe'*'nvidia-container-cli.load-kmods'* ]]
        run "$CTK" config --config-file="$T/config.toml" --in-place --set nvidia-container-runtime.mode=fast
        [ "$status" -ne 0 ]
        [[ $output == *'nvidia-container-runtime.mode'* ]]
        run "$CTK" config --config-file="$T/config.toml" --in-place --set nvidia-container-cli.path
        [ "$status" -ne 0 ]
        [[ $output == *'expected [option-key]=[option-value]'* ]]
        run "$CTK" config --config-file="$T/config.toml" --in-place --set nvidia-container-cli.ldconfig=/sbin/ldconfig
        [ "$status" -ne 0 ]
        [[ $output == *'is not a host path'* ]]
        cmp "$T/config.toml" "$T/orig"
        printf 'mode = [\n' >"$T/bad.toml"
        run "$CTK" config --config-file="$T/bad.toml"
        [ "$status" -ne 0 ]
        [[ $output == *"$T/bad.toml:"* ]]
}
