#!/usr/bin/env bash
# Builds the real test kernel modules in tests/modules/ out of tree (kbuild, M=) against the
# Debian headers unpacked by scripts/fetch-kernel.sh.
#
#   scripts/build-test-modules.sh [KERNEL_ROOT] [OUTDIR]
#
#   KERNEL_ROOT  default: last stdout line of scripts/fetch-kernel.sh (holds KVER, usr/src/...)
#   OUTDIR       default: $KMPKIT_CACHE/test-modules-<KVER>   (KMPKIT_CACHE default /var/cache/kmpkit)
#
# Writes into OUTDIR:
#   plain/*.ko        the modules exactly as kbuild produced them (unstripped, unsigned)
#   xz/*.ko.xz        xz --check=crc32 --lzma2=dict=1MiB   (what the kernel's modules_install does)
#   zst/*.ko.zst      zstd -q
#   Module.symvers    of this build (exports of kmpt_core, kmpt_mid, kmpt_extra)
#   KVER              the kernel release the modules were built for
#   .complete         sha256 of the inputs; when it matches, nothing is rebuilt
# Compiles in OUTDIR.build/src (removed afterwards; Module.symvers' path column names it), then
# fills OUTDIR.tmp and renames it to OUTDIR (atomic); serialised with flock on OUTDIR.lock.
# The output is reproducible: rebuilding the same inputs gives byte-identical files.
# Prints OUTDIR as its last stdout line; all build output goes to stderr.
#
# Note on the Debian headers: ROOT/usr/src/linux-headers-KVER/Makefile is a one-liner
# "include /usr/src/linux-headers-KVER-common/Makefile" (absolute path, not present on this
# host). The cache is left untouched: make is run with -f pointing at a copy of that Makefile
# whose include is redirected into ROOT. Everything else in the headers (the relative
# scripts/tools symlinks into ROOT/usr/lib/linux-kbuild-6.1, .kernelvariables with CC=gcc-12)
# works as shipped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
src="$repo/tests/modules"
CACHE=${KMPKIT_CACHE:-/var/cache/kmpkit}

die() { echo "build-test-modules: $*" >&2; exit 1; }

root=${1:-}
if [ -z "$root" ]; then
  root=$("$here/fetch-kernel.sh" | tail -n 1) || die "fetch-kernel.sh failed"
fi
[ -d "$root" ] || die "kernel root '$root' is not a directory"
root=$(cd "$root" && pwd)
[ -f "$root/KVER" ] || die "$root/KVER missing (not a fetch-kernel.sh root?)"
kver=$(tr -d '[:space:]' < "$root/KVER")
[ -n "$kver" ] || die "$root/KVER is empty"
hdr="$root/usr/src/linux-headers-$kver"
[ -f "$hdr/Makefile" ] || die "$hdr/Makefile missing"
[ -f "$hdr/Module.symvers" ] || die "$hdr/Module.symvers missing"
[ -e "$hdr/scripts/mod/modpost" ] || die "$hdr/scripts/mod/modpost missing (linux-kbuild not unpacked?)"

out=${2:-"$CACHE/test-modules-$kver"}
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

for t in make xz zstd sha256sum flock; do
  command -v "$t" >/dev/null || die "'$t' not found (scripts/install-deps.sh)"
done

# Inputs that determine the output: the module sources, this script, the kernel release.
sources=()
while IFS= read -r f; do sources+=("$f"); done < <(
  cd "$src" && find . -maxdepth 1 -type f \( -name Kbuild -o -name '*.c' -o -name '*.h' \) \
    | sed 's|^\./||' | LC_ALL=C sort)
[ ${#sources[@]} -gt 0 ] || die "no sources in $src"
stamp=$( { echo "kver=$kver"
           (cd "$src" && sha256sum "${sources[@]}")
           sha256sum < "${BASH_SOURCE[0]}"; } | sha256sum | cut -d' ' -f1)

up_to_date() { [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$stamp" ]; }

if up_to_date; then echo "$out"; exit 0; fi

exec 9>"$out.lock"
flock 9
if up_to_date; then echo "$out"; exit 0; fi

# A fixed build path (not mktemp): modpost writes it into the 3rd column of Module.symvers, so a
# fixed path keeps the whole output byte-for-byte reproducible. Safe under the lock above.
bld="$out.build"
rm -rf "$bld"
trap 'rm -rf "$bld"' EXIT
mkdir -p "$bld/src"
(cd "$src" && cp -- "${sources[@]}" "$bld/src/")

# Copy of the headers' Makefile with the absolute include redirected into ROOT.
sed -E "s|^([[:space:]]*-?include[[:space:]]+)/usr/src/|\1$root/usr/src/|" \
  "$hdr/Makefile" > "$bld/headers.mk"

jobs=${KMPKIT_JOBS:-$(nproc 2>/dev/null || echo 1)}
t0=$(date +%s)
echo "build-test-modules: building for $kver in $bld/src" >&2
# -ffile-prefix-map: DWARF and __FILE__ name tests/modules/, not the random temp dir, so the
# output does not depend on where it was built.
make -C "$hdr" -f "$bld/headers.mk" M="$bld/src" -j"$jobs" \
  KCFLAGS="-ffile-prefix-map=$bld/src/=tests/modules/" modules >&2 \
  || die "kbuild failed"
t1=$(date +%s)

mods=()
for f in "$bld"/src/*.ko; do [ -f "$f" ] && mods+=("${f##*/}"); done
[ ${#mods[@]} -gt 0 ] || die "kbuild produced no .ko"

rm -rf "$out.tmp"
mkdir -p "$out.tmp/plain" "$out.tmp/xz" "$out.tmp/zst"
for m in "${mods[@]}"; do
  cp -p "$bld/src/$m" "$out.tmp/plain/$m"
  xz --check=crc32 --lzma2=dict=1MiB -c "$bld/src/$m" > "$out.tmp/xz/$m.xz"
  zstd -q -c "$bld/src/$m" > "$out.tmp/zst/$m.zst"
done
cp "$bld/src/Module.symvers" "$out.tmp/Module.symvers"
echo "$kver" > "$out.tmp/KVER"
echo "$stamp" > "$out.tmp/.complete"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "build-test-modules: ${#mods[@]} modules in $((t1 - t0))s: ${mods[*]}" >&2
echo "$out"
