#!/bin/sh
# Boot-to-marker benchmark: machine-virt vs QEMU -enable-kvm on the same lab kernel and busybox
# initramfs, 3 rounds each, timed on the lab host's clock (JVM start-up included). Run from the checkout:
#   ./vfio4j lab run --arch aarch64 --timeout 1400 -- sh machine-virt/bench/boot-compare.sh
# QEMU gets -nic none (no NIC, like machine-virt; the lab root has no virtio-net option ROM).
# The launcher's first run after a build records the VMM's AOT cache (and, in the lab, each boot of the lab copies it
# from the AOT share into tmpfs once): that happens in a warm-up boot of the same guest, timed and printed apart
# (WARMUP), before the three rounds. `java -version` is timed first (cold: the lab's first JVM; then warm).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/machine-virt/bench/bench-guest.sh"
bench_guest guest && cd /tmp
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
