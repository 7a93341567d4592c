# Shared setup of the container tests (tests/integration/configure-*.bats and
# tests/security/*.bats), run as root:
#  - rootfs templates: static busybox, two glibc binaries with their
#    libraries, /etc/ld.so.conf(.d), and /etc/debian_version (debian) or not (rpm);
#  - OCI bundles for the real runc and crun whose prestart hooks are
#    [the simulated-procfs hook, our configure hook];
#  - standalone targets: a process sleeping in a private mount namespace,
#    configured with `configure --pid=PID` (what a hook does, minus the engine);
#  - the A0 checks of reference/security.md §0: canary dir C stays empty,
#    victim file V unchanged, host /proc/self/mountinfo byte-identical.
# Everything lives under $SCRATCH (0755, /tmp); teardown_containers removes
# what a test started (containers, targets, racers, leaked mounts).

CONTAINERS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/helpers.bash
source "$CONTAINERS_LIB_DIR/helpers.bash"
FIXTURES=$CONTAINERS_LIB_DIR/../fixtures
NVCR_BUILD_DIR=${NVCR_BUILD:-$CONTAINERS_LIB_DIR/../../build}
RUNC=${RUNC:-/usr/sbin/runc}
CRUN=${CRUN:-/usr/bin/crun}
# More namespaces for standalone targets (start_target), e.g. (-n -i -u).
TARGET_UNSHARE=()
# The environment our hooks get (config.json "env"; never the container's or ours).
HOOK_PATH=PATH=/usr/sbin:/usr/bin:/sbin:/bin
CONTAINER_ENV='["PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/root","TERM=dumb"]'

# ---------------------------------------------------------------- file setup

# containers_setup_file [mksimhost options…]: $SCRATCH, a simulated host
# $SIM (8 GPUs unless options say otherwise), rootfs templates, hook scripts.
containers_setup_file() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        [ -x "$CLI" ] || {
                echo "no CLI at $CLI (set NVCR_BUILD)" >&2
                return 1
        }
        export SCRATCH SIM DRV
        SCRATCH=$(scratch_dir)
        if [ $# -eq 0 ]; then
                set -- --gpus 8
        fi
        make_sim sim "$@"
        SIM=$SCRATCH/sim
        DRV=$(sim_fact "$SIM" SIM_DRIVER_VERSION)
        mk_rootfs_template "$SCRATCH/tmpl-debian" debian
        mk_rootfs_template "$SCRATCH/tmpl-rpm" rpm
        write_hooks "$SCRATCH/hooks"
}

containers_teardown_file() {
        [ -n "${SCRATCH:-}" ] && [ -d "$SCRATCH" ] || return 0
        umount_leaked "$SCRATCH"
        rm -rf --one-file-system "$SCRATCH"
}

# mk_rootfs_template DIR debian|rpm
mk_rootfs_template() {
        local dir=$1 kind=$2 b l
        mkdir -p "$dir"
        (
                set -e
                cd "$dir"
                mkdir -p bin sbin usr/bin usr/sbin usr/local/bin usr/lib/x86_64-linux-gnu usr/lib64 \
                        etc/ld.so.conf.d proc sys dev tmp root run var/cache
                ln -s usr/lib lib
                ln -s usr/lib64 lib64
                chmod 1777 tmp
                echo 'root:x:0:0:root:/root:/bin/sh' >etc/passwd
                echo 'root:x:0:' >etc/group
                cp /bin/busybox bin/busybox
                # Applet links to /bin/busybox (argv[0] is used when /proc is absent).
                chroot . /bin/busybox --install -s /bin
                for b in /usr/bin/ls /usr/bin/true; do
                        cp "$b" "usr/local/bin/g$(basename "$b")"
                        for l in $(ldd "$b" | grep -o '/[^ ]*'); do
                                mkdir -p ".$(dirname "$l")"
                                cp -L "$l" ".$l"
                        done
                done
                printf 'include /etc/ld.so.conf.d/*.conf\n' >etc/ld.so.conf
                printf '/usr/local/lib\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' \
                        >etc/ld.so.conf.d/x86_64-linux-gnu.conf
                [ "$kind" = rpm ] || echo 12.8 >etc/debian_version
                ldconfig -r . 2>/dev/null
        ) || {
                echo "mk_rootfs_template $dir failed" >&2
                return 1
        }
}

# mk_rootfs DEST [debian|rpm]: a fresh copy of a template. The binaries and
# libraries (never written to) are hard links, which keeps it fast; /etc is
# a real copy (configure and ldconfig write there).
mk_rootfs() {
        local t=$SCRATCH/tmpl-${2:-debian}
        cp -a --link "$t" "${1:?}" && rm -rf "${1:?}/etc" && cp -a "$t/etc" "$1/etc"
}

# The hook scripts (generated: they are test fixtures, not product code).
write_hooks() {
        local d=$1
        mkdir -p "$d"
        # Prestart #1: give the container a /proc/driver/nvidia, as the real
        # kernel would: tmpfs over the container's (empty) /proc/driver, the
        # simulated driver directory bound at nvidia/ in it.
        cat >"$d/simproc-hook" <<'EOF'
#!/bin/sh
# usage (hook args): simproc-hook SIMPROC
set -eu
simproc=$1
state=$(cat)
pid=$(printf '%s' "$state" | jq -r '.pid // empty')
bundle=$(printf '%s' "$state" | jq -r '.bundle // empty')
[ -n "$pid" ] && [ -n "$bundle" ] || { echo "simproc-hook: bad state: $state" >&2; exit 1; }
root=$(jq -r '.root.path' "$bundle/config.json")
case $root in /*) ;; *) root=$bundle/$root ;; esac
exec nsenter --mount="/proc/$pid/ns/mnt" /bin/sh -ec '
        mount -t tmpfs -o mode=0755,size=1m nvcr-simproc "$1/proc/driver"
        mkdir "$1/proc/driver/nvidia"
        mount --bind "$2/driver/nvidia" "$1/proc/driver/nvidia"' sh "$root" "$simproc"
EOF
        # Prestart #2: our CLI for the container in the state on stdin. Keeps
        # the CLI's stderr and exit status in LOG.err / LOG.rc for the test.
        cat >"$d/configure-hook" <<'EOF'
#!/bin/sh
# usage (hook args): configure-hook CLI SIMDIR LOG [configure option…]
set -u
cli=$1 sim=$2 log=$3
shift 3
state=$(cat)
printf '%s\n' "$state" >"$log.state"
pid=$(printf '%s' "$state" | jq -r '.pid // empty')
bundle=$(printf '%s' "$state" | jq -r '.bundle // empty')
[ -n "$pid" ] && [ -n "$bundle" ] || { echo "configure-hook: bad state: $state" >&2; exit 1; }
root=$(jq -r '.root.path' "$bundle/config.json")
case $root in /*) ;; *) root=$bundle/$root ;; esac
"$cli" --root="$sim/root" --proc-root="$sim/proc" --sys-root="$sim/sys" --cache-dir= \
        configure --pid="$pid" "$@" "$root" 2>"$log.err"
rc=$?
echo "$rc" >"$log.rc"
cat "$log.err" >&2
exit "$rc"
EOF
        chmod 0755 "$d/simproc-hook" "$d/configure-hook"
}

# ---------------------------------------------------------------- bundles

# make_bundle BUNDLE [options…] [-- configure options…]
#   --rpm             rootfs without /etc/debian_version
#   --script FILE     the container runs `/bin/sh /check.sh` with FILE's content
#   --args JSON       process.args (default ["/bin/true"])
#   --cap CAP         one more capability (bounding, effective, permitted)
#   --no-simproc      no simulated /proc/driver/nvidia hook
#   --no-configure    no configure hook (plain container)
#   --hook-env K=V    one more env entry for the configure hook
# The configure hook logs to BUNDLE/hook.{err,rc,state}.
make_bundle() {
        local b=$1 kind=debian args='["/bin/true"]' simproc=1 configure=1 caps='[]' henv
        shift
        henv=$(jq -cn --arg p "$HOOK_PATH" '[$p]')
        while [ $# -gt 0 ]; do
                case $1 in
                --rpm) kind=rpm ;;
                --script)
                        args='["/bin/sh","/check.sh"]'
                        mkdir -p "$b"
                        cp "$2" "$b/check.sh.in"
                        shift
                        ;;
                --args) args=$2 && shift ;;
                --cap) caps=$(jq -c --arg c "$2" '. + [$c]' <<<"$caps") && shift ;;
                --no-simproc) simproc=0 ;;
                --no-configure) configure=0 ;;
                --hook-env) henv=$(jq -c --arg e "$2" '. + [$e]' <<<"$henv") && shift ;;
                --) shift && break ;;
                *) echo "make_bundle: unknown option $1" >&2 && return 1 ;;
                esac
                shift
        done
        mkdir -p "$b"
        mk_rootfs "$b/rootfs" "$kind" || return 1
        [ ! -f "$b/check.sh.in" ] || mv "$b/check.sh.in" "$b/rootfs/check.sh"
        (cd "$b" && "$RUNC" spec) || return 1
        local hooks='[]' h="$SCRATCH/hooks"
        if [ "$simproc" = 1 ]; then
                hooks=$(jq -c --arg h "$h/simproc-hook" --arg p "$SIM/proc" --arg e "$HOOK_PATH" \
                        '. + [{path:$h, args:["simproc-hook",$p], env:[$e], timeout:30}]' <<<"$hooks")
        fi
        if [ "$configure" = 1 ]; then
                local cargs='[]' a
                for a in "$@"; do
                        cargs=$(jq -c --arg a "$a" '. + [$a]' <<<"$cargs")
                done
                hooks=$(jq -c --arg h "$h/configure-hook" --arg cli "$CLI" --arg sim "$SIM" \
                        --arg log "$b/hook" --argjson env "$henv" --argjson cargs "$cargs" \
                        '. + [{path:$h, args:(["configure-hook",$cli,$sim,$log] + $cargs),
                               env:$env, timeout:60}]' <<<"$hooks")
        fi
        jq --argjson args "$args" --argjson env "$CONTAINER_ENV" --argjson caps "$caps" \
                --argjson hooks "$hooks" '
          .process.terminal = false
        | .process.args = $args
        | .process.env = $env
        | .root.readonly = false
        | .hostname = "nvcr-test"
        | .process.capabilities.bounding += $caps
        | .process.capabilities.effective += $caps
        | .process.capabilities.permitted += $caps
        | .hooks = {prestart: $hooks}' "$b/config.json" >"$b/config.json.new" &&
                mv "$b/config.json.new" "$b/config.json"
}

# A container id that is unique on the machine; remembered for teardown.
new_ctr_id() {
        local id="nvcr-${1:-t}-$$-$RANDOM"
        echo "${2:-runc} $id" >>"$SCRATCH/containers.list"
        echo "$id"
}

# runc_run BUNDLE ID: run the container to completion (stdout/stderr: the container's and runc's).
runc_run() {
        timeout 120 "$RUNC" run -b "$1" "$2" </dev/null
}

# crun_run BUNDLE ID: crun 1.8.1 refuses this machine's hybrid cgroups unless
# it cannot see cgroup2's controllers: hide them in a private mount namespace
# (reference/engines.md §1b). Nothing changes on the host.
crun_run() {
        timeout 120 unshare -m --propagation private /bin/sh -c \
                'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers && exec "$0" run -b "$1" "$2"' \
                "$CRUN" "$1" "$2" </dev/null
}

# hook_result BUNDLE: what our configure hook recorded, for messages.
hook_result() {
        echo "configure hook rc=$(cat "$1/hook.rc" 2>/dev/null || echo none)"
        echo "configure hook stderr: $(cat "$1/hook.err" 2>/dev/null)"
}

# value_of KEY: the value of a "KEY=value" line of $output (the container's report).
value_of() {
        printf '%s\n' "$output" | sed -n "s/^$1=//p" | head -1
}

# ---------------------------------------------------------------- standalone targets

# start_target: a process sleeping in a new private mount namespace (plus
# the namespaces TARGET_UNSHARE names, e.g. (-n -i -u)); sets TARGET_PID and
# TARGET_NETNS. Refuses to return a pid that is still in our mount namespace
# (configuring it would mount on the host).
start_target() {
        local pf i
        pf=$(mktemp "$SCRATCH/target.XXXXXX")
        rm -f "$pf"
        unshare -m --propagation private "${TARGET_UNSHARE[@]}" /bin/sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec sleep 1000' \
                "$pf" </dev/null >/dev/null 2>&1 3>&- &
        for i in $(seq 1 200); do
                [ -s "$pf" ] && break
                sleep 0.01
        done
        TARGET_PID=$(cat "$pf" 2>/dev/null)
        rm -f "$pf"
        if [ -z "$TARGET_PID" ]; then
                echo "start_target: the target did not start" >&2
                return 1
        fi
        echo "$TARGET_PID" >>"$SCRATCH/targets.list"
        TARGET_NETNS=$(readlink "/proc/$TARGET_PID/ns/net")
        if [ "$(readlink "/proc/$TARGET_PID/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ]; then
                echo "start_target: $TARGET_PID is in the host mount namespace" >&2
                return 1
        fi
}

# kill_if_ours PID REGEX: SIGTERM to PID only while its command line still
# matches REGEX (a pid recorded long ago may belong to someone else by now).
kill_if_ours() {
        local cmd
        cmd=$({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null) || return 0
        if [[ $cmd =~ $2 ]]; then
                kill "$1" 2>/dev/null || : # it may exit in between
        fi
        return 0
}

stop_target() {
        local pid=$1
        [ -n "$pid" ] || return 0
        kill_if_ours "$pid" '^sleep 1000 $'
        # A child of an earlier `run`/subshell may not be ours to wait for: poll.
        for _ in $(seq 1 100); do
                [ -d "/proc/$pid" ] || return 0
                [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
                sleep 0.01
        done
        if [[ $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) == "sleep 1000 " ]]; then
                kill -9 "$pid" 2>/dev/null || : # it may exit in between
        fi
        return 0
}

# ns_mountinfo PID: the mount table of PID's mount namespace.
ns_mountinfo() {
        nsenter -t "$1" -m cat /proc/self/mountinfo
}

# cli_target SIMDIR PID ROOTFS ARGS…: configure a standalone target.
cli_target() {
        local sim=$1 pid=$2 root=$3
        shift 3
        cli_on "$sim" configure --pid="$pid" "$@" "$root"
}

# new_mounts BEFORE AFTER: lines of file AFTER that are not in BEFORE.
new_mounts() {
        awk 'NR == FNR { seen[$0] = 1; next } !($0 in seen)' "$1" "$2"
}

# assert_new_mounts_ok BEFORE AFTER ROOTFS [ALLOWED_SOURCE_PREFIX…]: every
# mount added between the two mountinfo snapshots has its mount point inside
# ROOTFS and its source on the allow-list: a file of the simulated driver
# ($SIM), or one of our tmpfs masks (plus the given prefixes, e.g. an
# image's compat dir with --cuda-compat-mode=mount). The root field of a bind
# mount of /tmp (on the root filesystem here) is its host path.
assert_new_mounts_ok() {
        local before=$1 after=$2 root=$3
        shift 3
        new_mounts "$before" "$after" | awk -v root="$root/" -v allow="$SIM/ $*" '
                BEGIN { n = split(allow, ok_src, " "); bad = 0 }
                NF > 0 {
                        src = $4; mp = $5
                        split($0, halves, " - "); split(halves[2], fs, " ")
                        if (index(mp, root) != 1) {
                                print "mount point outside the rootfs: " $0 > "/dev/stderr"; bad = 1
                        }
                        if (fs[1] == "tmpfs" && src == "/") next
                        ok = 0
                        for (i = 1; i <= n; i++) if (index(src, ok_src[i]) == 1) ok = 1
                        if (!ok) { print "mount source not on the allow-list: " $0 > "/dev/stderr"; bad = 1 }
                }
                END { exit bad }'
}

# ---------------------------------------------------------------- A0

# a0_setup: canary dir C, victim file V, and the host snapshots A0 compares.
a0_setup() {
        export A0_C A0_V A0_V_SUM A0_DIR
        A0_DIR=$(mktemp -d "$SCRATCH/a0.XXXXXX")
        A0_C=$(mktemp -d /tmp/canary.XXXXXX)
        chmod 0755 "$A0_C"
        A0_V=$(mktemp /tmp/victim.XXXXXX)
        echo "victim $RANDOM $RANDOM" >"$A0_V"
        A0_V_SUM=$(sha256sum <"$A0_V")
        cat /proc/self/mountinfo >"$A0_DIR/mountinfo"
        ls -A / >"$A0_DIR/rootdir"
}

# a0_check: C empty, V unchanged, host mountinfo byte-identical, nothing new in /.
a0_check() {
        local bad=0
        if [ -n "$(find "$A0_C" -mindepth 1 -print -quit 2>/dev/null)" ] || [ ! -d "$A0_C" ] ||
                [ -L "$A0_C" ]; then
                echo "A0: canary $A0_C is not an empty directory:" >&2
                find "$A0_C" -mindepth 1 -printf '  %p %y\n' >&2
                bad=1
        fi
        if [ "$(sha256sum <"$A0_V")" != "$A0_V_SUM" ] || [ -L "$A0_V" ]; then
                echo "A0: victim $A0_V changed" >&2
                bad=1
        fi
        cat /proc/self/mountinfo >"$A0_DIR/mountinfo.after"
        if ! cmp -s "$A0_DIR/mountinfo" "$A0_DIR/mountinfo.after"; then
                echo "A0: host mountinfo changed:" >&2
                diff "$A0_DIR/mountinfo" "$A0_DIR/mountinfo.after" >&2
                bad=1
        fi
        if [ "$(ls -A /)" != "$(cat "$A0_DIR/rootdir")" ]; then
                echo "A0: host / changed:" >&2
                diff "$A0_DIR/rootdir" <(ls -A /) >&2
                bad=1
        fi
        return "$bad"
}

a0_cleanup() {
        [ -z "${A0_C:-}" ] || rm -rf --one-file-system "$A0_C"
        [ -z "${A0_V:-}" ] || rm -f "$A0_V"
        # A host entry a broken build created in / during a race: report and remove.
        if [ -n "${A0_DIR:-}" ] && [ -f "$A0_DIR/rootdir" ]; then
                local e
                for e in $(diff "$A0_DIR/rootdir" <(ls -A /) | sed -n 's/^> //p'); do
                        case $e in
                        lib*nvidia* | libcuda* | libnv* | libvdpau* | libGL* | libEGL* | .nvcr-tmp*)
                                echo "removing /$e left by the run" >&2
                                rm -f "/$e"
                                ;;
                        esac
                done
        fi
}

# ---------------------------------------------------------------- teardown

# umount_leaked DIR: lazily unmount every host mount under DIR (deepest first).
umount_leaked() {
        local mp
        for mp in $(awk -v d="$1/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
                echo "unmounting leaked host mount $mp" >&2
                umount -l "$mp" 2>/dev/null
        done
}

# teardown_containers: everything a test started, in any state.
teardown_containers() {
        local kind id pid
        if [ -f "$SCRATCH/racers.list" ]; then
                while read -r pid; do
                        kill_if_ours "$pid" '(racer|cat) '
                done <"$SCRATCH/racers.list"
                rm -f "$SCRATCH/racers.list"
        fi
        if [ -f "$SCRATCH/containers.list" ]; then
                while read -r kind id; do
                        # Most ran to completion and are gone already.
                        if [ "$kind" = runc ]; then
                                "$RUNC" delete -f "$id" >/dev/null 2>&1 || :
                        else
                                "$CRUN" delete -f "$id" >/dev/null 2>&1 || :
                        fi
                done <"$SCRATCH/containers.list"
                rm -f "$SCRATCH/containers.list"
        fi
        if [ -f "$SCRATCH/targets.list" ]; then
                while read -r pid; do
                        stop_target "$pid"
                done <"$SCRATCH/targets.list"
                rm -f "$SCRATCH/targets.list"
        fi
        umount_leaked "$SCRATCH"
        a0_cleanup
        return 0
}

# ---------------------------------------------------------------- the container's report

# write_gpu_check FILE: a script for the container (busybox sh) that prints
# what it sees as KEY=value lines (read them with value_of).
write_gpu_check() {
        {
                echo "d=/usr/lib/x86_64-linux-gnu v=$DRV"
                cat <<'EOF'
echo STARTED=1
touch /started 2>/dev/null
echo "GPU_NODES=$(ls /dev | grep -E '^nvidia[0-9]+$' | sort | tr '\n' ' ' | sed 's/ $//')"
for n in nvidiactl nvidia-uvm nvidia-uvm-tools nvidia-modeset nvidia0 nvidia4 nvidia6; do
        if [ -c "/dev/$n" ]; then echo "NODE_$n=$(stat -c %t:%T "/dev/$n")"; else echo "NODE_$n=absent"; fi
done
for l in libcuda.so.$v libnvidia-ml.so.$v libnvidia-cfg.so.$v libnvidia-ptxjitcompiler.so.$v libnvidia-encode.so.$v; do
        if [ -f "$d/$l" ]; then echo "LIB_$l=file"; else echo "LIB_$l=missing"; fi
done
echo "LINK_libcuda.so.1=$(readlink "$d/libcuda.so.1")"
echo "LINK_libcuda.so=$(readlink "$d/libcuda.so")"
echo "LINK_libnvidia-ml.so.1=$(readlink "$d/libnvidia-ml.so.1")"
echo "WRITE_LIB=$( (echo x >>"$d/libcuda.so.$v") 2>&1 | sed 's/.*: //')"
echo "MNT_LIB=$(awk -v m="$d/libcuda.so.$v" '$5 == m {print $6}' /proc/self/mountinfo)"
echo "MNT_SMI=$(awk '$5 == "/usr/bin/nvidia-smi" {print $6}' /proc/self/mountinfo)"
echo "MNT_CTL=$(awk '$5 == "/dev/nvidiactl" {print $6}' /proc/self/mountinfo)"
if [ -x /usr/bin/nvidia-smi ]; then echo "SMI=$(/usr/bin/nvidia-smi -L | wc -l)"; else echo SMI=missing; fi
echo "FIRMWARE=$(ls /lib/firmware/nvidia/*/ 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
if [ -d /proc/driver/nvidia/gpus ]; then echo PROC_GPUS_DIR=present; else echo PROC_GPUS_DIR=absent; fi
echo "PROC_GPUS=$(ls /proc/driver/nvidia/gpus 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
echo "PROC_FILES=$(ls /proc/driver/nvidia 2>&1 | tr '\n' ' ' | sed 's/ $//')"
echo "PROC_MODIFY=$(grep '^ModifyDeviceFiles:' /proc/driver/nvidia/params)"
echo "PROC_MNT=$(awk '$5 == "/proc/driver/nvidia" {split($0, a, " - "); split(a[2], b, " "); print b[1], $6}' /proc/self/mountinfo | tail -1)"
echo "PROC_WRITE=$( (echo x >/proc/driver/nvidia/params) 2>&1 | sed 's/.*: //')"
echo "OPEN_SELECTED=$(cat /dev/nvidia4 2>&1 | sed 's/.*: //')"
echo "OPEN_CTL=$(cat /dev/nvidiactl 2>&1 | sed 's/.*: //')"
if mknod /tmp/other c 195 6 2>/dev/null; then
        echo "OPEN_MKNOD=$(cat /tmp/other 2>&1 | sed 's/.*: //')"
        rm -f /tmp/other
else
        echo OPEN_MKNOD=no-mknod
fi
echo "LD_PRELOAD_LIBCUDA=$(LD_PRELOAD=libcuda.so.1 /usr/local/bin/gtrue 2>&1; echo "rc=$?")"
EOF
        } >"$1"
}

# check_eq KEY EXPECTED: one value of the container's report, with a message.
check_eq() {
        local got
        got=$(value_of "$1")
        if [ "$got" != "$2" ]; then
                echo "$1: expected '$2', got '$got'" >&2
                return 1
        fi
}

# check_match KEY GLOB
check_match() {
        local got
        got=$(value_of "$1")
        # shellcheck disable=SC2053 # a glob on purpose
        if [[ $got != $2 ]]; then
                echo "$1: expected to match '$2', got '$got'" >&2
                return 1
        fi
}

# assert_main_checks: the report of write_gpu_check for --device=0,2 --compute
# --utility on the 8-GPU sim (index 0 = bus 07 = minor 4, index 2 = bus 47 = minor 0),
# cgroups enforced, CAP_MKNOD given.
assert_main_checks() {
        local v=$DRV bad=0
        check_eq STARTED 1 || bad=1
        check_eq GPU_NODES "nvidia0 nvidia4" || bad=1
        check_eq NODE_nvidia4 c3:4 || bad=1
        check_eq NODE_nvidia0 c3:0 || bad=1
        check_eq NODE_nvidia6 absent || bad=1
        check_eq NODE_nvidiactl c3:ff || bad=1
        check_eq NODE_nvidia-uvm ee:0 || bad=1
        check_eq NODE_nvidia-uvm-tools ee:1 || bad=1
        check_eq NODE_nvidia-modeset absent || bad=1
        check_eq "LIB_libcuda.so.$v" file || bad=1
        check_eq "LIB_libnvidia-ml.so.$v" file || bad=1
        check_eq "LIB_libnvidia-cfg.so.$v" file || bad=1
        check_eq "LIB_libnvidia-ptxjitcompiler.so.$v" file || bad=1
        check_eq "LIB_libnvidia-encode.so.$v" missing || bad=1
        check_eq LINK_libcuda.so.1 "libcuda.so.$v" || bad=1
        check_eq LINK_libcuda.so libcuda.so.1 || bad=1
        check_eq LINK_libnvidia-ml.so.1 "libnvidia-ml.so.$v" || bad=1
        check_eq WRITE_LIB "Read-only file system" || bad=1
        check_match MNT_LIB 'ro,nosuid,nodev*' || bad=1
        check_match MNT_SMI 'ro,nosuid,nodev*' || bad=1
        check_match MNT_CTL 'ro,nosuid,noexec*' || bad=1
        check_eq SMI 8 || bad=1
        check_eq FIRMWARE "gsp_ga10x.bin gsp_tu10x.bin" || bad=1
        check_eq PROC_GPUS "0000:07:00.0 0000:47:00.0" || bad=1
        check_eq PROC_FILES "gpus params registry version" || bad=1
        check_eq PROC_MODIFY "ModifyDeviceFiles: 0" || bad=1
        check_match PROC_MNT 'tmpfs ro,nosuid,nodev,noexec*' || bad=1
        check_eq PROC_WRITE "Read-only file system" || bad=1
        check_eq OPEN_SELECTED "No such device or address" || bad=1
        check_eq OPEN_CTL "No such device or address" || bad=1
        check_eq OPEN_MKNOD "Operation not permitted" || bad=1
        check_eq LD_PRELOAD_LIBCUDA "rc=0" || bad=1
        return "$bad"
}

# assert_ldcache_updated ROOTFS: the rootfs's ld.so.cache names the driver's sonames.
assert_ldcache_updated() {
        local c
        c=$(ldconfig -p -C "$1/etc/ld.so.cache" 2>&1)
        if ! grep -q "libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1" <<<"$c" ||
                ! grep -q "libnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1" <<<"$c" ||
                ! grep -q "libc.so.6 " <<<"$c"; then
                echo "the container's ld.so.cache lacks the driver libraries:" >&2
                echo "$c" >&2
                return 1
        fi
}

# GPU_LIST_SCRIPT: what a container sees of the GPU: device nodes (with numbers), driver
# files and links in the library and binary dirs, firmware. One line each: the three paths (legacy, jit-cdi, CDI) are compared
# with it (jit-cdi.bats, cdi.bats).
GPU_LIST_SCRIPT='
for f in /dev/nvidia* /dev/nvidia-caps/* /usr/lib/x86_64-linux-gnu/* /usr/lib/i386-linux-gnu/* /usr/bin/nvidia* /lib/firmware/nvidia/*/*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        case $f in
        /usr/lib/*) case ${f##*/} in *nvidia* | *cuda* | *GL* | *EGL* | *vdpau* | *nvcuvid* | *nvoptix*) ;; *) continue ;; esac ;;
        esac
        if [ -L "$f" ]; then echo "L $f -> $(readlink "$f")"
        elif [ -c "$f" ]; then echo "C $f $(stat -c %t:%T "$f")"
        else echo "F $f"
        fi
done | sort'
