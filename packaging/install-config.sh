#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# install-config.sh NVIDIA_CTK CONFDIR: meson's install step for
# CONFDIR/config.toml (under $DESTDIR). The default configuration comes from
# the nvidia-ctk just built (`nvidia-ctk config default`), so it cannot drift
# from what the programs assume. A config.toml already there is the
# administrator's and is kept as it is.
set -eu
ctk=$1
dir=${DESTDIR:-}$2
say() {
        [ -n "${MESON_INSTALL_QUIET:-}" ] || echo "$*"
}
if [ -e "$dir/config.toml" ] || [ -L "$dir/config.toml" ]; then
        say "Keeping existing $dir/config.toml"
        exit 0
fi
[ -z "${MESON_INSTALL_DRY_RUN:-}" ] || exit 0
mkdir -p "$dir"
# Written beside, then renamed: an interrupted install leaves no half file.
tmp=$dir/.config.toml.$$
trap 'rm -f "$tmp"' EXIT
"$ctk" config default >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$dir/config.toml"
trap - EXIT
say "Installing default config to $dir/config.toml"
