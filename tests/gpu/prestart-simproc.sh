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
. "${0%/*}/oci-state.sh"
oci_read_state prestart-simproc
# procfs has /proc/driver (a directory no one can create files in): bind over it.
exec nsenter --mount="/proc/$pid/ns/mnt" mount --bind "$simproc/driver" "$bundle/rootfs/proc/driver"
