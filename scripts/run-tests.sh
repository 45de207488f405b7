#!/usr/bin/env bash
# The whole test suite (the README's test command): set-up, then every ctest test, slow ones too.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/test-setup.sh | tail -1)"
export KMPKIT_KERNEL_ROOT KMPKIT_TEST_MODULES
cd build
ctest --output-on-failure -j2 "$@"
