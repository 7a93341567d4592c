#!/usr/bin/env bats
# Races (security.md §1.2 CVE-2021-30465, §1.1 CVE-2025-23359, §4 P0-3): the
# rootfs's library directory is swapped with a symlink pointing out of the
# rootfs while configure works in it.
#  - racer: tests/security/racer loops renameat2(RENAME_EXCHANGE) while
#    configure runs many times on standalone targets;
#  - deterministic: the test-only pause points (-Dtest_hooks=true) stop
#    configure between resolving a path and using it, and the test swaps then.
# A0 at the end of each: C empty, V unchanged, host mounts unchanged, nothing
# new in the host's /; and every mount made in a target lies inside the rootfs.

load security

setup_file() {
        containers_setup_file --gpus 8
}

teardown_file() {
        containers_teardown_file
}

setup() {
        security_setup
}

teardown() {
        teardown_containers
}

# race_run LINK_TARGET RUNS SECONDS: configure up to RUNS times (at most
# SECONDS) while the racer swaps /usr/lib/x86_64-linux-gnu with a symlink to
# LINK_TARGET. A fresh target every 50 runs keeps the mounts from piling up.
race_run() {
        local link=$1 runs=$2 secs=$3 racer rpid R L S
        local i=0 ok=0 failed=0 bad=0 rc t0 base="" pid=""
        R=$T/rootfs
        mk_rootfs "$R"
        L=$R/usr/lib/x86_64-linux-gnu
        S=$R/usr/lib/nvcr-swap
        ln -s "$link" "$S"
        racer=$(racer_bin)
        "$racer" "$L" "$S" $((secs + 60)) >"$T/racer.out" 2>&1 </dev/null 3>&- &
        rpid=$!
        echo "$rpid" >>"$SCRATCH/racers.list"
        for _ in $(seq 1 200); do
                grep -q racing "$T/racer.out" && break
                sleep 0.01
        done
        grep -q racing "$T/racer.out" || {
                cat "$T/racer.out"
                return 1
        }
        : >"$T/messages"
        t0=$SECONDS
        while ((i < runs && SECONDS - t0 < secs)); do
                if ((i % 50 == 0)); then
                        if [ -n "$pid" ]; then
                                ns_mountinfo "$pid" >"$T/ns.cur"
                                assert_new_mounts_ok "$base" "$T/ns.cur" "$R" || bad=$((bad + 1))
                                stop_target "$pid"
                        fi
                        start_target || return 1
                        pid=$TARGET_PID
                        base=$T/ns.base.$i
                        ns_mountinfo "$pid" >"$base"
                fi
                rc=0
                timeout 10 "$CLI" --root="$SIM/root" --proc-root="$SIM/proc" --sys-root="$SIM/sys" \
                        --cache-dir= configure --pid="$pid" "${SEC_ARGS[@]}" "$R" >"$T/out" 2>&1 || rc=$?
                i=$((i + 1))
                case $rc in
                0) ok=$((ok + 1)) ;;
                1)
                        failed=$((failed + 1))
                        if tail -1 "$T/out" | grep -qE '^nvidia-container-cli: [a-z0-9-]+ error: '; then
                                tail -1 "$T/out" | sed -E 's/[0-9]+/N/g' >>"$T/messages"
                        else
                                echo "run $i: not a clean failure:" && cat "$T/out"
                                bad=$((bad + 1))
                        fi
                        ;;
                *)
                        echo "run $i: exit $rc:" && cat "$T/out"
                        bad=$((bad + 1))
                        ;;
                esac
        done
        ns_mountinfo "$pid" >"$T/ns.cur"
        assert_new_mounts_ok "$base" "$T/ns.cur" "$R" || bad=$((bad + 1))
        stop_target "$pid"
        kill "$rpid"
        wait "$rpid"
        # fd 3: shown in the TAP output whether the test passes or not.
        echo "# race against a symlink to $link: $i runs in $((SECONDS - t0)) s: $ok succeeded, $failed failed cleanly, $bad bad; racer: $(tail -1 "$T/racer.out")" >&3
        echo "failure messages:"
        sort "$T/messages" | uniq -c | sort -rn | head -5 | cut -c1-300
        [ "$bad" -eq 0 ]
        # Enough runs to mean something, and the racer really raced.
        [ "$i" -ge "$((runs < 200 ? runs : 200))" ]
        grep -qE '^swaps: [0-9]{3,}' "$T/racer.out"
        # The racer left the names as they were.
        [ -d "$L" ] && [ ! -L "$L" ] && [ "$(readlink "$S")" = "$link" ]
        a0_check
}

@test "race: library dir RENAME_EXCHANGEd with a symlink to C during 1000 configures" {
        race_run "$A0_C" "${NVCR_RACE_RUNS:-1000}" "${NVCR_RACE_SECONDS:-60}"
}

@test "race: library dir RENAME_EXCHANGEd with a symlink to / during 1000 configures" {
        race_run / "${NVCR_RACE_RUNS_ROOT:-1000}" "${NVCR_RACE_SECONDS_ROOT:-30}"
}

# paused_swap POINT MOVE_TO [configure option…]: run configure on a standalone
# target with NVCR_TEST_PAUSE=POINT:DIR; when it pauses, move the library
# dir to MOVE_TO and put a symlink to C in its place; resume.
paused_swap() {
        local point=$1 moveto=$2 pd cpid i
        shift 2
        built_with_test_hooks || skip "needs a build with -Dtest_hooks=true (NVCR_BUILD=$NVCR_BUILD_DIR)"
        R=$T/rootfs
        L=$R/usr/lib/x86_64-linux-gnu
        mk_rootfs "$R"
        pd=$T/pause
        mkdir "$pd"
        start_target
        NS_BEFORE=$T/ns.before
        NS_AFTER=$T/ns.after
        ns_mountinfo "$TARGET_PID" >"$NS_BEFORE"
        NVCR_TEST_PAUSE=$point:$pd timeout 30 "$CLI" --root="$SIM/root" --proc-root="$SIM/proc" \
                --sys-root="$SIM/sys" --cache-dir= configure --pid="$TARGET_PID" "$@" "$R" \
                >"$T/out" 2>&1 </dev/null 3>&- &
        cpid=$!
        for i in $(seq 1 500); do
                [ -e "$pd/paused" ] && break
                sleep 0.01
        done
        if [ ! -e "$pd/paused" ]; then
                i=0
                wait "$cpid" || i=$?
                echo "configure never paused at $point (exit $i):"
                cat "$T/out"
                return 1
        fi
        mv "$L" "$moveto"
        ln -s "$A0_C" "$L"
        touch "$pd/resume"
        status=0
        wait "$cpid" || status=$?
        output=$(cat "$T/out")
        mapfile -t lines <"$T/out"
        ns_mountinfo "$TARGET_PID" >"$NS_AFTER"
        echo "paused at $point, swapped $L -> $moveto: exit $status"
        echo "$output"
        echo "$(new_mounts "$NS_BEFORE" "$NS_AFTER" | wc -l) new mounts in the target"
}

@test "pause at mount-target: library dir swapped for a symlink to C after it was resolved" {
        # --no-devbind: the first mount is a library (checked in the plan).
        local plan first
        plan=$(cli_on "$SIM" configure --dry-run --no-cgroups --no-devbind --device=all --compute --utility "$SCRATCH/tmpl-debian")
        first=$(jq -r '[.mounts[] | select(.type != "proc")][0].target' <<<"$plan")
        [[ $first == /usr/lib/x86_64-linux-gnu/* ]]
        paused_swap mount-target "$T/rootfs/usr/lib/x86_64-linux-gnu.moved" \
                --no-cgroups --no-devbind --device=all --compute --utility
        assert_clean_outcome "$R"
        if [ "$status" -eq 0 ]; then
                # The mounts followed the directory (held by fd), inside the rootfs.
                new_mounts "$NS_BEFORE" "$NS_AFTER" | grep -q " $R/usr/lib/x86_64-linux-gnu.moved/libnvidia-ml.so.$DRV "
                [ -L "$R/usr/lib/x86_64-linux-gnu.moved/libcuda.so.1" ]
        fi
        a0_check
}

@test "pause at mount-target: library dir moved out of the rootfs, symlink to C in its place" {
        built_with_test_hooks || skip "needs a build with -Dtest_hooks=true (NVCR_BUILD=$NVCR_BUILD_DIR)"
        mkdir "$T/outside"
        paused_swap mount-target "$T/outside/libdir" \
                --no-cgroups --no-devbind --device=all --compute --utility
        assert_clean_outcome "$R"
        # Nothing may be mounted on what left the rootfs.
        ! new_mounts "$NS_BEFORE" "$NS_AFTER" | grep -q " $T/outside/" || false
        # The target file it had made before the pause left with the directory; nothing else.
        ls -la "$T/outside/libdir"
        [ -z "$(find "$T/outside/libdir" -newer "$T/pause/paused" -print -quit)" ]
        a0_check
}

@test "pause at symlink: library dir swapped for a symlink to C before the soname links are made" {
        paused_swap symlink "$T/rootfs/usr/lib/x86_64-linux-gnu.moved" \
                --no-cgroups --device=all --compute --utility
        assert_clean_outcome "$R"
        if [ "$status" -eq 0 ]; then
                [ "$(readlink "$R/usr/lib/x86_64-linux-gnu.moved/libcuda.so.1")" = "libcuda.so.$DRV" ]
        fi
        [ ! -e "$A0_C/libcuda.so.1" ] && [ ! -L "$A0_C/libcuda.so.1" ]
        a0_check
}
