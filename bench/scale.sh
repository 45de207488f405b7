#!/usr/bin/env bash
# Scale: one rpm-md repository with every KMP of two consecutive kernels (about 7,600 packages),
# and what it costs the tools that read it:
#   (a) zypper: refresh (metadata → solv cache) and solving the q35-virtio install (`in --dry-run`,
#       which resolves and prints the transaction but runs no rpm), per kernel;
#   (b) `zypper up --dry-run` in a root holding the old kernel and its q35-virtio KMPs;
#   (c) plain rpm: `rpm -U --test` of N KMPs of the newer kernel plus its kernel package and the host
#       base into an empty root, and of the N KMPs alone into a root with that kernel package
#       installed (rpm --justdb), N = 100, 500, 1000, 2000, all; a sample of N < all has requires on
#       KMPs outside it, which rpm reports after checking every dependency (and then stops before
#       the file-conflict check that the full, satisfiable set also gets). zypper passes --nodeps;
#       rpm and dnf users pay this;
#   (d) repodata sizes, ksym() provides and requires in the repository.
#
#   bench/scale.sh                            the default policy
#   PROVIDES=imported bench/scale.sh          the same policy with [kmp] provides = "imported"
#   SCHEME=kabi bench/scale.sh                the same policy with [naming] scheme = "kabi"
#
# Environment: KMPKIT (binary; default build/src/kmpkit), OLD_ROOT / NEW_ROOT (unpacked kernels;
# default /var/cache/kmpkit/kernel-6.1.0-{53,54}), POLICY, PROVIDES (overrides [kmp] provides),
# RUNS (medians of the fast measurements, default 3), SLOW_RUNS (rpm --test, zypper ref; default 1),
# RPM_SIZES ("100 500 1000 2000 all"), RPM_TIMEOUT (seconds for one rpm --test, default 1200),
# JOBS (rpmbuilds at once, default 2), BUILD_ONLY=1 (stop after building the repositories),
# SCALE_CACHE (default /var/tmp/kmpkit-scale: the built repositories and test roots are kept there,
# keyed by the policy's content, and reused; delete to rebuild), PROFILE (default q35-virtio).
# Installs nothing outside SCALE_CACHE (no bench_setup: rpm must already know kmpkit's fileattrs;
# the specs use the generator pinned by kmpkit split). On 2 cores: about 4 minutes to build the
# two kernels' repositories, then about 6 minutes with RUNS=5 SLOW_RUNS=3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
source "$here/lib.sh"
KMPKIT=${KMPKIT:-$src/build/src/kmpkit}
OLD_ROOT=${OLD_ROOT:-/var/cache/kmpkit/kernel-6.1.0-53}
NEW_ROOT=${NEW_ROOT:-/var/cache/kmpkit/kernel-6.1.0-54}
POLICY=${POLICY:-$src/policies/default.toml}
RUNS=${RUNS:-3}
SLOW_RUNS=${SLOW_RUNS:-1}
RPM_SIZES=${RPM_SIZES:-100 500 1000 2000 all}
RPM_TIMEOUT=${RPM_TIMEOUT:-1200}
JOBS=${JOBS:-2}
CACHE=${SCALE_CACHE:-/var/tmp/kmpkit-scale}
PROFILE=${PROFILE:-q35-virtio}
profiles=$src/hw-profiles
OLD_KVER=$(cat "$OLD_ROOT/KVER"); NEW_KVER=$(cat "$NEW_ROOT/KVER")
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.1f'; }
mb() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1e6}'; }
log() { echo "scale: $*" >&2; }

# ---- the policy (PROVIDES overrides [kmp] provides) and its cache directory ----
mkdir -p "$CACHE"
policy=$(mktemp "$CACHE/policy.XXXXXX.toml")
trap 'rm -f "$policy"' EXIT
provides_of() { sed -n '/^\[kmp\]/,/^\[/s/^provides *= *"\([a-z]*\)".*/\1/p' "$1" | head -1; }
current=$(provides_of "$POLICY")
if [ -n "${PROVIDES:-}" ] && [ "$PROVIDES" != "${current:-all}" ]; then
  awk -v v="$PROVIDES" '
    /^\[/ { if (sect == "[kmp]" && !done) { print "provides = \"" v "\""; done = 1 } sect = $1 }
    sect == "[kmp]" && /^provides *=/ { print "provides = \"" v "\""; done = 1; next }
    { print }
    END { if (sect == "[kmp]" && !done) print "provides = \"" v "\"" }' "$POLICY" > "$policy"
else
  cp "$POLICY" "$policy"
fi
mode=$(provides_of "$policy")
mode=${mode:-all}
# SCHEME=kabi: KMPs named by their KABI id ([naming] scheme, docs/kabi.md).
if [ "${SCHEME:-}" = kabi ] && ! grep -q '^scheme *= *"kabi"' "$policy"; then
  sed -i 's/^\[naming\]$/[naming]\nscheme = "kabi"/' "$policy"
fi
grep -q '^scheme *= *"kabi"' "$policy" && mode=$mode-kabi
key=$mode-$(sha256sum "$policy" | cut -c1-12)
work=$CACHE/$key
mkdir -p "$work"

# ---- 1. the two kernels' repositories (kmpkit package), reused when present ----
build_kernel() {  # $1 = root, $2 = kver
  local out=$work/$2
  if [ -f "$out/repo/repodata/repomd.xml" ]; then log "reusing $out"; return; fi
  log "kmpkit package $2 (provides = $mode) ..."
  local t0; t0=$(now)
  "$KMPKIT" package --policy "$policy" -b "$1" "$2" --out "$out" --host-base -j "$JOBS" > "$work/package-$2.log" 2>&1 \
    || { tail -20 "$work/package-$2.log"; exit 5; }
  echo "$(secs "$t0" "$(now)")" > "$out/build-seconds"
}
build_kernel "$OLD_ROOT" "$OLD_KVER"
build_kernel "$NEW_ROOT" "$NEW_KVER"

# ---- 2. one repository with both (the host base once, the newer kernel's patterns.xml) ----
merged=$work/merged
if [ ! -f "$merged/repodata/repomd.xml" ]; then
  log "merging into $merged ..."
  rm -rf "$merged"; mkdir -p "$merged/rpms"
  for k in "$OLD_KVER" "$NEW_KVER"; do
    find "$work/$k/repo" -name '*.rpm' ! -name 'kmpkit-host-base-*' -exec ln -f -t "$merged/rpms" {} +
  done
  find "$work/$NEW_KVER/repo" -name 'kmpkit-host-base-*.rpm' -exec ln -f -t "$merged/rpms" {} +
  createrepo_c -q --workers "$JOBS" "$merged" > /dev/null
  [ -f "$work/$NEW_KVER/patterns.xml" ] && modifyrepo_c --mdtype=patterns "$work/$NEW_KVER/patterns.xml" "$merged/repodata" > /dev/null
fi
if [ -n "${BUILD_ONLY:-}" ]; then log "built $merged"; exit 0; fi
n_rpms=$(find "$merged/rpms" -name '*.rpm' | wc -l)
n_kmps=$(find "$merged/rpms" -name '*-kmp-*.rpm' | wc -l)

# ---- (d) repodata sizes, ksym() counts ----
decompress() { case $1 in *.gz) zcat "$1";; *.zst) zstdcat -q "$1";; *.xz) xzcat "$1";; *.bz2) bzcat "$1";; *) cat "$1";; esac; }
declare -A md_z md_raw
for t in primary filelists other; do
  f=$(find "$merged/repodata" -name "*-$t.xml*" | head -1)
  md_z[$t]=$(stat -c %s "$f"); md_raw[$t]=$(decompress "$f" | wc -c)
done
repodata_bytes=$(du -sb "$merged/repodata" | cut -f1)
primary=$(find "$merged/repodata" -name '*-primary.xml*' | head -1)
read -r ksym_prov ksym_req kernel_ksym_prov < <(decompress "$primary" | awk '
  /<name>/ { kernel = ($0 ~ /<name>kernel-[a-z0-9]+<\/name>/) }
  /<rpm:provides>/ { s = "p" } /<rpm:requires>/ { s = "r" } /<\/rpm:(provides|requires)>/ { s = "" }
  /<rpm:entry name="ksym\(/ { if (s == "p") { p++; if (kernel) kp++ } else if (s == "r") r++ }
  END { print p + 0, r + 0, kp + 0 }')

# ---- fake sysfs for the hardware profile, zypper environment ----
sys=$work/sysfs-$PROFILE
if [ ! -d "$sys" ]; then
  while IFS=$'\t' read -r p v; do
    [ -n "$p" ] || continue
    mkdir -p "$sys$(dirname "$p")"; printf '%s\n' "$v" > "$sys$p"
  done < "$profiles/$PROFILE/modalias.tsv"
fi
printf '[main]\nmultiversion = provides:multiversion(kernel)\n' > "$work/zypp.conf"
export ZYPP_MODALIAS_SYSFS=$sys ZYPP_CONF=$work/zypp.conf
zyp() {  # $1 = root, rest: zypper arguments
  local r=$1; shift
  ZYPP_LOCKFILE_ROOT=$r ZYPP_LOGFILE=$r/zypper.log zypper --root "$r" -n --no-gpg-checks "$@"
}
new_root() {  # $1 = root: empty, rpmdb at /var/lib/rpm; kernels side by side (libzypp reads
  # multiversion from the target root's config, not from ZYPP_CONF)
  rm -rf "$1"; mkdir -p "$1/var/lib/rpm" "$1/etc/zypp/multiversion.d"
  echo "provides:multiversion(kernel)" > "$1/etc/zypp/multiversion.d/kernel.conf"
}
# What a `zypper ... --dry-run` would do: "N new packages to install" etc. on one line.
# Versions of the packages a `zypper in --details` would install: "47 x 6.1.0-53, 26 x 6.1.0-54".
versions_of() { grep -E '^  [0-9][^ ]*-[0-9][^ ]* *$' "$1" | sort | uniq -c | awk '{printf "%s%s x %s", (NR > 1 ? ", " : ""), $1, $2}'; }
summary_of() { grep -E '^[0-9]+ (new )?packages? to|^Nothing to do|^[0-9]+ packages? to (upgrade|downgrade|remove)' "$1" | tr '\n' ';' | sed 's/;$//; s/\.;/;/g; s/\.$//'; }

# ---- (a) zypper: refresh and the q35 install, per kernel ----
ra=$work/root-solve
new_root "$ra"
zyp "$ra" ar -G "file://$merged" kmp > /dev/null
refresh_time=$(median_seconds "$SLOW_RUNS" zyp "$ra" ref -f)
solv_bytes=$(find "$ra/var/cache/zypp/solv" -name solv -printf '%s\n' | awk '{s+=$1} END {print s + 0}')
zyp "$ra" in --dry-run --details kernel-amd64 > "$work/in-new.out" 2>&1 || true
zyp "$ra" in --dry-run --details "kernel-amd64 = ${OLD_KVER%-*}" > "$work/in-old.out" 2>&1 || true
in_new_time=$(median_seconds "$RUNS" zyp "$ra" in --dry-run kernel-amd64)
in_old_time=$(median_seconds "$RUNS" zyp "$ra" in --dry-run "kernel-amd64 = ${OLD_KVER%-*}")
# The same install from a repository with one kernel only (the baseline of the two-kernel cost).
r1=$work/root-solve-one
new_root "$r1"
zyp "$r1" ar -G "file://$work/$NEW_KVER/repo" one > /dev/null
zyp "$r1" ref > /dev/null
in_one_time=$(median_seconds "$RUNS" zyp "$r1" in --dry-run kernel-amd64)
# libsolv alone on the same job: zypper's solver test case (libzypp writes it to the host's
# /var/log/zypper.solverTestCase, whatever --root says; moved into the work directory, and left
# alone when something else's is there), replayed by testsolv: parsing the repository's testtags
# and solving, with the modalias namespace answers libzypp recorded.
testsolv_time=-
tcdir=/var/log/zypper.solverTestCase
if [ ! -e "$tcdir" ]; then
  zyp "$ra" in --dry-run --debug-solver kernel-amd64 > /dev/null 2>&1 || true
  if [ -f "$tcdir/testcase.t" ]; then
    rm -rf "$work/solverTestCase"; mv "$tcdir" "$work/solverTestCase"
    testsolv_time=$(cd "$work/solverTestCase" && median_seconds "$RUNS" testsolv testcase.t)
  fi
fi
# Did the dry run call rpm? (it must not: then the time is resolving only)
rpm_calls=$(grep -cE "Executing.*[' ]rpm[' ].*(-U|-i |--install|--upgrade)" "$ra/zypper.log" || true)

# ---- (b) zypper up: root with the old kernel and its q35 KMPs, then both kernels' repository ----
rb=$work/root-up
if [ ! -f "$rb/.installed" ]; then
  new_root "$rb"
  zyp "$rb" ar -G "file://$work/$OLD_KVER/repo" old > /dev/null
  log "installing $OLD_KVER for $PROFILE into $rb ..."
  zyp "$rb" in kernel-amd64 > "$work/install-old.log" 2>&1 || { tail -20 "$work/install-old.log"; exit 5; }
  zyp "$rb" rr old > /dev/null
  zyp "$rb" ar -G "file://$merged" kmp > /dev/null
  zyp "$rb" ref > /dev/null
  touch "$rb/.installed"
fi
up_installed=$(rpm --root "$rb" --dbpath /var/lib/rpm -qa | wc -l)
zyp "$rb" up --dry-run > "$work/up.out" 2>&1 || true
up_time=$(median_seconds "$RUNS" zyp "$rb" up --dry-run)
# (and what zypper up changes: packages of the new kernel that replace the old ones)

# ---- (c) rpm -U --test into an empty root ----
rc=$work/root-rpm
find "$work/$NEW_KVER/repo" -name '*-kmp-*.rpm' | sort > "$work/kmps.txt"
kernel_rpm=$(find "$work/$NEW_KVER/repo" -name 'kernel-amd64-*.rpm' | head -1)
base_rpm=$(find "$work/$NEW_KVER/repo" -name 'kmpkit-host-base-*.rpm' | head -1)
all_kmps=$(wc -l < "$work/kmps.txt")
declare -A rpm_time rpm_fail
rpm_test() {  # $1 = list of KMP rpms: kernel + host base + those, one rpm --test
  new_root "$rc"
  timeout "$RPM_TIMEOUT" rpm --root "$rc" --dbpath /var/lib/rpm -U --test "$kernel_rpm" "$base_rpm" $(cat "$1")
}
for n in $RPM_SIZES; do
  [ "$n" = all ] && n=$all_kmps
  [ "$n" -le "$all_kmps" ] || continue
  # A fixed pseudo-random sample (the same for every policy): its ksym requires on KMPs outside the
  # sample fail, which rpm reports as it checks them; the cost is the checking.
  shuf -n "$n" --random-source=<(yes) "$work/kmps.txt" > "$work/sample-$n.txt"
  log "rpm -U --test: kernel + $n KMPs ..."
  set +e
  rpm_test "$work/sample-$n.txt" > "$work/rpm-test-$n.out" 2>&1
  st=$?
  set -e
  rpm_fail[$n]=$(grep -c 'is needed by' "$work/rpm-test-$n.out" || true)
  if [ "$st" = 124 ]; then rpm_time[$n]=">$RPM_TIMEOUT"; continue; fi
  rpm_time[$n]=$(median_seconds "$SLOW_RUNS" rpm_test "$work/sample-$n.txt")
done
rm -rf "$rc"
# The same samples into a root where the kernel package (and host base) are already installed
# (rpm --justdb): the KMPs' ksym() requires are then looked up in the rpmdb, which loads the
# kernel package's header for each (the "15 s for 100 KMPs" of the issue).
rk=$work/root-rpm-kernel
new_root "$rk"
rpm --root "$rk" --dbpath /var/lib/rpm -i --justdb --nodeps --noscripts "$kernel_rpm" "$base_rpm"
declare -A rpmk_time rpmk_fail
rpm_test_k() { timeout "$RPM_TIMEOUT" rpm --root "$rk" --dbpath /var/lib/rpm -U --test $(cat "$1"); }
for n in $RPM_SIZES; do
  [ "$n" = all ] && n=$all_kmps
  [ -f "$work/sample-$n.txt" ] || continue
  log "rpm -U --test: $n KMPs, kernel installed ..."
  set +e
  rpm_test_k "$work/sample-$n.txt" > "$work/rpm-test-k-$n.out" 2>&1
  st=$?
  set -e
  rpmk_fail[$n]=$(grep -c 'is needed by' "$work/rpm-test-k-$n.out" || true)
  if [ "$st" = 124 ]; then rpmk_time[$n]=">$RPM_TIMEOUT"; continue; fi
  rpmk_time[$n]=$(median_seconds "$SLOW_RUNS" rpm_test_k "$work/sample-$n.txt")
done
rm -rf "$rk"

# ---- the table ----
echo
echo "kmpkit scale bench: $OLD_KVER + $NEW_KVER, [kmp] provides = \"$mode\", $(nproc) cores, medians of $RUNS (slow parts: $SLOW_RUNS)"
printf '%-58s %s\n' "repository" "$n_rpms rpms ($n_kmps KMPs), $work"
for k in "$OLD_KVER" "$NEW_KVER"; do
  [ -f "$work/$k/build-seconds" ] && printf '%-58s %s s\n' "kmpkit package $k (-j $JOBS)" "$(cat "$work/$k/build-seconds")"
done
printf '%-58s %s / %s / %s MB (%s MB all repodata)\n' "primary / filelists / other, compressed" \
  "$(mb "${md_z[primary]}")" "$(mb "${md_z[filelists]}")" "$(mb "${md_z[other]}")" "$(mb "$repodata_bytes")"
printf '%-58s %s / %s / %s MB\n' "primary / filelists / other, uncompressed" \
  "$(mb "${md_raw[primary]}")" "$(mb "${md_raw[filelists]}")" "$(mb "${md_raw[other]}")"
printf '%-58s %s (%s of them by the two kernel packages)\n' "ksym() provides in the repository" "$ksym_prov" "$kernel_ksym_prov"
printf '%-58s %s\n' "ksym() requires in the repository" "$ksym_req"
printf '%-58s %s s, solv cache %s MB\n' "(a) zypper ref -f (metadata -> solv)" "$refresh_time" "$(mb "$solv_bytes")"
printf '%-58s %s s  [%s: %s]\n' "(a) zypper in --dry-run kernel-amd64 ($NEW_KVER, $PROFILE)" "$in_new_time" \
  "$(summary_of "$work/in-new.out")" "$(versions_of "$work/in-new.out")"
printf '%-58s %s s  [%s: %s]\n' "(a) zypper in --dry-run 'kernel-amd64 = ${OLD_KVER%-amd64}'" "$in_old_time" \
  "$(summary_of "$work/in-old.out")" "$(versions_of "$work/in-old.out")"
printf '%-58s %s s\n' "(a) the same, $NEW_KVER's repository alone" "$in_one_time"
printf '%-58s %s s (rpm calls in the dry runs: %s)\n' "(a) testsolv of zypper's solver test case (pure solve)" "$testsolv_time" "$rpm_calls"
printf '%-58s %s s  [%s installed; %s]\n' "(b) zypper up --dry-run ($OLD_KVER root, both in repo)" "$up_time" "$up_installed" "$(summary_of "$work/up.out")"
for n in $RPM_SIZES; do
  [ "$n" = all ] && n=$all_kmps
  [ -n "${rpm_time[$n]:-}" ] || continue
  printf '%-58s %s s (%s unmet requires reported)\n' "(c) rpm -U --test kernel + host base + $n KMPs" "${rpm_time[$n]}" "${rpm_fail[$n]}"
done
for n in $RPM_SIZES; do
  [ "$n" = all ] && n=$all_kmps
  [ -n "${rpmk_time[$n]:-}" ] || continue
  printf '%-58s %s s (%s unmet requires reported)\n' "(c) rpm -U --test $n KMPs, kernel installed" "${rpmk_time[$n]}" "${rpmk_fail[$n]}"
done
