// Random command streams for a ring and the reference of what they do: each
// ring works on its own part of a scratch area and its own fences, so the
// reference does not depend on how the rings interleave.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "ring_commands.h"

namespace kmtsim::test {

struct RandomStreamArea {
  uint64_t base;        // VRAM address of the scratch area; ref[i] is the byte at base + i
  uint32_t part_bytes;  // ring r works on [base + r * part_bytes, base + (r + 1) * part_bytes)
  unsigned fences_per_ring;  // ring r signals fences r * n .. r * n + n - 1
};

// Six random commands for ring r (COPY, FILL, SIGNAL or NOP), applied to
// the reference bytes and fences as the device must apply them.
inline std::vector<uint32_t> random_batch(std::mt19937_64& rng, unsigned r, const RandomStreamArea& a,
                                          std::vector<uint8_t>& ref, std::vector<uint64_t>& fences) {
  std::vector<uint32_t> words;
  const uint64_t part = a.base + uint64_t{r} * a.part_bytes;
  for (int k = 0; k < 6; ++k) {
    const uint32_t len = 4 * (1 + static_cast<uint32_t>(rng() % 200));
    const uint64_t dst = part + 4 * (rng() % ((a.part_bytes - len) / 4));
    switch (rng() % 4) {
      case 0: {
        const uint64_t src = part + 4 * (rng() % ((a.part_bytes - len) / 4));
        if (src < dst + len && dst < src + len) break;  // overlap is undefined
        cmd::append(words, cmd::copy(dst, src, len));
        std::memmove(&ref[dst - a.base], &ref[src - a.base], len);
        break;
      }
      case 1: {
        const uint32_t pat = static_cast<uint32_t>(rng());
        cmd::append(words, cmd::fill(dst, len, pat));
        for (uint32_t o = 0; o < len; o += 4) std::memcpy(&ref[dst - a.base + o], &pat, 4);
        break;
      }
      case 2: {
        const auto f = static_cast<uint32_t>(r * a.fences_per_ring + rng() % a.fences_per_ring);
        const uint64_t val = rng() % 1000;
        cmd::append(words, cmd::signal(f, val));
        fences[f] = std::max(fences[f], val);
        break;
      }
      default: cmd::append(words, cmd::nop(static_cast<uint32_t>(rng() % 4))); break;
    }
  }
  return words;
}

}  // namespace kmtsim::test
