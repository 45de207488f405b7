#!/usr/bin/env bash
# The whole test suite (the README's test command): set-up, then every ctest test, slow ones too.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/test-setup.sh | tail -1)"
export KMPKIT_KERNEL_ROOT KMPKIT_TEST_MODULES
status=0
(cd build && ctest --output-on-failure -j2 "$@") || status=$?
# The fuzz targets' short runs: a fixed number of mutations each, built with clang in build-fuzz
# by test-setup.sh (docs/hardening.md). Arguments such as -L slow select no test there.
(cd build-fuzz && ctest --output-on-failure -j2 "$@") || status=$?
exit $status
