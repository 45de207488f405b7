#!/usr/bin/env bash
# Everything the test suite needs, idempotent: Debian packages, the real kernel, the test modules,
# Debian firmware packages, and a build of kmpkit in ./build. Prints the environment the tests read.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
root=$(scripts/fetch-kernel.sh | tail -1)
mods=$(scripts/build-test-modules.sh "$root" | tail -1)
# Debian's firmware-linux-free and firmware-ath9k-htc, unpacked (the firmware tests' real inputs).
scripts/fetch-firmware.sh > /dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
# Installs kmpkit, its rpm fileattrs and macros: rpmbuild then calls kmpkit depgen by itself.
cmake --install build >/dev/null
# The libFuzzer targets of fuzz/ (clang; only the parsers they need): run-tests.sh runs their short runs.
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMPKIT_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build build-fuzz -j"$(nproc)"
echo "export KMPKIT_KERNEL_ROOT=$root KMPKIT_TEST_MODULES=$mods"
