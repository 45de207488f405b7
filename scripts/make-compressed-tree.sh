#!/usr/bin/env bash
# A copy of the real kernel's module tree with every module recompressed (xz or zstd), as a
# distribution ships it. Cached and reused; built atomically.
#
#   scripts/make-compressed-tree.sh xz|zst [KERNEL_ROOT]
#
# Prints a base directory: BASE/lib/modules/KVER with *.ko.xz (or *.ko.zst) plus the
# modules.order / modules.builtin* files of the original (modules.order keeps .ko names, as kbuild
# writes it).
set -euo pipefail
kind=${1:?usage: make-compressed-tree.sh xz|zst [KERNEL_ROOT]}
case "$kind" in xz|zst) ;; *) echo "make-compressed-tree: kind must be xz or zst" >&2; exit 2 ;; esac
root=${2:-$("$(dirname "$0")/fetch-kernel.sh" | tail -1)}
kver=$(cat "$root/KVER")
CACHE=${KMPKIT_CACHE:-/var/cache/kmpkit}
dest="$CACHE/tree-$kver-$kind"
[ -f "$dest/.complete" ] && { echo "$dest"; exit 0; }
exec 9>"$dest.lock"; flock 9
[ -f "$dest/.complete" ] && { echo "$dest"; exit 0; }
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/lib/modules"
cp -a "$root/lib/modules/$kver" "$dest.tmp/lib/modules/"
md="$dest.tmp/lib/modules/$kver"
rm -f "$md/build" "$md/source"
echo "make-compressed-tree: compressing $(find "$md" -name '*.ko' | wc -l) modules with $kind (takes a while)" >&2
if [ "$kind" = xz ]; then
  find "$md" -name '*.ko' -print0 | xargs -0 -P"$(nproc)" -n 64 xz -q --check=crc32 --lzma2=dict=1MiB -T1
else
  find "$md" -name '*.ko' -print0 | xargs -0 -P"$(nproc)" -n 64 zstd -q --rm -T1
fi
cp "$root/KVER" "$dest.tmp/KVER"
touch "$dest.tmp/.complete"
rm -rf "$dest"; mv "$dest.tmp" "$dest"
echo "$dest"
