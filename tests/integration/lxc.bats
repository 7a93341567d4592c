#!/usr/bin/env bats
# LXC 5.0 (Debian) with the nvidia mount hook of the lxc package
# (/usr/share/lxc/hooks/nvidia), on the 8-GPU simulated host. The hook acts
# only in an unprivileged (idmapped) container and with nvidia-container-cli
# on lxc-execute's PATH; it then execs
#   nvidia-container-cli --user configure --no-cgroups
#     --ldconfig=@/usr/sbin/ldconfig --device=<NVIDIA_VISIBLE_DEVICES>
#     --compute --utility <rootfs>
# as the container's (mapped) root, in the container's user and mount
# namespaces. lxc-execute runs inside the simulated host's namespace
# (engines/ns-enter.sh), our CLI first on its PATH; containers and logs under
# $SCRATCH/lxc, cgroups under $ENGINE_TAG. Installs lxc when missing.
# Needs root, busybox-static, jq.

load engines

setup_file() {
        engines_setup_file
        engine_install lxc lxc-execute
        [ -f /usr/share/lxc/hooks/nvidia ] || skip "the lxc package has no hooks/nvidia"
        export LXCP=$SCRATCH/lxc
        mkdir -p "$LXCP"
        # A host ldconfig owned by the container's root (host uid 100000):
        # see the "mapped ldconfig" test.
        mkdir -p "$SCRATCH/ldconfig-mapped"
        install -m 0755 -o 100000 -g 100000 "$(readlink -f /usr/sbin/ldconfig)" "$SCRATCH/ldconfig-mapped/ldconfig"
}

teardown_file() {
        [ -z "${LXCP:-}" ] || remove_cgroups "$ENGINE_TAG"
        containers_teardown_file
}

# lxc_run NAME [HOOK ARGS] -- [KEY=VALUE…]: make container NAME (from the
# debian template) and run the report in it with lxc-execute.
lxc_run() {
        local n=$1 hookargs=$2
        shift 3
        "$ENGINES/lxc-mkcontainer.sh" "$LXCP" "$n" "$SCRATCH/tmpl-debian" "$ENGINE_TAG" "$@" || return 1
        if [ -n "$hookargs" ]; then
                sed -i "s|^lxc.hook.mount = .*|& $hookargs|" "$LXCP/$n/config"
        fi
        timeout 90 "$ENGINES/ns-enter.sh" "$SIM" "$SCRATCH/config.toml" -- \
                env PATH="$SCRATCH/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
                lxc-execute -P "$LXCP" -n "$n" -- /bin/sh -c "$GPU_REPORT" </dev/null
        local rc=$?
        # The hook's own messages are only in the log, at DEBUG.
        grep 'produced output' "$LXCP/$n/lxc.log" | sed 's/.*produced output: /hook: /' | grep -v '^hook: *$' >&2
        return "$rc"
}

@test "lxc: unprivileged container, stock nvidia hook, NVIDIA_VISIBLE_DEVICES=all: all 8 GPUs and the driver" {
        run lxc_run all "" -- NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility
        echo "$output"
        [ "$status" -eq 0 ]
        assert_gpus "nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7" \
                "nvidia-uvm nvidia-uvm-tools nvidiactl"
}

@test "lxc: mapped ldconfig (--ldconfig=@ a host ldconfig owned by the container's root), NVIDIA_VISIBLE_DEVICES=all: all 8 GPUs and the driver" {
        run lxc_run mapped "--ldconfig=@$SCRATCH/ldconfig-mapped/ldconfig" -- \
                NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility
        echo "$output"
        [ "$status" -eq 0 ]
        assert_gpus "nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7" \
                "nvidia-uvm nvidia-uvm-tools nvidiactl"
        check_eq node4 c3:4
}

@test "lxc: mapped ldconfig, NVIDIA_VISIBLE_DEVICES=1 (hook default capabilities: utility): nvidia6 only, no libcuda" {
        run lxc_run one "--ldconfig=@$SCRATCH/ldconfig-mapped/ldconfig" -- NVIDIA_VISIBLE_DEVICES=1
        echo "$output"
        [ "$status" -eq 0 ]
        check_eq devs nvidia6
        check_eq ctl nvidiactl
        check_eq libs "libnvidia-ml.so.$DRV"
        check_eq smi yes
}

@test "lxc: unprivileged container without NVIDIA_* variables is untouched (the hook does nothing)" {
        run lxc_run plain "" --
        echo "$output"
        [ "$status" -eq 0 ]
        assert_untouched
}
