#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and
# runs each for SECONDS (default 60) from the committed seed corpus. New
# inputs it finds go to build-fuzz/corpus-*, not into the source tree; a crash
# leaves its input in build-fuzz/ and fails the run.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DKMTSIM_FUZZ=ON -DKMTSIM_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_kernel -j"$(nproc)"
for target in kernel; do
  work="build-fuzz/corpus-$target"
  mkdir -p "$work"
  echo "fuzz_$target: ${seconds}s"
  (cd build-fuzz && ./driver-sim/fuzz/fuzz_$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "../$work" ../driver-sim/fuzz/corpus 2>&1 | tail -n 12)
done
