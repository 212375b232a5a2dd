#!/usr/bin/env bash
# Builds the driver, the daemon and their tests with sanitizers and runs the
# driver tests (label "driver").
#   scripts/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   scripts/sanitize.sh tsan   ThreadSanitizer on the client side (build-tsan/); the daemon
#                              under test is the plain one of build/ (SystemC switches
#                              stacks, which ThreadSanitizer does not follow)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-asan}
case "$kind" in
  asan) flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
        env_vars=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1) ;;
  tsan) flags="-fsanitize=thread -fno-omit-frame-pointer"
        [ -x build/cosim/kmtsimd ] || { echo "sanitize: build/ first (scripts/bootstrap.sh test)" >&2; exit 1; }
        env_vars=(TSAN_OPTIONS=halt_on_error=1 "KMTSIM_TEST_DAEMON=$PWD/build/cosim/kmtsimd") ;;
  *) echo "usage: $0 asan|tsan" >&2; exit 2 ;;
esac
dir="build-$kind"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
      -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" >/dev/null
targets="$(sed -n 's/^kmtsim_driver_test(\(.*\))$/\1/p' tests/CMakeLists.txt) test_header_abi test_header_c"
cmake --build "$dir" -j"$(nproc)" --target kmtsimd $targets
env "${env_vars[@]}" ctest --test-dir "$dir" -L driver -E install --output-on-failure -j"$(nproc)" --timeout 600
