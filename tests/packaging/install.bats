#!/usr/bin/env bats
# Installing from source (meson install / ninja uninstall) and what both
# install paths carry: man pages that render without warnings, bash
# completion for every program. A build of its own (tests off, prefix /usr)
# in $BATS_FILE_TMPDIR; every install goes to a DESTDIR or a scratch prefix,
# never to the system.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
PROGRAMS="nvidia-container-cli nvidia-container-runtime-hook nvidia-container-runtime nvidia-ctk nvidia-cdi-hook nvidia-docker"

setup_file() {
        if ! command -v meson >/dev/null || ! command -v ninja >/dev/null; then
                skip "needs meson and ninja"
        fi
        B=$BATS_FILE_TMPDIR/build
        export B
        meson setup "$B" "$REPO" -Dtests=false --prefix=/usr >"$BATS_FILE_TMPDIR/setup.log" 2>&1 ||
                { cat "$BATS_FILE_TMPDIR/setup.log" >&2; return 1; }
        ninja -C "$B" >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
                { tail -30 "$BATS_FILE_TMPDIR/build.log" >&2; return 1; }
}

# files_under DIR: every file and link under DIR, relative, sorted.
files_under() {
        (cd "$1" && find . ! -type d | sed 's|^\./||' | sort)
}

@test "meson install --destdir: programs, library (shared, static), header, pkg-config, man pages, completion, config.toml" {
        D=$BATS_TEST_TMPDIR/root
        run meson install -C "$B" --no-rebuild --destdir "$D"
        echo "$output" | tail -5
        [ "$status" -eq 0 ]
        run files_under "$D"
        echo "$output"
        for p in $PROGRAMS; do
                [ -x "$D/usr/bin/$p" ]
                [ -f "$D/usr/share/bash-completion/completions/$p" ]
                [ -f "$D/usr/share/man/man1/$p.1" ]
        done
        [ -f "$D/usr/share/man/man5/nvidia-container-runtime-config.toml.5" ]
        L=$(cd "$D/usr" && find lib -name libnvcr.so.1.0.0 | head -1)
        L=$(dirname "$L")
        [ -f "$D/usr/$L/libnvcr.so.1.0.0" ]
        [ "$(readlink "$D/usr/$L/libnvcr.so.1")" = libnvcr.so.1.0.0 ]
        [ -L "$D/usr/$L/libnvcr.so" ]
        [ -f "$D/usr/$L/libnvcr.a" ]
        [ -f "$D/usr/$L/pkgconfig/nvcr.pc" ]
        [ -f "$D/usr/include/nvcr.h" ]
        # The default config, from the nvidia-ctk just built.
        [ -f "$D/etc/nvidia-container-runtime/config.toml" ]
        [ "$(stat -c %a "$D/etc/nvidia-container-runtime/config.toml")" = 644 ]
        "$B/cmd/ctk/nvidia-ctk" config default | cmp - "$D/etc/nvidia-container-runtime/config.toml"
        # The installed header and library build a program (pkg-config).
        printf '#include <nvcr.h>\n#include <stdio.h>\nint main(void) { puts(nvcr_version()); return 0; }\n' \
                >"$BATS_TEST_TMPDIR/v.c"
        flags=$(PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$D/usr/$L/pkgconfig pkg-config --cflags --libs nvcr)
        # shellcheck disable=SC2086 # flags are words
        cc -o "$BATS_TEST_TMPDIR/v" "$BATS_TEST_TMPDIR/v.c" $flags
        run env LD_LIBRARY_PATH="$D/usr/$L" "$BATS_TEST_TMPDIR/v"
        [ "$status" -eq 0 ]
        [ "$output" = "$(meson introspect "$B" --projectinfo | jq -r .version)" ]
}

@test "meson install keeps a config.toml that is already there; DESTDIR from the environment works too" {
        D=$BATS_TEST_TMPDIR/root
        mkdir -p "$D/etc/nvidia-container-runtime"
        printf '[nvidia-container-runtime]\nmode = "legacy"\n' >"$D/etc/nvidia-container-runtime/config.toml"
        cp -p "$D/etc/nvidia-container-runtime/config.toml" "$BATS_TEST_TMPDIR/mine"
        run env DESTDIR="$D" meson install -C "$B" --no-rebuild
        echo "$output" | tail -3
        [ "$status" -eq 0 ]
        cmp "$BATS_TEST_TMPDIR/mine" "$D/etc/nvidia-container-runtime/config.toml"
        [ -x "$D/usr/bin/nvidia-ctk" ]
}

@test "--prefix is honoured (config under PREFIX/etc unless --sysconfdir=/etc); ninja uninstall removes all but config.toml" {
        P=$BATS_TEST_TMPDIR/opt
        B2=$BATS_TEST_TMPDIR/build2
        # A second configuration of the same sources (fast: the objects are rebuilt once).
        meson setup "$B2" "$REPO" -Dtests=false --prefix="$P" >/dev/null
        ninja -C "$B2" >/dev/null
        run meson install -C "$B2" --no-rebuild
        [ "$status" -eq 0 ]
        [ -x "$P/bin/nvidia-container-cli" ]
        [ -x "$P/bin/nvidia-docker" ]
        [ -f "$P/share/man/man1/nvidia-ctk.1" ]
        [ -f "$P/etc/nvidia-container-runtime/config.toml" ]
        run ninja -C "$B2" uninstall
        echo "$output" | tail -5
        [ "$status" -eq 0 ]
        run files_under "$P"
        echo "left: $output"
        [ "$output" = "etc/nvidia-container-runtime/config.toml" ]
}

@test "every man page renders with man -l, without a warning" {
        for f in "$REPO"/man/*.[1-8]; do
                err=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
                [ -z "$err" ] || { echo "$f: $err"; return 1; }
                n=$(MANWIDTH=80 man -l "$f" 2>/dev/null | wc -l)
                [ "$n" -gt 20 ] || { echo "$f: $n lines"; return 1; }
        done
        # One page per program, and the config file's.
        for p in $PROGRAMS; do
                [ -f "$REPO/man/$p.1" ]
        done
        [ -f "$REPO/man/nvidia-container-runtime-config.toml.5" ]
}

# complete_words FILE WORDS…: what the completion of FILE offers for the
# command line WORDS (the last word being completed).
complete_words() {
        local f=$1
        shift
        bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                fn=$(complete -p "$1" | sed -E "s/.*-F ([^ ]+) .*/\1/")
                "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}"' sh "$f" "$@"
}

@test "bash completion: every program has one; commands and flags from --help" {
        for p in $PROGRAMS; do
                run bash -c "source '$REPO/completions/$p' && complete -p $p"
                [ "$status" -eq 0 ]
        done
        C=$REPO/completions
        run complete_words "$C/nvidia-container-cli" nvidia-container-cli --load-kmods ""
        [ "${lines[*]}" = "info list configure" ]
        run complete_words "$C/nvidia-container-cli" nvidia-container-cli configure --no-c
        [ "${lines[*]}" = "--no-cgroups --no-cntlibs" ]
        run complete_words "$C/nvidia-ctk" nvidia-ctk runtime configure --runtime ""
        [ "${lines[*]}" = "docker containerd crio" ]
        run complete_words "$C/nvidia-ctk" nvidia-ctk cdi ""
        [ "${lines[*]}" = "generate list help" ]
        run complete_words "$C/nvidia-cdi-hook" nvidia-cdi-hook update-ldcache --f
        [ "${lines[*]}" = "--folder" ]
        run complete_words "$C/nvidia-container-runtime-hook" nvidia-container-runtime-hook p
        [ "${lines[*]}" = "prestart poststart poststop" ]
        # Every flag the completion offers exists in the program's --help.
        for w in $(complete_words "$C/nvidia-ctk" nvidia-ctk runtime configure --); do
                "$B/cmd/ctk/nvidia-ctk" runtime configure --help | grep -q -- "$w" ||
                        { echo "nvidia-ctk runtime configure: $w not in --help"; return 1; }
        done
        for w in $(complete_words "$C/nvidia-container-cli" nvidia-container-cli configure --); do
                "$B/cmd/cli/nvidia-container-cli" configure --help | grep -q -- "${w%=}" ||
                        { echo "configure: $w not in --help"; return 1; }
        done
}
