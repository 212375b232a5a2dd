#include "kmtsim/dram/storage.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
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

void DramStorage::write(uint64_t key, std::span<const uint32_t> data, Strobe strobe) {
  auto it = lines_.find(key);
  if (it == lines_.end()) {
    std::vector<uint32_t> init(line_words_);
    for (unsigned i = 0; i < line_words_; ++i) init[i] = initial_word(key, i);
    it = lines_.emplace(key, std::move(init)).first;
  }
  std::vector<uint32_t>& line = it->second;
  for (unsigned i = 0; i < line_words_; ++i) {
    const uint32_t d = i < data.size() ? data[i] : 0u;
    uint32_t mask = 0;
    for (unsigned b = 0; b < 4; ++b) {
      if (strobe_bit(strobe, 4 * i + b)) mask |= 0xFFu << (8 * b);
    }
    line[i] = (line[i] & ~mask) | (d & mask);
  }
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

FlatVram::FlatVram(const AddressMap& map, std::span<uint8_t> vram)
    : map_(map), vram_(vram), line_bytes_(uint64_t{1} << map.offset_bits()) {
  if (vram.size() < map.capacity_bytes()) {
    throw std::invalid_argument("the VRAM is " + std::to_string(vram.size()) + " bytes; the DRAM holds " +
                                std::to_string(map.capacity_bytes()));
  }
}

void FlatVram::read(uint64_t addr, std::span<uint32_t> out) const {
  const size_t n = std::min<size_t>(out.size() * 4, line_bytes_);
  std::fill(out.begin(), out.end(), 0u);
  std::memcpy(out.data(), vram_.data() + addr, n);
}

void FlatVram::write(uint64_t addr, std::span<const uint32_t> data, Strobe strobe) {
  const uint64_t n = std::min<uint64_t>(data.size() * 4, line_bytes_);
  store_masked(vram_.data() + addr, reinterpret_cast<const uint8_t*>(data.data()), n,
               [strobe](size_t i) { return strobe_bit(strobe, static_cast<unsigned>(i)); });
}

DramModel::DramModel(const Geometry& g, const hw::dram::Timing& t, unsigned line_words, CheckerOptions o)
    : checker_(g, t, o), line_words_(line_words), storage_(line_words), t_(t), ch_(g.channels) {}

DramModel::DramModel(const hw::dram::Preset& p, std::span<uint8_t> vram, CheckerOptions o)
    : checker_(Geometry::of(p), p.timing, o),
      line_words_(p.request_bytes / 4),
      storage_(p.request_bytes / 4),
      flat_(std::make_unique<FlatVram>(AddressMap(p), vram)),
      t_(p.timing),
      ch_(p.channels) {}

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
  const uint64_t key =
      flat_ ? flat_->address(ch, c) : DramStorage::key(ch, c.bankgroup, c.bank, c.row, c.column);
  if (c.cmd == Cmd::RD) {
    PendingRead r{cycle + t_.CL, std::vector<uint32_t>(line_words_)};
    if (flat_) {
      flat_->read(key, r.data);
    } else {
      storage_.read(key, r.data);
    }
    s.reads.push_back(std::move(r));
  } else if (c.cmd == Cmd::WR) {
    s.write_pending = true;
    s.write = PendingWrite{cycle, key, c.bankgroup, c.bank};
  }
}

void DramModel::write_data(unsigned ch, uint64_t cycle, std::span<const uint32_t> data, Strobe strobe) {
  ChannelState& s = ch_.at(ch);
  if (!s.write_pending || s.write.cycle + 1 != cycle) {
    checker_.report_violation(ch, cycle, 0, 0, "write data", "write data without a WR in the cycle before");
    return;
  }
  s.write_pending = false;
  if (flat_) {
    flat_->write(s.write.key, data, strobe);
  } else {
    storage_.write(s.write.key, data, strobe);
  }
}

bool DramModel::read_return(unsigned ch, uint64_t cycle, std::span<uint32_t> out) {
  ChannelState& s = ch_.at(ch);
  if (s.reads.empty() || s.reads.front().due != cycle) return false;
  const std::vector<uint32_t>& d = s.reads.front().data;
  for (size_t i = 0; i < out.size(); ++i) out[i] = i < d.size() ? d[i] : 0;
  s.reads.pop_front();
  return true;
}

uint64_t DramModel::next_read_due() const {
  uint64_t due = UINT64_MAX;
  for (const ChannelState& s : ch_) {
    if (!s.reads.empty()) due = std::min(due, s.reads.front().due);
  }
  return due;
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
