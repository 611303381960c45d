#!/bin/sh
# The lab NVMe assigned to a guest by machine-virt and by QEMU (-enable-kvm -device
# vfio-pci), same lab kernel, same guest, same aarch64 lab run, alternating, $ROUNDS rounds each. Per run it
# prints boot-to-marker seconds (from VMM launch, JVM start-up included), the guest's dd write/read rates
# (4 KiB O_DIRECT), the checksum verdict, and the VMM's CPU time (utime+stime from /proc) during the I/O phase,
# per 10k guest I/Os. ROUNDS=N, MIB=N (I/O size) and VMMS="machine-virt qemu" (which to run) may be set.
# Run from the checkout:
#   ./vfio4j lab run --arch aarch64 --timeout 2400 -- sh machine-virt/bench/nvme-compare.sh
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
K=$VFIO4J_LAB_KERNEL
BDF=0000:00:05.0
MIB=${MIB:-40}
ROUNDS=${ROUNDS:-3}
VMMS=${VMMS:-machine-virt qemu}
D=/sys/bus/pci/devices/$BDF
echo vfio-pci > $D/driver_override
[ -e $D/driver ] && echo $BDF > $D/driver/unbind
echo $BDF > /sys/bus/pci/drivers_probe
echo "nvme $BDF: driver $(basename "$(readlink $D/driver)"), group $(basename "$(readlink $D/iommu_group)")"
cd /tmp && rm -rf ng && mkdir -p ng/bin ng/proc ng/sys ng/dev
cp /usr/bin/busybox ng/bin/busybox
cp "$REPO/lab/src/main/resources/org/vfio4j/lab/aarch64/nvme-guest-init.sh" ng/init && chmod 755 ng/init
(cd ng && find . | busybox cpio -o -H newc 2>/dev/null) > nvme-guest.cpio
APPEND="console=ttyAMA0 panic=-1 quiet vfio4j_mib=$MIB"
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
up() { cut -d' ' -f1 /proc/uptime; }
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }
run() { # label, command...
  label=$1; shift
  rm -f /tmp/vmm.fifo; mkfifo /tmp/vmm.fifo
  t0=$(up)
  "$@" > /tmp/vmm.fifo 2>&1 &
  pid=$!
  c0=0; blocks=0
  while IFS= read -r l; do
    case "$l" in
      *VFIO4J-GUEST-MARKER*) echo "RESULT $label boot $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}')";;
      *IO-START*) c0=$(cpu $pid); blocks=${l##*blocks=};;
      *IO-END*) c1=$(cpu $pid)
        echo "RESULT $label cpu-per-10k-io $(awk -v a="$c0" -v b="$c1" -v n="$blocks" -v hz="$HZ" \
          'BEGIN{printf "%.3f", (b-a)/hz/(2*n)*10000}') s";;
      *write:*|*read:*|*CHECKSUM*|*irq:*|*NVME-MISSING*|*rror*|*panic*|virt:*) echo "  $label: $l";;
    esac
  done < /tmp/vmm.fifo
  wait $pid; echo "  $label: exit $? after $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}') s"
}
mv() {
  case " $VMMS " in *" machine-virt "*) ;; *) return;; esac
  run machine-virt env VFIO4J_NO_BUILD=1 "$REPO/vfio4j" virt -m 512M -smp 2 -kernel "$K" \
    -initrd /tmp/nvme-guest.cpio -append "$APPEND" -device vfio-pci,host=$BDF
}
qemu() {
  case " $VMMS " in *" qemu "*) ;; *) return;; esac
  run qemu qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 512M -nographic -no-reboot \
    -nic none -kernel "$K" -initrd /tmp/nvme-guest.cpio -append "$APPEND" -device vfio-pci,host=$BDF
}
# odd rounds machine-virt first, even rounds QEMU first: neither always runs right after the other
for i in $(seq 1 "$ROUNDS"); do
  if [ $((i % 2)) = 1 ]; then mv; qemu; else qemu; mv; fi
done
