#!/usr/bin/env bats
# security.md §4 P0-1, CVE-2024-0133/0134, CVE-2026-41579 class: every
# directory configure writes into is a symlink in the image that points at a
# host canary C: absolute, ../×10 relative, through /proc/self/root, and
# absolute with C also existing inside the rootfs. configure must resolve it
# inside the rootfs: it either succeeds with everything landing inside, or
# fails cleanly (exit 1, one error line, nothing left mounted). A0 after each.

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

@test "symlinked /usr/lib/x86_64-linux-gnu (Debian rootfs) -> C" {
        symlink_case /usr/lib/x86_64-linux-gnu debian "libcuda.so.$DRV" "${SEC_ARGS[@]}"
}

@test "symlinked /usr/lib64 (RPM rootfs) -> C" {
        symlink_case /usr/lib64 rpm "libcuda.so.$DRV" "${SEC_ARGS[@]}"
}

@test "symlinked /usr/lib (parent of the library dir) -> C" {
        symlink_case /usr/lib debian "x86_64-linux-gnu/libcuda.so.1" "${SEC_ARGS[@]}"
}

@test "symlinked /usr/bin -> C" {
        symlink_case /usr/bin debian nvidia-smi "${SEC_ARGS[@]}"
}

@test "symlinked /dev (the image's /dev of a standalone target) -> C" {
        # The ldconfig sandbox may refuse a rootfs whose /dev it cannot mask.
        symlink_case /dev debian "?nvidia0" "${SEC_ARGS[@]}"
}

@test "symlinked /lib/firmware/nvidia/<version> -> C (CVE-2024-0133 layout)" {
        symlink_case "/lib/firmware/nvidia/$DRV" debian gsp_ga10x.bin "${SEC_ARGS[@]}"
}

@test "symlinked /etc/ld.so.conf.d -> C (ldconfig reads it)" {
        symlink_case /etc/ld.so.conf.d debian "" "${SEC_ARGS[@]}"
}

@test "symlinked /etc/nvidia -> C (--graphics: application profile dir)" {
        symlink_case /etc/nvidia debian nvidia-application-profiles-rc.d "${SEC_ARGS[@]}" --graphics
}

@test "symlinked /etc/nvidia/nvidia-application-profiles-rc.d -> C (--graphics)" {
        symlink_case /etc/nvidia/nvidia-application-profiles-rc.d debian "" "${SEC_ARGS[@]}" --graphics
}

@test "symlinked /run/nvidia-persistenced -> C (IPC socket)" {
        symlink_case /run/nvidia-persistenced debian socket "${SEC_ARGS[@]}"
}

# Under runc: the container's /proc is a real procfs at prestart, so
# /proc/self/root inside the rootfs is a live magic link there.
runc_symlink_case() {
        local dir=$1 target=$2 id
        write_gpu_check "$T/check.sh"
        make_bundle "$T/b" --script "$T/check.sh" -- "${SEC_ARGS[@]}"
        rm -rf "${T:?}/b/rootfs$dir"
        ln -s "$target" "$T/b/rootfs$dir"
        id=$(new_ctr_id sec)
        run runc_run "$T/b" "$id"
        echo "== runc, $dir -> $target: status $status"
        echo "$output"
        hook_result "$T/b"
        case $(cat "$T/b/hook.rc") in
        0)
                [ "$status" -eq 0 ]
                check_eq STARTED 1
                ;;
        1)
                [ "$status" -ne 0 ]
                [[ $(tail -1 "$T/b/hook.err") =~ ^nvidia-container-cli:\ [a-z0-9-]+\ error:\  ]]
                [[ $output != *STARTED=1* ]]
                ;;
        *) false ;;
        esac
        [ "$(readlink "$T/b/rootfs$dir")" = "$target" ]
        a0_check
}

@test "runc: symlinked /usr/lib/x86_64-linux-gnu -> /proc/self/root\$C" {
        runc_symlink_case /usr/lib/x86_64-linux-gnu "/proc/self/root$A0_C"
}

@test "runc: symlinked /usr/bin -> \$C and /proc/1/root\$C" {
        runc_symlink_case /usr/bin "$A0_C"
        teardown_containers
        a0_setup
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        runc_symlink_case /usr/bin "/proc/1/root$A0_C"
}
