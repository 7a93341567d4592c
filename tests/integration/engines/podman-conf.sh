#!/bin/bash
# podman-conf.sh DIR HOOK: DIR/containers.conf and DIR/hooks.d for a podman
# (Debian 4.3) whose state all lives under DIR: runc (crun 1.8.1 refuses this
# host's hybrid cgroups), cgroupfs, file events, no network config outside
# DIR, ulimits pinned to what root may set here (podman asks nofile=1048576,
# which needs CAP_SYS_RESOURCE, and lowers its own NPROC to 32768), and
# hooks.d/oci-nvidia-hook.json: our HOOK as a prestart hook, always, as in
# NVIDIA's packaging. Run podman as: podman --root DIR/root --runroot
# DIR/runroot --tmpdir DIR/tmp with CONTAINERS_CONF=DIR/containers.conf.
set -euo pipefail
PD=$1 hook=$2
mkdir -p "$PD/hooks.d" "$PD/hooks.none" "$PD/cni" "$PD/tmp"
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
if [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ]; then nofile=1048576; fi
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
cat >"$PD/containers.conf" <<TOML
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
netns = "none"
[network]
network_config_dir = "$PD/cni"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PD/events.log"
runtime = "runc"
hooks_dir = ["$PD/hooks.none"]
[engine.runtimes]
runc = ["/usr/sbin/runc"]
TOML
jq -n --arg h "$hook" '{version: "1.0.0",
        hook: {path: $h, args: ["nvidia-container-runtime-hook", "prestart"]},
        when: {always: true}, stages: ["prestart"]}' >"$PD/hooks.d/oci-nvidia-hook.json"
