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
        echo "prestart-configure: no pid or bundle in the state: $state" >&2
        exit 1
fi
# Ubuntu's /sbin/ldconfig is a wrapper script; the binary is ldconfig.real.
ldconfig=@/sbin/ldconfig
[ -x /sbin/ldconfig.real ] && ldconfig=@/sbin/ldconfig.real
ldconfig=${NVCR_LDCONFIG-$ldconfig}
# shellcheck disable=SC2086 # NVCR_CONFIGURE_OPTS is a list of options
exec "$cli" "$@" configure --pid="$pid" --device="$devices" ${NVCR_CONFIGURE_OPTS:---compute --utility} \
        ${ldconfig:+--ldconfig="$ldconfig"} "$bundle/rootfs"
