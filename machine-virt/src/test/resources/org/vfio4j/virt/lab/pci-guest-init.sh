#!/bin/busybox sh
# /init of the PCI assignment test guest (PciGuest puts it in a cpio with a static arm64 busybox at /bin/busybox).
# Prints a marker and the PCI functions the guest found with their drivers, then runs what the kernel command
# line asks for, and powers off:
#   vfio4j_nvme      write VFIO4J_MIB MiB (default 4) of random data to /dev/nvme0n1 with O_DIRECT, drop caches,
#                    read it back with O_DIRECT, print both md5s, the dd figures, and the nvme MSI-X counts
#                    before and after
#   vfio4j_e1000e    bring the e1000e's interface up and print its carrier once it is up (or after 30 s)
#   vfio4j_nvme_loop after the above, keep writing and reading the nvme until killed (for the kill -9 test)
# Refuses to do anything unless it is PID 1, so running it anywhere else is harmless.
if [ "$$" != 1 ]; then
  echo "vfio4j pci guest init: not PID 1, doing nothing"
  exit 2
fi
b=/bin/busybox
$b mount -t proc proc /proc
$b mount -t sysfs sysfs /sys
$b mount -t devtmpfs devtmpfs /dev 2>/dev/null
$b mkdir -p /tmp
cmd=" $($b cat /proc/cmdline) "
echo VFIO4J-GUEST-MARKER
for d in /sys/bus/pci/devices/*; do
  [ -e "$d" ] || continue
  drv=none
  [ -L "$d/driver" ] && drv=$($b basename "$($b readlink "$d/driver")")
  echo "pci-function $($b basename "$d") $($b cat "$d/vendor"):$($b cat "$d/device") driver=$drv"
done

# Sum of the per-CPU counts of the /proc/interrupts lines matching $1.
irqs() {
  $b awk -v pat="$1" '$0 ~ pat { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts
}

# Waits up to ~20 s for path $1 to exist (the driver probes asynchronously).
await() {
  i=0
  while [ ! -e "$1" ] && [ $i -lt 200 ]; do $b sleep 0.1; i=$((i + 1)); done
  [ -e "$1" ]
}

# Milliseconds since boot (10 ms resolution).
ms() {
  $b awk '{ printf "%d", $1 * 1000 }' /proc/uptime
}

nvme_io() {
  mib=${VFIO4J_MIB:-4}
  $b dd if=/dev/urandom of=/tmp/pattern bs=1M count=$mib 2>/dev/null
  t0=$(ms)
  $b dd if=/tmp/pattern of=/dev/nvme0n1 bs=1M count=$mib oflag=direct 2>/tmp/dd-write || { echo "nvme-write-failed $($b cat /tmp/dd-write)"; return 1; }
  t1=$(ms)
  echo 3 > /proc/sys/vm/drop_caches
  t2=$(ms)
  $b dd if=/dev/nvme0n1 of=/tmp/back bs=1M count=$mib iflag=direct 2>/tmp/dd-read || { echo "nvme-read-failed $($b cat /tmp/dd-read)"; return 1; }
  t3=$(ms)
  write_ms=$((t1 - t0))
  read_ms=$((t3 - t2))
}

case "$cmd" in *" vfio4j_nvme "*|*" vfio4j_nvme_loop "*)
  if await /dev/nvme0n1; then
    echo "nvme-irqs-before=$(irqs nvme)"
    if nvme_io; then
      echo "nvme-write-md5=$($b md5sum < /tmp/pattern | $b cut -d' ' -f1)"
      echo "nvme-read-md5=$($b md5sum < /tmp/back | $b cut -d' ' -f1)"
      echo "nvme-dd-write: ${mib} MiB in ${write_ms} ms ($($b tail -n1 /tmp/dd-write))"
      echo "nvme-dd-read: ${mib} MiB in ${read_ms} ms ($($b tail -n1 /tmp/dd-read))"
    fi
    echo "nvme-irqs-after=$(irqs nvme)"
    $b grep nvme /proc/interrupts | while read -r l; do echo "nvme-irq-line $l"; done
  else
    echo "nvme-absent: no /dev/nvme0n1"
  fi ;;
esac

case "$cmd" in *" vfio4j_e1000e "*)
  net=
  for n in /sys/class/net/*; do
    [ -L "$n/device/driver" ] && [ "$($b basename "$($b readlink "$n/device/driver")")" = e1000e ] && net=$($b basename "$n")
  done
  if [ -n "$net" ]; then
    $b ip link set "$net" up
    i=0
    while [ "$($b cat /sys/class/net/$net/carrier 2>/dev/null)" != 1 ] && [ $i -lt 300 ]; do $b sleep 0.1; i=$((i + 1)); done
    echo "e1000e-$net-carrier=$($b cat /sys/class/net/$net/carrier 2>/dev/null)"
    echo "e1000e-irqs=$(irqs "$net")"
  else
    echo "e1000e-absent: no interface on e1000e"
  fi ;;
esac

case "$cmd" in *" vfio4j_nvme_loop "*)
  echo VFIO4J-IO-LOOP
  while :; do nvme_io >/dev/null 2>&1; done ;;
esac
echo VFIO4J-GUEST-DONE
$b sync
$b poweroff -f
