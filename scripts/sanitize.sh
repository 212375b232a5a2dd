#!/usr/bin/env bash
# Builds the driver, the daemon and their tests with sanitizers and runs the
# driver tests (label "driver").
#   scripts/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   scripts/sanitize.sh tsan   ThreadSanitizer on the client side (build-tsan/); the daemon
#                              under test is the plain one of build/ (SystemC switches
#                              stacks, which ThreadSanitizer does not follow)
#   scripts/sanitize.sh KIND quick   only the multi-process, GPU-work and wire tests
#                              (what CI runs: the build is most of the time)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-asan}
scope=${2:-all}
case "$kind" in
  # GCC's -Wmaybe-uninitialized misfires inside libstdc++ under ASan.
  asan) flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wno-maybe-uninitialized"
        env_vars=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1) ;;
  tsan) flags="-fsanitize=thread -fno-omit-frame-pointer"
        [ -x build/cosim/kmtsimd ] || { echo "sanitize: build/ first (scripts/bootstrap.sh test)" >&2; exit 1; }
        env_vars=(TSAN_OPTIONS=halt_on_error=1 "KMTSIM_TEST_DAEMON=$PWD/build/cosim/kmtsimd") ;;
  *) echo "usage: $0 asan|tsan" >&2; exit 2 ;;
esac
dir="build-$kind"
# The driver runs on the model here: the Verilated RTL adds nothing the
# sanitizers look at, and a long build.
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMTSIM_WITH_RTL=OFF -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
      -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" >/dev/null
case "$scope" in
  all) targets="$(sed -n 's/^kmtsim_driver_test(\(.*\))$/\1/p' tests/CMakeLists.txt) test_header_abi test_header_c"
       select=(-L driver -E install) ;;
  quick) targets="test_peers test_gpu_commands test_wire_robustness"
         select=(-R "^(test_peers|test_gpu_commands|test_wire_robustness):") ;;
  *) echo "usage: $0 asan|tsan [all|quick]" >&2; exit 2 ;;
esac
cmake --build "$dir" -j"$(nproc)" --target kmtsimd $targets
env "${env_vars[@]}" ctest --test-dir "$dir" "${select[@]}" --output-on-failure -j"$(nproc)" --timeout 600
