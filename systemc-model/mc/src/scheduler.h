// Schedulers: FR-FCFS with a starvation cap (the RTL's kmt_mc_sched), and
// plain FCFS (the oldest request only), for comparison. Internal: the model
// calls FR-FCFS directly, other code through Scheduler.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

#include "kmtsim/mc/policy.h"

namespace kmtsim::mc {

inline uint64_t sched_bit(unsigned i) { return uint64_t{1} << i; }
inline uint64_t sched_all_if(bool b) { return b ? ~uint64_t{0} : 0; }

// Choice, first match: the oldest ready urgent entry; the oldest ready row
// hit; the oldest ready ACT or PRE. A row hit younger than an urgent entry
// that wants another row of its bank is held back, and a PRE waits until its
// bank has no row hit that is not held back: older hits drain, the row
// closes, the urgent entry gets its ACT. Refresh blocks ACTs and column
// commands channel-wide, or everything for the banks it works on.
class FrFcfs final : public Scheduler {
 public:
  Pick pick(const ChannelView& v, const RefreshControl& rc, uint64_t t) const override {
    const QueueState& q = v.queue;
    Pick p;
    if (q.size == 0) return p;
    const BankTimes& tm = v.times;
    // Bank by bank, only over the banks that matter (those with entries and
    // not blocked by refresh; open or closed), each in one pass, the tests
    // branch-free: their outcomes are data dependent and would be
    // mispredicted. A bank refresh blocks takes nothing, so its entries are
    // in no set below.
    const uint32_t cand_b = q.banks_used & ~rc.bank_block;
    const uint32_t open_b = v.banks.open & cand_b;
    const uint32_t closed_b = cand_b & ~v.banks.open;
    const uint64_t hit = q.hit;

    // Starvation cap: hits younger than an urgent non-hit of their bank wait.
    uint64_t held = 0;
    // (Bank by bank, from the oldest urgent non-hit of each.)
    for (uint64_t un = q.urgent & ~hit; un != 0;) {
      const unsigned i = static_cast<unsigned>(std::countr_zero(un));
      const uint64_t be = q.bank_entries[q.bank(i)];
      held |= be & ~((sched_bit(i) << 1) - 1);
      un &= ~be;
    }
    const uint64_t live = hit & ~held;
    // Open banks: row hits that may go; PREs that may go (a bank with a live
    // hit keeps its row open, so only a bank without one has PRE
    // candidates: its entries that miss the row).
    const uint64_t may_wr = rc.col_block || !v.wr_credit ? 0 : q.write;
    const uint64_t may_rd = rc.col_block || !v.rd_credit ? 0 : ~q.write;
    uint64_t col = 0, pre = 0, want_pre = 0, live_c = 0;
    for (uint32_t m = open_b; m != 0; m &= m - 1) {
      const unsigned b = static_cast<unsigned>(std::countr_zero(m));
      const uint64_t e = q.bank_entries[b];
      const uint64_t el = e & live;
      live_c |= el;
      col |= el & ((may_wr & sched_all_if(tm.wr_at(b) <= t)) | (may_rd & sched_all_if(tm.rd_at(b) <= t)));
      const uint64_t pe = e & ~hit & sched_all_if(el == 0);
      want_pre |= pe;
      pre |= pe & sched_all_if(tm.pre[b] <= t);
    }
    // Closed banks: ACTs that may go.
    uint64_t act = 0;
    if (!rc.act_block && tm.faw_free <= t) {
      for (uint32_t m = closed_b; m != 0; m &= m - 1) {
        const unsigned b = static_cast<unsigned>(std::countr_zero(m));
        act |= q.bank_entries[b] & sched_all_if(tm.act_at(b) <= t);
      }
    }

    uint64_t sel = (col | act | pre) & q.urgent;
    if (sel == 0) sel = col;
    if (sel == 0) sel = act | pre;
    if (sel != 0) {
      const unsigned i = static_cast<unsigned>(std::countr_zero(sel));
      p.index = i;
      // Candidates of other banks that the command sent now does not delay
      // (a column command delays the column commands of every bank, an ACT
      // every ACT, a PRE only its own bank's ACT) can still go in t + 1.
      const uint64_t others = ~q.bank_entries[q.bank(i)];
      if ((col >> i) & 1u) {
        p.cmd = ((q.write >> i) & 1u) ? Cmd::WR : Cmd::RD;
        p.ready_next = ((act | pre) & others) != 0;
      } else if ((act >> i) & 1u) {
        p.cmd = Cmd::ACT;
        p.ready_next = ((col | pre) & others) != 0;
      } else {
        p.cmd = Cmd::PRE;
        p.ready_next = ((col | act | pre) & others) != 0;
      }
      return p;
    }

    // Nothing in this cycle: when could something be, nothing else changing?
    // A live hit waits for its column timing (or for response room, which
    // only a response leaving ends: the caller's business), a PRE candidate
    // for its bank's PRE timing, a closed bank's entry for its ACT timing and
    // the four-activate window.
    uint64_t want_wr = rc.col_block ? 0 : live_c & q.write;
    uint64_t want_rd = rc.col_block ? 0 : live_c & ~q.write;
    p.credit_blocked = (want_wr != 0 && !v.wr_credit) || (want_rd != 0 && !v.rd_credit);
    if (!v.wr_credit) want_wr = 0;
    if (!v.rd_credit) want_rd = 0;
    uint64_t wake = kNever;
    for (uint32_t m = open_b; m != 0; m &= m - 1) {
      const unsigned b = static_cast<unsigned>(std::countr_zero(m));
      const uint64_t e = q.bank_entries[b];
      const uint64_t w1 = tm.wr_at(b) | ~sched_all_if((e & want_wr) != 0);  // kNever without a candidate
      const uint64_t w2 = tm.rd_at(b) | ~sched_all_if((e & want_rd) != 0);
      const uint64_t w4 = tm.pre[b] | ~sched_all_if((e & want_pre) != 0);
      wake = std::min(wake, std::min(std::min(w1, w2), w4));
    }
    if (!rc.act_block && closed_b != 0) {
      uint64_t act_at = kNever;
      for (uint32_t m = closed_b; m != 0; m &= m - 1) act_at = std::min(act_at, tm.act_at(static_cast<unsigned>(std::countr_zero(m))));
      wake = std::min(wake, std::max(act_at, tm.faw_free));
    }
    p.wake = wake == kNever ? kNever : std::max(wake, t + 1);
    return p;
  }
};

// The plan: the command FrFcfs::pick would give at the first cycle >= t in
// which it gives one, and that cycle, the queue, bank timing, refresh's
// blocks and response room staying as they are now. One pass: per kind of
// candidate (column command; ACT or PRE) the earliest cycle one is ready
// and the entries ready then; the pick at the earlier of the two.
struct Plan {
  Cmd cmd = Cmd::NOP;      // NOP: nothing can go, nothing changing (at: kNever)
  unsigned index = 0;      // queue entry
  unsigned bank = 0;       // its bank
  uint64_t at = kNever;    // the cycle
  bool credit_blocked = false;  // a live row hit waits for response room
};

// All ones if c, else zero, as arithmetic (no branch).
inline uint64_t plan_mask(bool c) { return uint64_t{0} - static_cast<uint64_t>(c); }

// Minimum and maximum by value (std::min and std::max take references,
// and the compiler then at times branches where a conditional move does).
inline uint64_t plan_min(uint64_t a, uint64_t b) { return b < a ? b : a; }
inline uint64_t plan_max(uint64_t a, uint64_t b) { return a < b ? b : a; }

// The earliest cycle `at` and the entries `set` ready then, with a
// candidate set s ready at x (an empty s comes with x = kNever), branch-free.
inline void plan_take(uint64_t& at, uint64_t& set, uint64_t x, uint64_t s) {
  const uint64_t lt = plan_mask(x < at), le = plan_mask(x <= at);
  set = (set & ~lt) | (s & le);
  at = x < at ? x : at;
}

// What the last plan found per kind of candidate, kept so that the plan
// after a command redoes only what the command changed: per kind (column
// commands, PREs, ACTs) the earliest cycle and the entries ready then, and
// the held-back hits it was made with. A kind's result made at cycle t0
// holds at any later t as long as its cycle is no earlier than t and
// nothing it depends on changed (a cycle of 0 marks one to redo).
struct PlanCache {
  bool valid = false;
  uint64_t basis = 0;  // refresh's blocks and response room it was made with
  uint64_t held = 0;
  uint64_t col_at = kNever, col = 0, pre_at = kNever, pre = 0, act_at = kNever, act = 0;
  // Entry i left the queue: the younger ones move down one place.
  void squeeze(unsigned i) {
    const uint64_t low = (uint64_t{1} << i) - 1;
    auto sq = [low](uint64_t m) { return (m & low) | ((m >> 1) & ~low); };
    held = sq(held);
    col = sq(col);
    pre = sq(pre);
    act = sq(act);
  }
};

inline constexpr unsigned kRedoCol = 1, kRedoPre = 2, kRedoAct = 4, kRedoAll = 7;
// plan_basis bits: the blocked banks (0-31), ACTs blocked (32), column
// commands blocked (33), read room (34), write room (35).
inline uint64_t plan_basis(const ChannelView& v, const RefreshControl& rc) {
  return uint64_t{rc.bank_block} | (uint64_t{rc.act_block} << 32) | (uint64_t{rc.col_block} << 33) |
         (uint64_t{v.rd_credit} << 34) | (uint64_t{v.wr_credit} << 35);
}
inline constexpr uint64_t kBasisColOnly = uint64_t{7} << 33;

// The plan from cycle t on. `redo`: the kinds a command changed (all when
// the cache is not valid); `bank`: the bank it went to (>= 32: none), which
// joins its kind now without a new pass over the others.
inline void frfcfs_plan(const ChannelView& v, const RefreshControl& rc, uint64_t t, PlanCache& c, unsigned redo,
                        unsigned bank, Plan& p) {
  const QueueState& q = v.queue;
  p = Plan{};
  if (q.size == 0) {
    c.valid = false;
    return;
  }
  const BankTimes& tm = v.times;
  const uint32_t cand_b = q.banks_used & ~rc.bank_block;
  const uint32_t open_b = v.banks.open & cand_b;
  const uint32_t closed_b = rc.act_block ? 0 : cand_b & ~v.banks.open;
  const uint64_t hit = q.hit;
  // Banks with a live row hit: those with a hit, less those whose every hit
  // is held back (younger than an urgent non-hit of their bank).
  uint64_t held = 0;
  uint32_t live_b = q.hit_banks & open_b;
  for (uint64_t un = q.urgent & ~hit; un != 0;) {
    const unsigned i = static_cast<unsigned>(std::countr_zero(un));
    const unsigned bi = q.bank(i);
    const uint64_t be = q.bank_entries[bi];
    held |= be & ~((sched_bit(i) << 1) - 1);
    live_b &= ~(uint32_t{(be & hit & ~held) == 0} << bi);
    un &= ~be;
  }
  const uint64_t live = hit & ~held;
  const uint64_t may_wr = q.write & plan_mask(!rc.col_block && v.wr_credit);
  const uint64_t may_rd = ~q.write & plan_mask(!rc.col_block && v.rd_credit);
  const uint64_t from = plan_max(plan_max(tm.faw_free, tm.act_all), t);
  // What must be done again: everything without a valid cache, or when
  // refresh's blocks or the held-back hits changed (banks change kind);
  // column commands when response room changed; a kind whose cycle has
  // passed.
  const uint64_t basis = plan_basis(v, rc);
  if (!c.valid || held != c.held || ((basis ^ c.basis) & ~kBasisColOnly) != 0) redo = kRedoAll;
  if (basis != c.basis) redo |= kRedoCol;
  redo |= (c.col_at < t ? kRedoCol : 0) | (c.pre_at < t ? kRedoPre : 0) | (c.act_at < t ? kRedoAct : 0);
  // Per kind the earliest cycle (not before t) and the entries ready then,
  // bank by bank over the banks of that kind: an open bank with a live hit
  // has column commands, one without has PREs (its entries that miss), a
  // closed one ACTs. Within a bank every test is arithmetic: which entries
  // are candidates is data dependent, and branches on it would be
  // mispredicted.
  auto col_bank = [&](unsigned b) {
    const uint64_t el = q.bank_entries[b] & live;
    const uint64_t sw = el & may_wr, sr = el & may_rd;
    plan_take(c.col_at, c.col, plan_max(tm.wr_at(b), t) | plan_mask(sw == 0), sw);
    plan_take(c.col_at, c.col, plan_max(tm.rd_at(b), t) | plan_mask(sr == 0), sr);
  };
  auto pre_bank = [&](unsigned b) {
    const uint64_t sp = q.bank_entries[b] & ~hit;
    plan_take(c.pre_at, c.pre, plan_max(tm.pre[b], t) | plan_mask(sp == 0), sp);
  };
  auto act_bank = [&](unsigned b) {
    const uint64_t own = plan_max(tm.act[b], tm.act_grp[b >> tm.group_shift]);
    plan_take(c.act_at, c.act, plan_max(own, from), q.bank_entries[b]);
  };
  if (redo & kRedoCol) {
    c.col_at = kNever;
    c.col = 0;
    for (uint32_t m = live_b; m != 0; m &= m - 1) col_bank(static_cast<unsigned>(std::countr_zero(m)));
  }
  if (redo & kRedoPre) {
    c.pre_at = kNever;
    c.pre = 0;
    for (uint32_t m = open_b & ~live_b; m != 0; m &= m - 1) pre_bank(static_cast<unsigned>(std::countr_zero(m)));
  }
  if (redo & kRedoAct) {
    c.act_at = kNever;
    c.act = 0;
    for (uint32_t m = closed_b; m != 0; m &= m - 1) act_bank(static_cast<unsigned>(std::countr_zero(m)));
  }
  // The command's bank in its kind now, where that kind was not done again.
  if (bank < kMaxBanks) {
    const uint32_t bit = uint32_t{1} << bank;
    if ((live_b & bit) != 0) {
      if ((redo & kRedoCol) == 0) col_bank(bank);
    } else if ((open_b & bit) != 0) {
      if ((redo & kRedoPre) == 0) pre_bank(bank);
    } else if ((closed_b & bit) != 0) {
      if ((redo & kRedoAct) == 0) act_bank(bank);
    }
  }
  c.valid = true;
  c.held = held;
  c.basis = basis;
  // A live hit (of a bank refresh does not hold) waiting for response room.
  uint64_t live_c = live;
  for (uint32_t m = rc.bank_block & q.hit_banks; m != 0; m &= m - 1) live_c &= ~q.bank_entries[std::countr_zero(m)];
  const bool wr_wait = (live_c & q.write) != 0 && !v.wr_credit, rd_wait = (live_c & ~q.write) != 0 && !v.rd_credit;
  p.credit_blocked = !rc.col_block && (wr_wait || rd_wait);
  const uint64_t ap_at = plan_min(c.pre_at, c.act_at);
  const uint64_t at = plan_min(c.col_at, ap_at);
  if (at == kNever) return;
  const uint64_t col = c.col & plan_mask(c.col_at == at);
  const uint64_t ap = (c.pre & plan_mask(c.pre_at == at)) | (c.act & plan_mask(c.act_at == at));
  // The oldest urgent one, else the oldest column command, else the oldest ACT or PRE.
  uint64_t sel = (col | ap) & q.urgent;
  sel |= col & plan_mask(sel == 0);
  sel |= ap & plan_mask(sel == 0);
  const unsigned i = static_cast<unsigned>(std::countr_zero(sel));
  p.index = i;
  p.bank = q.bank(i);
  p.at = at;
  // Column: RD or WR by the entry; otherwise PRE to an open bank, ACT to a closed one.
  static constexpr Cmd kCmd[8] = {Cmd::ACT, Cmd::PRE, Cmd::ACT, Cmd::PRE, Cmd::RD, Cmd::RD, Cmd::WR, Cmd::WR};
  p.cmd = kCmd[(((col >> i) & 1u) << 2) | (((q.write >> i) & 1u) << 1) | ((v.banks.open >> p.bank) & 1u)];
}

// The oldest request only: its next command when ready.
class Fcfs final : public Scheduler {
 public:
  Pick pick(const ChannelView& v, const RefreshControl& rc, uint64_t t) const override {
    const QueueState& q = v.queue;
    Pick p;
    if (q.size == 0) return p;
    const unsigned b = q.bank(0);
    if ((rc.bank_block >> b) & 1u) return p;  // refresh decides the wake
    const BankTimes& tm = v.times;
    uint64_t at = kNever;
    Cmd cmd = Cmd::NOP;
    if (((v.banks.open >> b) & 1u) == 0) {
      if (!rc.act_block) {
        cmd = Cmd::ACT;
        at = std::max(tm.act_at(b), tm.faw_free);
      }
    } else if (v.banks.row[b] != q.row(0)) {
      cmd = Cmd::PRE;
      at = tm.pre[b];
    } else if (!rc.col_block) {
      const bool w = (q.write & 1u) != 0;
      if (!(w ? v.wr_credit : v.rd_credit)) {
        p.credit_blocked = true;
        return p;
      }
      cmd = w ? Cmd::WR : Cmd::RD;
      at = w ? tm.wr_at(b) : tm.rd_at(b);
    }
    if (cmd != Cmd::NOP && at <= t) {
      p.cmd = cmd;
      p.index = 0;
    } else {
      p.wake = at == kNever ? kNever : std::max(at, t + 1);
    }
    return p;
  }
};

}  // namespace kmtsim::mc
