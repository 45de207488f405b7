#!/usr/bin/env bash
# One fuzz target's short run (ctest fuzz.TARGET): its seeds, then RUNS mutations from a fixed
# seed. libFuzzer writes what it finds into its first corpus directory: a fresh temporary one, so
# the checked-in seeds stay as they are and every run starts from the same inputs.
#   fuzz/smoke.sh TARGET_BINARY SEED_DIR RUNS
set -euo pipefail
binary=$1 seeds=$2 runs=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$binary" -runs="$runs" -seed=1 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -max_len=65536 \
  -artifact_prefix="$scratch/" "$scratch" "$seeds" 2>&1 | tail -60
exit "${PIPESTATUS[0]}"
