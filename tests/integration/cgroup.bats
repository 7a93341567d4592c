#!/usr/bin/env bats
# Device cgroup rules on the real kernel (lib/apply/cgroup*.c), driven by
# tests/cgroup-check (tests/integration/cgroup-check.c): cgroup v1
# devices.allow, and the cgroup v2 rewrite of the BPF device programs that a
# runtime attached, checked from a process inside the cgroup. Needs root.
# Every cgroup made here is removed in teardown, also after a failure.

load helpers

CHECK=${NVCR_BUILD:-$BATS_TEST_DIRNAME/../../build}/tests/cgroup-check
HARDEN=/proc/sys/net/core/bpf_jit_harden

setup() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        [ -x "$CHECK" ] || {
                echo "missing $CHECK (build with meson first; NVCR_BUILD=$NVCR_BUILD)"
                return 1
        }
        SCRATCH=$(scratch_dir)
        CGS=()
        SAVED_HARDEN=$(cat "$HARDEN" 2>/dev/null || true)
        V2ROOT=$(cg_mount cgroup2 "")
        V1ROOT=$(cg_mount cgroup devices)
}

# The first mount of that type in our mount namespace (fstype, super option).
cg_mount() {
        awk -v t="$1" -v o="$2" '{
                for (i = 7; $i != "-"; i++) ;
                if ($(i + 1) == t && (o == "" || index("," $(i + 3) ",", "," o ","))) { print $5; exit }
        }' /proc/self/mountinfo
}

# A fresh cgroup path (not created: cgroup-check makes it) under $1.
new_cg() {
        local cg
        cg="$1/nvcr-test-bats-$BATS_TEST_NUMBER-$RANDOM"
        CGS+=("$cg")
        echo "$cg"
}

remove_cg() {
        local cg=$1 pid sub
        [ -d "$cg" ] || return 0
        # Anything left inside (cgroup-check's child dies with it; be sure).
        for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        for sub in "$cg"/*/; do
                [ -d "$sub" ] || continue
                umount -l "$sub" 2>/dev/null || true
                rmdir "$sub" 2>/dev/null || true
        done
        for _ in 1 2 3 4 5 6 7 8 9 10; do
                rmdir "$cg" 2>/dev/null && return 0
                sleep 0.1
        done
        echo "teardown: could not remove $cg" >&2
}

teardown() {
        local cg
        for cg in "${CGS[@]}"; do remove_cg "$cg"; done
        if [ -n "${SAVED_HARDEN:-}" ] && [ "$(cat "$HARDEN")" != "$SAVED_HARDEN" ]; then
                echo "$SAVED_HARDEN" >"$HARDEN"
        fi
        rm -rf "$SCRATCH"
}

# run_check ARGS…: runs cgroup-check; its "ok:"/"FAIL:"/"SETUP:" lines are
# shown when the test fails, the failed ones repeated at the end.
run_check() {
        run "$CHECK" "$@"
        printf '%s\n' "$output"
        if [ "$status" -eq 77 ]; then
                skip "$(printf '%s\n' "$output" | sed -n 's/^SKIP: //p')"
        fi
        if [ "$status" -ne 0 ]; then
                echo "---- cgroup-check $* exited $status; failed checks:"
                printf '%s\n' "$output" | grep -E '^(FAIL|SETUP)' || true
                return 1
        fi
        [[ $output == *"PASSED: 0 check(s) failed"* ]]
        ! printf '%s\n' "$output" | grep -q '^FAIL'
}

need_v2() {
        [ -n "$V2ROOT" ] || skip "no cgroup2 mount"
}

@test "cgroup v2: runc-style filter (BPF_F_ALLOW_MULTI) gets our devices, keeps its own, is replaced not stacked" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" multi
}

@test "cgroup v2: two programs attached: both are replaced, both allow" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" multi2
}

@test "cgroup v2: a program attached without flags is replaced in place" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" single
}

@test "cgroup v2: a program attached with BPF_F_ALLOW_OVERRIDE is replaced in place" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" override
}

@test "cgroup v2: no program attached: nothing to do, nothing attached" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" none
}

@test "cgroup v2: a filter calling a helper is refused by id and left attached" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" helper
}

@test "cgroup v2: when the second of two programs cannot be rebuilt, neither is replaced" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" helper2
}

@test "cgroup v2: a failed attachment undoes the ones already made (test_hooks builds)" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" rollback
}

@test "cgroup v2: a filter blinded by net.core.bpf_jit_harden=2 is refused with the reason" {
        need_v2
        [ -w "$HARDEN" ] || skip "$HARDEN not writable"
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" blinded
        [ "$(cat "$HARDEN")" = "$SAVED_HARDEN" ]
}

@test "cgroup v2: the cgroup of a pid is found and opened safely (\"..\", magic, mount id, no mount crossing)" {
        need_v2
        run_check v2 "$(new_cg "$V2ROOT")" "$SCRATCH" discover
}

@test "cgroup v2 only (v1 devices unmounted in a private mount namespace): cgroup_allow_devices takes v2" {
        need_v2
        [ -n "$V1ROOT" ] || skip "the devices controller is not mounted anyway (the multi test covers it)"
        cg=$(new_cg "$V2ROOT")
        run unshare -m --propagation private sh -c 'umount -l "$1" && exec "$2" v2 "$3" "$4" multi' \
                sh "$V1ROOT" "$CHECK" "$cg" "$SCRATCH"
        printf '%s\n' "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"ok: cgroup_open_for_pid(child) = 0, v2 (want v2"* ]]
        [[ $output == *"ok: cgroup_allow_devices(child, D) = 0"* ]]
        [[ $output == *"PASSED: 0 check(s) failed"* ]]
}

@test "cgroup v1: devices.allow gets one rw rule per device; cgroup_open_for_pid finds the pid's cgroup" {
        [ -n "$V1ROOT" ] || skip "no cgroup v1 devices hierarchy"
        run_check v1 "$(new_cg "$V1ROOT")" "$SCRATCH"
}

@test "no cgroup is left behind" {
        run ls -d /sys/fs/cgroup/*/nvcr-test-bats-* /sys/fs/cgroup/nvcr-test-bats-*
        printf '%s\n' "$output"
        [ "$status" -ne 0 ]
}
