# Helpers of the malicious-image suite (reference/security.md §0, §4): every
# test plants something in a rootfs, runs configure on a standalone target
# (or under runc), and ends with the A0 check (tests/integration/containers.bash).

SECURITY_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/containers.bash
source "$SECURITY_LIB_DIR/../integration/containers.bash"

# What the suite asks for unless a test says otherwise: everything we write.
SEC_ARGS=(--no-cgroups --device=all --compute --utility --ldconfig=@/sbin/ldconfig)

security_setup() {
        T=$(mktemp -d "$SCRATCH/t.XXXXXX")
        a0_setup
}

# configure_once ROOTFS ARG…: configure a fresh standalone target (killed
# afterwards) with a 20 s limit. Sets status/output/lines like `run`, and
# NS_BEFORE/NS_AFTER (the target's mountinfo files).
configure_once() {
        local root=$1
        shift
        start_target || return 1
        NS_BEFORE=$(mktemp "$T/ns.XXXXXX")
        NS_AFTER=$(mktemp "$T/ns.XXXXXX")
        ns_mountinfo "$TARGET_PID" >"$NS_BEFORE"
        run timeout 20 "$CLI" --root="$SIM/root" --proc-root="$SIM/proc" --sys-root="$SIM/sys" \
                --cache-dir= configure --pid="$TARGET_PID" "$@" "$root"
        ns_mountinfo "$TARGET_PID" >"$NS_AFTER"
        stop_target "$TARGET_PID"
}

# assert_clean_outcome ROOTFS [ALLOWED_SOURCE_PREFIX…]: after configure_once,
# either success with every new mount inside ROOTFS and from the driver, or
# exit 1 with one "<phase> error:" line and no mount left behind.
assert_clean_outcome() {
        local root=$1
        shift
        case $status in
        0)
                assert_new_mounts_ok "$NS_BEFORE" "$NS_AFTER" "$root" "$@"
                ;;
        1)
                if ! [[ ${lines[-1]} =~ ^nvidia-container-cli:\ [a-z0-9-]+\ error:\  ]]; then
                        echo "not a clean failure: ${lines[-1]}" >&2
                        return 1
                fi
                if ! cmp -s "$NS_BEFORE" "$NS_AFTER"; then
                        echo "failed, but mounts were left behind in the container:" >&2
                        diff "$NS_BEFORE" "$NS_AFTER" >&2
                        return 1
                fi
                ;;
        *)
                echo "configure exited $status (crash, hang or usage error)" >&2
                return 1
                ;;
        esac
}

# racer_bin: tests/security/racer built by meson, else compiled here.
racer_bin() {
        local b=$NVCR_BUILD_DIR/tests/security/racer
        if [ -x "$b" ]; then
                echo "$b"
                return 0
        fi
        b=$SCRATCH/racer
        [ -x "$b" ] || cc -O2 -Wall -o "$b" "$SECURITY_LIB_DIR/racer.c" >&2 || return 1
        echo "$b"
}

# symlink_case DIR KIND FILE [configure option…]: plant DIR -> C in a fresh
# rootfs of KIND (debian|rpm) in each of the four ways. FILE is a name that
# must land in the rootfs's copy of C in the "inside" variant ("" = none to
# check); "?FILE": there, a clean refusal is acceptable too.
symlink_case() {
        local dir=$1 kind=$2 file=$3 variant target root n=0
        shift 3
        for variant in absolute relative procself inside; do
                n=$((n + 1))
                root=$T/$variant/rootfs
                mkdir -p "$T/$variant"
                mk_rootfs "$root" "$kind"
                rm -rf "${root:?}$dir"
                mkdir -p "$(dirname "$root$dir")"
                case $variant in
                absolute | inside) target=$A0_C ;;
                relative) target=../../../../../../../../../..$A0_C ;;
                procself) target=/proc/self/root$A0_C ;;
                esac
                ln -s "$target" "$root$dir"
                [ "$variant" != inside ] || mkdir -p "$root$A0_C"
                configure_once "$root" "$@"
                echo "== $dir -> $target ($variant): status $status"
                printf '%s\n' "$output" | sed '/^nvidia-container-cli: warning: /d'
                assert_clean_outcome "$root"
                # The image's symlink is still a symlink to the same place.
                [ "$(readlink "$root$dir")" = "$target" ]
                if [ "$variant" = inside ] && { [ "$status" -eq 0 ] || [[ $file != "?"* ]]; }; then
                        # Resolved inside the rootfs: it works, and lands there.
                        [ "$status" -eq 0 ]
                        file=${file#"?"}
                        if [ -n "$file" ]; then
                                ls -la "$root$A0_C"
                                [ -e "$root$A0_C/$file" ] || [ -L "$root$A0_C/$file" ]
                        fi
                fi
                a0_check
        done
        [ "$n" -eq 4 ]
}
