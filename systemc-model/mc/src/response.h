// The response side of a channel: a first-word-fall-through FIFO over a RAM
// with a registered read (the RTL's kmt_fifo with OutReg = 1). An entry written in cycle
// p reaches the output register two cycles later; after the output is taken
// in cycle h the next entry shows in h + 1. So the head is visible from
// max(push + 2, last taken + 1), which is all the model needs to know.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kmtsim/mc/policy.h"

namespace kmtsim::mc {

struct RespEntry {
  uint64_t push = 0;  // the cycle it is written (read data: RD + CL)
  uint64_t tag = 0;
  uint32_t id = 0;
  uint16_t port = 0;
};

class RespFifo {
 public:
  void init(unsigned capacity) { ring_.assign(capacity, RespEntry{}); }

  void push(const RespEntry& e) {
    if (size_ == ring_.size()) throw std::logic_error("memory controller model: response FIFO overflow");
    size_t i = head_ + size_;
    if (i >= ring_.size()) i -= ring_.size();
    ring_[i] = e;
    if (size_++ == 0) visible_ = std::max(e.push + 2, last_pop_ + 1);
  }
  bool empty() const { return size_ == 0; }
  unsigned size() const { return size_; }
  // First cycle in which the head is on the output (kNever: empty).
  uint64_t visible() const { return visible_; }  // kept kNever while empty: read often, no branch
  const RespEntry& front() const { return ring_[head_]; }
  // The head was taken in cycle t.
  void pop(uint64_t t) {
    last_pop_ = t;
    if (++head_ == ring_.size()) head_ = 0;
    visible_ = --size_ != 0 ? std::max(front().push + 2, t + 1) : kNever;
  }
  // Entries in the RAM at the start of cycle t (the output register not counted).
  unsigned ram_count(uint64_t t) const { return size_ - (visible_ <= t ? 1u : 0u); }

 private:
  std::vector<RespEntry> ring_;
  size_t head_ = 0;
  unsigned size_ = 0;
  uint64_t visible_ = kNever;
  uint64_t last_pop_ = 0;
};

// Port arbiter of a channel (the RTL's kmt_mc_arb with PrioEn): port 0 wins
// unless it has won prio_cap times in a row while another port waited; the
// others round robin from a pointer that moves past each grant taken.
class PortArbiter {
 public:
  void init(unsigned ports, unsigned prio_cap) {
    n_ = ports;
    cap_ = prio_cap;
    unsigned w = 0;
    while ((1u << w) < prio_cap + 2) ++w;  // $clog2(PrioCap + 2)
    cnt_max_ = (1u << w) - 1;
    ptr_ = 1;
    cnt_ = 0;
  }
  int grant(uint64_t req) const {
    const bool others = (req >> 1) != 0;
    if ((req & 1u) != 0 && !(others && cap_ != 0 && cnt_ >= cap_)) return 0;
    for (unsigned k = 0; k + 1 < n_; ++k) {
      unsigned idx = ptr_ + k;
      if (idx >= n_) idx -= n_ - 1;
      if ((req >> idx) & 1u) return static_cast<int>(idx);
    }
    return -1;
  }
  // The cycle's update: req as requested, g = grant(req), ack: the grant was taken.
  void update(uint64_t req, int g, bool ack) {
    const bool others = (req >> 1) != 0;
    if (ack && g >= 0) {
      if (g == 0) {
        if (others && cnt_ != cnt_max_) ++cnt_;
      } else {
        cnt_ = 0;
        ptr_ = static_cast<unsigned>(g) == n_ - 1 ? 1u : static_cast<unsigned>(g) + 1;
      }
    }
    if (!others) cnt_ = 0;
  }
  // Cycles with no other port requesting clear the priority run.
  void idle_others() { cnt_ = 0; }

 private:
  unsigned n_ = 2, cap_ = 0, cnt_max_ = 0, ptr_ = 1, cnt_ = 0;
};

}  // namespace kmtsim::mc
