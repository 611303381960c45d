#!/bin/sh
# Fetches Debian trixie arm64 packages with a PRIVATE apt configuration and unpacks them into a root:
#   fetch-root.sh APTDIR ROOT PACKAGE...
# APTDIR holds its own sources list, state and cache; the machine's apt setup is never touched.
# No maintainer scripts run: the few things they would do that the lab needs are done here.
set -eu
aptdir=$1 root=$2; shift 2
mkdir -p "$aptdir/etc/apt/apt.conf.d" "$aptdir/etc/apt/preferences.d" "$aptdir/etc/apt/sources.list.d" \
  "$aptdir/state/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/debs"
touch "$aptdir/state/status"
kr=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$kr" ] || { echo "missing $kr: apt-get install debian-archive-keyring" >&2; exit 3; }
cat > "$aptdir/etc/apt/sources.list" <<SRC
deb [arch=arm64 signed-by=$kr] http://deb.debian.org/debian trixie main
deb [arch=arm64 signed-by=$kr] http://deb.debian.org/debian-security trixie-security main
deb-src [signed-by=$kr] http://deb.debian.org/debian trixie main
deb-src [signed-by=$kr] http://deb.debian.org/debian-security trixie-security main
SRC
cat > "$aptdir/apt.conf" <<CONF
Dir::Etc "$aptdir/etc/apt";
Dir::State "$aptdir/state";
Dir::Cache "$aptdir/cache";
Dir::State::status "$aptdir/state/status";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
CONF
export APT_CONFIG="$aptdir/apt.conf"
sb=""; [ "$(id -u)" = 0 ] && sb="-o APT::Sandbox::User=root"  # the cache is root's, not _apt's
echo "step: apt-update"
apt-get -q=2 $sb update
echo "step: resolve"
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
  --no-enhances "$@" | grep -v '^ ' | grep -v '^<' | sort -u > "$aptdir/closure.txt"
# only packages that exist (virtual ones have no candidate version)
: > "$aptdir/versions.txt"
while read -r p; do
  v=$(apt-cache show --no-all-versions "$p" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
  [ -n "$v" ] && echo "$p=$v" >> "$aptdir/versions.txt"
done < "$aptdir/closure.txt"
echo "packages: $(wc -l < "$aptdir/versions.txt")"
echo "step: download"
cd "$aptdir/debs"
# shellcheck disable=SC2046
apt-get -q=2 $sb download $(cat "$aptdir/versions.txt")
echo "step: unpack"
rm -rf "$root.tmp"; mkdir -p "$root.tmp"
for d in "$aptdir"/debs/*.deb; do dpkg-deb -x "$d" "$root.tmp"; done
echo "step: fixup"
r="$root.tmp"
# QEMU's own QMP client library (python/qemu/qmp in QEMU's source, what PyPI ships as qemu.qmp), from the
# Debian source of the very QEMU in this root, fetched and checked by apt: the QMP lab test drives machine-virt
# and QEMU with a client written by QEMU's authors.
echo "step: qemu-qmp"
qv=$(sed -n 's/^qemu-system-arm=//p' "$aptdir/versions.txt")
[ -n "$qv" ] || { echo "no qemu-system-arm version in $aptdir/versions.txt" >&2; exit 4; }
rm -rf "$aptdir/src"; mkdir -p "$aptdir/src"; cd "$aptdir/src"
apt-get -q=2 $sb source --download-only "qemu=$qv"
py="$r/usr/lib/python3/dist-packages"; mkdir -p "$py"
tar -xJf qemu_*.orig.tar.xz -C "$py" --strip-components=2 --wildcards '*/python/qemu/qmp/*'
[ -f "$py/qemu/qmp/qmp_client.py" ] || { echo "no python/qemu/qmp in the qemu $qv source" >&2; exit 4; }
cd "$aptdir"; rm -rf "$aptdir/src"
# merged /usr, as base-files and usrmerge would leave it (the ELF interpreter is /lib/ld-linux-aarch64.so.1)
for d in bin sbin lib; do
  mkdir -p "$r/usr/$d"
  if [ -d "$r/$d" ] && [ ! -L "$r/$d" ]; then cp -a "$r/$d/." "$r/usr/$d/"; rm -rf "${r:?}/$d"; fi
  [ -e "$r/$d" ] || ln -s "usr/$d" "$r/$d"
done
mkdir -p "$r/etc" "$r/tmp" "$r/run" "$r/proc" "$r/sys" "$r/dev" "$r/root" "$r/home/lab" "$r/mnt"
cat > "$r/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
lab:x:1000:1000:lab:/home/lab:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
PW
printf 'root:x:0:\nlab:x:1000:\nnogroup:x:65534:\n' > "$r/etc/group"
echo aarch64-lab > "$r/etc/hostname"
# busybox applets the lab needs where Debian's packages have none (no maintainer scripts run)
if [ -x "$r/usr/bin/busybox" ]; then bb=/usr/bin/busybox; else bb=/bin/busybox; fi
for a in sh mount umount mkdir cat ls echo sleep poweroff sed grep cut tr head tail find ln rm cp mv \
         chmod mknod uname dmesg readlink basename dirname env id date true false test printf wc sort \
         awk xargs sync insmod modprobe lsmod tee stat; do
  [ -e "$r/usr/bin/$a" ] || [ -L "$r/usr/bin/$a" ] || [ -e "$r/usr/sbin/$a" ] || ln -s "$bb" "$r/usr/bin/$a"
done
# the alternatives openjdk's postinst would register
jvm=$(ls -d "$r"/usr/lib/jvm/java-25-openjdk-arm64 2>/dev/null || true)
if [ -n "$jvm" ]; then
  ln -sf /usr/lib/jvm/java-25-openjdk-arm64/bin/java "$r/usr/bin/java"
  # the JRE's lib/security/cacerts etc. are symlinks into /etc; harmless when absent
fi
cp "$aptdir/versions.txt" "$r/etc/vfio4j-packages.txt"
rm -rf "$root"; mv "$r" "$root"
echo "step: done"
