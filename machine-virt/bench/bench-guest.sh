# Sourced by the boot scripts in this directory (not run on its own): the kernel and the busybox test guest they
# all boot, made the same way for both VMMs.
#   bench_guest NAME [INIT-SED]: K=/tmp/Image-bench (a copy of the lab kernel) and /tmp/NAME.cpio, whose /init is
#   the test guest's guest-init.sh, filtered through `sed INIT-SED` when given. Needs REPO (the checkout).
# The kernel Image is read from a copy in tmpfs by both VMMs: the lab's 9p share has no page cache, so every boot
# would otherwise pull ~10 MB across to the build host, where a real host reads its page cache.
bench_guest() {
  cp "$VFIO4J_LAB_KERNEL" /tmp/Image-bench && K=/tmp/Image-bench
  rm -rf "/tmp/$1.d" && mkdir -p "/tmp/$1.d/bin" "/tmp/$1.d/proc" "/tmp/$1.d/sys" "/tmp/$1.d/dev"
  cp /usr/bin/busybox "/tmp/$1.d/bin/busybox"
  sed "${2:-}" "$REPO/machine-virt/src/test/resources/org/vfio4j/virt/lab/guest-init.sh" > "/tmp/$1.d/init"
  chmod 755 "/tmp/$1.d/init"
  mknod "/tmp/$1.d/dev/console" c 5 1
  (cd "/tmp/$1.d" && find . | busybox cpio -o -H newc 2>/dev/null) > "/tmp/$1.cpio"
}
