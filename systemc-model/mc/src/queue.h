// Transaction queue of one channel (the RTL's kmt_mc_queue): age ordered,
// one request in at the tail and one out from anywhere per cycle. Each entry
// counts the younger entries that left before it, up to the starvation cap
// (then it is urgent). Kept as the bitmasks the scheduler decides from; an
// entry's payload stays in one slot while it waits.
#pragma once

#include <algorithm>
#include <bit>
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
    free_ = depth >= 64 ? ~uint64_t{0} : (uint64_t{1} << depth) - 1;
    planes_ = static_cast<unsigned>(std::bit_width(starve_cap));
    for (unsigned p = 0; p < kAgePlanes; ++p) {
      age_[p] = 0;
      cap_bits_[p] = ((starve_cap >> p) & 1u) != 0 ? ~uint64_t{0} : 0;
    }
  }

  const QueueState& state() const { return s_; }
  unsigned size() const { return s_.size; }
  bool full() const { return s_.size >= depth_; }
  const QueueEntry& entry(unsigned i) const { return e_[slot(i)]; }

  // A request touching the address of a queued one where either writes.
  bool hazard(uint64_t key, bool write) const {
    if (key_count_[key_slot(key)] == 0) return false;  // no queued entry can have this key
    for (uint64_t u = used(); u != 0; u &= u - 1) {
      const QueueEntry& q = e_[std::countr_zero(u)];
      if (q.key == key && (write || q.write)) return true;
    }
    return false;
  }

  void push(const QueueEntry& e, bool hit) {
    const unsigned i = s_.size++;
    const uint64_t m = uint64_t{1} << i;
    const unsigned sl = static_cast<unsigned>(std::countr_zero(free_));
    free_ &= free_ - 1;
    e_[sl] = e;
    // Age 0 (its bits in age_ are 0 already).
    s_.meta[i] = uint64_t{e.row} | (uint64_t{e.bank} << 32) | (uint64_t{sl} << kSlotShift);
    // (Masks, not branches: reads and writes, hits and misses come in a
    // data-dependent order.)
    s_.write |= m & (uint64_t{0} - uint64_t{e.write});
    s_.hit |= m & (uint64_t{0} - uint64_t{hit});
    s_.hit_banks |= uint32_t{hit} << e.bank;
    if (cap_ == 0) s_.urgent |= m;
    s_.bank_entries[e.bank] |= m;
    s_.banks_used |= uint32_t{1} << e.bank;
    ++key_count_[key_slot(e.key)];
  }

  // Removes entry i; the older ones were overtaken once more.
  QueueEntry pop(unsigned i) {
    const unsigned sl = slot(i);
    const QueueEntry& out = e_[sl];
    free_ |= uint64_t{1} << sl;
    --key_count_[key_slot(out.key)];
    // The older entries were overtaken once more: their ages, one bit plane
    // per bit (bit j of plane p: bit p of entry j's age), count up in a
    // ripple-carry add over the planes, those at the cap (the urgent ones)
    // excepted; one reaching the cap is urgent. No loop over the entries.
    const uint64_t low = (uint64_t{1} << i) - 1;
    const uint64_t inc = low & ~s_.urgent;
    uint64_t carry = inc, at_cap = inc;
    for (unsigned p = 0; p < planes_; ++p) {
      const uint64_t c = age_[p] & carry;
      age_[p] ^= carry;
      carry = c;
      at_cap &= ~(age_[p] ^ cap_bits_[p]);
    }
    s_.urgent |= at_cap;
    auto squeeze = [low](uint64_t m) { return (m & low) | ((m >> 1) & ~low); };
    for (unsigned p = 0; p < planes_; ++p) age_[p] = squeeze(age_[p]);
    s_.write = squeeze(s_.write);
    s_.urgent = squeeze(s_.urgent);
    s_.hit = squeeze(s_.hit);
    // Up to four banks with entries (a sequential stream): those. Else
    // every bank up to the last used one (one without entries stays 0) in a
    // loop the compiler vectorizes.
    const uint32_t used = s_.banks_used;
    uint32_t rest = used & (used - 1);
    rest &= rest - 1;
    rest &= rest - 1;
    if ((rest & (rest - 1)) == 0) {
      for (uint32_t u = used; u != 0; u &= u - 1) {
        const unsigned b = static_cast<unsigned>(std::countr_zero(u));
        s_.bank_entries[b] = squeeze(s_.bank_entries[b]);
      }
    } else {
      const unsigned top = 32u - static_cast<unsigned>(std::countl_zero(used));  // past the last used bank
      for (unsigned b = 0; b < top; ++b) s_.bank_entries[b] = squeeze(s_.bank_entries[b]);
    }
    s_.banks_used &= ~(uint32_t{s_.bank_entries[out.bank] == 0} << out.bank);
    if ((s_.bank_entries[out.bank] & s_.hit) == 0) s_.hit_banks &= ~(uint32_t{1} << out.bank);
    // The younger entries' meta move down one place: a copy of a fixed
    // length (the queue's depth rounded up; what lands past the size is
    // never read) has no branch on how many there are.
    if (depth_ <= 16) {
      shift_down<16>(i);
    } else if (depth_ <= 32) {
      shift_down<32>(i);
    } else {
      const unsigned n = s_.size - i - 1;
      if (n != 0) std::memmove(&s_.meta[i], &s_.meta[i + 1], n * sizeof(s_.meta[0]));
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
      s_.hit |= uint64_t{s_.row(i) == row} << i;
    }
    s_.hit_banks = (s_.hit_banks & ~(uint32_t{1} << b)) | (uint32_t{(s_.bank_entries[b] & s_.hit) != 0} << b);
  }
  void bank_closed(unsigned b) {
    s_.hit &= ~s_.bank_entries[b];
    s_.hit_banks &= ~(uint32_t{1} << b);
  }

 private:
  // QueueState::meta above the row and bank: the entry's slot in e_.
  static constexpr unsigned kSlotShift = 40;
  // Ages (the younger entries that left before each, up to the cap) as bit
  // planes by queue position, like the masks: planes_ of them, enough for
  // the cap (at most 255). Positions at or past the size stay 0.
  static constexpr unsigned kAgePlanes = 8;
  uint64_t age_[kAgePlanes] = {};
  uint64_t cap_bits_[kAgePlanes] = {};  // all ones where the cap has a 1 bit
  unsigned planes_ = 0;
  // meta[i .. i + N - 2] = meta[i + 1 .. i + N - 1] (i + N <= kMaxQueue).
  template <unsigned N>
  void shift_down(unsigned i) {
    uint64_t tmp[N];
    std::memcpy(tmp, &s_.meta[i + 1], sizeof tmp);
    std::memcpy(&s_.meta[i], tmp, sizeof tmp);
  }
  unsigned slot(unsigned i) const { return static_cast<uint8_t>(s_.meta[i] >> kSlotShift); }
  uint64_t used() const { return ~free_ & (depth_ >= 64 ? ~uint64_t{0} : (uint64_t{1} << depth_) - 1); }
  // A slot per key hash: how many queued entries have a key there.
  // (256 slots for at most 64 entries: a request finds its slot taken by
  // another address seldom, and only then looks through the entries.)
  static unsigned key_slot(uint64_t key) { return static_cast<unsigned>((key * 0x9E3779B97F4A7C15ull) >> 56); }

  QueueState s_;
  uint8_t key_count_[256] = {};
  unsigned depth_ = 0, cap_ = 0, banks_ = 0;
  uint64_t free_ = 0;         // slots of e_ not holding an entry
  QueueEntry e_[kMaxQueue];   // the entries' payload, by slot (an entry stays in its slot)
};

}  // namespace kmtsim::mc
