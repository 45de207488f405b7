#!/usr/bin/env bash
# Makes (once) the real Debian module tree recompressed with xz and with zstd, for the depmod
# tests and benchmark, and prints the cache folder holding them:
#
#   bench/depmod-trees.sh [KERNEL_ROOT]     KERNEL_ROOT default: scripts/fetch-kernel.sh's output
#
#   OUT/xz/lib/modules/KVER/...   every .ko as .ko.xz  (xz --check=crc32 --lzma2=dict=1MiB -T1,
#                                 the kernel's modules_install settings), 2 in parallel
#   OUT/zst/lib/modules/KVER/...  every .ko as .ko.zst (zstd -q)
#   modules.order, modules.builtin, modules.builtin.modinfo copied as they are.
# OUT = $KMPKIT_CACHE (default /var/cache/kmpkit)/depmod-trees-KVER. Each variant is built in
# OUT/VARIANT.tmp and renamed when complete (OUT/VARIANT/.complete); serialised with flock.
# xz takes a few minutes on 2 cores; later calls return at once.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
CACHE=${KMPKIT_CACHE:-/var/cache/kmpkit}
root=${1:-}
[ -n "$root" ] || root=$("$repo/scripts/fetch-kernel.sh" | tail -n 1)
kver=$(tr -d '[:space:]' < "$root/KVER")
src="$root/lib/modules/$kver"
[ -d "$src" ] || { echo "depmod-trees: no $src" >&2; exit 1; }
out="$CACHE/depmod-trees-$kver"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
jobs=${KMPKIT_JOBS:-2}

make_variant() {  # name, compress-command-prefix, extension
  local name=$1 ext=$3 cmd=$2
  [ -f "$out/$name/.complete" ] && return 0
  local tmp="$out/$name.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp/lib/modules/$kver"
  local dst="$tmp/lib/modules/$kver"
  (cd "$src" && find . -type d ! -name build ! -name source -print0) | (cd "$dst" && xargs -0 mkdir -p)
  for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ -f "$src/$f" ] && cp -p "$src/$f" "$dst/$f"
  done
  echo "depmod-trees: compressing $(cd "$src" && find kernel -name '*.ko' | wc -l) modules with $name ($jobs jobs)..." >&2
  (cd "$src" && find kernel -name '*.ko' -print0) |
    SRC="$src" DST="$dst" CMD="$cmd" EXT="$ext" xargs -0 -n 32 -P "$jobs" sh -c '
      for f in "$@"; do $CMD < "$SRC/$f" > "$DST/$f$EXT" && touch -r "$SRC/$f" "$DST/$f$EXT" || exit 255; done' sh
  touch "$tmp/.complete"
  rm -rf "$out/$name"
  mv "$tmp" "$out/$name"
}

make_variant zst "zstd -q -c" .zst
make_variant xz "xz --check=crc32 --lzma2=dict=1MiB -T1 -c" .xz
echo "$out"
