#!/usr/bin/env bash
# kmpkit scan of the whole real kernel tree against Debian's depmod of the same tree.
# Median of RUNS runs each (default 5), plain and xz-compressed trees. Target: ratio <= 1.0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_setup
RUNS=${RUNS:-5}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
printf '%-8s %8s %12s %16s %8s\n' tree modules "kmpkit scan" "depmod (Debian)" ratio
for kind in plain xz; do
  if [ "$kind" = plain ]; then base=$KMPKIT_KERNEL_ROOT; else base=$(scripts/make-compressed-tree.sh xz "$KMPKIT_KERNEL_ROOT" | tail -1); fi
  rm -rf "$work/t"; mkdir -p "$work/t/lib/modules"
  cp -al "$base/lib/modules/$KVER" "$work/t/lib/modules/"; rm -f "$work/t/lib/modules/$KVER"/{build,source}
  n=$(find "$work/t/lib/modules/$KVER" -name '*.ko*' | wc -l)
  "$KMPKIT" scan -b "$work/t" "$KVER" >/dev/null   # warm the page cache for both
  ours=$(median_seconds "$RUNS" "$KMPKIT" scan -b "$work/t" "$KVER")
  theirs=$(median_seconds "$RUNS" timeout 300 /sbin/depmod -b "$work/t" "$KVER")
  printf '%-8s %8s %11ss %15ss %8s\n' "$kind" "$n" "$ours" "$theirs" "$(ratio "$ours" "$theirs")"
done
