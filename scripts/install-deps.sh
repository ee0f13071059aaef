#!/usr/bin/env bash
# Installs the Debian packages kiln needs, when they are missing.
#
# Idempotent: does nothing (and needs no network) when everything is there.
# Works as root or through sudo. Downloads nothing but Debian packages.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ make python3
  llvm-19-dev llvm-19-tools        # LLVM 19 (ORC LLJIT), FileCheck, lit, not
  libeigen3-dev                    # Eigen 3.4
  libgtest-dev libgmock-dev        # GoogleTest
  libbenchmark-dev                 # Google Benchmark
  libopenblas-dev                  # OpenBLAS: a reference in bench/runtime/MatmulBench.cpp only
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libffi-dev libcurl4-openssl-dev
                                   # libraries LLVM's CMake config asks for
  clang-19 libclang-rt-19-dev      # libFuzzer (make fuzz; CI runs every fuzz target briefly)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    SUDO="sudo"
  else
    echo "install-deps: error: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
