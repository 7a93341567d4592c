#!/usr/bin/env bats
# CUDA forward-compat libraries from the image (CVE-2024-0132, CVE-2025-23359,
# security.md §4 P0-4/5): a symlink chain through /proc/1/cwd under
# /usr/local/cuda/compat is never a mount source; a real ELF there is mounted
# (read-only, inside the rootfs) only with --cuda-compat-mode=mount; a racer
# swapping the real ELF with a symlink to the host's /etc gets nowhere.

load security

COMPAT=/usr/local/cuda/compat

setup_file() {
        containers_setup_file --gpus 8
}

teardown_file() {
        containers_teardown_file
}

setup() {
        security_setup
        R=$T/rootfs
        mk_rootfs "$R"
        mkdir -p "$R$COMPAT"
}

teardown() {
        teardown_containers
}

# The ctrsploit CVE-2024-0132 layout: compat libs are links through /proc/1/cwd
# to links that point at the host's / and at the canary.
plant_poc() {
        ln -s /proc/1/cwd/usr/lib/libnvidia-ml.so.1 "$R$COMPAT/libcuda.so.999.0.0"
        ln -s / "$R/usr/lib/libnvidia-ml.so.1"
        ln -s /proc/1/cwd/usr/lib/libnvidia-x.so.1 "$R$COMPAT/libnvidia-ml.so.999.0.0"
        ln -s "$A0_C" "$R/usr/lib/libnvidia-x.so.1"
        ln -s "/proc/1/root$A0_C" "$R$COMPAT/libnvidia-ptxjitcompiler.so.999.0.0"
}

# assert_no_compat_mount: nothing of the target's new mounts comes from or goes to a .999 name.
assert_no_compat_mount() {
        if new_mounts "$NS_BEFORE" "$NS_AFTER" | grep -E '999|/usr/local/cuda'; then
                echo "a compat library was mounted" >&2
                return 1
        fi
}

@test "compat: CVE-2024-0132 symlink chain, --cuda-compat-mode=mount: nothing from compat is mounted" {
        plant_poc
        run cli_on "$SIM" configure --dry-run --cuda-compat-mode=mount --device=0 --compute "$R"
        [ "$status" -eq 0 ]
        [ "$(jq '[.mounts[] | select(.type == "image-file")] | length' <<<"$output")" = 0 ]
        configure_once "$R" --no-cgroups --device=all --compute --utility --cuda-compat-mode=mount
        echo "$output"
        [ "$status" -eq 0 ]
        assert_clean_outcome "$R"
        assert_no_compat_mount
        a0_check
}

@test "compat: CVE-2024-0132 symlink chain, default mode: nothing mounted, compat dir not given to ldconfig" {
        plant_poc
        run cli_on "$SIM" configure --dry-run --device=0 --compute "$R"
        [ "$status" -eq 0 ]
        [ "$(jq '[.mounts[] | select(.type == "image-file")] | length' <<<"$output")" = 0 ]
        [ "$(jq -c .ldconfig.directories <<<"$output")" = '["/usr/lib/x86_64-linux-gnu"]' ]
        configure_once "$R" --no-cgroups --device=all --compute --utility
        echo "$output"
        [ "$status" -eq 0 ]
        assert_clean_outcome "$R"
        assert_no_compat_mount
        ! ldconfig -p -C "$R/etc/ld.so.cache" | grep -F "$COMPAT" || false
        a0_check
}

@test "compat, positive control: a real ELF compat libcuda is mounted read-only in the library dir with mount mode" {
        local d=/usr/lib/x86_64-linux-gnu
        cp "$SIM/root$d/libcuda.so.$DRV" "$R$COMPAT/libcuda.so.999.0.0"
        run cli_on "$SIM" configure --dry-run --cuda-compat-mode=mount --device=0 --compute "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -c '[.mounts[] | select(.type == "image-file") | [.source, .target, .options]]' <<<"$output")" = \
                "[[\"$COMPAT/libcuda.so.999.0.0\",\"$d/libcuda.so.999.0.0\",\"ro,nosuid,nodev\"]]" ]
        configure_once "$R" --no-cgroups --device=0 --compute --utility --cuda-compat-mode=mount
        echo "$output"
        [ "$status" -eq 0 ]
        new_mounts "$NS_BEFORE" "$NS_AFTER" | grep -E " $R$d/libcuda.so.999.0.0 ro,nosuid,nodev"
        # Its source is the image file, and nothing else from the image is mounted.
        assert_clean_outcome "$R" "$R$COMPAT/libcuda.so.999.0.0"
        a0_check
}

@test "compat, positive control: default mode gives the real ELF compat dir to ldconfig, mounts nothing of it" {
        local d=/usr/lib/x86_64-linux-gnu
        cp "$SIM/root$d/libcuda.so.$DRV" "$R$COMPAT/libcuda.so.999.0.0"
        run cli_on "$SIM" configure --dry-run --device=0 --compute "$R"
        [ "$(jq -c .ldconfig.directories <<<"$output")" = "[\"$COMPAT\",\"$d\"]" ]
        configure_once "$R" --no-cgroups --device=0 --compute --utility
        echo "$output"
        [ "$status" -eq 0 ]
        assert_clean_outcome "$R"
        assert_no_compat_mount
        ldconfig -p -C "$R/etc/ld.so.cache" | grep -F "$COMPAT/libcuda.so"
        a0_check
}

@test "compat race (CVE-2025-23359): the real ELF swapped with a symlink to the host's /etc during mount-mode configures" {
        local racer rpid i=0 ok=0 failed=0 bad=0 rc t0 d=/usr/lib/x86_64-linux-gnu
        cp "$SIM/root$d/libcuda.so.$DRV" "$R$COMPAT/libcuda.so.999.0.0"
        ln -s /proc/1/root/etc "$R$COMPAT/swap"
        racer=$(racer_bin)
        "$racer" "$R$COMPAT/libcuda.so.999.0.0" "$R$COMPAT/swap" 60 >"$T/racer.out" 2>&1 </dev/null 3>&- &
        rpid=$!
        echo "$rpid" >>"$SCRATCH/racers.list"
        start_target
        ns_mountinfo "$TARGET_PID" >"$T/ns.base"
        t0=$SECONDS
        while ((i < ${NVCR_COMPAT_RACE_RUNS:-200} && SECONDS - t0 < 20)); do
                rc=0
                timeout 10 "$CLI" --root="$SIM/root" --proc-root="$SIM/proc" --sys-root="$SIM/sys" \
                        --cache-dir= configure --pid="$TARGET_PID" --no-cgroups --device=0 --compute \
                        --cuda-compat-mode=mount "$R" >"$T/out" 2>&1 || rc=$?
                i=$((i + 1))
                case $rc in
                0) ok=$((ok + 1)) ;;
                1)
                        failed=$((failed + 1))
                        if ! tail -1 "$T/out" | grep -qE '^nvidia-container-cli: [a-z0-9-]+ error: '; then
                                echo "run $i: not a clean failure:" && cat "$T/out"
                                bad=$((bad + 1))
                        fi
                        ;;
                *)
                        echo "run $i: exit $rc" && cat "$T/out"
                        bad=$((bad + 1))
                        ;;
                esac
        done
        kill "$rpid"
        wait "$rpid"
        ns_mountinfo "$TARGET_PID" >"$T/ns.cur"
        echo "# compat race: $i runs: $ok succeeded, $failed failed cleanly, $bad bad; racer: $(tail -1 "$T/racer.out")" >&3
        [ "$bad" -eq 0 ]
        # Every mount: inside the rootfs, from the driver or from the compat file itself.
        assert_new_mounts_ok "$T/ns.base" "$T/ns.cur" "$R" "$R$COMPAT/libcuda.so.999.0.0"
        ! new_mounts "$T/ns.base" "$T/ns.cur" | grep -E ' (/proc|/etc)' || false
        a0_check
}
