#!/usr/bin/env bash
# Fetches Debian firmware packages with apt-get download (into the kernel's deb cache) and unpacks
# each with dpkg-deb -x into a folder of its own: kmpkit firmware split reads a package's
# usr/share/doc/PACKAGE/{copyright,changelog.Debian.gz} beside its lib/firmware.
#
#   scripts/fetch-firmware.sh [PACKAGE...]    default: firmware-linux-free firmware-ath9k-htc
#
# Prints the unpacked roots on the last line, separated by spaces, in the order asked.
# Cache: $KMPKIT_CACHE (default /var/cache/kmpkit)/debs and .../firmware/PACKAGE_VERSION_ARCH
set -euo pipefail
CACHE=${KMPKIT_CACHE:-/var/cache/kmpkit}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(firmware-linux-free firmware-ath9k-htc)
mkdir -p "$CACHE/debs" "$CACHE/firmware"
# Test processes may ask at the same time: one fetch at a time.
exec 9> "$CACHE/firmware.lock"
flock 9
roots=()
for p in "${pkgs[@]}"; do
  deb=$(ls "$CACHE/debs/${p}"_*.deb 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$deb" ]; then
    (cd "$CACHE/debs" && { apt-get download -q "$p" >&2 || { apt-get update -qq >/dev/null 2>&1 || true; apt-get download -q "$p" >&2; }; })
    deb=$(ls "$CACHE/debs/${p}"_*.deb 2>/dev/null | sort -V | tail -1 || true)
  fi
  [ -n "$deb" ] || { echo "fetch-firmware: $p is not in the registry (run apt-get update?)" >&2; exit 1; }
  dest=$CACHE/firmware/$(basename "$deb" .deb)
  if [ ! -f "$dest/.complete" ]; then
    rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
    dpkg-deb -x "$deb" "$dest.tmp"
    touch "$dest.tmp/.complete"
    rm -rf "$dest"; mv "$dest.tmp" "$dest"
  fi
  roots+=("$dest")
done
echo "${roots[*]}"
