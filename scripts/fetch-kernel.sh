#!/usr/bin/env bash
# Fetches a real Debian 6.1 amd64 kernel (unsigned image + headers + kbuild) with apt-get download
# and unpacks it with dpkg-deb -x into a reused cache folder.
#
#   scripts/fetch-kernel.sh [ABI]      ABI like 56; default: the newest the registry offers
#
# Prints the unpacked root on stdout (last line). Layout of the root:
#   ROOT/lib/modules/KVER/...          the module tree (KVER = 6.1.0-ABI-amd64)
#   ROOT/usr/src/linux-headers-KVER/   headers with Module.symvers, used to build test modules
# Cache: $KMPKIT_CACHE (default /var/cache/kmpkit)/kernel-6.1.0-ABI
set -euo pipefail
CACHE=${KMPKIT_CACHE:-/var/cache/kmpkit}
abi=${1:-}
if [ -z "$abi" ]; then
  abi=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' \
        | sed -E 's/^linux-image-6\.1\.0-([0-9]+)-amd64-unsigned.*/\1/' | sort -n | tail -1)
  if [ -z "$abi" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    abi=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' \
          | sed -E 's/^linux-image-6\.1\.0-([0-9]+)-amd64-unsigned.*/\1/' | sort -n | tail -1)
  fi
  [ -n "$abi" ] || { echo "fetch-kernel: no linux-image-6.1.0-*-amd64-unsigned in the registry (run apt-get update?)" >&2; exit 1; }
fi
kver="6.1.0-${abi}-amd64"
dest="$CACHE/kernel-6.1.0-${abi}"
if [ -f "$dest/.complete" ]; then
  echo "$dest"; exit 0
fi
mkdir -p "$CACHE/debs"
rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
cd "$CACHE/debs"
pkgs=("linux-image-${kver}-unsigned" "linux-headers-${kver}" "linux-headers-6.1.0-${abi}-common")
# kbuild is versioned by upstream release, not ABI; headers-common names the one it needs.
for p in "${pkgs[@]}"; do
  ls ${p}_*.deb >/dev/null 2>&1 || apt-get download -q "$p" >&2
done
kb_ver=$(dpkg-deb -f linux-headers-${kver}_*.deb Depends | grep -oE 'linux-kbuild-6\.1 \(= [^)]+\)' | sed -E 's/.*= ([^)]+)\)/\1/' || true)
if ! ls linux-kbuild-6.1_*.deb >/dev/null 2>&1; then
  apt-get download -q "linux-kbuild-6.1${kb_ver:+=$kb_ver}" >&2 || apt-get download -q linux-kbuild-6.1 >&2 || echo "fetch-kernel: linux-kbuild-6.1 ${kb_ver} not available; test modules cannot be built for ABI ${abi}" >&2
fi
for p in "${pkgs[@]}"; do dpkg-deb -x ${p}_*.deb "$dest.tmp"; done
for d in linux-kbuild-6.1_*.deb; do [ -f "$d" ] && dpkg-deb -x "$d" "$dest.tmp"; done
# headers symlink their scripts/tools into /usr/lib/linux-kbuild-6.1: point them inside the root.
hdr="$dest.tmp/usr/src/linux-headers-${kver}"
for l in $(find "$dest.tmp/usr/src" -maxdepth 2 -type l); do
  t=$(readlink "$l")
  case "$t" in /*) ln -sfn "$dest${t}" "$l" ;; esac
done
echo "$kver" > "$dest.tmp/KVER"
touch "$dest.tmp/.complete"
rm -rf "$dest"; mv "$dest.tmp" "$dest"
echo "$dest"
