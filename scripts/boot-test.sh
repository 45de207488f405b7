#!/usr/bin/env bash
# Boots a hardware-selected modular install in QEMU and reports what happened (docs/boot.md).
#
#   scripts/boot-test.sh PROFILE_DIR [--out DIR] [options]
#
# PROFILE_DIR is a hardware profile (hw-profiles/README.md): modalias.tsv (the devices zypper
# selects KMPs for), qemu-args.txt (the machine; its first -drive is the root disk) and, when
# present, loaded-modules.txt (the ground truth). The script
#   1. builds kmpkit (only the binary) and reuses or builds the repository of the newest Debian
#      6.1 kernel with the default policy (kmpkit package --tool-package),
#   2. makes (or reuses) a Debian 12 userspace with mmdebstrap,
#   3. installs the kernel with zypper inside that root, selected by the profile's hardware
#      (ZYPP_MODALIAS_SYSFS) and the root file system (USED_FS_LIST), whose scripts make the
#      module database and the initrd (dracut),
#   4. writes the root into an ext4 image (mkfs.ext4 -d) and boots it with TCG on the profile's
#      machine, serial console, a time limit, powering off by itself,
#   5. writes DIR/report.json and prints a summary.
# Exit: 0 booted, nothing of the ground truth missing, no load failure, kmpkit verify clean;
#       1 booted but a check failed; 2 usage; 3 a prerequisite is missing; 4 it did not boot;
#       5 a step before the boot failed (packaging, zypper, mkfs). The report says where it stopped.
#
# Options: --out DIR (default /var/tmp/kmpkit-boot/PROFILE), --repo DIR (use this repository),
#   --kernel-root ROOT (an unpacked kernel, default scripts/fetch-kernel.sh), --policy FILE,
#   --timeout SECONDS (default 900), --image-from DIR (boot the disk image another run installed,
#   on this profile's machine), --keep (keep the root directory), --install-extra 'PKG...'
#   (zypper installs these too), --hook FILE (run inside the booted machine before the report;
#   its output goes into the report folder), --initrd-scenario (also count, on a copy of the
#   installed root, how often zypper transactions of KMPs in and outside the initrd make it again),
#   --update-repo DIR (repeatable: after the install, add the repository and `zypper up`: a kernel
#   update), --boot-kernel KVER|oldest (default: the newest kernel of the image),
#   --media DIR (attach DIR as a read-only ext4 disk labelled kmpkit-media on virtio-blk: a local
#   medium, e.g. a repository, for a machine without network).
# After the boot, DIR/after-boot/ holds the initrds and the module database the disk holds then
# (the machine may have installed packages): a later --image-from DIR boots and judges those.
# Environment: KMPKIT_BINARY (use this kmpkit instead of building ./build's).
# Environment: KMPKIT_CACHE (default /var/cache/kmpkit) holds the userspace and repositories.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
boot=$here/boot

profile_dir= out= repo= kroot= policy=$src/policies/default.toml timeout_s=${KMPKIT_BOOT_TIMEOUT:-900}
image_from= keep=0 extra= hook= scenario=0 boot_kernel= media=
update_repos=()
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --repo) repo=$2; shift 2 ;;
    --kernel-root) kroot=$2; shift 2 ;;
    --policy) policy=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --image-from) image_from=$2; shift 2 ;;
    --install-extra) extra=$2; shift 2 ;;
    --hook) hook=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --initrd-scenario) scenario=1; shift ;;
    --update-repo) update_repos+=("$(cd "$2" && pwd)"); shift 2 ;;
    --boot-kernel) boot_kernel=$2; shift 2 ;;
    --media) media=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "boot-test: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$profile_dir" ] || { echo "boot-test: one profile only" >&2; exit 2; }; profile_dir=$1; shift ;;
  esac
done
[ -n "$profile_dir" ] || { usage >&2; exit 2; }
profile_dir=$(cd "$profile_dir" 2>/dev/null && pwd) || { echo "boot-test: no such profile folder: $1" >&2; exit 2; }
profile=$(basename "$profile_dir")
out=${out:-/var/tmp/kmpkit-boot/$profile}
cache=${KMPKIT_CACHE:-/var/cache/kmpkit}
mkdir -p "$out" || exit 3
out=$(cd "$out" && pwd)
work=$out/work
source "$boot/lib.sh"

t_start=$(date +%s)
stage=prerequisites
# ---- 1. prerequisites -------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || fail 3 "needs root (chroot, mounts inside a private mount namespace)"
for f in qemu-args.txt modalias.tsv; do
  [ -f "$profile_dir/$f" ] || fail 3 "the profile $profile_dir has no $f (hw-profiles/README.md says what a profile holds)"
done
for tool in qemu-system-x86_64 mmdebstrap mkfs.ext4 jq zypper rpm rpmbuild createrepo_c unshare chroot modprobe; do
  command -v "$tool" >/dev/null || fail 3 "$tool is not installed (scripts/install-deps.sh --boot installs what the boot needs)"
done
grep -q -- '-drive' "$profile_dir/qemu-args.txt" || fail 3 "$profile_dir/qemu-args.txt names no -drive (its first -drive is the root disk)"
rm -rf "$work"; mkdir -p "$work"

# ---- 2. kernel, kmpkit, repository ------------------------------------------------------------
stage=kernel
if [ -z "$kroot" ]; then kroot=$("$src/scripts/fetch-kernel.sh" | tail -1) || fail 3 "scripts/fetch-kernel.sh failed"; fi
kver=$(cat "$kroot/KVER" 2>/dev/null) || fail 3 "$kroot is not an unpacked kernel (no KVER file; scripts/fetch-kernel.sh makes one)"
flavor=${kver##*-}
kmpkit=$(build_kmpkit) || fail 3 "building kmpkit failed (see $work/build.log)"

stage=repository
if [ -z "$image_from" ]; then
  if [ -z "$repo" ]; then
    key=$( (cat "$policy"; sha256sum < "$kmpkit") | sha256sum | cut -c1-12)
    split=$cache/boot/split-$kver-$key
    repo=$split/repo
    if [ ! -f "$repo/repodata/repomd.xml" ]; then
      note "packaging $kver into $split (kmpkit package --tool-package; about 5 minutes on 2 cores)"
      rm -rf "$split"
      "$kmpkit" package --policy "$policy" -b "$kroot" "$kver" --out "$split" --tool-package > "$work/package.log" 2>&1 \
        || fail 5 "kmpkit package failed: $(tail -5 "$work/package.log")"
      # Only the repository is kept: the specs, lists and logs are large and rebuilt when needed.
      find "$split" -mindepth 1 -maxdepth 1 ! -name repo -exec rm -rf {} +
    fi
  fi
  [ -f "$repo/repodata/repomd.xml" ] || fail 3 "$repo is not an rpm-md repository"
  repo=$(cd "$repo" && pwd)
  kernel_pkg=$(kernel_package_name "$repo") || fail 3 "no kernel package in $repo"

  # ---- 3. userspace, install -------------------------------------------------------------------
  stage=userspace
  userspace=$(make_userspace) || fail 3 "mmdebstrap failed (see $work/mmdebstrap.log)"
  root=$work/root
  mkdir -p "$root" && tar -C "$root" -xf "$userspace" || fail 7 "cannot unpack $userspace"
  prepare_root "$root"

  stage=install
  install_kernel "$root" || fail 5 "installing $kernel_pkg with zypper failed: $(tail -15 "$work/zypper-install.log")"
  if [ "$scenario" = 1 ]; then
    stage=initrd-scenario
    initrd_scenario "$root" || fail 5 "the initrd scenario could not copy the root"
  fi
else
  [ -f "$image_from/disk.img" ] && ls "$image_from"/vmlinuz-* >/dev/null 2>&1 \
    || fail 3 "$image_from holds no disk.img and kernels of an earlier run (run without --image-from first)"
fi

# ---- 4. disk image and boot -------------------------------------------------------------------
stage=disk
if [ -z "$image_from" ]; then
  make_disk "$root" || fail 7 "mkfs.ext4 -d failed (see $work/mkfs.log)"
else
  cp --sparse=always "$image_from/disk.img" "$out/disk.img" && cp "$image_from"/vmlinuz-* "$image_from"/initrd-* "$out/" \
    && cp "$image_from/install.json" "$work/install.json" && cp "$image_from/install.json" "$out/install.json" \
    || fail 7 "cannot copy the image of $image_from"
  # The initrds the disk held when that run's machine powered off (it may have made them again).
  for i in "$image_from"/after-boot/initrd-*; do [ -f "$i" ] && cp "$i" "$out/"; done
  report_set install "$(cat "$work/install.json")"
  root=
fi

stage=boot
[ -n "$media" ] && { make_media "$media" || fail 7 "cannot make the medium of $media (see $work/media.log)"; }
boot_qemu
save_disk_state
stage=report
analyze_boot
