#!/bin/busybox sh
# /init of the NVMe guest of the demo and of machine-virt/bench/nvme-compare.sh (both pack it with a static
# busybox): waits for the assigned controller's namespace, writes $MIB MiB (kernel argument vfio4j_mib=N) of
# random data to it in 4 KiB O_DIRECT writes, reads it back the same way, compares checksums, prints the MSI-X
# interrupt counts and powers off. The IO-START / IO-END lines let the host side read the VMM's CPU time around
# the I/O phase. Refuses to run unless it is PID 1.
[ "$$" = 1 ] || { echo "not PID 1, doing nothing"; exit 2; }
b=/bin/busybox
$b mount -t proc proc /proc
$b mount -t sysfs sysfs /sys
$b mount -t devtmpfs dev /dev
echo VFIO4J-GUEST-MARKER
MIB=40
for w in $($b cat /proc/cmdline); do case "$w" in vfio4j_mib=*) MIB=${w#vfio4j_mib=};; esac; done
n=0
while [ ! -b /dev/nvme0n1 ] && [ $n -lt 300 ]; do $b sleep 0.1; n=$((n + 1)); done
if [ ! -b /dev/nvme0n1 ]; then echo "NVME-MISSING"; $b poweroff -f; fi
m=$($b cat /sys/class/nvme/nvme0/model 2>/dev/null); s=$($b cat /sys/block/nvme0n1/size)
echo "nvme: the guest's nvme driver probed '$($b echo $m)' (serial $($b echo $($b cat /sys/class/nvme/nvme0/serial))), namespace nvme0n1 $((s / 2048)) MiB"
$b dd if=/dev/urandom of=/src bs=1M count=$MIB 2>/dev/null
echo "IO-START blocks=$((MIB * 256))"
up() { $b cut -d' ' -f1 /proc/uptime; }
rate() { $b awk -v m="$MIB" -v a="$1" -v b="$2" 'BEGIN{printf "%d MiB in %.2f s = %.2f MiB/s", m, b-a, m/(b-a)}'; }
t0=$(up); $b dd if=/src of=/dev/nvme0n1 bs=4k oflag=direct 2>/dev/null || echo "write: dd failed"
t1=$(up); echo "write: $(rate $t0 $t1)"
$b dd if=/dev/nvme0n1 of=/back bs=4k count=$((MIB * 256)) iflag=direct 2>/dev/null || echo "read: dd failed"
t2=$(up); echo "read: $(rate $t1 $t2)"
echo "IO-END"
a=$($b md5sum < /src); c=$($b md5sum < /back)
[ "$a" = "$c" ] && echo "CHECKSUM-OK ${a%% *}" || echo "CHECKSUM-BAD $a $c"
$b grep -i nvme /proc/interrupts | $b sed 's/^/irq: /'
$b poweroff -f
