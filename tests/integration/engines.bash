# Shared setup of the engine tests (containerd.bats, podman.bats, lxc.bats):
# a real container engine from Debian runs our runtime, hook or CLI on the
# 8-GPU simulated host. The engine runs inside tests/fixtures/simhost-enter
# (engines/ns-enter.sh), so the simulated driver is at the real paths for it
# and for everything it starts; the test config is visible there only, at
# /etc/nvidia-container-runtime/config.toml. Run as root.

# shellcheck source=tests/integration/containers.bash
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.bash"
ENGINES=$CONTAINERS_LIB_DIR/engines
RUNTIME=$NVCR_BUILD_DIR/cmd/runtime/nvidia-container-runtime
HOOK=$NVCR_BUILD_DIR/cmd/hook/nvidia-container-runtime-hook
# Where the test's unique engine state (cgroup names too) lives.
ENGINE_TAG=${ENGINE_TAG:-nvcr-bats-$$}

# engine_install PACKAGE COMMAND…: install PACKAGE when one of the commands
# is missing; skips the whole file when that fails.
engine_install() {
        local pkg=$1 c missing=0
        shift
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || missing=1
        done
        [ "$missing" = 1 ] || return 0
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
                -o DPkg::Lock::Timeout=600 "$pkg" >"${SCRATCH:-/tmp}/apt-$pkg.log" 2>&1; then
                tail -5 "${SCRATCH:-/tmp}/apt-$pkg.log" >&2
                skip "cannot install $pkg (apt-get install failed)"
        fi
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || skip "$pkg installed but $c is still missing"
        done
}

# engines_setup_file: the simulated host, the templates, the test config
# ($SCRATCH/config.toml), a bin dir with our three programs ($SCRATCH/bin).
engines_setup_file() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        [ -x "$RUNTIME" ] && [ -x "$HOOK" ] || skip "runtime/hook not built"
        command -v jq >/dev/null && [ -x /bin/busybox ] || skip "needs jq and busybox-static"
        containers_setup_file --gpus 8
        export ENGINE_TAG
        mkdir -p "$SCRATCH/bin"
        ln -sf "$HOOK" "$SCRATCH/bin/nvidia-container-runtime-hook"
        ln -sf "$RUNTIME" "$SCRATCH/bin/nvidia-container-runtime"
        ln -sf "$CLI" "$SCRATCH/bin/nvidia-container-cli"
        printf '[nvidia-container-cli]\nload-kmods = false\n[nvidia-container-runtime]\nruntimes = ["%s"]\n' \
                "$RUNC" >"$SCRATCH/config.toml"
        chmod 0644 "$SCRATCH/config.toml"
}

# remove_cgroups NAME: the (empty) cgroup NAME an engine left in every hierarchy.
remove_cgroups() {
        local h
        [ -n "$1" ] || return 0
        for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
                [ -d "$h$1" ] || continue
                find "$h$1" -depth -type d -exec rmdir {} \; 2>/dev/null
                [ ! -d "$h$1" ] || echo "cgroup $h$1 not empty, left" >&2
        done
        return 0
}

# The container's report (busybox sh -c): what it sees, as KEY=value lines.
# shellcheck disable=SC2016 # expanded in the container
GPU_REPORT='d=/usr/lib/x86_64-linux-gnu
echo started=1
echo "devs=$(ls /dev | grep -E "^nvidia[0-9]+$" | sort | tr "\n" " " | sed "s/ $//")"
echo "ctl=$(ls /dev | grep -E "^nvidia(ctl|-uvm|-uvm-tools|-modeset)$" | sort | tr "\n" " " | sed "s/ $//")"
echo "libs=$(ls $d | grep -E "^lib(cuda|nvidia-ml)\.so\.[0-9]+\.[0-9]+" | sort | tr "\n" " " | sed "s/ $//")"
echo "link=$(readlink $d/libcuda.so.1)"
echo "nlibs=$(ls $d /usr/lib64 2>/dev/null | grep -c -E "^lib(cuda|nvidia|nvcuvid|GLX_nvidia|EGL_nvidia)")"
if [ -e /usr/bin/nvidia-smi ]; then echo smi=yes; else echo smi=no; fi
echo "node4=$(stat -c %t:%T /dev/nvidia4 2>/dev/null)"
echo "ro=$(grep " $d/libcuda.so" /proc/self/mountinfo | head -1 | cut -d" " -f6 | cut -d, -f1)"'

# assert_untouched: the report of a container that asked for no GPU.
assert_untouched() {
        check_eq started 1 && check_eq devs "" && check_eq ctl "" && check_eq libs "" && check_eq nlibs 0 && check_eq smi no
}

# assert_gpus "NODES" "CONTROL NODES": a container given GPUs with the
# default capabilities (compute, utility) of the driver in $DRV.
assert_gpus() {
        check_eq devs "$1" && check_eq ctl "$2" &&
                check_eq libs "libcuda.so.$DRV libnvidia-ml.so.$DRV" &&
                check_eq link "libcuda.so.$DRV" && check_eq smi yes && check_eq ro ro
}
