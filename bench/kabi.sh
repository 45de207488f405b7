#!/usr/bin/env bash
# kmpkit kabi diff on real kernel pairs (picked by scripts/fetch-kernel-pair.sh) against the
# depmod route (NEW tree + OLD modules in weak-updates/, depmod -e -E NEW's Module.symvers, which
# reports the same direct problems but neither the fixpoint nor reuse); and kmpkit verify of the
# real kernel. Median of RUNS runs (default 3), warm page cache.
# Uses the kmpkit already built in ./build (KMPKIT overrides it); builds and installs nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
KMPKIT=${KMPKIT:-$PWD/build/src/kmpkit}
[ -x "$KMPKIT" ] || { echo "build kmpkit first (ninja -C build kmpkit)" >&2; exit 1; }
KMPKIT_KERNEL_ROOT=${KMPKIT_KERNEL_ROOT:-$(scripts/fetch-kernel.sh | tail -1)}
KVER=$(cat "$KMPKIT_KERNEL_ROOT/KVER")
RUNS=${RUNS:-3}
work=$(mktemp -d -t kmpkit-bench-kabi.XXXXXX); trap 'rm -rf "$work"' EXIT
printf '%-8s %-32s %9s %9s %9s %14s %16s\n' pair kernels modules loadable reusable "kabi diff" "depmod route"
for mode in far partial zero; do
  pair=$(scripts/fetch-kernel-pair.sh "$mode" 2>/dev/null | tail -1) || { echo "$mode: no pair"; continue; }
  old=${pair% *}; new=${pair#* }
  ok=$(cat "$old/KVER"); nk=$(cat "$new/KVER")
  sv=$new/usr/src/linux-headers-$nk/Module.symvers
  args=(kabi diff -b "$old" "$ok" -B "$new" "$nk")
  "$KMPKIT" "${args[@]}" --json > "$work/d.json"
  read -r total loadable reusable < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["modules"]; print(m["total"], m["loadable"], m["reusable"])' "$work/d.json")
  ours=$(median_seconds "$RUNS" "$KMPKIT" "${args[@]}" --json)
  # The depmod route, tree building included (hard links).
  cat > "$work/route.sh" <<EOF
set -e
rm -rf "$work/t"; mkdir -p "$work/t/lib/modules/$nk/weak-updates" "$work/t/conf"
cp -al "$new/lib/modules/$nk/kernel" "$work/t/lib/modules/$nk/"
cp -al "$old/lib/modules/$ok/kernel" "$work/t/lib/modules/$nk/weak-updates/"
echo "search weak-updates built-in" > "$work/t/conf/k.conf"
timeout 300 /sbin/depmod -C "$work/t/conf" -b "$work/t" -e -E "$sv" "$nk" 2>&1 | head -c 20M > /dev/null
EOF
  theirs=$(median_seconds "$RUNS" bash "$work/route.sh")
  printf '%-8s %-32s %9s %9s %9s %13ss %15ss\n' "$mode" "$ok -> $nk" "$total" "$loadable" "$reusable" "$ours" "$theirs"
done
v=$(median_seconds "$RUNS" "$KMPKIT" verify --root "$KMPKIT_KERNEL_ROOT" --json)
echo "kmpkit verify of $KVER (every check, $(ls -R "$KMPKIT_KERNEL_ROOT/lib/modules/$KVER" | grep -c '\.ko') modules): ${v}s"
