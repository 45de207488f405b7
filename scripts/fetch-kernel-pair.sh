#!/usr/bin/env bash
# Picks two real Debian 6.1 amd64 kernel ABIs for KABI comparisons, at run time (registries drop
# old ABIs, so nothing is hard-coded), and fetches them with scripts/fetch-kernel.sh.
#
#   scripts/fetch-kernel-pair.sh MODE [--symvers-only]
#
# MODE
#   far       the oldest and the newest ABI whose linux-image-6.1.0-N-amd64-unsigned is available
#   partial   two consecutive image ABIs where some, but not all, exported symbols changed CRC
#             (the pair with the smallest changed share)
#   zero      two consecutive image ABIs whose Module.symvers have the same symbols with the same
#             CRCs (the newest such pair)
#   chain     three consecutive image ABIs, each pair as in "zero" (the newest such three): kernel
#             updates where every KMP keeps serving (three kernels, for a purge of the oldest)
#   list      print, for every pair of consecutive ABIs with headers, how many exports changed;
#             fetches nothing but headers
# Output (last stdout line): "OLD_ROOT NEW_ROOT" ("A B C" for chain), the unpacked roots of fetch-kernel.sh; with
# --symvers-only, "OLD_SYMVERS NEW_SYMVERS" (Module.symvers files only; any ABI with headers
# counts, images are not fetched). Exit 2 when the registry offers no such pair.
#
# Module.symvers of every ABI comes from its linux-headers-6.1.0-N-amd64 package (about 2 MB),
# cached in $KMPKIT_CACHE/symvers/ (KMPKIT_CACHE default /var/cache/kmpkit).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${KMPKIT_CACHE:-/var/cache/kmpkit}
mode=${1:-}
symvers_only=0
[ "${2:-}" = "--symvers-only" ] && symvers_only=1
case "$mode" in far|partial|zero|chain|list) ;; *) echo "usage: $0 far|partial|zero|chain|list [--symvers-only]" >&2; exit 2 ;; esac

abis_of() {  # $1: package name regex with ABI as the only number group
  apt-cache search --names-only "$1" | sed -E 's/^linux-[a-z]+-6\.1\.0-([0-9]+)-.*/\1/' | sort -n | uniq \
    | tr '\n' ' '
}
image_re='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$'
headers_re='^linux-headers-6\.1\.0-[0-9]+-amd64$'
images=$(abis_of "$image_re")
if [ -z "$images" ]; then
  apt-get update -qq >/dev/null 2>&1 || true
  images=$(abis_of "$image_re")
fi
headers=$(abis_of "$headers_re")

mkdir -p "$CACHE/symvers" "$CACHE/debs"
symvers_of() {  # $1: ABI → path of its cached Module.symvers (fetched once, under a lock)
  local abi=$1 kver="6.1.0-$1-amd64" out="$CACHE/symvers/6.1.0-$1-amd64.Module.symvers"
  if [ ! -s "$out" ]; then
    (
      flock 9
      if [ ! -s "$out" ]; then
        local root="$CACHE/kernel-6.1.0-$abi/usr/src/linux-headers-$kver/Module.symvers"
        if [ -s "$root" ]; then
          cp "$root" "$out.tmp"
        else
          cd "$CACHE/debs"
          ls linux-headers-${kver}_*.deb >/dev/null 2>&1 || apt-get download -q "linux-headers-$kver" >&2
          dpkg-deb --fsys-tarfile linux-headers-${kver}_*.deb \
            | tar -xO "./usr/src/linux-headers-$kver/Module.symvers" > "$out.tmp"
        fi
        mv "$out.tmp" "$out"
      fi
    ) 9>"$CACHE/symvers/.lock"
  fi
  echo "$out"
}

# "changed removed added old_count" between two Module.symvers (symbol → CRC).
compare() {
  awk -F'\t' 'NR==FNR { old[$2]=$1; n++; next }
              { if ($2 in old) { if (old[$2] != $1) c++; seen[$2]=1 } else a++ }
              END { for (s in old) if (!(s in seen)) r++; printf "%d %d %d %d\n", c, r, a, n }' "$1" "$2"
}

pool=$images
[ $symvers_only = 1 ] && pool=$headers
set -- $pool
if [ "$mode" = list ]; then
  set -- $headers
  prev=""
  for abi in "$@"; do
    if [ -n "$prev" ]; then
      read -r c r a n < <(compare "$(symvers_of "$prev")" "$(symvers_of "$abi")")
      img=""; echo " $images " | grep -q " $abi " && echo " $images " | grep -q " $prev " && img=" (images of both)"
      echo "$prev -> $abi: $n exports, $c changed CRC, $r removed, $a added$img"
    fi
    prev=$abi
  done
  exit 0
fi
[ $# -ge 2 ] || { echo "fetch-kernel-pair: fewer than two ABIs available (${pool:-none})" >&2; exit 2; }

old=""; new=""; middle=""
case "$mode" in
  chain)
    prev=""; prev2=""; zero_prev=0
    for abi in "$@"; do
      if [ -n "$prev" ]; then
        read -r c r a n < <(compare "$(symvers_of "$prev")" "$(symvers_of "$abi")")
        zero_now=0; [ "$c" = 0 ] && [ "$r" = 0 ] && zero_now=1
        if [ $zero_now = 1 ] && [ $zero_prev = 1 ]; then old=$prev2; middle=$prev; new=$abi; fi
        zero_prev=$zero_now
      fi
      prev2=$prev; prev=$abi
    done ;;
  far) old=$1; eval "new=\${$#}" ;;
  zero|partial)
    best=""; prev=""
    for abi in "$@"; do
      if [ -n "$prev" ]; then
        read -r c r a n < <(compare "$(symvers_of "$prev")" "$(symvers_of "$abi")")
        if [ "$mode" = zero ] && [ "$c" = 0 ] && [ "$r" = 0 ]; then old=$prev; new=$abi; fi
        if [ "$mode" = partial ] && [ "$c" -gt 0 ] && [ "$c" -lt "$n" ]; then
          # smallest changed share: compare c/n as c*1e6/n
          share=$(( c * 1000000 / n ))
          if [ -z "$best" ] || [ "$share" -lt "$best" ]; then best=$share; old=$prev; new=$abi; fi
        fi
      fi
      prev=$abi
    done ;;
esac
[ -n "$old" ] || { echo "fetch-kernel-pair: no '$mode' pair among ABIs: $*" >&2; exit 2; }
echo "fetch-kernel-pair: $mode pair 6.1.0-$old -> ${middle:+6.1.0-$middle -> }6.1.0-$new" >&2

if [ $symvers_only = 1 ]; then
  echo "$(symvers_of "$old") ${middle:+$(symvers_of "$middle") }$(symvers_of "$new")"
  exit 0
fi
fetch() {  # one fetch per ABI at a time
  ( flock 9; "$here/fetch-kernel.sh" "$1" | tail -n 1 ) 9>"$CACHE/kernel-6.1.0-$1.lock"
}
old_root=$(fetch "$old")
middle_root=""
[ -n "$middle" ] && middle_root=$(fetch "$middle")
new_root=$(fetch "$new")
echo "$old_root ${middle_root:+$middle_root }$new_root"
