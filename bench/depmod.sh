#!/usr/bin/env bash
# kmpkit depmod vs Debian's depmod (kmod 30), side by side in one run, on the real Debian tree
# as shipped (plain .ko), recompressed with zstd and with xz.
#
#   bench/depmod.sh [RUNS]        RUNS per measurement, default 5 (the median is reported)
#
# Environment: KMPKIT (default build/src/kmpkit), KMPS (simulated KMP installs, default 20,
# 0 = skip), VARIANTS (default "plain zst xz").
#
# Measurements (wall clock, warm page cache, each tool run alternately so both see the same load):
#   full         depmod -b ROOT KVER            vs  kmpkit depmod --full -b ROOT KVER
#   incremental  after installing one KMP (the 7 test modules in updates/kmp-N/, compressed like
#                the tree): depmod -b ROOT KVER (it always rebuilds everything) vs kmpkit depmod
#                -b ROOT KVER (re-reads the 7 new modules, the cache gives the 4023 others)
#   kmps         KMPS installs one after the other, each followed by the database run a
#                packager's trigger makes: total time (plain tree only)
# Every kmpkit result is checked byte for byte against depmod's on the same tree.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
RUNS=${1:-${RUNS:-5}}
KMPKIT=${KMPKIT:-$repo/build/src/kmpkit}
KMPS=${KMPS:-20}
VARIANTS=${VARIANTS:-"plain zst xz"}
DEPMOD=/sbin/depmod
FILES="modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep modules.symbols
modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin modules.devname"

[ -x "$KMPKIT" ] || { echo "bench: no kmpkit binary at $KMPKIT (build first)" >&2; exit 1; }
root=$("$repo/scripts/fetch-kernel.sh" | tail -n 1)
kver=$(tr -d '[:space:]' < "$root/KVER")
tm=$("$repo/scripts/build-test-modules.sh" "$root" | tail -n 1)
trees=""
case " $VARIANTS " in *" zst "*|*" xz "*) trees=$("$here/depmod-trees.sh" "$root" | tail -n 1) ;; esac
work=$(mktemp -d /tmp/kmpkit-bench-depmod.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$KMPKIT" "$work/kmpkit"  # a private copy: a rebuild during the run cannot disturb it
KMPKIT="$work/kmpkit"

now() { date +%s%N; }
# time_cmd CMD...: prints seconds (3 decimals) of one run; output discarded.
time_cmd() {
  local t0 t1
  t0=$(now); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); printf "%.3f", (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

setup_tree() {  # variant -> root dir (hard-linked copy of the modules, no database)
  local v=$1 src dst="$work/$1"
  if [ "$v" = plain ]; then src="$root"; else src="$trees/$v"; fi
  mkdir -p "$dst/lib/modules"
  cp -al "$src/lib/modules/$kver" "$dst/lib/modules/"
  find "$dst/lib/modules/$kver" -maxdepth 1 -name 'modules.*' ! -name modules.order ! -name modules.builtin \
    ! -name modules.builtin.modinfo -delete
  echo "$dst"
}
ext_of() { case $1 in plain) echo .ko ;; zst) echo .ko.zst ;; xz) echo .ko.xz ;; esac; }
dir_of() { case $1 in plain) echo plain ;; zst) echo zst ;; xz) echo xz ;; esac; }

check_same() {  # root: runs depmod, keeps its files, runs kmpkit, compares
  local r=$1 md="$1/lib/modules/$kver" f
  mkdir -p "$work/ref"
  "$DEPMOD" -b "$r" "$kver" 2>/dev/null
  for f in $FILES; do cp "$md/$f" "$work/ref/$f"; done
  "$KMPKIT" depmod -b "$r" "$kver" 2>/dev/null
  for f in $FILES; do cmp -s "$md/$f" "$work/ref/$f" || { echo "bench: $f differs from depmod's ($r)" >&2; exit 1; }; done
}

install_kmp() {  # root variant n
  local md="$1/lib/modules/$kver/updates/kmp-$3" m
  mkdir -p "$md"
  for m in "$tm/$(dir_of "$2")"/*; do cp "$m" "$md/"; done
}

results=()
echo "kmpkit depmod vs $DEPMOD ($(dpkg-query -W -f '${Package} ${Version}' kmod 2>/dev/null)), kernel $kver, $(nproc) cores, median of $RUNS runs"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for v in $VARIANTS; do
  r=$(setup_tree "$v")
  check_same "$r"
  # full
  d=(); k=()
  for i in $(seq "$RUNS"); do
    d+=("$(time_cmd "$DEPMOD" -b "$r" "$kver")")
    k+=("$(time_cmd "$KMPKIT" depmod --full -b "$r" "$kver")")
  done
  dm=$(echo "${d[*]}" | median); km=$(echo "${k[*]}" | median)
  results+=("$v|full|$dm|$km|$(ratio "$km" "$dm")|$(ratio "$dm" "$km")")
  # incremental after installing one KMP
  "$KMPKIT" depmod -b "$r" "$kver" 2>/dev/null
  d=(); k=()
  for i in $(seq "$RUNS"); do
    install_kmp "$r" "$v" "$i"
    k+=("$(time_cmd "$KMPKIT" depmod -b "$r" "$kver")")
    d+=("$(time_cmd "$DEPMOD" -b "$r" "$kver")")
    rm -rf "$r/lib/modules/$kver/updates/kmp-$i"
    "$KMPKIT" depmod -b "$r" "$kver" 2>/dev/null  # back to the tree as shipped (not timed)
  done
  install_kmp "$r" "$v" check && check_same "$r" && rm -rf "$r/lib/modules/$kver/updates/kmp-check"
  dm=$(echo "${d[*]}" | median); km=$(echo "${k[*]}" | median)
  results+=("$v|incremental (1 KMP)|$dm|$km|$(ratio "$km" "$dm")|$(ratio "$dm" "$km")")
  if [ "$v" = plain ] && [ "$KMPS" -gt 0 ]; then
    "$KMPKIT" depmod -b "$r" "$kver" 2>/dev/null
    dt=0; kt=0
    for i in $(seq "$KMPS"); do
      install_kmp "$r" "$v" "s$i"
      dt=$(awk -v a="$dt" -v b="$(time_cmd "$DEPMOD" -b "$r" "$kver")" 'BEGIN { print a + b }')
      kt=$(awk -v a="$dt" -v b="$kt" -v c="$(time_cmd "$KMPKIT" depmod -b "$r" "$kver")" 'BEGIN { print b + c }')
    done
    check_same "$r"
    results+=("$v|$KMPS KMP installs (total)|$(printf %.3f "$dt")|$(printf %.3f "$kt")|$(ratio "$kt" "$dt")|$(ratio "$dt" "$kt")")
  fi
  rm -rf "$r"
done

printf '\n%-6s %-26s %12s %12s %14s %9s\n' tree measurement "depmod (s)" "kmpkit (s)" "kmpkit/depmod" speed-up
for row in "${results[@]}"; do
  IFS='|' read -r a b c d e f <<<"$row"
  printf '%-6s %-26s %12s %12s %14s %8sx\n' "$a" "$b" "$c" "$d" "$e" "$f"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
