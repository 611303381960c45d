#!/bin/busybox sh
# /init of the tiny test guest (GuestInitramfs puts it in a cpio with a static arm64 busybox at /bin/busybox):
# prints a marker, the online CPU count and the device tree's root compatible, then powers off (PSCI SYSTEM_OFF).
# Kernel command-line words change the ending: vfio4j_panic -> init exits (kernel panic; with panic=-1 the
# kernel resets), vfio4j_reboot -> reboots (PSCI SYSTEM_RESET; for the reboot test, so every boot reboots),
# vfio4j_idle -> waits for the power button (KEY_POWER from gpio-keys: QMP's system_powerdown) and then powers
# off, vfio4j_rtc -> checks an RTC given to the guest (rtc0: its name and device, its time read twice 3 s
# apart, then 4 alarms 2 s ahead, each followed by the RTC's interrupt count in /proc/interrupts) before
# powering off (for the vfio-amba PL031 test).
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
  *" vfio4j_rtc "*)
    r=/sys/class/rtc/rtc0
    # Interrupts taken on the RTC's line: the per-CPU counts after "NN:", up to the controller's name.
    irqs() { $b awk '/pl031/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts; }
    if [ ! -e $r ]; then
      echo "rtc-missing: no $r"; $b ls /sys/class/rtc; $b dmesg | $b grep -i -e pl031 -e amba -e rtc
    else
      echo "rtc-name=$($b cat $r/name)"
      echo "rtc-device=$($b basename "$($b readlink -f $r/device)")"
      t1=$($b cat $r/since_epoch); $b sleep 3; t2=$($b cat $r/since_epoch)
      echo "rtc-time $t1 $t2"
      for i in 1 2 3 4; do
        before=$(irqs)
        echo 0 > $r/wakealarm
        echo +2 > $r/wakealarm
        w=0
        while [ "$(irqs)" = "$before" ] && [ $w -lt 30 ]; do $b sleep 1; w=$((w + 1)); done
        echo "rtc-alarm $i irqs $before -> $(irqs) after ${w}s"
      done
      $b grep pl031 /proc/interrupts
    fi
    echo VFIO4J-RTC-DONE ;;
  *" vfio4j_reboot "*)
    echo VFIO4J-GUEST-REBOOTING
    $b reboot -f ;;
  *" vfio4j_idle "*)
    $b mount -t devtmpfs devtmpfs /dev
    if [ ! -c /dev/input/event0 ]; then
      echo VFIO4J-GUEST-IDLE
      echo "vfio4j guest init: no /dev/input/event0 (no gpio-keys), waiting to be ended from outside"
      while :; do $b sleep 3600; done
    fi
    # opened before the marker: evdev keeps only the events that come while it is open, and a press may come
    # as soon as the marker is seen
    exec 3< /dev/input/event0
    echo VFIO4J-GUEST-IDLE
    # one evdev event is 24 bytes: a timeval (16), type, code, value; KEY_POWER down is EV_KEY 1, 116, 1
    while :; do
      ev=$($b dd bs=24 count=1 <&3 2>/dev/null | $b od -An -tx1 | $b tr -d ' \n')
      case "$ev" in ????????????????????????????????0100740001000000) break ;; esac
    done
    echo VFIO4J-GUEST-POWER-BUTTON ;;
esac
$b sync
$b poweroff -f
