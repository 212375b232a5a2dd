// Seeds for randomised tests: KMTSIM_SEED when set, a fresh one otherwise;
// always printed, so any run can be repeated.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>

namespace kmtsim::test {

// The seed test_seed() gave last in this process (a re-run of a failing case
// is given it again).
inline std::optional<uint64_t>& last_test_seed() {
  static std::optional<uint64_t> seed;
  return seed;
}

inline uint64_t test_seed(const char* what) {
  uint64_t seed = 0;
  if (const char* env = std::getenv("KMTSIM_SEED"); env != nullptr && *env != '\0') {
    seed = std::strtoull(env, nullptr, 0);
  } else {
    std::random_device rd;
    seed = (uint64_t{rd()} << 32) | rd();
  }
  std::printf("%s: seed %llu (repeat with KMTSIM_SEED=%llu)\n", what, static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  last_test_seed() = seed;
  return seed;
}

}  // namespace kmtsim::test
