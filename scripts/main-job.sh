#!/usr/bin/env bash
# The main job on the real default input: fetch Debian's newest 6.1 kernel, split it into a kernel
# package, KMPs and patterns with the default policy, build the rpm-md repository, install what the
# q35-virtio machine's hardware selects with zypper into an empty root, and print a summary.
#
#   scripts/main-job.sh            output in $KMPKIT_MAIN_OUT (default /var/tmp/kmpkit-main), replaced
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what the job runs: the Debian packages, the kernel, the kmpkit binary (not the test suite)
# and its rpm fileattrs and macros (rpmbuild then calls kmpkit depgen by itself).
scripts/install-deps.sh
KMPKIT_KERNEL_ROOT=$(scripts/fetch-kernel.sh | tail -1)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target kmpkit kmpkit-depgen
cmake --install build >/dev/null
kver=$(cat "$KMPKIT_KERNEL_ROOT/KVER")
kmpkit=$PWD/build/src/kmpkit
out=${KMPKIT_MAIN_OUT:-/var/tmp/kmpkit-main}
profiles=$PWD/hw-profiles
profile=q35-virtio
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.1f'; }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f MB", b / 1e6}'; }

rm -rf "$out"; mkdir -p "$out"
"$kmpkit" scan -b "$KMPKIT_KERNEL_ROOT" "$kver"
echo

# 1. package: split (specs, file lists) + build (rpmbuild, createrepo_c, patterns)
# Signed as a distribution signs (docs/signing.md): with KMPKIT_GPG_KEY from the caller's GNUPGHOME,
# else with a throw-away key made here.
if [ -z "${KMPKIT_GPG_KEY:-}" ]; then
  export GNUPGHOME=$out/gnupg; mkdir -m 0700 "$GNUPGHOME"
  KMPKIT_GPG_KEY="kmpkit main job <main-job@kmpkit.invalid>"
  gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "$KMPKIT_GPG_KEY" rsa2048 sign never 2>/dev/null
  trap 'gpgconf --kill gpg-agent 2>/dev/null || :' EXIT
fi
t0=$(now)
KMPKIT_PROGRESS=${KMPKIT_PROGRESS:-1} "$kmpkit" package --policy policies/default.toml -b "$KMPKIT_KERNEL_ROOT" \
  "$kver" --out "$out/split" --host-base --gpg-key "$KMPKIT_GPG_KEY"
t1=$(now)
repo=$out/split/repo
echo

# 2. install for the hardware profile: zypper into an empty root, the devices from modalias.tsv
root=$out/root-$profile; sys=$out/sysfs-$profile
mkdir -p "$root/var/lib/rpm"
while IFS=$'\t' read -r p v; do
  [ -n "$p" ] || continue
  mkdir -p "$sys$(dirname "$p")"; printf '%s\n' "$v" > "$sys$p"
done < "$profiles/$profile/modalias.tsv"
export ZYPP_LOCKFILE_ROOT=$root ZYPP_MODALIAS_SYSFS=$sys ZYPP_LOGFILE=$out/zypper.log
# zypper with its signature checks on: the repository's key trusted in the root first.
rpm --root "$root" --dbpath /var/lib/rpm --import "$repo/RPM-GPG-KEY-kmpkit"
zypper --root "$root" -n ar --gpgcheck-strict "file://$repo" kmp >/dev/null
t2=$(now)
zypper --root "$root" -n in kernel-amd64 > "$out/zypper-install.log" 2>&1 \
  || { tail -30 "$out/zypper-install.log"; exit 5; }
t3=$(now)
rpmq() { rpm --root "$root" --dbpath /var/lib/rpm "$@"; }

# 3. summary
n_rpms=$(find "$repo" -name '*.rpm' | wc -l)
n_kmps=$(find "$repo" -name '*-kmp-*.rpm' | wc -l)
n_patterns=$(find "$repo" -name 'patterns-*.rpm' | wc -l)
repo_bytes=$(du -sb "$repo" | cut -f1)
full_bytes=$(find "$repo" -name '*.rpm' -print0 | xargs -0 rpm -qp --qf '%{SIZE}\n' 2>/dev/null | awk '{s+=$1} END {print s}')
inst_n=$(rpmq -qa --qf '%{NAME}\n' | grep -vcx gpg-pubkey || true)  # the trusted key is no package
inst_kmps=$(rpmq -qa | grep -c -- '-kmp-' || true)
inst_bytes=$(rpmq -qa --qf '%{SIZE}\n' | awk '{s+=$1} END {print s}')
rpmq -qa --qf '[%{FILENAMES}\n]' | grep '\.ko' | sed 's|.*/||; s|\.ko.*||; s|-|_|g' | sort -u > "$out/installed-modules.txt"
sort -u "$profiles/$profile/loaded-modules.txt" > "$out/loaded-modules.txt"
missing=$(comm -23 "$out/loaded-modules.txt" "$out/installed-modules.txt" | tr '\n' ' ')
loaded_n=$(wc -l < "$out/loaded-modules.txt")
covered=$((loaded_n - $(comm -23 "$out/loaded-modules.txt" "$out/installed-modules.txt" | wc -l)))
db_lines=$(grep -c . "$root/lib/modules/$kver/modules.dep" || true)

echo "kmpkit main job: Linux $kver"
printf '%-44s %s\n' "packages built" "$n_rpms ($n_kmps KMPs, $n_patterns patterns, kernel-amd64, kmpkit-host-base)"
printf '%-44s %s\n' "repository size" "$(mb "$repo_bytes")  ($repo, signed by $KMPKIT_GPG_KEY)"
printf '%-44s %s\n' "build time (split + rpmbuild + createrepo)" "$(secs "$t0" "$t1") s on $(nproc) cores"
printf '%-44s %s\n' "installed for $profile" "$inst_n packages ($inst_kmps KMPs), $(mb "$inst_bytes") (zypper $(secs "$t2" "$t3") s)"
printf '%-44s %s\n' "everything installed would be" "$(mb "$full_bytes")"
printf '%-44s %s\n' "loaded-modules.txt covered" "$covered of $loaded_n; not installed: ${missing:-none} (the capture harness's 9p mount)"
printf '%-44s %s\n' "module database in the root" "$db_lines modules.dep lines (made by the kernel package's file trigger)"
