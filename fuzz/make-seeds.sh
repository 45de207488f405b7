#!/usr/bin/env bash
# Large seed corpora made at run time from the real inputs (too big to check in): fuzz/make-seeds.sh
# TARGET OUT_DIR. module_elf: the test modules (plain, xz, zst) and real modules of the kernel
# (plain, and xz/zst made here); depmod_cache: the cache kmpkit depmod writes for the test modules
# and for 100 real modules. Other targets: nothing (their checked-in seeds are the real files).
# Reads KMPKIT_KERNEL_ROOT, KMPKIT_TEST_MODULES (the test suite's environment) and KMPKIT_BINARY.
set -euo pipefail
target=$1 out=$2
mkdir -p "$out"
kroot=${KMPKIT_KERNEL_ROOT:-/var/cache/kmpkit/kernel-6.1.0-57}
tmods=${KMPKIT_TEST_MODULES:-/var/cache/kmpkit/test-modules-6.1.0-57-amd64}
kver=$(ls "$kroot/lib/modules" | head -1)
moddir=$kroot/lib/modules/$kver
case $target in
  module_elf)
    for d in plain xz zst; do cp "$tmods/$d"/*.ko* "$out/" 2>/dev/null || true; done
    # Every 40th real module: all buses, signed, some large (the corpus stays near 10 MB).
    find "$moddir/kernel" -name '*.ko' | sort | awk 'NR % 40 == 1' | while read -r m; do
      base=$(basename "$m")
      cp "$m" "$out/$base"
      case $((RANDOM % 2)) in
        0) xz --check=crc32 --lzma2=dict=1MiB -c "$m" > "$out/$base.xz" ;;
        1) zstd -q -c "$m" > "$out/$base.zst" ;;
      esac
    done ;;
  depmod_cache)
    kmpkit=${KMPKIT_BINARY:-$(dirname "$0")/../build/src/kmpkit}
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/lib/modules/$kver/extra"
    cp "$tmods"/plain/*.ko "$tmp/lib/modules/$kver/extra/"
    "$kmpkit" depmod -b "$tmp" "$kver" >/dev/null 2>&1
    cp "$tmp/lib/modules/$kver/modules.kmpkit-cache" "$out/test-modules.cache"
    # A cache of 100 real modules (every 40th; signed, all buses): the whole tree's (6 MB) would
    # make each run too slow to explore.
    mkdir -p "$tmp/real/lib/modules/$kver/kernel"
    find "$moddir/kernel" -name '*.ko' | sort | awk 'NR % 40 == 1' | head -100 | xargs cp -t "$tmp/real/lib/modules/$kver/kernel/"
    "$kmpkit" depmod -b "$tmp/real" "$kver" >/dev/null 2>&1
    cp "$tmp/real/lib/modules/$kver/modules.kmpkit-cache" "$out/real-modules.cache"
    ;;
esac
