#!/usr/bin/env bash
# Fetches the real inputs of `kmpkit kmp build`'s tests with apt-get download and unpacks them:
# Debian's DKMS source packages, and one in-tree driver taken from Debian's linux-source-6.1 (the
# in-box driver rebuilt as an external KMP).
#
#   scripts/fetch-dkms-sources.sh [PACKAGE...]
#
#   PACKAGE   default: vpoll-dkms acpi-call-dkms v4l2loopback-dkms
#
# Writes into $KMPKIT_CACHE/dkms-sources (KMPKIT_CACHE default /var/cache/kmpkit):
#   debs/*.deb                          what apt-get download fetched
#   PACKAGE/usr/src/NAME-VERSION/       each DKMS package unpacked (dpkg-deb -x)
#   linux-source/net-dummy-VERSION/     drivers/net/dummy.c of linux-source-6.1 with a one-line
#                                       Kbuild (VERSION: the source's upstream version, e.g. 6.1.192)
# Each part is made once (a .complete mark); prints the directory as its last stdout line.
set -euo pipefail

CACHE=${KMPKIT_CACHE:-/var/cache/kmpkit}
out="$CACHE/dkms-sources"
die() { echo "fetch-dkms-sources: $*" >&2; exit 1; }
for t in apt-get dpkg-deb tar xz flock; do command -v "$t" >/dev/null || die "'$t' not found"; done

packages=("$@")
[ ${#packages[@]} -gt 0 ] || packages=(vpoll-dkms acpi-call-dkms v4l2loopback-dkms)

mkdir -p "$out/debs"
exec 9>"$out.lock"
flock 9

fetch() {  # fetch PACKAGE: the newest .deb of PACKAGE in debs/ (downloaded when missing)
  local p=$1 f
  f=$(ls "$out/debs/${p}_"*.deb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$f" ]; then
    (cd "$out/debs" && apt-get download "$p" >&2) || die "apt-get download $p failed"
    f=$(ls "$out/debs/${p}_"*.deb | sort -V | tail -n 1)
  fi
  echo "$f"
}

for p in "${packages[@]}"; do
  [ -f "$out/$p/.complete" ] && continue
  deb=$(fetch "$p")
  rm -rf "$out/$p"
  mkdir -p "$out/$p"
  dpkg-deb -x "$deb" "$out/$p"
  ls -d "$out/$p"/usr/src/*/ >/dev/null 2>&1 || die "$deb has no usr/src/NAME-VERSION"
  touch "$out/$p/.complete"
done

# The in-box driver: drivers/net/dummy.c (one file, imports only vmlinux symbols, a module of
# Debian's kernel: kernel/drivers/net/dummy.ko).
if [ ! -f "$out/linux-source/.complete" ]; then
  deb=$(fetch linux-source-6.1)
  version=$(dpkg-deb -f "$deb" Version)       # 6.1.192-3
  upstream=${version%%-*}
  rm -rf "$out/linux-source"
  mkdir -p "$out/linux-source/tmp"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc \
    | tar -x -C "$out/linux-source/tmp" linux-source-6.1/drivers/net/dummy.c
  d="$out/linux-source/net-dummy-$upstream"
  mkdir -p "$d"
  mv "$out/linux-source/tmp/linux-source-6.1/drivers/net/dummy.c" "$d/"
  echo "obj-m := dummy.o" > "$d/Kbuild"
  rm -rf "$out/linux-source/tmp"
  touch "$out/linux-source/.complete"
fi
echo "$out"
