// Bit access to Verilated ports of any width (CData..QData or VlWide), so one
// harness serves models whose flattened port vectors differ in width.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>

namespace kmtsim::test {

template <class T>
inline uint64_t get_bits(const T& v, unsigned lsb, unsigned width) {
  if constexpr (std::is_integral_v<T>) {
    const uint64_t x = static_cast<uint64_t>(v) >> lsb;
    return width >= 64 ? x : x & ((uint64_t{1} << width) - 1);
  } else {
    uint64_t r = 0;
    for (unsigned b = 0; b < width; ++b) {
      const unsigned bit = lsb + b;
      r |= uint64_t{(v[bit / 32] >> (bit % 32)) & 1u} << b;
    }
    return r;
  }
}

template <class T>
inline void set_bits(T& v, unsigned lsb, unsigned width, uint64_t value) {
  if constexpr (std::is_integral_v<T>) {
    const uint64_t mask = (width >= 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1)) << lsb;
    v = static_cast<T>((static_cast<uint64_t>(v) & ~mask) | ((value << lsb) & mask));
  } else {
    for (unsigned b = 0; b < width; ++b) {
      const unsigned bit = lsb + b;
      const uint32_t m = 1u << (bit % 32);
      if ((value >> b) & 1u) {
        v[bit / 32] |= m;
      } else {
        v[bit / 32] &= ~m;
      }
    }
  }
}

// Whole 32-bit words (lsb a multiple of 32) of a wide port.
template <class T>
inline void get_words(const T& v, unsigned lsb, std::span<uint32_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint32_t>(get_bits(v, lsb + 32 * i, 32));
}

template <class T>
inline void set_words(T& v, unsigned lsb, std::span<const uint32_t> in) {
  if constexpr (std::is_integral_v<T>) {
    for (size_t i = 0; i < in.size(); ++i) set_bits(v, lsb + 32 * static_cast<unsigned>(i), 32, in[i]);
  } else {
    for (size_t i = 0; i < in.size(); ++i) v[lsb / 32 + i] = in[i];
  }
}

}  // namespace kmtsim::test
