#!/usr/bin/env bash
# kmpkit weak-updates (decide which modules of another installed kernel serve a kernel, and link
# them) on the real partial pair (scripts/fetch-kernel-pair.sh partial), against the reference
# SUSE's weak-modules2 relies on: one trial run of Debian's depmod -e -E over the tree with every
# candidate linked (weak-modules2 runs such trials repeatedly; one run is a lower bound).
#   NEW bare:  NEW has its kernel files only, OLD's whole tree beside it (a zero-module kernel)
#   NEW full:  NEW has its own whole tree too (every name shadowed: nothing to link)
# kmpkit is timed without its record cache (every module file read, warm page cache) and with it
# (the case of the kernel packages' triggers). Median of RUNS runs (default 5).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
KMPKIT=${KMPKIT:-$PWD/build/src/kmpkit}
[ -x "$KMPKIT" ] || { echo "build kmpkit first (ninja -C build kmpkit)" >&2; exit 1; }
RUNS=${RUNS:-5}
pair=$(scripts/fetch-kernel-pair.sh partial 2>/dev/null | tail -1) || { echo "no partial pair" >&2; exit 2; }
old=${pair% *}; new=${pair#* }
ok=$(cat "$old/KVER"); nk=$(cat "$new/KVER")
work=$(mktemp -d -t kmpkit-bench-weak.XXXXXX); trap 'rm -rf "$work"' EXIT

make_root() {  # $1 root, $2 bare|full
  local r=$1 nmd=$1/lib/modules/$nk
  mkdir -p "$r/lib/modules/$ok" "$nmd"
  cp -al "$old/lib/modules/$ok/kernel" "$r/lib/modules/$ok/"
  [ "$2" = full ] && cp -al "$new/lib/modules/$nk/kernel" "$nmd/"
  cp "$new/usr/src/linux-headers-$nk/Module.symvers" "$nmd/"
  cp "$new/boot/System.map-$nk" "$nmd/System.map"; cp "$new/boot/config-$nk" "$nmd/config"
  cp "$new/lib/modules/$nk/"modules.{order,builtin,builtin.modinfo} "$nmd/"
}

printf '%-10s %9s %7s %14s %14s %18s %10s\n' "NEW" candidates links "kmpkit (no cache)" "kmpkit (cache)" "depmod -e -E trial" ratio
for kind in bare full; do
  r=$work/$kind; make_root "$r" "$kind"
  "$KMPKIT" weak-updates --json -b "$r" "$nk" > "$work/$kind.json"
  read -r cand links < <(python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))[0]; print(k["candidates"], len(k["links"]))' "$work/$kind.json")
  nocache=$(median_seconds "$RUNS" "$KMPKIT" weak-updates --no-cache -b "$r" "$nk")
  cached=$(median_seconds "$RUNS" "$KMPKIT" weak-updates -b "$r" "$nk")
  # The trial: every OLD module NEW lacks linked into weak-updates, depmod -e -E over it.
  t=$work/trial-$kind; rm -rf "$t"; cp -a "$r" "$t"; rm -rf "$t/lib/modules/$nk/weak-updates"
  (cd "$t/lib/modules/$ok" && find kernel -name '*.ko*') | while read -r p; do
    n=$(basename "$p"); n=${n%%.ko*}; n=${n//-/_}
    [ "$kind" = full ] && [ -n "$(find "$t/lib/modules/$nk/kernel" -name "${n}.ko*" -o -name "${n//_/-}.ko*" | head -1)" ] && continue
    mkdir -p "$t/lib/modules/$nk/weak-updates/$(dirname "$p")"
    ln -s "$(printf '../%.0s' $(seq 1 $(( $(tr -cd / <<<"$p" | wc -c) + 2 ))))$ok/$p" "$t/lib/modules/$nk/weak-updates/$p"
  done
  trial=$(median_seconds "$RUNS" sh -c "timeout 300 /sbin/depmod -n -e -E '$t/lib/modules/$nk/Module.symvers' -b '$t' '$nk' 2>&1 | head -c 20000000 >/dev/null")
  printf '%-10s %9s %7s %13ss %13ss %17ss %10s\n' "$kind" "$cand" "$links" "$nocache" "$cached" "$trial" "$(ratio "$cached" "$trial")"
done
echo "($ok -> $nk; ratio = kmpkit with its cache / one depmod trial; RUNS=$RUNS)"
