#!/bin/sh
# Builds the aarch64 lab kernel Image: build-kernel.sh SOURCE_TARBALL FRAGMENT WORKDIR OUT_IMAGE
# allnoconfig + FRAGMENT (merge_config.sh -m) + olddefconfig, every fragment option checked, then
# `make Image`. Each step prints "step: NAME" first, so a failure can be named by the caller.
set -eu
src=$1 fragment=$2 work=$3 out=$4
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
echo "step: unpack"
rm -rf "$work"; mkdir -p "$work"
tar -xJf "$src" -C "$work" --strip-components=1
cd "$work"
echo "step: allnoconfig"
make -s allnoconfig
echo "step: merge-config"
scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
echo "step: olddefconfig"
make -s olddefconfig
echo "step: check-config"
missing=""
while IFS= read -r line; do
  case "$line" in CONFIG_*=*) grep -qx "$line" .config || missing="$missing $line" ;; esac
done < "$fragment"
if [ -n "$missing" ]; then echo "options dropped by olddefconfig (missing dependency?):$missing" >&2; exit 3; fi
echo "step: compile"
make -j"$(nproc)" Image
echo "step: install"
cp arch/arm64/boot/Image "$out.tmp"
cp .config "$(dirname "$out")/config"
make -s kernelrelease > "$(dirname "$out")/kernelrelease"
mv "$out.tmp" "$out"
cd /; rm -rf "$work"
echo "step: done"
