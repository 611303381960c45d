# Shared start of both lab hosts' /init (lab/src/main/resources/org/vfio4j/lab/init-prelude.sh, put in
# place of the init scripts' PRELUDE placeholder line by `vfio4j lab prepare`): busybox applets, /proc, /sys,
# /dev, and the two helpers.
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

find_out_port() { # sets OUT to the virtio-serial port named vfio4j.out, or stops the lab host
  OUT=
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = vfio4j.out ] && OUT="/dev/${p##*/}"
  done
  [ -n "$OUT" ] || fail "no virtio-serial port named vfio4j.out"
}
