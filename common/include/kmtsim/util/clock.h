// Host time in nanoseconds on CLOCK_MONOTONIC: comparable across processes
// of one machine, which is what cross-process latency needs.
#pragma once

#include <cstdint>
#include <ctime>

namespace kmtsim {

inline uint64_t host_now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace kmtsim
