#!/bin/sh
# Where machine-virt's boot-to-marker time goes, in the aarch64 lab. Run from the checkout:
#   ./vfio4j lab run --arch aarch64 --timeout 1400 -- sh machine-virt/bench/boot-profile.sh
# Prints java -version times; then, for the VMM started as before this work (plain java, no options), with the
# launcher's JVM options but no AOT cache, and through the launcher with its AOT cache (recording run first),
# the VMM's phase timestamps (VFIO4J_BOOT_TRACE=1; seconds since launch on the lab host's clock) and the
# guest's own uptime at its marker (a copy of the test init that also prints /proc/uptime); the same guest on
# QEMU -enable-kvm; and how many classes the VMM's JVM loads with the cache, and from where.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/machine-virt/bench/bench-guest.sh"
JAVA=${JAVA_HOME:-/usr/lib/jvm/java-25-openjdk-arm64}/bin/java
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}'; }
bench_guest guest-prof 's|^echo VFIO4J-GUEST-MARKER|echo "guest-uptime=$($b cut -d" " -f1 /proc/uptime)"; echo VFIO4J-GUEST-MARKER|' \
  && cd /tmp
for i in 1 2 3; do t0=$(up); $JAVA -version 2>/dev/null; echo "java -version #$i: $(since "$t0") s"; done
t0=$(up); $JAVA -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -version 2>/dev/null
echo "java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -version: $(since "$t0") s"
t0=$(up); sh -c true; echo "fork+exec of sh: $(since "$t0") s"
ARGS="-m 512M -smp 2 -kernel $K -initrd /tmp/guest-prof.cpio"
APPEND="console=ttyAMA0 panic=-1 quiet"
rel() { # rewrite "virt-trace: phase uptime" as seconds since $T0; pass the guest's lines of interest
  while IFS= read -r l; do
    case "$l" in
      virt-trace:*) set -- $l; echo "  $2 +$(awk -v a="$T0" -v b="$3" 'BEGIN{printf "%.2f", b-a}')";;
      *VFIO4J-GUEST-MARKER*) echo "  marker +$(since "$T0")";;
      *guest-uptime=*|*rror*|*xception*|*panic*|*AOT*|*vfio4j:*) echo "  $l";;
    esac
  done
}
export VFIO4J_BOOT_TRACE=1 VFIO4J_NO_BUILD=1
CP="$(ls $REPO/machine-virt/target/machine-virt-*.jar | head -n1):$(cat $REPO/machine-virt/target/classpath.txt)"
echo "plain java (the launcher's command before this work)"
T0=$(up); export T0
$JAVA --enable-native-access=ALL-UNNAMED -cp "$CP" org.vfio4j.virt.Main $ARGS -append "$APPEND" 2>&1 | rel
echo "  exit +$(since "$T0")"
echo "launcher, VFIO4J_AOT=off"
T0=$(up); export T0
VFIO4J_AOT=off $REPO/vfio4j virt $ARGS -append "$APPEND" 2>&1 | rel
echo "  exit +$(since "$T0")"
for i in 1 2 3; do
  echo "launcher with AOT cache #$i (${VFIO4J_AOT_DIR:-no VFIO4J_AOT_DIR})"
  T0=$(up); export T0
  $REPO/vfio4j virt $ARGS -append "$APPEND" 2>&1 | rel
  echo "  exit +$(since "$T0")"
done
echo "qemu"
T0=$(up); export T0
qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 512M -nographic -no-reboot -nic none \
  -kernel "$K" -initrd /tmp/guest-prof.cpio -append "$APPEND" 2>&1 | rel
echo "  exit +$(since "$T0")"
echo "class loading (one more launcher run with -Xlog:class+load)"
VFIO4J_BOOT_TRACE= VFIO4J_JAVA_OPTS="-Xlog:class+load:file=/tmp/classload.txt" $REPO/vfio4j virt $ARGS -append "$APPEND" >/dev/null 2>&1
echo "  classes loaded: $(grep -c 'source:' /tmp/classload.txt)"
sed -n 's/.*source: \(shared objects file\|jrt:\/[a-z.]*\|file:.*\/\([^/]*\)\.jar\|[a-z ]*\).*/\1/p' /tmp/classload.txt \
  | sed 's|file:.*/||' | sort | uniq -c | sort -rn | head -12
grep 'source:' /tmp/classload.txt | grep -v 'shared objects file' | sed 's/^.*\] \([^ ]*\) source.*/\1/' \
  | awk -F. '{NF=NF>3?3:NF; print}' OFS=. | sort | uniq -c | sort -rn | head -15
