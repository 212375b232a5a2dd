// Transaction queue of one channel (the RTL's kmt_mc_queue): age ordered,
// one request in at the tail and one out from anywhere per cycle. Each entry
// counts the younger entries that left before it, up to the starvation cap
// (then it is urgent). Kept as the bitmasks the scheduler decides from.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kmtsim/mc/policy.h"

namespace kmtsim::mc {

struct QueueEntry {
  uint64_t key = 0;   // bank, row and column: same-address checks
  uint64_t tag = 0;
  uint64_t addr = 0;  // line address
  uint32_t id = 0;
  uint32_t row = 0;
  uint32_t col = 0;
  uint16_t port = 0;
  uint8_t bank = 0;
  bool write = false;
};

inline uint64_t queue_key(unsigned bank, uint32_t row, uint32_t col) {
  return (uint64_t{bank} << 56) | (uint64_t{row} << 24) | col;
}

class TransactionQueue {
 public:
  void init(unsigned depth, unsigned starve_cap, unsigned banks) {
    depth_ = depth;
    cap_ = starve_cap;
    banks_ = banks;
  }

  const QueueState& state() const { return s_; }
  unsigned size() const { return s_.size; }
  bool full() const { return s_.size >= depth_; }
  const QueueEntry& entry(unsigned i) const { return e_[i]; }

  // A request touching the address of a queued one where either writes.
  bool hazard(uint64_t key, bool write) const {
    if (key_count_[key_slot(key)] == 0) return false;  // no queued entry can have this key
    for (unsigned i = 0; i < s_.size; ++i) {
      if (e_[i].key == key && (write || e_[i].write)) return true;
    }
    return false;
  }

  void push(const QueueEntry& e, bool hit) {
    const unsigned i = s_.size++;
    const uint64_t m = uint64_t{1} << i;
    e_[i] = e;
    age_[i] = 0;
    s_.bank[i] = e.bank;
    s_.row[i] = e.row;
    if (e.write) s_.write |= m;
    if (hit) s_.hit |= m;
    if (cap_ == 0) s_.urgent |= m;
    s_.bank_entries[e.bank] |= m;
    s_.banks_used |= uint32_t{1} << e.bank;
    ++key_count_[key_slot(e.key)];
  }

  // Removes entry i; the older ones were overtaken once more.
  QueueEntry pop(unsigned i) {
    const QueueEntry out = e_[i];
    --key_count_[key_slot(out.key)];
    // Saturating increments, branch-free; an entry at the cap is urgent
    // (it was marked when it got there).
    uint64_t at_cap = 0;
    for (unsigned j = 0; j < i; ++j) {
      age_[j] = static_cast<uint8_t>(age_[j] + (age_[j] != cap_ ? 1 : 0));
      at_cap |= uint64_t{age_[j] == cap_} << j;
    }
    s_.urgent |= at_cap;
    const uint64_t low = (uint64_t{1} << i) - 1;
    auto squeeze = [low](uint64_t m) { return (m & low) | ((m >> 1) & ~low); };
    s_.write = squeeze(s_.write);
    s_.urgent = squeeze(s_.urgent);
    s_.hit = squeeze(s_.hit);
    for (uint32_t u = s_.banks_used; u != 0; u &= u - 1) {
      const unsigned b = static_cast<unsigned>(__builtin_ctz(u));
      s_.bank_entries[b] = squeeze(s_.bank_entries[b]);
    }
    if (s_.bank_entries[out.bank] == 0) s_.banks_used &= ~(uint32_t{1} << out.bank);
    const unsigned n = s_.size - i - 1;
    if (n != 0) {
      std::memmove(&e_[i], &e_[i + 1], n * sizeof(QueueEntry));
      std::memmove(&age_[i], &age_[i + 1], n * sizeof(age_[0]));
      std::memmove(&s_.bank[i], &s_.bank[i + 1], n * sizeof(s_.bank[0]));
      std::memmove(&s_.row[i], &s_.row[i + 1], n * sizeof(s_.row[0]));
    }
    --s_.size;
    return out;
  }

  // Bank b opened row: its entries for that row are hits.
  void bank_opened(unsigned b, uint32_t row) {
    uint64_t e = s_.bank_entries[b];
    s_.hit &= ~e;
    for (; e != 0; e &= e - 1) {
      const unsigned i = static_cast<unsigned>(__builtin_ctzll(e));
      if (s_.row[i] == row) s_.hit |= uint64_t{1} << i;
    }
  }
  void bank_closed(unsigned b) { s_.hit &= ~s_.bank_entries[b]; }

 private:
  // A slot per key hash: how many queued entries have a key there.
  static unsigned key_slot(uint64_t key) { return static_cast<unsigned>((key * 0x9E3779B97F4A7C15ull) >> 58); }

  QueueState s_;
  uint8_t key_count_[64] = {};
  unsigned depth_ = 0, cap_ = 0, banks_ = 0;
  QueueEntry e_[kMaxQueue];
  uint8_t age_[kMaxQueue] = {};
};

}  // namespace kmtsim::mc
