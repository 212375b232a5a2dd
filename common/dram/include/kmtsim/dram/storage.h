// The DRAM's contents and its data timing, for simulation, and a model of the
// channels' data pins: write data is taken one cycle after its WR (the
// controller reads it from a synchronous RAM) with a byte strobe (the data
// mask: only enabled bytes are written), read data comes back CL cycles after
// its RD, as the line was when the RD was sent. Every command also goes
// through a DramChecker.
//
// Two stores: a sparse one of request-sized lines (a line never written reads
// as a pattern derived from its location, so a misrouted read is caught), and
// a flat byte array the caller owns (the device's VRAM), where the line of
// (channel, bank group, bank, row, column) lives at AddressMap::encode of it.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/checker.h"

namespace kmtsim::dram {

// A write strobe: bit i enables byte i of the line, packed 32 to a word; an
// empty span enables every byte.
using Strobe = std::span<const uint32_t>;
inline bool strobe_bit(Strobe s, unsigned byte) { return s.empty() || ((s[byte / 32] >> (byte % 32)) & 1u) != 0; }

// Copies the bytes i of src[0, n) for which on(i) holds to dst. With dst
// 8-byte aligned, each whole 64-bit word goes in one store, so a thread or
// process that reads dst meanwhile (a monitored fence's value in mapped
// VRAM) never sees a word half old and half new; the bytes of partial words
// go one by one.
template <class On>
void store_masked(uint8_t* dst, const uint8_t* src, size_t n, On on) {
  size_t i = 0;
  if ((reinterpret_cast<uintptr_t>(dst) & 7u) == 0) {
    for (; i + 8 <= n; i += 8) {
      unsigned m = 0;
      for (unsigned k = 0; k < 8; ++k) m |= unsigned{on(i + k)} << k;
      if (m == 0xFFu) {
        uint64_t w = 0;
        std::memcpy(&w, src + i, 8);
        std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(dst + i)).store(w, std::memory_order_release);
      } else {
        for (unsigned k = 0; k < 8; ++k) {
          if ((m >> k) & 1u) dst[i + k] = src[i + k];
        }
      }
    }
  }
  for (; i < n; ++i) {
    if (on(i)) dst[i] = src[i];
  }
}

class DramStorage {
 public:
  explicit DramStorage(unsigned line_words) : line_words_(line_words) {}

  static uint64_t key(unsigned channel, unsigned bankgroup, unsigned bank, uint32_t row, uint32_t column) {
    return (uint64_t{channel} << 56) | (uint64_t{bankgroup} << 52) | (uint64_t{bank} << 48) |
           (uint64_t{row} << 20) | column;
  }
  // Contents of a line that was never written.
  static uint32_t initial_word(uint64_t key, unsigned index);

  void write(uint64_t key, std::span<const uint32_t> data, Strobe strobe = {});
  void read(uint64_t key, std::span<uint32_t> out) const;
  unsigned line_words() const { return line_words_; }
  size_t lines_written() const { return lines_.size(); }

 private:
  unsigned line_words_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> lines_;
};

// The caller's VRAM as the DRAM's storage. Lines are little-endian words.
class FlatVram {
 public:
  // vram must hold map.capacity_bytes(); throws std::invalid_argument if not.
  FlatVram(const AddressMap& map, std::span<uint8_t> vram);

  uint64_t address(unsigned channel, const DramCommand& c) const {
    return map_.encode(DramAddress{channel, 0, c.bankgroup, c.bank, c.row, c.column});
  }
  void read(uint64_t addr, std::span<uint32_t> out) const;
  void write(uint64_t addr, std::span<const uint32_t> data, Strobe strobe = {});
  const AddressMap& map() const { return map_; }
  std::span<uint8_t> bytes() const { return vram_; }

 private:
  AddressMap map_;
  std::span<uint8_t> vram_;
  uint64_t line_bytes_;
};

class DramModel {
 public:
  // Sparse storage of line_words-word lines.
  DramModel(const Geometry& g, const hw::dram::Timing& t, unsigned line_words, CheckerOptions o = {});
  // The preset's DRAM over the caller's VRAM (preset capacity bytes, not owned).
  DramModel(const hw::dram::Preset& p, std::span<uint8_t> vram, CheckerOptions o = {});

  // A command on channel ch's bus in cycle `cycle` (NOP ignored).
  void command(unsigned ch, uint64_t cycle, const DramCommand& c);
  // Write data seen on channel ch's bus in cycle `cycle`: it belongs to the WR of the cycle before.
  void write_data(unsigned ch, uint64_t cycle, std::span<const uint32_t> data, Strobe strobe = {});
  // True when read data is due on channel ch in cycle `cycle` (CL after its RD); fills out.
  bool read_return(unsigned ch, uint64_t cycle, std::span<uint32_t> out);
  // The earliest cycle at which read data is due on any channel (UINT64_MAX: none).
  uint64_t next_read_due() const;
  // Reads in flight on channel ch.
  size_t reads_pending(unsigned ch) const { return ch_.at(ch).reads.size(); }
  // Ends the run: refresh deadlines, data that never came.
  void finish(uint64_t cycle);

  DramChecker& checker() { return checker_; }
  const DramChecker& checker() const { return checker_; }
  DramStorage& storage() { return storage_; }
  unsigned line_words() const { return line_words_; }

 private:
  struct PendingRead {
    uint64_t due;
    std::vector<uint32_t> data;  // the line as it was at RD, in command order
  };
  struct PendingWrite {
    uint64_t cycle;
    uint64_t key;  // sparse store: the line's key; flat: its VRAM address
    unsigned bg, ba;
  };
  struct ChannelState {
    std::deque<PendingRead> reads;
    bool write_pending = false;
    PendingWrite write{};
  };

  DramChecker checker_;
  unsigned line_words_;
  DramStorage storage_;
  std::unique_ptr<FlatVram> flat_;
  hw::dram::Timing t_;
  std::vector<ChannelState> ch_;
};

}  // namespace kmtsim::dram
