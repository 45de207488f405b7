#!/usr/bin/env bash
# A longer fuzzing run of one target (docs/hardening.md):
#   fuzz/run.sh TARGET [SECONDS=300] [BUILD_DIR=build-fuzz]
# Keeps what it finds in $KMPKIT_FUZZ_WORK/TARGET (default /var/tmp/kmpkit-fuzz): corpus/ grows
# run after run; a crash, hang or leak leaves its input in artifacts/ and ends the run non-zero.
set -euo pipefail
target=$1 seconds=${2:-300} build=${3:-build-fuzz}
here=$(cd "$(dirname "$0")" && pwd)
work=${KMPKIT_FUZZ_WORK:-/var/tmp/kmpkit-fuzz}/$target
mkdir -p "$work/corpus" "$work/artifacts" "$work/generated"
[ -e "$work/generated/.done" ] || { "$here/make-seeds.sh" "$target" "$work/generated" && touch "$work/generated/.done"; }
# -malloc_limit_mb: a single allocation above 512 MB (no real input needs one) is reported.
exec nice -n 10 "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -malloc_limit_mb=512 -max_len=1048576 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
  "$work/corpus" "$here/seeds/$target" "$work/generated"
