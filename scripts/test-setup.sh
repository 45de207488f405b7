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
echo "export KMPKIT_KERNEL_ROOT=$root KMPKIT_TEST_MODULES=$mods"
