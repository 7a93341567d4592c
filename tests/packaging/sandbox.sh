#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# sandbox.sh start DIR [BIND…] | run DIR CMD [ARG…] | stop DIR
#
# A throwaway copy of this machine to install packages into: a mount
# namespace whose root is an overlay of the real / (lower, read-only) and a
# tmpfs (upper), with /proc, /sys and /dev of the host and every BIND
# directory (read-write, same path) attached, and pivot_root'ed into, so that
# runc and dockerd work in it as on the host. dpkg -i, the packages'
# maintainer scripts, /etc/docker/daemon.json, /usr/bin: every change lands on
# the tmpfs and vanishes with the namespace. Nothing of the host changes
# except through the BIND directories (and /proc, /sys, /dev: the cgroups a
# dockerd makes there are cleaned up by dockerd-stop.sh).
#   start  one process (sleep) holds the namespace; DIR/pid names it
#   run    CMD inside (nsenter: same root, same view)
#   stop   ends every process left in the namespace, then the holder
set -euo pipefail
SELF=$(readlink -f "$0")

die() {
        echo "sandbox: $*" >&2
        exit 1
}

# Inside the new namespace: build the root, pivot into it, hold it.
init() {
        local d=$1 t m
        shift
        t=$d/t
        mount -t tmpfs -o mode=0755 nvcr-pkg-sandbox "$t"
        mkdir "$t/upper" "$t/work" "$t/root"
        # Only / itself is the lower layer (overlayfs does not descend into
        # submounts): /proc, /sys, /dev come back as recursive binds.
        mount -t overlay nvcr-pkg-root -o "lowerdir=/,upperdir=$t/upper,workdir=$t/work" "$t/root"
        for m in /proc /sys /dev; do
                mount --rbind "$m" "$t/root$m"
        done
        for m in "$@"; do
                mkdir -p "$t/root$m"
                mount --rbind "$m" "$t/root$m"
        done
        cd "$t/root"
        mkdir -p .sandbox-oldroot
        pivot_root . .sandbox-oldroot
        cd /
        umount -l /.sandbox-oldroot
        rmdir /.sandbox-oldroot
        echo ready
        exec sleep infinity
}

case ${1:-} in
--init)
        shift
        init "$@"
        ;;
start)
        [ $# -ge 2 ] || die "usage: sandbox.sh start DIR [BIND…]"
        [ "$(id -u)" = 0 ] || die "must run as root"
        d=$(readlink -f "$2")
        shift 2
        binds=()
        for b in "$@"; do
                binds+=("$(readlink -f "$b")")
        done
        mkdir -p "$d/t"
        : >"$d/init.log"
        setsid unshare --mount --propagation private -- "$SELF" --init "$d" "${binds[@]}" \
                </dev/null >"$d/init.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do
                if grep -qx ready "$d/init.log"; then
                        echo "$pid" >"$d/pid"
                        readlink "/proc/$pid/ns/mnt" >"$d/mntns"
                        exit 0
                fi
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.05
        done
        cat "$d/init.log" >&2
        kill "$pid" 2>/dev/null || :
        die "the sandbox did not start"
        ;;
run)
        [ $# -ge 3 ] || die "usage: sandbox.sh run DIR CMD [ARG…]"
        d=$(readlink -f "$2")
        shift 2
        pid=$(cat "$d/pid") || die "no sandbox in $d"
        [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$(cat "$d/mntns")" ] ||
                die "the sandbox of $d is gone"
        exec nsenter --target "$pid" --mount --root --wd -- "$@"
        ;;
stop)
        [ $# -eq 2 ] || die "usage: sandbox.sh stop DIR"
        d=$(readlink -f "$2")
        [ -f "$d/pid" ] || exit 0
        pid=$(cat "$d/pid")
        ns=$(cat "$d/mntns")
        # Processes in the namespace itself (nested namespaces, such as a
        # dockerd's, are the caller's to stop first: dockerd-stop.sh).
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [ "$p" != "$pid" ] || continue
                [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
                kill -KILL "$p" 2>/dev/null || :
        done
        if [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$ns" ]; then
                kill -KILL "$pid" 2>/dev/null || :
                for _ in $(seq 1 100); do
                        [ -d "/proc/$pid" ] || break
                        sleep 0.05
                done
        fi
        rm -f "$d/pid" "$d/mntns"
        ;;
*)
        die "usage: sandbox.sh start DIR [BIND…] | run DIR CMD… | stop DIR"
        ;;
esac
