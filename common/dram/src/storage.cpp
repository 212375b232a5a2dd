#include "kmtsim/dram/storage.h"

#include <algorithm>
#include <string>
#include <utility>

namespace kmtsim::dram {

uint32_t DramStorage::initial_word(uint64_t key, unsigned index) {
  uint64_t x = key * 0x9E3779B97F4A7C15ull + index * 0xBF58476D1CE4E5B9ull + 0x94D049BB133111EBull;
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD93ull;
  x ^= x >> 32;
  return static_cast<uint32_t>(x);
}

void DramStorage::write(uint64_t key, std::span<const uint32_t> data) {
  std::vector<uint32_t>& line = lines_[key];
  line.assign(data.begin(), data.begin() + std::min<size_t>(data.size(), line_words_));
  line.resize(line_words_, 0);
}

void DramStorage::read(uint64_t key, std::span<uint32_t> out) const {
  const auto it = lines_.find(key);
  for (unsigned i = 0; i < out.size(); ++i) {
    if (i >= line_words_) {
      out[i] = 0;
    } else {
      out[i] = it == lines_.end() ? initial_word(key, i) : it->second[i];
    }
  }
}

DramModel::DramModel(const Geometry& g, const hw::dram::Timing& t, unsigned line_words, CheckerOptions o)
    : checker_(g, t, o), storage_(line_words), t_(t), ch_(g.channels) {}

void DramModel::command(unsigned ch, uint64_t cycle, const DramCommand& c) {
  if (c.cmd == Cmd::NOP) return;
  checker_.command(ch, cycle, c);
  if (ch >= ch_.size()) return;
  ChannelState& s = ch_[ch];
  if (s.write_pending && s.write.cycle + 1 < cycle) {
    checker_.report_violation(ch, cycle, s.write.bg, s.write.ba, "write data", "WR at cycle " +
                              std::to_string(s.write.cycle) + " got no write data in the next cycle");
    s.write_pending = false;
  }
  const uint64_t key = DramStorage::key(ch, c.bankgroup, c.bank, c.row, c.column);
  if (c.cmd == Cmd::RD) {
    PendingRead r{cycle + t_.CL, std::vector<uint32_t>(storage_.line_words())};
    storage_.read(key, r.data);
    s.reads.push_back(std::move(r));
  } else if (c.cmd == Cmd::WR) {
    s.write_pending = true;
    s.write = PendingWrite{cycle, key, c.bankgroup, c.bank};
  }
}

void DramModel::write_data(unsigned ch, uint64_t cycle, std::span<const uint32_t> data) {
  ChannelState& s = ch_.at(ch);
  if (!s.write_pending || s.write.cycle + 1 != cycle) {
    checker_.report_violation(ch, cycle, 0, 0, "write data", "write data without a WR in the cycle before");
    return;
  }
  s.write_pending = false;
  storage_.write(s.write.key, data);
}

bool DramModel::read_return(unsigned ch, uint64_t cycle, std::span<uint32_t> out) {
  ChannelState& s = ch_.at(ch);
  if (s.reads.empty() || s.reads.front().due != cycle) return false;
  const std::vector<uint32_t>& d = s.reads.front().data;
  for (size_t i = 0; i < out.size(); ++i) out[i] = i < d.size() ? d[i] : 0;
  s.reads.pop_front();
  return true;
}

void DramModel::finish(uint64_t cycle) {
  checker_.finish(cycle);
  for (unsigned c = 0; c < ch_.size(); ++c) {
    if (!ch_[c].reads.empty() && ch_[c].reads.front().due < cycle) {
      checker_.report_violation(c, cycle, 0, 0, "read data", "read data was never collected");
    }
  }
}

}  // namespace kmtsim::dram
