#!/bin/sh
# Boot-to-marker benchmark for issue 6: machine-virt vs QEMU -enable-kvm on the same lab kernel and busybox
# initramfs, 3 rounds each, timed on the lab host's clock (JVM start-up included). Run from the checkout:
#   ./vfio4j lab run --arch aarch64 --timeout 1400 -- sh machine-virt/bench/boot-compare.sh
# QEMU gets -nic none (no NIC, like machine-virt; the lab root has no virtio-net option ROM).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
K=$VFIO4J_LAB_KERNEL
cd /tmp && rm -rf g && mkdir -p g/bin g/proc g/sys g/dev
cp /usr/bin/busybox g/bin/busybox
cp $REPO/machine-virt/src/test/resources/org/vfio4j/virt/lab/guest-init.sh g/init && chmod 755 g/init
mknod g/dev/console c 5 1
(cd g && find . | busybox cpio -o -H newc 2>/dev/null) > guest.cpio
ls -l guest.cpio
up() { cut -d' ' -f1 /proc/uptime; }
mark() { # label t0: read lines until the marker, print elapsed
  while IFS= read -r l; do
    case "$l" in *VFIO4J-GUEST-MARKER*) echo "RESULT $1 $(awk -v a="$2" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}')";; esac
    case "$l" in *cpus=*|*compatible=*|*rror*|*panic*) echo "  $1: $l";; esac
  done
}
APPEND="console=ttyAMA0 panic=-1 quiet"
for i in 1 2 3; do
  t0=$(up); VFIO4J_NO_BUILD=1 $REPO/vfio4j virt -m 512M -smp 2 -kernel "$K" -initrd /tmp/guest.cpio -append "$APPEND" 2>&1 | mark machine-virt "$t0"
  echo "  exit machine-virt: done $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}') s"
  t0=$(up); qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 512M -nographic -no-reboot -nic none \
    -kernel "$K" -initrd /tmp/guest.cpio -append "$APPEND" 2>&1 | mark qemu "$t0"
  echo "  exit qemu: done $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}') s"
done
