#!/bin/sh
# Boot-to-marker benchmark for issue 6: machine-virt vs QEMU -enable-kvm on the same lab kernel and busybox
# initramfs, 3 rounds each, timed on the lab host's clock (JVM start-up included). Run from the checkout:
#   ./vfio4j lab run --arch aarch64 --timeout 1400 -- sh machine-virt/bench/boot-compare.sh
# QEMU gets -nic none (no NIC, like machine-virt; the lab root has no virtio-net option ROM).
# The launcher's first run after a build records the VMM's AOT cache (and, in the lab, each boot of the lab copies it
# from the AOT share into tmpfs once): that happens in a warm-up boot of the same guest, timed and printed apart
# (WARMUP), before the three rounds. `java -version` is timed first (cold: the lab's first JVM; then warm).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# The kernel Image is read from a copy in tmpfs by both VMMs: the lab's 9p share has no page cache, so every
# boot would otherwise pull ~10 MB across to the build host, where a real host reads its page cache.
cp "$VFIO4J_LAB_KERNEL" /tmp/Image-bench && K=/tmp/Image-bench
cd /tmp && rm -rf g && mkdir -p g/bin g/proc g/sys g/dev
cp /usr/bin/busybox g/bin/busybox
cp $REPO/machine-virt/src/test/resources/org/vfio4j/virt/lab/guest-init.sh g/init && chmod 755 g/init
mknod g/dev/console c 5 1
(cd g && find . | busybox cpio -o -H newc 2>/dev/null) > guest.cpio
ls -l guest.cpio
up() { cut -d' ' -f1 /proc/uptime; }
mark() { # label t0: read lines until the marker, print elapsed
  while IFS= read -r l; do
    case "$l" in *VFIO4J-GUEST-MARKER*) echo "RESULT $1 $(awk -v a="$2" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}')" | tee -a /tmp/bench-results;; esac
    case "$l" in *cpus=*|*compatible=*|*rror*|*panic*|vfio4j:*) echo "  $1: $l";; esac
  done
}
APPEND="console=ttyAMA0 panic=-1 quiet"
rm -f /tmp/bench-results
for i in cold warm warm; do
  t0=$(up); "${JAVA_HOME:-/usr/lib/jvm/java-25-openjdk-arm64}/bin/java" -version 2>/dev/null
  echo "JAVA-VERSION $i $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}') s"
done
t0=$(up); VFIO4J_NO_BUILD=1 $REPO/vfio4j virt -m 512M -smp 2 -kernel "$K" -initrd /tmp/guest.cpio -append "$APPEND" 2>&1 \
  | mark machine-virt-warmup "$t0" | sed 's/^RESULT /WARMUP /'
echo "  exit machine-virt-warmup: done $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}') s"
for i in 1 2 3; do
  t0=$(up); VFIO4J_NO_BUILD=1 $REPO/vfio4j virt -m 512M -smp 2 -kernel "$K" -initrd /tmp/guest.cpio -append "$APPEND" 2>&1 | mark machine-virt "$t0"
  echo "  exit machine-virt: done $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}') s"
  t0=$(up); qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 512M -nographic -no-reboot -nic none \
    -kernel "$K" -initrd /tmp/guest.cpio -append "$APPEND" 2>&1 | mark qemu "$t0"
  echo "  exit qemu: done $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}') s"
done
med() { grep "^RESULT $1 " /tmp/bench-results | cut -d' ' -f3 | sort -n | sed -n 2p; }
echo "MEDIAN machine-virt $(med machine-virt) s, qemu $(med qemu) s, ratio $(awk -v a="$(med machine-virt)" -v b="$(med qemu)" 'BEGIN{printf "%.2f", a/b}')"
