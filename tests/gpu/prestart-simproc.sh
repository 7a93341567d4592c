#!/bin/sh
# OCI prestart hook for the simulated-host mode only (SIM=…): the container's
# procfs is the real kernel's, which has no /proc/driver/nvidia here. This
# binds the simulated SIMPROC/driver (nvidia/, nvidia-caps/) over
# <rootfs>/proc/driver inside the container's mount namespace (prestart hooks
# run after runc mounted the container's /proc, before pivot_root), so that
# `configure --proc-root=SIMPROC` finds there what it masks on a real host.
# Nothing changes in the host's mount namespace.
# Usage (the hook's args in config.json): prestart-simproc.sh SIMPROC
set -eu
simproc=$1
# The state is one line of JSON; read and cut with builtins only (no fork:
# the hook's own cost is part of what bench/configure.sh measures).
IFS= read -r state || [ -n "$state" ]
pid=${state#*\"pid\":}
pid=${pid#"${pid%%[! ]*}"}
pid=${pid%%[!0-9]*}
bundle=${state#*\"bundle\":}
bundle=${bundle#"${bundle%%[! ]*}"}
bundle=${bundle#\"}
bundle=${bundle%%\"*}
case $state in *'"pid":'*'"bundle":'* | *'"bundle":'*'"pid":'*) ;; *) pid= ;; esac
if [ -z "$pid" ] || [ -z "$bundle" ]; then
        echo "prestart-simproc: no pid or bundle in the state: $state" >&2
        exit 1
fi
# procfs has /proc/driver (a directory no one can create files in): bind over it.
exec nsenter --mount="/proc/$pid/ns/mnt" mount --bind "$simproc/driver" "$bundle/rootfs/proc/driver"
