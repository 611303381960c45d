#!/bin/busybox sh
# vfio4j lab host /init (generated into the initramfs by `vfio4j lab prepare`; source:
# lab/src/main/resources/org/vfio4j/lab/init.sh). Loads the lab's modules, mounts the build
# host's / read-only over virtio-9p with the run directory writable, runs the command in a chroot
# with its output on the vfio4j.out virtio-serial port, records its status, powers off.
@PRELUDE@

for m in @MODULES@; do
  insmod "/lib/modules/$m.ko" || echo "vfio4j lab init: insmod $m failed" > /dev/console
done

find_out_port

R=/newroot
mkdir -p $R /hostrun /keep
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 vfio4j-run /hostrun \
  || fail "mounting the run directory over 9p failed"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose vfio4j-root $R \
  || fail "mounting the build host's / over 9p failed"
# Directories under /tmp and /run the command needs (a checkout in /tmp, say): set them aside
# before the tmpfs mounts hide them, then put them back at their own paths (read-only).
n=0
while read -r p; do
  [ -d "$R$p" ] || continue
  n=$((n + 1)); mkdir -p /keep/$n
  mount -o bind "$R$p" /keep/$n && echo "$p" > /keep/$n.path
done < /hostrun/keep
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || fail "mounting tmpfs on /tmp failed"
mount -t tmpfs -o mode=755 tmpfs $R/run || fail "mounting tmpfs on /run failed"
for f in /keep/*.path; do
  [ -f "$f" ] || continue
  p=$(cat "$f"); mkdir -p "$R$p"
  mount -o move "${f%.path}" "$R$p" || fail "keeping $p visible failed"
done
mkdir -p $R/run/vfio4j
mount -o move /hostrun $R/run/vfio4j || fail "moving the run directory into the chroot failed"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm

: > $R/run/vfio4j/started   # from here on a failure is the command's, not the boot's
env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 TERM=dumb VFIO4J_LAB=x86_64 \
  chroot $R /bin/sh /run/vfio4j/cmd.sh < /dev/null > "$OUT" 2>&1
echo $? > $R/run/vfio4j/status.tmp && mv $R/run/vfio4j/status.tmp $R/run/vfio4j/status
sync
poweroff -f
