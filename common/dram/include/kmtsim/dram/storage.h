// The DRAM's contents and its data timing, for simulation: a sparse store of
// request-sized lines (a line never written reads as a pattern derived from
// its location, so a misrouted read is caught), and a model of the channels'
// data pins: write data is taken one cycle after its WR (the controller reads
// it from a synchronous RAM), read data comes back CL cycles after its RD.
// Every command also goes through a DramChecker.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
#include <vector>

#include "kmtsim/dram/checker.h"

namespace kmtsim::dram {

class DramStorage {
 public:
  explicit DramStorage(unsigned line_words) : line_words_(line_words) {}

  static uint64_t key(unsigned channel, unsigned bankgroup, unsigned bank, uint32_t row, uint32_t column) {
    return (uint64_t{channel} << 56) | (uint64_t{bankgroup} << 52) | (uint64_t{bank} << 48) |
           (uint64_t{row} << 20) | column;
  }
  // Contents of a line that was never written.
  static uint32_t initial_word(uint64_t key, unsigned index);

  void write(uint64_t key, std::span<const uint32_t> data);
  void read(uint64_t key, std::span<uint32_t> out) const;
  unsigned line_words() const { return line_words_; }
  size_t lines_written() const { return lines_.size(); }

 private:
  unsigned line_words_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> lines_;
};

class DramModel {
 public:
  DramModel(const Geometry& g, const hw::dram::Timing& t, unsigned line_words, CheckerOptions o = {});

  // A command on channel ch's bus in cycle `cycle` (NOP ignored).
  void command(unsigned ch, uint64_t cycle, const DramCommand& c);
  // Write data seen on channel ch's bus in cycle `cycle`: it belongs to the WR of the cycle before.
  void write_data(unsigned ch, uint64_t cycle, std::span<const uint32_t> data);
  // True when read data is due on channel ch in cycle `cycle` (CL after its RD); fills out.
  bool read_return(unsigned ch, uint64_t cycle, std::span<uint32_t> out);
  // Ends the run: refresh deadlines, data that never came.
  void finish(uint64_t cycle);

  DramChecker& checker() { return checker_; }
  const DramChecker& checker() const { return checker_; }
  DramStorage& storage() { return storage_; }

 private:
  struct PendingRead {
    uint64_t due;
    std::vector<uint32_t> data;  // the line as it was at RD, in command order
  };
  struct PendingWrite {
    uint64_t cycle;
    uint64_t key;
    unsigned bg, ba;
  };
  struct ChannelState {
    std::deque<PendingRead> reads;
    bool write_pending = false;
    PendingWrite write{};
  };

  DramChecker checker_;
  DramStorage storage_;
  hw::dram::Timing t_;
  std::vector<ChannelState> ch_;
};

}  // namespace kmtsim::dram
