#!/bin/sh
# OCI prestart hook: `nvidia-container-cli configure` for the container runc
# is creating. runc writes the state ({"pid":N,"bundle":"/path",…}) on stdin.
# Usage (the hook's args in config.json):
#   prestart-configure.sh CLI DEVICES [GLOBAL_OPTION…]
# GLOBAL_OPTIONs go before `configure` (--root=…, --proc-root=…, --debug=…).
# The hook's environment is only what config.json's hook "env" names (runc
# passes nothing else). Knobs, set there (tests/gpu/oci-lib.sh passes them on
# from its caller's environment):
#   NVCR_CONFIGURE_OPTS  replaces the default "--compute --utility"
#   NVCR_LDCONFIG        replaces the --ldconfig value; empty: no --ldconfig
# POSIX sh only: the GPU host has no jq.
set -eu
cli=$1
devices=$2
shift 2
. "${0%/*}/oci-state.sh"
oci_read_state prestart-configure
# Ubuntu's /sbin/ldconfig is a wrapper script; the binary is ldconfig.real.
ldconfig=@/sbin/ldconfig
[ -x /sbin/ldconfig.real ] && ldconfig=@/sbin/ldconfig.real
ldconfig=${NVCR_LDCONFIG-$ldconfig}
# shellcheck disable=SC2086 # NVCR_CONFIGURE_OPTS is a list of options
exec "$cli" "$@" configure --pid="$pid" --device="$devices" ${NVCR_CONFIGURE_OPTS:---compute --utility} \
        ${ldconfig:+--ldconfig="$ldconfig"} "$bundle/rootfs"
