#!/bin/sh
# A/B of two builds of the VMM's start-up in one aarch64 lab run (the build host's load moves every figure 2-3x
# between runs, so only figures of one run compare). A = another checkout's build (e.g. a copy of main's jars and
# launcher), B = this checkout; each through its own launcher and AOT cache (recorded in a warm-up boot each),
# then ROUNDS (default 5) alternating boots of the busybox test guest, plus QEMU -enable-kvm once per round.
#   ./vfio4j lab run --arch aarch64 --timeout 1400 -- sh machine-virt/bench/boot-ab.sh /path/to/A-checkout
# Prints each boot's phases (VFIO4J_BOOT_TRACE=1: seconds since the launcher started) and, per phase, the median
# over the rounds for A and B, the marker's last.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
A=${1:?usage: boot-ab.sh A-CHECKOUT [ROUNDS]}
ROUNDS=${2:-5}
# Only this checkout and ~/.m2 are visible inside the lab: A must be a copy under it, e.g. target/abA holding A's
# launcher and its modules' target/*.jar and classpath.txt, the paths in classpath.txt rewritten to the copy.
[ -x "$A/vfio4j" ] || { echo "boot-ab: no $A/vfio4j inside the lab; copy A's build under this checkout (see the header)" >&2; exit 2; }
. "$REPO/machine-virt/bench/bench-guest.sh"
bench_guest guest-ab && cd /tmp
up() { cut -d' ' -f1 /proc/uptime; }
APPEND="console=ttyAMA0 panic=-1 quiet"
ARGS="-m 512M -smp 2 -kernel $K -initrd /tmp/guest-ab.cpio"
rel() { # label t0: "virt-trace: phase uptime" and the marker as "PHASE label phase seconds-since-t0"
  while IFS= read -r l; do
    case "$l" in
      virt-trace:*) set -- $l; echo "PHASE $LABEL $2 $(awk -v a="$T0" -v b="$3" 'BEGIN{printf "%.2f", b-a}')";;
      *VFIO4J-GUEST-MARKER*) echo "PHASE $LABEL marker $(awk -v a="$T0" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}')";;
      *rror*|*xception*|*panic*|vfio4j:*) echo "  $LABEL: $l";;
    esac
  done
}
boot() { # label launcher
  LABEL=$1; T0=$(up); export LABEL T0
  VFIO4J_BOOT_TRACE=1 VFIO4J_NO_BUILD=1 "$2" virt $ARGS -append "$APPEND" 2>&1 | rel | tee -a /tmp/ab-results
}
rm -f /tmp/ab-results
boot warmup-A "$A/vfio4j" >/dev/null; boot warmup-B "$REPO/vfio4j" >/dev/null; rm -f /tmp/ab-results
for i in $(seq "$ROUNDS"); do
  echo "round $i"
  if [ $((i % 2)) = 1 ]; then boot A "$A/vfio4j"; boot B "$REPO/vfio4j"; else boot B "$REPO/vfio4j"; boot A "$A/vfio4j"; fi
  LABEL=qemu; T0=$(up); export LABEL T0
  qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 512M -nographic -no-reboot -nic none \
    -kernel "$K" -initrd /tmp/guest-ab.cpio -append "$APPEND" 2>&1 | rel | tee -a /tmp/ab-results
done
echo "MEDIANS over $ROUNDS rounds (seconds since the launcher started): phase A B"
for p in $(grep '^PHASE [AB] ' /tmp/ab-results | cut -d' ' -f3 | grep -v 'exits=' | awk '!s[$0]++'); do
  med() { grep "^PHASE $1 $p " /tmp/ab-results | cut -d' ' -f4 | sort -n | awk '{v[NR]=$1} END{if (NR) print v[int((NR+1)/2)]; else print "-"}'; }
  echo "MEDIAN $p $(med A) $(med B)"
done
echo "MEDIAN qemu-marker $(grep '^PHASE qemu marker ' /tmp/ab-results | cut -d' ' -f4 | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')"
