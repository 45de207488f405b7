#!/usr/bin/env bash
# The real Debian module tree recompressed with xz and with zstd, for the depmod tests and
# benchmark. Prints a folder OUT with OUT/xz and OUT/zst, each a base directory
# (OUT/xz/lib/modules/KVER/... with every .ko as .ko.xz). The trees themselves are made (once,
# cached) by scripts/make-compressed-tree.sh.
#
#   bench/depmod-trees.sh [KERNEL_ROOT]     KERNEL_ROOT default: scripts/fetch-kernel.sh's output
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${1:-}
[ -n "$root" ] || root=$("$repo/scripts/fetch-kernel.sh" | tail -n 1)
kver=$(tr -d '[:space:]' < "$root/KVER")
out="${KMPKIT_CACHE:-/var/cache/kmpkit}/depmod-trees-$kver"
mkdir -p "$out"
for kind in zst xz; do
  tree=$("$repo/scripts/make-compressed-tree.sh" "$kind" "$root" | tail -n 1)
  [ "$(readlink "$out/$kind" 2>/dev/null)" = "$tree" ] || { rm -rf "$out/$kind"; ln -s "$tree" "$out/$kind"; }
done
echo "$out"
