#!/usr/bin/env bash
# From a fresh clone: install what is missing, build, then run the demo
# (`bootstrap.sh demo`) or the whole test suite (`bootstrap.sh test`).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-demo}
case "$what" in demo|test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac

bash scripts/setup.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"

case "$what" in
  demo) ./build/cosim/kmtsim demo ;;
  test)
    ctest --test-dir build --output-on-failure -j"$jobs" --timeout 900
    bash scripts/fuzz.sh 30  # the request decoder under libFuzzer, ASan and UBSan
    bash scripts/sanitize.sh asan quick  # peers, GPU work and the wire under ASan and UBSan
    ;;
esac
