# shellcheck shell=bash
# Shared by tests/gpu/validate-configure.sh and bench/configure.sh (sourced,
# bash): the carried runc, OCI bundles with a config.json written here (no
# `runc spec`, no jq: the GPU host has neither), and the hooks.
#
# Needs: CARRY (the .carry directory), REPO (the repository root).
# Optional: SIM (a tests/fixtures/mksimhost tree: simulated-host mode).

# The carried runc (Debian's) needs libseccomp.so.2, which the GPU host may
# lack. `runc init` is started with an empty environment (so LD_LIBRARY_PATH
# is lost) from a memfd copy of itself (so $ORIGIN is no directory): its
# RUNPATH ($ORIGIN/lib:/tmp/nvcr-carry/lib:/var/tmp/nvcr-carry/lib, see
# scripts/build-carry.sh) therefore also names fixed directories; the .so goes
# into the first one whose file system allows exec (a library found on a
# noexec mount is a fatal error for the loader, not a reason to look on).
oci_libdir() {
        local d
        for d in /tmp /var/tmp; do
                findmnt -no OPTIONS -T "$d" 2>/dev/null | tr , '\n' | grep -qx noexec ||
                        { echo "$d/nvcr-carry/lib"; return; }
        done
        echo "oci-lib: /tmp and /var/tmp are both noexec: runc init will not find libseccomp" >&2
        echo /tmp/nvcr-carry/lib
}

oci_setup() {
        RUNC=$CARRY/runc
        CLI=$CARRY/nvidia-container-cli
        NOOP_HOOK=$CARRY/noop-hook
        ROOTFS_TAR=$CARRY/rootfs.tar
        HOOKS=$REPO/tests/gpu
        local f
        for f in "$RUNC" "$CLI" "$NOOP_HOOK" "$ROOTFS_TAR"; do
                [ -e "$f" ] || { echo "missing $f: run scripts/build-carry.sh" >&2; return 1; }
        done
        if [ -e "$CARRY/lib/libseccomp.so.2" ]; then
                OCI_LIBDIR=$(oci_libdir)
                mkdir -p "$OCI_LIBDIR"
                cmp -s "$CARRY/lib/libseccomp.so.2" "$OCI_LIBDIR/libseccomp.so.2" ||
                        cp "$CARRY/lib/libseccomp.so.2" "$OCI_LIBDIR/libseccomp.so.2"
        fi
        # Global options of every CLI call: simulated host paths in SIM mode.
        CLI_GLOBAL=()
        if [ -n "${SIM:-}" ]; then
                CLI_GLOBAL=(--root="$SIM/root" --proc-root="$SIM/proc" --sys-root="$SIM/sys")
        fi
        RUNC_STATE=$(mktemp -d /tmp/nvcr-runc.XXXXXX)
        [ -n "${NVCR_CONFIGURE_OPTS+x}" ] && echo "note: hook runs configure with NVCR_CONFIGURE_OPTS='$NVCR_CONFIGURE_OPTS'"
        [ -n "${NVCR_LDCONFIG+x}" ] && echo "note: hook runs configure with NVCR_LDCONFIG='$NVCR_LDCONFIG'"
        return 0
}

oci_cleanup() {
        [ -n "${RUNC_STATE:-}" ] && rm -rf "$RUNC_STATE"
}

# runc with our own state directory (never the host's /run/runc).
oci_runc() { "$RUNC" --root "$RUNC_STATE" "$@"; }

json_q() {
        local s=${1//\\/\\\\}
        s=${s//\"/\\\"}
        printf '"%s"' "$s"
}

json_arr() {
        local sep=
        printf '['
        for a; do
                printf '%s' "$sep"
                json_q "$a"
                sep=,
        done
        printf ']'
}

# hook_json PATH ARG0 ARGS… : one hook object. Its environment is exactly
# HOOK_ENV (runc gives a hook only what config.json names).
HOOK_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
# The configure hook's knobs (prestart-configure.sh), only when the caller sets them.
[ -n "${NVCR_CONFIGURE_OPTS+x}" ] && HOOK_ENV+=("NVCR_CONFIGURE_OPTS=$NVCR_CONFIGURE_OPTS")
[ -n "${NVCR_LDCONFIG+x}" ] && HOOK_ENV+=("NVCR_LDCONFIG=$NVCR_LDCONFIG")
hook_json() {
        local path=$1
        shift
        printf '{"path":%s,"args":%s,"env":%s,"timeout":60}' \
                "$(json_q "$path")" "$(json_arr "$@")" "$(json_arr "${HOOK_ENV[@]}")"
}

# The hooks, as JSON objects for oci_bundle's PRESTART list.
hook_noop() { hook_json "$NOOP_HOOK" noop-hook; }
# SIM mode: makes the simulated /proc/driver visible in the container's procfs.
hook_simproc() { hook_json /bin/sh sh "$HOOKS/prestart-simproc.sh" "$SIM/proc"; }
# hook_configure DEVICES [GLOBAL_OPTION…]: our configure through the wrapper.
hook_configure() {
        local dev=$1
        shift
        hook_json /bin/sh sh "$HOOKS/prestart-configure.sh" "$CLI" "$dev" "${CLI_GLOBAL[@]}" "$@"
}
# hook_wrapper_noop: the same wrapper, with the no-op hook in place of the CLI.
hook_wrapper_noop() {
        hook_json /bin/sh sh "$HOOKS/prestart-configure.sh" "$NOOP_HOOK" all
}

# oci_bundle BUNDLE PRESTART_HOOKS_JSON ARGS… : unpacks a fresh rootfs (each
# bundle its own: configure leaves mount-point files behind) and writes
# config.json: runc's defaults except terminal off, the container's process
# env explicit (the host's NVIDIA_* variables must not leak in), root
# writable, Docker's default capabilities (CAP_MKNOD for the cgroup checks),
# and linux.resources.devices left as runc's default: deny all but the
# standard devices, so the device cgroup is on.
# A cgroup namespace too, as Docker uses on cgroup v2: without one, runc mounts
# cgroup2 in the init cgroup namespace, which resets the host cgroup2 mount's
# options (nsdelegate, memory_recursiveprot) - seen on the GPU host.
oci_bundle() {
        local b=$1 hooks=$2
        shift 2
        rm -rf "$b"
        mkdir -p "$b/rootfs"
        tar -C "$b/rootfs" -xf "$ROOTFS_TAR"
        local caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
        local hooks_json=
        [ -n "$hooks" ] && hooks_json="\"hooks\": {\"prestart\": [$hooks]},"
        cat >"$b/config.json" <<EOF
{
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": $(json_arr "$@"),
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
    "cwd": "/",
    "capabilities": {"bounding": $caps, "effective": $caps, "permitted": $caps},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": false},
  "hostname": "nvcr-test",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  $hooks_json
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
EOF
}

# oci_run BUNDLE ID : runc run, output (stdout+stderr) on stdout.
# oci_add_env CONFIG_JSON VAR=VALUE…: appends to process.env of the bundle's config.json.
oci_add_env() {
        python3 - "$@" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["env"] += sys.argv[2:]
json.dump(c, open(p, "w"), indent=1)
PY
}

oci_run() { oci_runc run -b "$1" "$2" </dev/null 2>&1; }

# oci_runc_edits RUNTIME GPU_JSON BUNDLE DRY_TOML OUT: the config.json our
# runtime writes for GPU_JSON in jit-cdi mode (a create in BUNDLE, whose
# rootfs must be in place, with DRY_TOML's runtime /bin/true), its
# createContainer hook taken out, into OUT: runc left to carry out the edits
# alone (the benches' floor). Prints how many edits there are.
oci_runc_edits() {
        local rt=$1 gpu=$2 b=$3 dry=$4 out=$5
        cp "$gpu" "$b/config.json"
        NVIDIA_CTK_CONFIG_FILE_PATH=$dry "$rt" create -b "$b" x >/dev/null ||
                { echo "the runtime could not prepare the runc-edits bundle" >&2; return 1; }
        python3 - "$b/config.json" "$out" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.get("hooks", {}).pop("createContainer", None)
json.dump(c, open(sys.argv[2], "w"), indent=1)
print("jit-cdi edits: %d mounts, %d device nodes, %d device rules"
      % (len(c["mounts"]), len(c["linux"].get("devices", [])),
         len(c["linux"]["resources"].get("devices", []))))
PY
}
