#!/usr/bin/env bash
# Packaging the whole real kernel: kmpkit's split build (kernel package + one KMP per module or set +
# patterns, several specs built in parallel) against one rpmbuild of a single package holding every
# module (same payload compression, same kmpkit dependency generator), plus the same single package
# with no dependency generator at all (the "25 s" reference of the issue). Then repository sizes,
# and what zypper installs for the hardware profiles against the full kernel.
#
#   bench/package.sh            all of it (about 10 minutes on 2 cores)
#   SKIP_SINGLE=1 bench/package.sh   only the split build and the installs
# Target: split time / single-package time <= 2.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_setup
work=${BENCH_WORK:-$(mktemp -d /var/tmp/kmpkit-bench-package.XXXXXX)}
trap 'rm -rf "$work"' EXIT
profiles=$PWD/hw-profiles
jobs=$(nproc)
payload=$(sed -n 's/^payload *= *"\(.*\)".*/\1/p' policies/default.toml)
md=$KMPKIT_KERNEL_ROOT/lib/modules/$KVER
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.1f'; }

# ---- split build: kmpkit package ----
t0=$(now)
"$KMPKIT" package --policy policies/default.toml -b "$KMPKIT_KERNEL_ROOT" "$KVER" --out "$work/split" \
  --host-base -j "$jobs" > "$work/split.out"
t1=$(now)
split_time=$(secs "$t0" "$t1")
split_pkgs=$(find "$work/split/repo" -name '*.rpm' | wc -l)
split_rpm_bytes=$(find "$work/split/repo" -name '*.rpm' -printf '%s\n' | awk '{s+=$1} END {print s}')
split_repo_bytes=$(du -sb "$work/split/repo" | cut -f1)
specs=$(ls "$work/split"/*.spec | wc -l)

# ---- the same split specs without any dependency generator (the arrangement's own cost) ----
threads_each=$(( $(nproc) / jobs )); [ "$threads_each" -ge 1 ] || threads_each=1
t0=$(now)
(cd "$work/split" && ls *.spec | OMP_WAIT_POLICY=PASSIVE xargs -P "$jobs" -I{} sh -c \
  'rpmbuild -bb --define "_smp_build_nthreads '"$threads_each"'" --define "_topdir '"$work"'/nogen/$(basename {} .spec)" \
     --define "_sourcedir '"$work"'/split" --define "_rpmdir '"$work"'/nogen/repo" --define "__kmpkit_path ^\$" {} \
     > '"$work"'/nogen-$(basename {} .spec).log 2>&1')
t1=$(now)
split_nogen_time=$(secs "$t0" "$t1")
rm -rf "$work/nogen"

# ---- single package: every module in one rpm ----
single_spec() {  # $1 = spec path, $2 = "gen" (kmpkit dependency generator on) or "nogen"
  {
    echo "%kmpkit_keep_modules_intact"
    echo "%global __elf_exclude_path ^/lib/modules/"
    echo "%global _binary_payload $payload"
    echo "%global _wrong_version_format_terminate_build 0"
    echo "%global __kmpkit $KMPKIT"
    [ "$2" = nogen ] && echo "%global __kmpkit_path ^\$"
    echo "Name: kernel-single-$2"; echo "Version: 1"; echo "Release: 1"; echo "Summary: all modules"
    echo "License: GPL-2.0-only"; echo "%description"; echo "Every module of $KVER in one package."
    echo "%install"; echo "mkdir -p %{buildroot}/lib/modules/$KVER"
    echo "(cd $md && find kernel -name '*.ko*' | xargs cp --parents -p -t %{buildroot}/lib/modules/$KVER/)"
    echo "%files"; echo "/lib/modules/$KVER/kernel"
  } > "$1"
}
single_time=-; single_nogen_time=-; single_bytes=0
if [ -z "${SKIP_SINGLE:-}" ]; then
  for mode in gen nogen; do
    single_spec "$work/single-$mode.spec" "$mode"
    t0=$(now)
    OMP_WAIT_POLICY=PASSIVE rpmbuild -bb --define "_topdir $work/single-$mode" "$work/single-$mode.spec" \
      > "$work/single-$mode.log" 2>&1
    t1=$(now)
    if [ "$mode" = gen ]; then
      single_time=$(secs "$t0" "$t1")
      single_bytes=$(find "$work/single-$mode/RPMS" -name '*.rpm' -printf '%s\n' | awk '{s+=$1} END {print s}')
    else
      single_nogen_time=$(secs "$t0" "$t1")
    fi
    rm -rf "$work/single-$mode/BUILDROOT" "$work/single-$mode/BUILD"
  done
fi

# ---- installs with zypper ----
install_profile() {  # $1 = profile name → prints "packages bytes seconds"
  local R="$work/root-$1" sys="$work/sys-$1"
  mkdir -p "$R/var/lib/rpm"
  while IFS=$'\t' read -r p v; do
    [ -n "$p" ] || continue
    mkdir -p "$sys$(dirname "$p")"; printf '%s\n' "$v" > "$sys$p"
  done < "$profiles/$1/modalias.tsv"
  local env="ZYPP_LOCKFILE_ROOT=$R ZYPP_MODALIAS_SYSFS=$sys ZYPP_LOGFILE=$R/zypper.log"
  env $env zypper --root "$R" -n --no-gpg-checks ar -G "file://$work/split/repo" kmp >/dev/null
  local t0 t1; t0=$(now)
  env $env zypper --root "$R" -n --no-gpg-checks in kernel-amd64 > "$work/zypper-$1.log" 2>&1
  t1=$(now)
  local n bytes
  n=$(rpm --root "$R" --dbpath /var/lib/rpm -qa | wc -l)
  bytes=$(rpm --root "$R" --dbpath /var/lib/rpm -qa --qf '%{SIZE}\n' | awk '{s+=$1} END {print s}')
  echo "$n $bytes $(secs "$t0" "$t1")"
}
read -r q35_n q35_bytes q35_s < <(install_profile q35-virtio)
read -r micro_n micro_bytes micro_s < <(install_profile cloud-microvm)
full_bytes=$(find "$work/split/repo" -name '*.rpm' -print0 | xargs -0 rpm -qp --qf '%{SIZE}\n' 2>/dev/null | awk '{s+=$1} END {print s}')
modules_bytes=$(du -sb "$md/kernel" | cut -f1)

mb() { echo "$1" | awk '{printf "%.1f MB", $1 / 1e6}'; }
echo
echo "kmpkit packaging benchmark: $KVER, $(find "$md" -name '*.ko*' | wc -l) modules, $(nproc) cores, payload $payload"
printf '%-52s %12s\n' "" "value"
printf '%-52s %11ss\n' "split build (kmpkit package: $specs specs, -j$jobs)" "$split_time"
printf '%-52s %11ss\n' "split specs, no dependency generator" "$split_nogen_time"
printf '%-52s %11ss\n' "single package, kmpkit generators (1 rpmbuild)" "$single_time"
printf '%-52s %11ss\n' "single package, no dependency generator" "$single_nogen_time"
if [ "$single_time" != - ]; then
  printf '%-52s %12s\n' "split / single, both with the generators" "$(ratio "$split_time" "$single_time")"
  printf '%-52s %12s\n' "split / single, both without generators" "$(ratio "$split_nogen_time" "$single_nogen_time")"
  printf '%-52s %12s\n' "split (generators) / single (none)" "$(ratio "$split_time" "$single_nogen_time")"
fi
printf '%-52s %12s\n' "split: packages" "$split_pkgs"
printf '%-52s %12s\n' "split: rpm files" "$(mb "$split_rpm_bytes")"
printf '%-52s %12s\n' "split: repository with metadata" "$(mb "$split_repo_bytes")"
printf '%-52s %12s\n' "single rpm" "$(mb "$single_bytes")"
[ "$single_bytes" != 0 ] && printf '%-52s %12s\n' "repository split / single rpm" "$(ratio "$split_repo_bytes" "$single_bytes")"
printf '%-52s %12s\n' "installed, everything (all packages)" "$(mb "$full_bytes")"
printf '%-52s %12s\n' "  of which module files" "$(mb "$modules_bytes")"
printf '%-52s %12s\n' "installed, q35-virtio ($q35_n packages, zypper ${q35_s}s)" "$(mb "$q35_bytes")"
printf '%-52s %12s\n' "installed, cloud-microvm ($micro_n packages, zypper ${micro_s}s)" "$(mb "$micro_bytes")"
printf '%-52s %12s\n' "q35-virtio / everything" "$(ratio "$q35_bytes" "$full_bytes")"
printf '%-52s %12s\n' "cloud-microvm / everything" "$(ratio "$micro_bytes" "$full_bytes")"
