// Bit access to Verilated ports of any width (CData..QData or VlWide), so one
// harness serves models whose flattened port vectors differ in width.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <type_traits>

namespace kmtsim::dram {

template <class T>
inline uint64_t get_bits(const T& v, unsigned lsb, unsigned width) {
  if constexpr (std::is_integral_v<T>) {
    const uint64_t x = static_cast<uint64_t>(v) >> lsb;
    return width >= 64 ? x : x & ((uint64_t{1} << width) - 1);
  } else {
    // Up to three 32-bit words hold a field of at most 64 bits.
    const unsigned w0 = lsb / 32, sh = lsb % 32;
    const unsigned nwords = (sh + width + 31) / 32;
    unsigned __int128 acc = 0;
    for (unsigned i = 0; i < nwords; ++i) acc |= static_cast<unsigned __int128>(v[w0 + i]) << (32 * i);
    const uint64_t x = static_cast<uint64_t>(acc >> sh);
    return width >= 64 ? x : x & ((uint64_t{1} << width) - 1);
  }
}

template <class T>
inline void set_bits(T& v, unsigned lsb, unsigned width, uint64_t value) {
  if constexpr (std::is_integral_v<T>) {
    const uint64_t mask = (width >= 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1)) << lsb;
    v = static_cast<T>((static_cast<uint64_t>(v) & ~mask) | ((value << lsb) & mask));
  } else {
    const unsigned w0 = lsb / 32, sh = lsb % 32;
    const unsigned nwords = (sh + width + 31) / 32;
    const unsigned __int128 fmask =
        (width >= 64 ? static_cast<unsigned __int128>(~uint64_t{0}) : ((static_cast<unsigned __int128>(1) << width) - 1))
        << sh;
    const unsigned __int128 fval = (static_cast<unsigned __int128>(value) << sh) & fmask;
    for (unsigned i = 0; i < nwords; ++i) {
      const auto m = static_cast<uint32_t>(fmask >> (32 * i));
      const auto x = static_cast<uint32_t>(fval >> (32 * i));
      v[w0 + i] = (v[w0 + i] & ~m) | x;
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

}  // namespace kmtsim::dram
