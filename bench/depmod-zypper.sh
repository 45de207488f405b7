#!/usr/bin/env bash
# N KMPs (default 200) installed with zypper into a root: the time spent in the kernel package's
# file triggers with kmpkit depmod (the default policy) vs Debian's depmod.
#
#   bench/depmod-zypper.sh [N]       N KMP names given to one `zypper in` (default 200)
#
# Environment: KMPKIT (default build/src/kmpkit), KMPKIT_CACHE (default /var/cache/kmpkit), RUNS
# (default 1: one zypper run per engine and run, alternating).
#
# The repository is the real kernel packaged with policies/default.toml, the one the slow tests
# build (CACHE/repo-KVER-<binary>-<policy>; made here, with the same layout and lock, when absent).
# Its kernel package's triggers run `/usr/bin/kmpkit depmod -a KVER`. For each engine a fresh
# root gets kmpkit-host-base, then /usr/bin/kmpkit is replaced by a small timer that runs
#   kmpkit engine:  the real kmpkit with the same arguments   (kmpkit depmod -a KVER)
#   depmod engine:  /sbin/depmod with "depmod" dropped        (/sbin/depmod -a KVER, what the
#                   policy value "/sbin/depmod -a {kver}" makes the trigger run)
# and appends the run's wall time to /var/log/kmpkit-trigger.log in the root; then the kernel
# package is installed (rpm -i), the log emptied, and N KMPs spread over the sorted KMP names are
# installed with `zypper in --no-recommends` (plus the KMPs they require), which libzypp 17.25
# runs as one rpm call, hence one trigger run, per package. Both roots end with the same packages;
# each database is checked against Debian's depmod of the installed tree.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
N=${1:-${N:-200}}
RUNS=${RUNS:-1}
KMPKIT=${KMPKIT:-$repo/build/src/kmpkit}
CACHE=${KMPKIT_CACHE:-/var/cache/kmpkit}
policy=$repo/policies/default.toml
[ -x "$KMPKIT" ] || { echo "bench: no kmpkit binary at $KMPKIT (build first)" >&2; exit 1; }
kroot=$("$repo/scripts/fetch-kernel.sh" | tail -n 1)
kver=$(tr -d '[:space:]' < "$kroot/KVER")

# ---- the repository (shared with src/package/tests/slow, same key and layout) ----
key=$(sha256sum "$KMPKIT" | cut -c1-16)-$(sha256sum "$policy" | cut -c1-8)
cdir=$CACHE/repo-$kver-$key
if [ ! -e "$cdir/.complete" ]; then
  mkdir -p "$CACHE"
  exec 9>"$cdir.lock"
  flock 9
  if [ ! -e "$cdir/.complete" ]; then
    echo "bench: packaging the real kernel into $cdir (once per kmpkit binary)" >&2
    rm -rf "$cdir.tmp" "$cdir"
    mkdir -p "$cdir.tmp/reference/lib/modules"
    t0=$(date +%s.%N)
    "$KMPKIT" package --policy "$policy" -b "$kroot" "$kver" --out "$cdir.tmp/split" --host-base > "$cdir.tmp/package.out"
    echo "seconds $(echo "$(date +%s.%N) - $t0" | bc -l)" >> "$cdir.tmp/package.out"
    cp -al "$kroot/lib/modules/$kver" "$cdir.tmp/reference/lib/modules/"
    /sbin/depmod -b "$cdir.tmp/reference" "$kver"
    echo ok > "$cdir.tmp/.complete"
    mv "$cdir.tmp" "$cdir"
  fi
  exec 9>&-
fi
rpms=$cdir/split/repo
host_base=$(ls "$rpms"/*/kmpkit-host-base-[0-9]*.rpm)
kernel=$(ls "$rpms"/*/kernel-amd64-[0-9]*.rpm)

work=$(mktemp -d /tmp/kmpkit-bench-zypper.XXXXXX)
trap 'rm -rf "$work"' EXIT

# N KMP names spread evenly over the sorted list.
python3 - "$cdir/split/kmpkit-split.json" "$N" > "$work/kmps" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); n = int(sys.argv[2])
names = sorted(p for s in m["specs"] for p in s["packages"] if p.endswith("-kmp-" + m["flavor"]))
n = min(n, len(names))
print("\n".join(names[i * len(names) // n] for i in range(n)))
EOF
n=$(wc -l < "$work/kmps")

# ---- the timer that stands in for /usr/bin/kmpkit in the roots ----
cat > "$work/timer.c" <<'EOF'
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char** argv) {
  char* args[argc + 1];
  int k = 0;
  args[k++] = REAL;
  for (int i = 1 + SKIP; i < argc; i++) args[k++] = argv[i];
  args[k] = 0;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t p = fork();
  if (p == 0) { execv(REAL, args); _exit(127); }
  int st = 0;
  waitpid(p, &st, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  FILE* f = fopen("/var/log/kmpkit-trigger.log", "a");
  if (f) { fprintf(f, "%.6f %d\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, st); fclose(f); }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
EOF
gcc -O2 -o "$work/timer-kmpkit" -DREAL='"/usr/bin/kmpkit.real"' -DSKIP=0 "$work/timer.c"
gcc -O2 -o "$work/timer-depmod" -DREAL='"/sbin/depmod"' -DSKIP=1 "$work/timer.c"

zyp() {  # zyp ROOT ARGS...
  local r=$1; shift
  ZYPP_LOCKFILE_ROOT=$r ZYPP_MODALIAS_SYSFS=$r/.no-hardware ZYPP_LOGFILE=$r/zypper.log \
    zypper --root "$r" --non-interactive --no-gpg-checks "$@"
}

declare -A trig zyps runs_of
run_engine() {  # run_engine ENGINE RUN
  local e=$1 r=$work/root-$1-$2
  mkdir -p "$r/var/lib/rpm" "$r/var/log"
  : > "$r/.no-hardware"
  rpm --root "$r" --dbpath /var/lib/rpm -i "$host_base" 2>/dev/null
  mv "$r/usr/bin/kmpkit" "$r/usr/bin/kmpkit.real"
  cp "$work/timer-$e" "$r/usr/bin/kmpkit"
  rpm --root "$r" --dbpath /var/lib/rpm -i "$kernel" 2>/dev/null
  : > "$r/var/log/kmpkit-trigger.log"
  zyp "$r" ar -G "file://$rpms" kmp > /dev/null
  zyp "$r" ref > /dev/null
  local t0 t1
  t0=$(date +%s.%N)
  xargs -a "$work/kmps" -d '\n' env ZYPP_LOCKFILE_ROOT="$r" ZYPP_MODALIAS_SYSFS="$r/.no-hardware" \
    ZYPP_LOGFILE="$r/zypper.log" zypper --root "$r" --non-interactive --no-gpg-checks in --no-recommends \
    > "$r/zypper.out" 2>&1 || { tail -20 "$r/zypper.out" >&2; exit 1; }
  t1=$(date +%s.%N)
  local z t c bad
  z=$(echo "$t1 - $t0" | bc -l)
  t=$(awk '{s += $1} END {printf "%.3f", s}' "$r/var/log/kmpkit-trigger.log")
  c=$(wc -l < "$r/var/log/kmpkit-trigger.log")
  bad=$(awk '$2 != 0' "$r/var/log/kmpkit-trigger.log" | wc -l)
  [ "$bad" = 0 ] || { echo "bench: $bad $e trigger runs failed" >&2; exit 1; }
  # The database the last trigger left is Debian's depmod of the installed tree.
  local ref=$work/ref-$e-$2
  mkdir -p "$ref/lib/modules"
  cp -al "$r/lib/modules/$kver" "$ref/lib/modules/"
  /sbin/depmod -b "$ref" "$kver"
  for f in modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep modules.symbols \
           modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin modules.devname; do
    cmp -s "$r/lib/modules/$kver/$f" "$ref/lib/modules/$kver/$f" || { echo "bench: $e: $f differs from depmod" >&2; exit 1; }
  done
  trig[$e]=$(echo "${trig[$e]:-0} + $t" | bc -l)
  zyps[$e]=$(echo "${zyps[$e]:-0} + $z" | bc -l)
  runs_of[$e]=$(( ${runs_of[$e]:-0} + c ))
  pk=$(rpm --root "$r" --dbpath /var/lib/rpm -qa | grep -c -- '-kmp-')
  printf 'run %d %-6s: %d KMPs installed, %d trigger runs, triggers %.3f s, zypper %.3f s\n' "$2" "$e" "$pk" "$c" "$t" "$z" >&2
  rm -rf "$r" "$ref"
}

echo "bench: $n KMP names, $RUNS run(s) per engine, kernel $kver, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((i = 1; i <= RUNS; i++)); do
  run_engine kmpkit "$i"
  run_engine depmod "$i"
done

printf '\n| trigger engine | trigger runs | total trigger s | total zypper s | trigger ratio (engine/depmod) | zypper ratio |\n'
printf '|---|---|---|---|---|---|\n'
for e in kmpkit depmod; do
  printf '| %s | %d | %.3f | %.3f | %.2f | %.2f |\n' "$( [ $e = kmpkit ] && echo 'kmpkit depmod -a' || echo '/sbin/depmod -a')" \
    "${runs_of[$e]}" "${trig[$e]}" "${zyps[$e]}" "$(echo "${trig[$e]} / ${trig[depmod]}" | bc -l)" \
    "$(echo "${zyps[$e]} / ${zyps[depmod]}" | bc -l)"
done
echo "(N=$n KMP names, RUNS=$RUNS, load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
