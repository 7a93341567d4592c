#!/bin/bash
# ns-enter.sh SIM CONFIG -- CMD [ARGS…]
# Runs CMD inside tests/fixtures/simhost-enter SIM (the simulated driver laid
# over the real paths in a private mount namespace) with CONFIG visible at
# /etc/nvidia-container-runtime/config.toml, the default path of our runtime
# and hook. Nothing on the host's /etc changes: when the directory exists it
# gets a bind mount in the namespace; when it does not, /etc becomes an
# overlay (the host's /etc below, a tmpfs upper) in the namespace only.
# A spare procfs and sysfs are mounted under SIM/.enter (see below).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case ${1:-} in
--in-ns)
        cfg=$2
        shift 3
        d=/etc/nvidia-container-runtime
        if [ -d "$d" ] && [ ! -L "$d" ]; then
                mount -t tmpfs -o mode=0755 nvcr-etc-nvcr "$d"
        else
                w=$SIMHOST_OUTDIR/.enter/etc
                mkdir -p "$w/upper" "$w/work"
                mount -t overlay nvcr-etc -o "lowerdir=/etc,upperdir=$w/upper,workdir=$w/work" /etc
                rm -rf "$d" && mkdir -m 0755 "$d"
        fi
        install -m 0644 -o root -g root "$cfg" "$d/config.toml"
        # A procfs and a sysfs with nothing mounted over them: the kernel lets a user
        # namespace (LXC's unprivileged containers) mount a new one only
        # when one is fully visible, and simhost-enter covers /proc/driver
        # and /proc/devices.
        mkdir -p "$SIMHOST_OUTDIR/.enter/proc" "$SIMHOST_OUTDIR/.enter/sys"
        mount -t proc nvcr-proc "$SIMHOST_OUTDIR/.enter/proc"
        mount -t sysfs nvcr-sys "$SIMHOST_OUTDIR/.enter/sys"
        exec "$@"
        ;;
esac
sim=$1 cfg=$2
[ "${3:-}" = -- ] || { echo "usage: ns-enter.sh SIM CONFIG -- CMD…" >&2; exit 2; }
shift 3
exec "$here/../../fixtures/simhost-enter" "$sim" -- "$(readlink -f "$0")" --in-ns "$cfg" -- "$@"
