#!/bin/sh
# Where each VMM's boot-to-marker time goes: its own start-up, and the guest's part after it, in one
# aarch64 lab run, ROUNDS (default 3) alternating boots of the busybox test guest. Run from the checkout:
#   ./vfio4j lab run --arch aarch64 --timeout 1400 -- sh machine-virt/bench/boot-split.sh [ROUNDS]
# machine-virt: VFIO4J_BOOT_TRACE=1, start-up = launch to the `vcpus` mark (vCPU threads started). QEMU: started
# paused (-S) with its monitor on a pipe; start-up = launch to its monitor prompt, then `cont` is sent. Guest
# part = from there to the marker. The script polls QEMU's prompt and serial file every 50 ms, so QEMU's two
# figures each carry up to 50 ms of that. Same kernel (a tmpfs copy), initramfs and command line for both.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-3}
. "$REPO/machine-virt/bench/bench-guest.sh"
bench_guest guest-split && cd /tmp
up() { cut -d' ' -f1 /proc/uptime; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
APPEND="console=ttyAMA0 panic=-1 quiet"
export VFIO4J_NO_BUILD=1
rm -f /tmp/split-results
$REPO/vfio4j virt -m 512M -smp 2 -kernel $K -initrd /tmp/guest-split.cpio -append "$APPEND" >/dev/null 2>&1  # AOT cache
for i in $(seq "$ROUNDS"); do
  # machine-virt: the marker's time is taken by a reader of the VMM's output, as for QEMU below
  T0=$(up)
  VFIO4J_BOOT_TRACE=1 $REPO/vfio4j virt -m 512M -smp 2 -kernel $K -initrd /tmp/guest-split.cpio -append "$APPEND" 2>&1 |
    while IFS= read -r l; do
      case "$l" in
        virt-trace:\ vcpus\ *) set -- $l; echo "$3" > /tmp/split-vcpus;;
        *VFIO4J-GUEST-MARKER*) up > /tmp/split-marker;;
      esac
    done
  V=$(cat /tmp/split-vcpus); M=$(cat /tmp/split-marker)
  echo "SPLIT machine-virt start $(sub "$T0" "$V") guest $(sub "$V" "$M") total $(sub "$T0" "$M")" | tee -a /tmp/split-results
  rm -f /tmp/mon.in /tmp/mon.out /tmp/mon.log /tmp/ser.log; mkfifo /tmp/mon.in /tmp/mon.out
  T0=$(up)
  qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 512M -display none -no-reboot -nic none \
    -kernel "$K" -initrd /tmp/guest-split.cpio -append "$APPEND" -S -chardev pipe,id=mon,path=/tmp/mon \
    -mon chardev=mon,mode=readline -serial file:/tmp/ser.log &
  QP=$!
  cat /tmp/mon.out > /tmp/mon.log &
  exec 5>/tmp/mon.in
  while ! grep -q "(qemu)" /tmp/mon.log 2>/dev/null; do sleep 0.05; done
  T1=$(up); echo cont >&5
  while ! grep -q VFIO4J-GUEST-MARKER /tmp/ser.log 2>/dev/null; do sleep 0.05; done
  T2=$(up)
  wait $QP; exec 5>&-
  echo "SPLIT qemu start $(sub "$T0" "$T1") guest $(sub "$T1" "$T2") total $(sub "$T0" "$T2")" | tee -a /tmp/split-results
done
med() { grep "^SPLIT $1 " /tmp/split-results | awk -v f="$2" '{for (i = 3; i < NF; i++) if ($i == f) print $(i + 1)}' |
  sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for w in machine-virt qemu; do echo "MEDIAN $w start $(med $w start) guest $(med $w guest) total $(med $w total)"; done
