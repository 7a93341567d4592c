#!/bin/bash
# mkimage.sh ROOTFS NAME OUT.tar: a one-layer image in `docker save` format
# (what `ctr image import` and `podman load` read), made without any registry.
set -euo pipefail
rootfs=$1 name=$2 out=$3
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
tar -C "$rootfs" --numeric-owner -cf "$w/layer.tar" .
diff=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "$diff" >"$w/config.json"
cfg=$(sha256sum "$w/config.json" | cut -d' ' -f1)
mv "$w/config.json" "$w/$cfg.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$cfg" "$name" >"$w/manifest.json"
tar -C "$w" -cf "$out" manifest.json "$cfg.json" layer.tar
