#!/bin/busybox sh
# /init of the tiny test guest (GuestInitramfs puts it in a cpio with a static arm64 busybox at /bin/busybox):
# prints a marker, the online CPU count and the device tree's root compatible, then powers off (PSCI SYSTEM_OFF).
# Kernel command-line words change the ending: vfio4j_panic -> init exits (kernel panic; with panic=-1 the
# kernel resets), vfio4j_idle -> waits forever (for the SIGTERM test).
# Refuses to do anything unless it is PID 1, so running it anywhere else is harmless.
if [ "$$" != 1 ]; then
  echo "vfio4j guest init: not PID 1, doing nothing"
  exit 2
fi
b=/bin/busybox
$b mount -t proc proc /proc
$b mount -t sysfs sysfs /sys
echo VFIO4J-GUEST-MARKER
echo "cpus=$($b nproc)"
c=$($b tr '\0' ',' < /proc/device-tree/compatible)
echo "compatible=${c%,}"
case " $($b cat /proc/cmdline) " in
  *" vfio4j_panic "*)
    echo "vfio4j guest init: exiting on purpose (kernel panic expected)"
    exit 1 ;;
  *" vfio4j_idle "*)
    echo VFIO4J-GUEST-IDLE
    while :; do $b sleep 3600; done ;;
esac
$b sync
$b poweroff -f
