#!/bin/bash
# containerd-stop.sh DIR: stop the containerd of containerd-start.sh DIR
# (SIGTERM to its pid while it still is that containerd), then unmount what
# is left under DIR.
C=$1
pid=$(cat "$C/containerd.pid" 2>/dev/null) || exit 0
if [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == "containerd --config $C/config.toml "* ]]; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
fi
rm -f "$C/containerd.pid"
awk -v d="$C/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
        umount -l "$m"
done
exit 0
