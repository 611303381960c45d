#!/bin/busybox sh
# /init of the PCI assignment test guest (PciGuest puts it in a cpio with a static arm64 busybox at /bin/busybox).
# Prints a marker and the PCI functions the guest found with their drivers, then runs what the kernel command
# line asks for, and powers off:
#   vfio4j_nvme      write VFIO4J_MIB MiB (default 4) of random data to /dev/nvme0n1 with O_DIRECT, drop caches,
#                    read it back with O_DIRECT, print both md5s, the dd figures, and the nvme MSI-X counts
#                    before and after
#   vfio4j_bar_move  then unbind the nvme driver, move its BAR 0 up (64 GiB in the 64-bit window, 256 MiB in the
#                    32-bit one) with a 1-byte write to sysfs config space (the VMM reports the slot at the new
#                    address), move it back, rebind the driver and repeat the write/read check (prefix moved-)
#   vfio4j_flr       then reset the nvme by FLR (reset_method=flr, reset=1) and repeat the write/read check
#   vfio4j_e1000e    bring the e1000e's interface up and print its carrier once it is up (or after 30 s)
#   vfio4j_hotplug   before all of the above: say VFIO4J-HOTPLUG-READY, wait (up to 2 min) for an nvme hot-plugged
#                    into a root port's slot, print where it probed, run the write/read check (prefix hotplug-),
#                    say VFIO4J-HOTPLUG-IO-DONE, then wait (up to 2 min each) for the device to be unplugged, to
#                    come back (hotplug-again=) and to go again, and then for the power button; with
#                    vfio4j_hotplug_once it waits for the power button after the I/O
#   vfio4j_reboot    after the above, reboot (PSCI SYSTEM_RESET) instead of powering off, on every boot
#   vfio4j_nvme_loop after the above, keep writing and reading the nvme until killed (for the kill -9 test);
#                    with vfio4j_panic_ms=MS the guest panics MS ms into the loop instead (init exits)
#   vfio4j_hostile   before all of the above (with the hostile-guest helper at /bin/hostile, HostileGuestLabTest):
#                    the nvme's config header is saved, its driver unbound, and the helper attacks the function as
#                    these words ask, in this order; then the header is restored and the driver bound again
#                    (markers VFIO4J-HOSTILE-START and -END):
#   vfio4j_fuzz=SEED:COUNT random config writes    vfio4j_power=N D3hot/D0 cycles, BAR 0 read after each
#   vfio4j_decode=N  decode toggles, the second CPU reading BAR 0 throughout
#   vfio4j_outside=N BAR 0 placed outside the windows N times    vfio4j_move=N BAR 0 moved N times
#   vfio4j_msix=SEED:COUNT random MSI-X table/PBA accesses with enable and function-mask toggles
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

# The value of kernel command line word $1=VALUE, or nothing.
arg() {
  for w in $cmd; do case "$w" in "$1"=*) echo "${w#*=}"; return ;; esac; done
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

# Waits up to ~2 min for path $1 to exist ("present") or to vanish ("absent"), as $2 says.
await_long() {
  i=0
  while [ $i -lt 1200 ]; do
    if [ -e "$1" ]; then [ "$2" = present ] && return 0; else [ "$2" = absent ] && return 0; fi
    $b sleep 0.1; i=$((i + 1))
  done
  return 1
}

case "$cmd" in *" vfio4j_hotplug "*)
  echo "hotplug-slots=$($b ls /sys/bus/pci/slots 2>/dev/null | $b tr '\n' ' ')"
  echo VFIO4J-HOTPLUG-READY
  if await_long /dev/nvme0n1 present; then
    echo "hotplug-probed=$($b basename "$($b readlink -f /sys/class/nvme/nvme0/device)")"
    before=$(irqs nvme)
    if nvme_io; then
      echo "hotplug-write-md5=$($b md5sum < /tmp/pattern | $b cut -d' ' -f1)"
      echo "hotplug-read-md5=$($b md5sum < /tmp/back | $b cut -d' ' -f1)"
    fi
    echo "hotplug-irqs-before=$before"
    echo "hotplug-irqs-after=$(irqs nvme)"
    echo VFIO4J-HOTPLUG-IO-DONE
    case "$cmd" in *" vfio4j_hotplug_once "*) ;; *)
      if await_long /sys/class/nvme/nvme0 absent; then echo "hotplug-removed=yes"; else echo "hotplug-removed=no"; fi
      if await_long /dev/nvme0n1 present; then
        echo "hotplug-again=$($b basename "$($b readlink -f /sys/class/nvme/nvme0/device)")"
        if await_long /sys/class/nvme/nvme0 absent; then echo "hotplug-removed-again=yes"; fi
      fi ;;
    esac
    # the power button ends it (QMP's system_powerdown); opened before saying so, as evdev keeps only the
    # events that come while it is open
    exec 3< /dev/input/event0
    echo VFIO4J-HOTPLUG-POWER-WAIT
    # one evdev event is 24 bytes: a timeval (16), type, code, value; KEY_POWER down is EV_KEY 1, 116, 1
    while :; do
      ev=$($b dd bs=24 count=1 <&3 2>/dev/null | $b od -An -tx1 | $b tr -d ' \n')
      case "$ev" in ????????????????????????????????0100740001000000) break ;; esac
    done
    echo VFIO4J-GUEST-POWER-BUTTON
  else
    echo "hotplug-probed=none"
    for d in /sys/bus/pci/devices/*; do echo "hotplug-pci $($b basename "$d")"; done
    $b dmesg | $b grep -i -E "pciehp|pcieport|hotplug|0000:01|nvme|slot" | $b sed 's/^/hotplug-dmesg: /'
    $b grep -i -E "pcie|pciehp|aer" /proc/interrupts | $b sed 's/^/hotplug-irq: /'
  fi ;;
esac

case "$cmd" in *" vfio4j_hostile "*) if await /dev/nvme0n1; then
  dev=$($b readlink -f /sys/class/nvme/nvme0/device)
  $b dd if="$dev/config" of=/tmp/saved bs=256 count=1 2>/dev/null
  $b basename "$dev" > /sys/bus/pci/drivers/nvme/unbind
  echo VFIO4J-HOSTILE-START
  v=$(arg vfio4j_fuzz);    [ -n "$v" ] && /bin/hostile config-fuzz "$dev" "${v%%:*}" "${v#*:}"
  v=$(arg vfio4j_power);   [ -n "$v" ] && /bin/hostile power "$dev" "$v"
  v=$(arg vfio4j_decode);  [ -n "$v" ] && /bin/hostile decode "$dev" "$v"
  v=$(arg vfio4j_outside); [ -n "$v" ] && /bin/hostile bar-outside "$dev" "$v"
  v=$(arg vfio4j_move);    [ -n "$v" ] && /bin/hostile bar-move "$dev" "$v"
  v=$(arg vfio4j_msix);    [ -n "$v" ] && /bin/hostile msix "$dev" "${v%%:*}" "${v#*:}"
  echo VFIO4J-HOSTILE-END
  /bin/hostile restore "$dev" /tmp/saved
  $b basename "$dev" > /sys/bus/pci/drivers/nvme/bind
fi ;;
esac

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

case "$cmd" in *" vfio4j_flr "*)
  dev=/sys/bus/pci/devices/0000:00:01.0
  echo "flr-reset-methods=$($b cat $dev/reset_method 2>/dev/null)"
  if echo flr > $dev/reset_method && echo 1 > $dev/reset; then echo "flr-done=yes"; else echo "flr-done=no"; fi
  if await /dev/nvme0n1 && nvme_io; then
    echo "flr-write-md5=$($b md5sum < /tmp/pattern | $b cut -d' ' -f1)"
    echo "flr-read-md5=$($b md5sum < /tmp/back | $b cut -d' ' -f1)"
  fi ;;
esac

# Writes byte value $1 (1-255) at config offset $2 of device directory $3: one 1-byte config write.
write_config_byte() {
  printf "\\$(printf %o "$1")" | $b dd of="$3/config" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}

# The address in BAR 0 (64-bit) of device directory $1, in hex.
bar0() {
  set -- $($b od -An -tu4 -j16 -N8 "$1/config")
  printf '0x%x' $(( ($2 << 32) | ($1 & ~15) ))
}

case "$cmd" in *" vfio4j_bar_move "*)
  dev=$($b readlink -f /sys/class/nvme/nvme0/device)
  name=$($b basename "$dev")
  old=$(bar0 "$dev")
  old=$((old))
  # Move by 16 steps of an address byte that is never zero inside the host bridge's windows (so the byte
  # written is never NUL): bits 32-39 in the 64-bit window (+64 GiB), bits 24-31 in the 32-bit one (+256 MiB).
  if [ $old -ge 4294967296 ]; then shift=32; off=20; else shift=24; off=19; fi
  new=$((old + (16 << shift)))
  echo "$name" > /sys/bus/pci/drivers/nvme/unbind
  printf 'bar-old=0x%x\nbar-new=0x%x\n' $old $new
  write_config_byte $(( (new >> shift) & 255 )) $off "$dev"
  echo "bar-read-moved=$(bar0 "$dev")"
  write_config_byte $(( (old >> shift) & 255 )) $off "$dev"
  echo "bar-read-back=$(bar0 "$dev")"
  echo "$name" > /sys/bus/pci/drivers/nvme/bind
  if await /dev/nvme0n1 && nvme_io; then
    echo "moved-write-md5=$($b md5sum < /tmp/pattern | $b cut -d' ' -f1)"
    echo "moved-read-md5=$($b md5sum < /tmp/back | $b cut -d' ' -f1)"
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
  panic_ms=$(arg vfio4j_panic_ms)
  if [ -n "$panic_ms" ]; then
    ( while :; do nvme_io >/dev/null 2>&1; done ) &
    echo VFIO4J-IO-LOOP
    $b usleep $((panic_ms * 1000))
    echo VFIO4J-PANIC
    exit 1                           # init exits: the kernel panics (panic=-1: it resets the machine at once)
  fi
  echo VFIO4J-IO-LOOP
  while :; do nvme_io >/dev/null 2>&1; done ;;
esac
case "$cmd" in *" vfio4j_reboot "*)
  echo VFIO4J-GUEST-REBOOTING
  $b sync
  $b reboot -f ;;                   # PSCI SYSTEM_RESET: every boot does its checks and reboots again
esac
echo VFIO4J-GUEST-DONE
$b sync
$b poweroff -f
