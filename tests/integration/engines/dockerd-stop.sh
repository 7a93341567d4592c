#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# dockerd-stop.sh DIR: stops the dockerd that dockerd-start.sh DIR started
# (SIGTERM, which also stops its containerd), then ends whatever is left in
# its mount namespace (containerd shims of containers still running), waiting
# for each. Prints what it did; exit 1 if something survived.
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: dockerd-stop.sh DIR" >&2; exit 2; }
D=$(readlink -f "$1")
pid=$(cat "$D/dockerd.pid" 2>/dev/null) || { echo "no dockerd pid file in $D"; exit 0; }
ns=$(cat "$D/dockerd.mntns" 2>/dev/null || true)

# Is PID still the process we started (same mount namespace)?
ours() {
        [ -d "/proc/$1" ] && { [ -z "$ns" ] || [ "$(readlink "/proc/$1/ns/mnt" 2>/dev/null)" = "$ns" ]; }
}

wait_gone() { # PID SECONDS
        local i
        for ((i = 0; i < $2 * 10; i++)); do
                ours "$1" || return 0
                sleep 0.1
        done
        return 1
}

if ours "$pid"; then
        s=$(date +%s%N)
        # Every container of this private daemon is a test's: remove them first
        # (dockerd's shutdown would wait 10 s for each one ignoring SIGTERM).
        ids=$(DOCKER_HOST=unix://$D/docker.sock DOCKER_CONFIG=$D/client timeout 20 \
                "${DOCKER_CLIENT:-/usr/bin/docker}" ps -aq 2>/dev/null)
        if [ -n "$ids" ]; then
                echo "removing containers left running: ${ids//$'\n'/ }"
                # shellcheck disable=SC2086 # one word per id
                DOCKER_HOST=unix://$D/docker.sock DOCKER_CONFIG=$D/client timeout 30 \
                        "${DOCKER_CLIENT:-/usr/bin/docker}" rm -f $ids >/dev/null 2>&1
        fi
        kill -TERM "$pid"
        if ! wait_gone "$pid" 30; then
                echo "dockerd $pid still alive after 30 s: SIGKILL"
                kill -KILL "$pid"
                wait_gone "$pid" 5
        fi
        echo "dockerd stopped in $((($(date +%s%N) - s) / 1000000)) ms"
else
        echo "dockerd $pid not running"
fi

# Anything left in the daemon's namespace (shims, containers) is ours.
left=0
if [ -n "$ns" ]; then
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
                echo "left in the daemon's namespace: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
                kill -TERM "$p" 2>/dev/null
                wait_gone "$p" 5 || { kill -KILL "$p" 2>/dev/null; wait_gone "$p" 5; } || left=1
        done
fi
rm -f "$D/dockerd.pid" "$D/dockerd.mntns"
# Host residue that did not exist before dockerd-start.sh: empty directories only.
if [ -f "$D/host-residue" ]; then
        while read -r c; do
                [ -d "$c" ] || continue
                find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
                if [ -d "$c" ]; then
                        echo "$c not empty, left"
                        left=1
                fi
        done <"$D/host-residue"
        rm -f "$D/host-residue"
fi
# The namespace is private: nothing of it should be visible here.
if grep -q " $D/" /proc/self/mountinfo; then
        echo "mounts left under $D:"
        grep " $D/" /proc/self/mountinfo
        left=1
fi
exit "$left"
