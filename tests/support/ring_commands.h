// Ring commands as words (the encoding of kmtsim/hw/regs.h, rtl/data/kmt_regs.json),
// for the tests and benchmarks that write rings.
#pragma once

#include <cstdint>
#include <vector>

#include "kmtsim/hw/regs.h"

namespace kmtsim::test::cmd {

inline uint32_t header(hw::CpOpcode op, uint32_t low = 0) { return (uint32_t{static_cast<uint8_t>(op)} << 24) | low; }
inline std::vector<uint32_t> signal(uint32_t fence, uint64_t v) {
  return {header(hw::CpOpcode::SIGNAL, fence), static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
}
inline std::vector<uint32_t> wait(uint32_t fence, uint64_t v) {
  return {header(hw::CpOpcode::WAIT, fence), static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
}
inline std::vector<uint32_t> copy(uint64_t dst, uint64_t src, uint32_t bytes) {
  return {header(hw::CpOpcode::COPY), static_cast<uint32_t>(dst), static_cast<uint32_t>(dst >> 32),
          static_cast<uint32_t>(src), static_cast<uint32_t>(src >> 32), bytes};
}
inline std::vector<uint32_t> fill(uint64_t dst, uint32_t bytes, uint32_t pattern) {
  return {header(hw::CpOpcode::FILL), static_cast<uint32_t>(dst), static_cast<uint32_t>(dst >> 32), bytes, pattern};
}
inline std::vector<uint32_t> timestamp(uint64_t dst) {
  return {header(hw::CpOpcode::TIMESTAMP), static_cast<uint32_t>(dst), static_cast<uint32_t>(dst >> 32)};
}
// A NOP that skips `skip` padding words.
inline std::vector<uint32_t> nop(uint32_t skip = 0) {
  std::vector<uint32_t> w{header(hw::CpOpcode::NOP, skip)};
  w.resize(1 + skip, 0xDEADBEEF);
  return w;
}
inline void append(std::vector<uint32_t>& to, const std::vector<uint32_t>& words) {
  to.insert(to.end(), words.begin(), words.end());
}

}  // namespace kmtsim::test::cmd
