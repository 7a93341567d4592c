# shellcheck shell=sh
# Sourced by the prestart hook scripts: reads the OCI state runc writes on
# stdin ({"pid":N,"bundle":"/path",…}, one line) and sets $pid and $bundle.
# Builtins only (no fork: the hook's own cost is part of what
# bench/configure.sh measures); POSIX sh (the GPU host has no jq).
oci_read_state() {
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
                echo "$1: no pid or bundle in the state: $state" >&2
                exit 1
        fi
}
