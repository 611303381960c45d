#!/bin/busybox sh
# vfio4j aarch64 lab host /init (source: lab/src/main/resources/org/vfio4j/lab/aarch64/init.sh).
# Everything the lab needs is built into its kernel. Mounts the Debian trixie arm64 root read-only
# over virtio-9p, the run directory writable, then the shares listed in RUN/mounts ("TAG ro|rw PATH":
# the repo checkout, the Maven repository, the AOT cache directory) at the same paths as on the build
# host, runs the command in a chroot with its output on the vfio4j.out port, records its status,
# powers off (PSCI SYSTEM_OFF ends QEMU).
@PRELUDE@

find_out_port

R=/newroot
NINEP=trans=virtio,version=9p2000.L,msize=262144
ROOTMODE=ro
[ -e /proc/cmdline ] && grep -q 'vfio4j.rootrw' /proc/cmdline && ROOTMODE=rw
mount -t 9p -o $NINEP,$ROOTMODE,cache=loose vfio4j-root $R || fail "mounting the arm64 root over 9p failed"
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || fail "mounting tmpfs on /tmp failed"
mount -t tmpfs -o mode=755 tmpfs $R/run || fail "mounting tmpfs on /run failed"
mkdir -p $R/run/vfio4j
mount -t 9p -o $NINEP vfio4j-run $R/run/vfio4j || fail "mounting the run directory over 9p failed"
if [ -f $R/run/vfio4j/mounts ]; then
  while read -r tag mode path; do
    mkdir -p "$R$path" 2>/dev/null
    if [ "$mode" = ro ]; then opts=$NINEP,ro,cache=loose; else opts=$NINEP; fi
    mount -t 9p -o "$opts" "$tag" "$R$path" || fail "mounting $path ($tag) over 9p failed"
  done < $R/run/vfio4j/mounts
fi
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm

: > $R/run/vfio4j/started   # from here on a failure is the command's, not the boot's
env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 TERM=dumb VFIO4J_LAB=aarch64 JAVA_HOME=/usr/lib/jvm/java-25-openjdk-arm64 \
  chroot $R /bin/sh /run/vfio4j/cmd.sh < /dev/null > "$OUT" 2>&1
echo $? > $R/run/vfio4j/status.tmp && mv $R/run/vfio4j/status.tmp $R/run/vfio4j/status
sync
poweroff -f
