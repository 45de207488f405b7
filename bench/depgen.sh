#!/usr/bin/env bash
# depgen (requires + supplements) over every module of the real kernel:
#   kmpkit, one call for all files (rpm >= 4.19 multifile, or any caller with a file list)
#   kmpkit-depgen (the lean generator the fileattrs run), one call per file (what rpm 4.18 does)
#   kmpkit depgen, one call per file
#   the SUSE shell route (modprobe --dump-modversions + modinfo -F alias + encoding), per file
# The script first checks that all routes print the same strings. Target: kmpkit >= 50x faster.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_setup
RUNS=${RUNS:-5}; SLOW_RUNS=${SLOW_RUNS:-3}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
find "$KMPKIT_KERNEL_ROOT/lib/modules/$KVER" -name '*.ko*' | sort > "$work/files"
n=$(wc -l < "$work/files")
flavor=${KVER##*-}

kmpkit_all() { "$KMPKIT" depgen --requires < "$work/files"; "$KMPKIT" depgen --supplements < "$work/files"; }
kmpkit_per_file() { while IFS= read -r f; do echo "$f" | "$KMPKIT" depgen --requires; echo "$f" | "$KMPKIT" depgen --supplements; done < "$work/files"; }
lean_per_file() { while IFS= read -r f; do echo "$f" | "$KMPKIT-depgen" --requires; echo "$f" | "$KMPKIT-depgen" --supplements; done < "$work/files"; }
shell_route() { bench/suse-shell-route.sh "$flavor" < "$work/files"; }

# Same strings: per-file kmpkit equals the shell route exactly; the one-call output equals the
# shell route's requires minus what the tree itself exports.
# kmpkit also supplements filesystem(NAME) for file-system modules (libzypp's namespace), which the
# SUSE route has no counterpart for: left out of the comparison (not of the timing).
kmpkit_per_file | grep -v '^filesystem(' | sort -u > "$work/per_file"
shell_route | sort -u > "$work/shell"
if ! cmp -s "$work/per_file" "$work/shell"; then echo "MISMATCH per-file vs shell route:"; diff "$work/per_file" "$work/shell" | head; exit 1; fi
lean_per_file | grep -v '^filesystem(' | sort -u > "$work/lean_per_file"
if ! cmp -s "$work/lean_per_file" "$work/shell"; then echo "MISMATCH kmpkit-depgen per file vs shell route:"; diff "$work/lean_per_file" "$work/shell" | head; exit 1; fi
"$KMPKIT" depgen --requires < "$work/files" | sort -u > "$work/all_req"
"$KMPKIT" depgen --provides < "$work/files" | grep '^ksym(' | sed 's/ = .*//' | sort -u > "$work/own"
grep '^ksym(' "$work/shell" | awk -v own="$work/own" 'BEGIN{while((getline l < own)>0) o[l]=1} {k=$0; sub(/ = .*/,"",k); if(!(k in o)) print}' | sort -u > "$work/shell_req"
if ! cmp -s "$work/all_req" "$work/shell_req"; then echo "MISMATCH one-call requires vs shell route"; diff "$work/all_req" "$work/shell_req" | head; exit 1; fi
echo "same strings: $(wc -l < "$work/shell") unique dependency lines over $n modules"

all=$(median_seconds "$RUNS" kmpkit_all)
lean=$(median_seconds "$SLOW_RUNS" lean_per_file)
per=$(median_seconds "$SLOW_RUNS" kmpkit_per_file)
sh=$(median_seconds "$SLOW_RUNS" shell_route)
printf '%-40s %10s %12s\n' route "median" "shell/route"
printf '%-40s %9ss %12s\n' "kmpkit depgen, one call for all files" "$all" "$(ratio "$sh" "$all")x"
printf '%-40s %9ss %12s\n' "kmpkit-depgen, one call per file" "$lean" "$(ratio "$sh" "$lean")x"
printf '%-40s %9ss %12s\n' "kmpkit depgen, one call per file" "$per" "$(ratio "$sh" "$per")x"
printf '%-40s %9ss %12s\n' "SUSE shell route (modprobe+modinfo)" "$sh" "1.00x"
