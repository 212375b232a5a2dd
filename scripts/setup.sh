#!/usr/bin/env bash
# Installs the Debian 12 packages kmtsim needs, only those that are missing
# (nothing happens when all are present). Run as root, or with sudo available.
set -euo pipefail

packages=(
  cmake make g++ pkg-config ccache python3     # build
  verilator libsystemc-dev libboost-dev catch2 # simulation, daemon, tests
  yosys nextpnr-ice40 fpga-icestorm z3          # synthesis, FPGA flow, formal checks
  zlib1g-dev                                    # FST waveforms of the Verilated memory controller
  clang libclang-rt-14-dev                      # libFuzzer and sanitizers
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
