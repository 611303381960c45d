#!/bin/busybox sh
# vfio4j lab host /init (generated into the initramfs by `vfio4j lab prepare`; source:
# lab/src/main/resources/org/vfio4j/lab/init.sh). Loads the lab's modules, mounts the build
# host's / read-only over virtio-9p with the run directory writable, runs the command in a chroot
# with its output on the vfio4j.out virtio-serial port, records its status, powers off.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() { # message: tell the console and the output port, then stop the lab host
  echo "vfio4j lab init: $*" > /dev/console
  [ -n "${OUT:-}" ] && echo "vfio4j lab init: $*" > "$OUT"
  poweroff -f
}

for m in @MODULES@; do
  insmod "/lib/modules/$m.ko" || echo "vfio4j lab init: insmod $m failed" > /dev/console
done

OUT=
for p in /sys/class/virtio-ports/*; do
  [ "$(cat "$p/name" 2>/dev/null)" = vfio4j.out ] && OUT="/dev/${p##*/}"
done
[ -n "$OUT" ] || fail "no virtio-serial port named vfio4j.out"

R=/newroot
mkdir -p $R
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose vfio4j-root $R \
  || fail "mounting the build host's / over 9p failed"
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || fail "mounting tmpfs on /tmp failed"
mount -t tmpfs -o mode=755 tmpfs $R/run || fail "mounting tmpfs on /run failed"
mkdir -p $R/run/vfio4j
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 vfio4j-run $R/run/vfio4j \
  || fail "mounting the run directory over 9p failed"
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
