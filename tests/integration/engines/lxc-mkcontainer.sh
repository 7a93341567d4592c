#!/bin/bash
# lxc-mkcontainer.sh LXCPATH NAME ROOTFS_SRC CGROUP_TAG [KEY=VALUE…]: an
# unprivileged LXC 5.0 container (lxc.idmap u/g 0 100000 65536, its rootfs a
# copy of ROOTFS_SRC owned by 100000) with the nvidia mount hook of the lxc
# package, no network, its cgroups (and the monitor's) under CGROUP_TAG, and
# one lxc.environment line per KEY=VALUE. The hook only acts in a user
# namespace and needs nvidia-container-cli on lxc-execute's PATH.
set -euo pipefail
P=$1 n=$2 src=$3 tag=$4
shift 4
c=$P/$n
rm -rf "$c"
mkdir -p "$c"
cp -a "$src" "$c/rootfs"
chown -R 100000:100000 "$c/rootfs"
chmod o+x "$P" "$c" # the mapped root traverses to the rootfs
{
        cat <<CFG
lxc.uts.name = $n
lxc.rootfs.path = dir:$c/rootfs
lxc.net.0.type = empty
lxc.mount.auto = proc:mixed sys:mixed
lxc.apparmor.profile = unconfined
lxc.log.file = $c/lxc.log
lxc.log.level = DEBUG
lxc.idmap = u 0 100000 65536
lxc.idmap = g 0 100000 65536
lxc.cgroup.dir.container = $tag/$n
lxc.cgroup.dir.monitor = $tag/$n.monitor
lxc.cgroup.dir.monitor.pivot = $tag/pivot
lxc.hook.mount = /usr/share/lxc/hooks/nvidia
CFG
        for e in "$@"; do
                echo "lxc.environment = $e"
        done
} >"$c/config"
