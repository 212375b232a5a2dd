// Encoding of wire messages: fixed-width little-endian integers, arrays as a
// 32-bit count then the items. A message type lists its fields once
// (KMT_WIRE_FIELDS) and the same list drives encoding and decoding.
//
// The Reader never trusts a count or a length: it fails (sticky) instead of
// reading past the end or allocating more than the bytes that remain could
// hold, and finish() rejects trailing bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace kmtsim::wire {

// A message type: it lists its fields with KMT_WIRE_FIELDS.
template <typename T, typename Archive>
concept Message = requires(T& t, Archive& a) { t.io(a); };

// Upper bound on any array in a message; the bytes that remain bound it
// further (the API's own limits, checked by the kernel, are lower still).
inline constexpr uint32_t kMaxArrayItems = 1u << 20;

class Writer {
 public:
  Writer() { buf_.reserve(256); }
  template <typename... T>
  void operator()(const T&... values) {
    (put(values), ...);
  }
  const std::vector<std::byte>& bytes() const { return buf_; }
  std::vector<std::byte>& bytes() { return buf_; }

 private:
  template <typename T>
  void put(const T& v) {
    if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
      std::byte raw[sizeof(T)];
      std::memcpy(raw, &v, sizeof(T));
      buf_.insert(buf_.end(), raw, raw + sizeof(T));
    } else if constexpr (Message<T, Writer>) {
      const_cast<T&>(v).io(*this);
    } else {
      put(static_cast<uint32_t>(v.size()));
      for (const auto& item : v) put(item);
    }
  }
  std::vector<std::byte> buf_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : data_(bytes) {}

  template <typename... T>
  void operator()(T&... values) {
    (get(values), ...);
  }
  bool ok() const { return ok_; }
  // True when every byte was consumed and nothing failed.
  bool finish() const { return ok_ && pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  template <typename T>
  static constexpr size_t min_wire_size() {
    if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) return sizeof(T);
    else return 1;
  }
  template <typename T>
  void get(T& v) {
    if (!ok_) return;
    if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
      if (remaining() < sizeof(T)) {
        ok_ = false;
        v = T{};
        return;
      }
      std::memcpy(&v, data_.data() + pos_, sizeof(T));
      pos_ += sizeof(T);
    } else if constexpr (Message<T, Reader>) {
      v.io(*this);
    } else {
      uint32_t n = 0;
      get(n);
      using Item = typename T::value_type;
      if (!ok_ || n > kMaxArrayItems || n > remaining() / min_wire_size<Item>()) {
        ok_ = false;
        return;
      }
      v.clear();
      v.reserve(n);
      for (uint32_t k = 0; k < n && ok_; ++k) {
        Item item{};
        get(item);
        v.push_back(std::move(item));
      }
    }
  }
  std::span<const std::byte> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace kmtsim::wire

#define KMT_WIRE_FIELDS(...)      \
  template <typename Archive>     \
  void io(Archive& archive) {     \
    archive(__VA_ARGS__);         \
  }
