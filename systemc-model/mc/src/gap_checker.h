// The RTL's timing rules (kmt_mc_gaps, kmt_mc_bank, the channel's tFAW
// window) as absolute times: a command in cycle t moves the first cycle at
// which each later command may go to t + gap, never earlier than it was.
// Internal: the model calls it directly (one call per command sent), other
// code through TimingChecker.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

#include "kmtsim/mc/policy.h"

namespace kmtsim::mc {

struct Gaps {
  uint64_t rcd_rd, rcd_wr, ras, rc, rp, rrd_s, rrd_l, rtp, wr2pre;
  uint64_t rd2rd_s, rd2rd_l, wr2wr_s, wr2wr_l, rd2wr_s, rd2wr_l, wr2rd_s, wr2rd_l;
  uint64_t rfc, rfcb, faw;
};

Gaps gaps_of(const hw::dram::Timing& t);

class GapChecker final : public TimingChecker {
 public:
  GapChecker() = default;
  explicit GapChecker(const McConfig& c) { init(c); }
  void init(const McConfig& c);

  void insert(Cmd cmd, unsigned bank, uint64_t t) override {
    switch (cmd) {
      case Cmd::ACT: act(bank, t); break;
      case Cmd::RD: column(true, bank, t); break;
      case Cmd::WR: column(false, bank, t); break;
      case Cmd::PRE: pre(bank, t); break;
      case Cmd::PREA: prea_error(); break;
      case Cmd::REF: ref(t); break;
      case Cmd::REFB: refb(bank, t); break;
      case Cmd::NOP: break;
    }
  }
  const BankTimes& times() const override { return t_; }

  // ACT to bank in cycle t: the bank's own timing, every other bank's ACT
  // (tRRD by bank group; the gaps come from a table per bank, so the loop
  // has no branch), and the four-activate window.
  void act(unsigned bank, uint64_t t) {
    if (split_) {
      later(t_.act[bank], t + g_.rc);
      later(t_.act_grp[bank >> group_shift_], t + g_.rrd_l);
      later(t_.act_all, t + g_.rrd_s);
    } else {
      const uint32_t* gap = act_gap_[bank];
      for (unsigned b = 0; b < banks_; ++b) later(t_.act[b], t + gap[b]);
    }
    later(t_.pre[bank], t + g_.ras);
    later(t_.ras[bank], t + g_.ras);
    later(t_.rd[bank], t + g_.rcd_rd);
    later(t_.wr[bank], t + g_.rcd_wr);
    // The window slot that ran out longest ago takes this ACT: ACTs come in
    // time order, so that is the oldest slot, and the next one is the oldest
    // after it.
    faw_[faw_next_] = t + g_.faw;
    faw_next_ = (faw_next_ + 1) & 3u;
    t_.faw_free = faw_[faw_next_];
  }

  // RD (rd) or WR: column to column, the same for every bank of a group.
  // The gaps come from a table by command and by same bank group or not, so
  // the loop has no branch.
  void column(bool rd, unsigned bank, uint64_t t) {
    const unsigned group = bank >> group_shift_;
    const ColGaps& g = col_gap_[rd ? 1 : 0];
    for (unsigned x = 0; x < groups_; ++x) {
      const unsigned same = x == group ? 1u : 0u;
      later(t_.rd_grp[x], t + g.to_rd[same]);
      later(t_.wr_grp[x], t + g.to_wr[same]);
    }
    later(t_.pre[bank], t + g.to_pre);
  }

  void pre(unsigned bank, uint64_t t) { later(t_.act[bank], t + g_.rp); }

  void ref(uint64_t t) { later(t_.act_all, t + g_.rfc); }

  void refb(unsigned bank, uint64_t t) {
    const unsigned group = bank >> group_shift_;
    if (split_) {
      later(t_.act[bank], t + g_.rfcb);
      later(t_.act_grp[group], t + g_.rrd_l);
      later(t_.act_all, t + g_.rrd_s);
      return;
    }
    for (unsigned b = 0; b < banks_; ++b) {
      later(t_.act[b], t + (b == bank ? g_.rfcb : ((b >> group_shift_) == group ? g_.rrd_l : g_.rrd_s)));
    }
  }

 private:
  // x moves to v if that is later (by value: a conditional move, not a branch).
  static void later(uint64_t& x, uint64_t v) {
    const uint64_t c = x;
    x = c < v ? v : c;
  }
  [[noreturn]] static void prea_error();

  Gaps g_{};
  unsigned banks_ = 0;
  unsigned group_shift_ = 0;  // bank >> group_shift_: its bank group (banks_per_group is a power of two)
  unsigned groups_ = 0;
  BankTimes t_;
  // tRC and tRFCb >= tRRD_L >= tRRD_S: an ACT's or REFB's gap to the other
  // banks kept once for its bank group and once for all banks (act_grp,
  // act_all), its own in act; otherwise each bank's in act.
  bool split_ = false;
  // A column command's gaps to the next RD and WR ([0] other bank group,
  // [1] same bank group) and to its bank's PRE; col_gap_[0] WR, [1] RD.
  struct ColGaps {
    uint64_t to_rd[2], to_wr[2], to_pre;
  };
  ColGaps col_gap_[2] = {};
  uint64_t faw_[4] = {0, 0, 0, 0};
  unsigned faw_next_ = 0;                         // the oldest slot
  uint32_t act_gap_[kMaxBanks][kMaxBanks] = {};  // [ACT's bank][bank]: tRC to itself, else tRRD_L or tRRD_S
};

}  // namespace kmtsim::mc
