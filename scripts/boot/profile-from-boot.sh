#!/usr/bin/env bash
# Makes a hardware profile's device list and ground truth from a boot of that machine
# (hw-profiles/README.md), for machines made from QEMU's device models rather than captured:
#
#   scripts/boot/profile-from-boot.sh BOOT_OUT_DIR PROFILE_DIR [KERNEL_ROOT]
#
# BOOT_OUT_DIR is a scripts/boot-test.sh --out folder of a boot on PROFILE_DIR's machine (its
# report's `devices`: every sysfs modalias file of the booted machine). Writes
#   PROFILE_DIR/modalias.tsv       "<sysfs path>/modalias<TAB><modalias>" a line, as captured profiles
#   PROFILE_DIR/loaded-modules.txt what Debian's modprobe -R resolves for those devices in the whole
#                                  build of KERNEL_ROOT (default: scripts/fetch-kernel.sh), loadable
#                                  modules only, without the ones that boot declined (installed,
#                                  asked for by a device, not loaded: CPU-model drivers such as
#                                  powernow_k8 on QEMU's CPU), with their modules.dep dependencies (not
#                                  their softdeps, which another module may serve)
set -euo pipefail
out=${1:?BOOT_OUT_DIR}; profile=${2:?PROFILE_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
kroot=${3:-$("$here/fetch-kernel.sh" | tail -1)}
kver=$(cat "$kroot/KVER")
devices=$out/work/guest/devices
[ -s "$devices" ] || { echo "profile-from-boot: $devices is missing (did the machine boot?)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
full=$work/lib/modules/$kver; mkdir -p "$full" "$work/noconf"
ln -s "$kroot/lib/modules/$kver/kernel" "$full/kernel"
cp "$kroot/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$full/"
depmod -b "$work" "$kver"
mp() { modprobe -C "$work/noconf" -d "$work" -S "$kver" "$@" 2>/dev/null || true; }
awk -F'\t' '$2 != "" {print $1 "/modalias\t" $2}' "$devices" | LC_ALL=C sort -u > "$work/modalias.tsv"
{ jq -r '.declined[]?.modules[]?' "$out/report.json" 2>/dev/null || true; } | LC_ALL=C sort -u > "$work/declined"
cut -f2 "$work/modalias.tsv" | while read -r a; do mp -R "$a"; done | LC_ALL=C sort -u > "$work/resolved"
# Each module with its modules.dep dependencies (not its softdeps: another module may serve those).
awk -F: '{n = split($1, p, "/"); name = p[n]; sub(/\.ko.*/, "", name); gsub(/-/, "_", name); deps = ""
  m = split($2, d, " "); for (i = 1; i <= m; i++) { n = split(d[i], p, "/"); x = p[n]; sub(/\.ko.*/, "", x); gsub(/-/, "_", x); deps = deps " " x }
  print name deps}' "$full/modules.dep" > "$work/deps"
grep -vxF -f "$work/declined" "$work/resolved" | while read -r m; do
  awk -v m="$m" '$1 == m {for (i = 1; i <= NF; i++) print $i}' "$work/deps"
done | LC_ALL=C sort -u > "$work/loaded-modules.txt"
cp "$work/modalias.tsv" "$work/loaded-modules.txt" "$profile/"
echo "profile-from-boot: $(wc -l < "$profile/modalias.tsv") devices, $(wc -l < "$profile/loaded-modules.txt") modules in $profile"
