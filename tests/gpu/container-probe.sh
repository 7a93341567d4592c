#!/bin/sh
# Runs inside the test container (busybox sh), copied to /usr/local/bin/probe
# by tests/gpu/validate-configure.sh, which parses what it prints.
# Usage: probe SELECTED_MINORS UNSELECTED_MINOR REAL
#   SELECTED_MINORS   GPU minors the hook was asked for, comma separated
#   UNSELECTED_MINOR  a 195:N minor that must stay closed (cgroup)
#   REAL              1 on a real GPU host: also nvidia-smi -L and cuda-check
sel=$1
unsel=$2
real=$3

for f in /dev/nvidia*; do
        [ -e "$f" ] && echo "dev $f"
done
for f in /dev/nvidia-caps/*; do
        [ -e "$f" ] && echo "dev $f"
done
for g in /proc/driver/nvidia/gpus/*; do
        [ -e "$g" ] && echo "gpu ${g##*/}"
done
[ -e /proc/driver/nvidia/version ] && echo "procfs version present"

l=/usr/lib/x86_64-linux-gnu/libcuda.so.1
if [ -e "$l" ]; then echo "libcuda yes $(readlink "$l")"; else echo "libcuda no"; fi
[ -e /usr/bin/nvidia-smi ] && echo "nvidia-smi present"

# Mount point and options (5th and 6th fields) of what configure mounted.
while read -r _ _ _ _ mp opts _; do
        case $mp in
        *nvidia* | *cuda* | *libnv*) echo "mount $mp $opts" ;;
        esac
done </proc/self/mountinfo

# Opening a node passes the device cgroup or fails with EPERM before the
# driver is asked (a simulated node then gives ENXIO). Prints "ok" or the
# error's text alone (the part after the shell's last ": ").
try_open() {
        if msg=$( (: <"$1") 2>&1); then echo ok; else echo "failed: ${msg##*: }"; fi
}
IFS=,
for m in $sel; do
        echo "open $m $(try_open /dev/nvidia"$m")"
done
unset IFS
echo "open ctl $(try_open /dev/nvidiactl)"
if mknod /dev/nvcr-probe c 195 "$unsel" 2>/dev/null; then
        echo "mknod-open $unsel $(try_open /dev/nvcr-probe)"
        rm -f /dev/nvcr-probe
else
        echo "mknod-open $unsel failed: mknod refused"
fi
env | grep -q '^NVIDIA_' && echo "env has NVIDIA_ variables"

if [ "$real" = 1 ]; then
        echo "--- nvidia-smi -L"
        nvidia-smi -L 2>&1
        echo "nvidia-smi rc=$?"
        echo "--- cuda-check"
        cuda-check 2>&1
        echo "cuda-check rc=$?"
fi
exit 0
