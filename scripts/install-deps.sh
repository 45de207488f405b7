#!/usr/bin/env bash
# Installs the Debian 12 packages kmpkit needs to build, test and run. Idempotent.
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config ninja-build git
  libkmod-dev librpm-dev libsolv-dev libsolvext-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev liblzma-dev libzstd-dev zlib1g-dev libssl-dev
  kmod rpm createrepo-c zypper libsolv-tools
  xz-utils zstd cpio bc flex bison libelf-dev dwarves openssl
  clang libclang-rt-14-dev
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all ${#PKGS[@]} packages present"
