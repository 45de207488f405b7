#!/usr/bin/env bash
# The main job on the real default input: fetch Debian's newest 6.1 kernel and run kmpkit on it.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/test-setup.sh | tail -1)"
kver=$(cat "$KMPKIT_KERNEL_ROOT/KVER")
./build/src/kmpkit scan -b "$KMPKIT_KERNEL_ROOT" "$kver"
