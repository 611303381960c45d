#!/bin/sh
# Guest RAM on 4 KiB pages and on 2 MiB hugepages, machine-virt against QEMU (-enable-kvm -device vfio-pci with
# the same -object memory-backend-memfd,hugetlb=on), with the lab's nvme assigned, so that all guest RAM is
# pinned and DMA-mapped at start. Per run: launch to the guest's marker (JVM start-up included), and for
# machine-virt its own "DMA-mapped ... in N ms". SIZES (MiB, default "512 1024") and ROUNDS (default 3) may be
# set; the rounds alternate VMM and page size. Run from the checkout:
#   ./vfio4j lab run --arch aarch64 --timeout 2400 -- sh machine-virt/bench/hugepage-compare.sh
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/machine-virt/bench/bench-guest.sh"
bench_guest guest && cd /tmp
BDF=0000:00:05.0
SIZES=${SIZES:-512 1024}
ROUNDS=${ROUNDS:-3}
D=/sys/bus/pci/devices/$BDF
echo vfio-pci > $D/driver_override
[ -e $D/driver ] && echo $BDF > $D/driver/unbind
echo $BDF > /sys/bus/pci/drivers_probe
APPEND="console=ttyAMA0 panic=-1 quiet"
up() { cut -d' ' -f1 /proc/uptime; }
mark() { # label t0
  while IFS= read -r l; do
    case "$l" in
      *VFIO4J-GUEST-MARKER*) echo "RESULT $1 $(awk -v a="$2" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}')" | tee -a /tmp/bench-results;;
      *"DMA-mapped"*) echo "MAP $1 ${l##* in }" | tee -a /tmp/bench-results;;
      *rror*|*panic*) echo "  $1: $l";;
    esac
  done
}
ram() { # size page: the RAM options for both VMMs
  if [ "$2" = 2m ]; then
    echo "-m ${1}M -object memory-backend-memfd,id=m0,size=${1}M,hugetlb=on,hugetlbsize=2M -machine memory-backend=m0"
  else
    echo "-m ${1}M"
  fi
}
rm -f /tmp/bench-results
# the warm-up records the launcher's AOT cache, in a directory of this script's own, from a run that assigns the
# device too, as an operator's first run would: a cache recorded without one has none of the vfio-pci path in it
export VFIO4J_AOT_DIR=/tmp/hugepage-compare-aot VFIO4J_AOT_LOCAL=/tmp/hugepage-compare-aot
rm -rf "$VFIO4J_AOT_DIR" && mkdir -m 700 "$VFIO4J_AOT_DIR"
VFIO4J_NO_BUILD=1 $REPO/vfio4j virt -sandbox off -m 512M -smp 2 -no-reboot -device vfio-pci,host=$BDF -kernel "$K" \
  -initrd /tmp/guest.cpio -append "$APPEND" >/dev/null 2>&1
for size in $SIZES; do
  echo $((size / 2)) > /proc/sys/vm/nr_hugepages
  echo "size ${size}M: $(grep HugePages_Free /proc/meminfo)"
  for i in $(seq "$ROUNDS"); do
    for page in 4k 2m; do
      # shellcheck disable=SC2046 # ram's words are options
      t0=$(up); VFIO4J_NO_BUILD=1 $REPO/vfio4j virt -sandbox off $(ram "$size" "$page") -smp 2 -no-reboot \
        -device vfio-pci,host=$BDF -kernel "$K" -initrd /tmp/guest.cpio -append "$APPEND" 2>&1 | mark "mv-$size-$page" "$t0"
      # shellcheck disable=SC2046
      t0=$(up); qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 $(ram "$size" "$page") \
        -nographic -no-reboot -nic none -device vfio-pci,host=$BDF -kernel "$K" -initrd /tmp/guest.cpio \
        -append "$APPEND" 2>&1 | mark "qemu-$size-$page" "$t0"
    done
  done
done
echo 0 > /proc/sys/vm/nr_hugepages
med() { grep "^$1 $2 " /tmp/bench-results | cut -d' ' -f3 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for size in $SIZES; do
  for page in 4k 2m; do
    m=$(med RESULT "mv-$size-$page"); q=$(med RESULT "qemu-$size-$page")
    echo "MEDIAN ${size}M $page: machine-virt $m s (RAM mapped in $(med MAP "mv-$size-$page") ms), qemu $q s," \
      "ratio $(awk -v a="$m" -v b="$q" 'BEGIN{printf "%.2f", a/b}')"
  done
done
