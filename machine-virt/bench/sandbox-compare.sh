#!/bin/sh
# Boot-to-marker with the sandbox on and off: the busybox test guest through the launcher, 5 rounds each,
# alternating, timed on the lab host's clock from the launcher's start (JVM start-up included). Run from the
# checkout:
#   ./vfio4j lab run --arch aarch64 --timeout 1400 -- sh machine-virt/bench/sandbox-compare.sh
# A warm-up boot first records the launcher's AOT cache, as in boot-compare.sh.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/machine-virt/bench/bench-guest.sh"
bench_guest guest && cd /tmp
up() { cut -d' ' -f1 /proc/uptime; }
mark() { # label t0: read lines until the marker, print elapsed
  while IFS= read -r l; do
    case "$l" in *VFIO4J-GUEST-MARKER*) echo "RESULT $1 $(awk -v a="$2" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}')" | tee -a /tmp/bench-results;; esac
    case "$l" in *rror*|*panic*|*sandbox*) echo "  $1: $l";; esac
  done
}
APPEND="console=ttyAMA0 panic=-1 quiet"
boot() { # label, -sandbox value
  t0=$(up); VFIO4J_NO_BUILD=1 $REPO/vfio4j virt -sandbox "$2" -m 512M -smp 2 -kernel "$K" \
    -initrd /tmp/guest.cpio -append "$APPEND" 2>&1 | mark "$1" "$t0"
}
rm -f /tmp/bench-results
boot warmup on >/dev/null
for i in 1 2 3 4 5; do boot on on; boot off off; done
med() { grep "^RESULT $1 " /tmp/bench-results | cut -d' ' -f3 | sort -n | sed -n 3p; }
echo "MEDIAN sandbox on $(med on) s, off $(med off) s, ratio $(awk -v a="$(med on)" -v b="$(med off)" 'BEGIN{printf "%.2f", a/b}')"
