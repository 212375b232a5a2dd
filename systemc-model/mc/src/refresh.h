// Refresh managers (the RTL's kmt_mc_refresh). A timer owes one refresh per
// interval from cycle 1 on (the first is owed at the start of cycle
// interval + 1); the manager pays as soon as the banks allow. Internal: the
// model calls them directly, other code through RefreshPolicy.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

#include "kmtsim/mc/policy.h"

namespace kmtsim::mc {

// Intervals ended before cycle t: the timer ticks in cycles k * interval, k >= 1.
inline uint64_t refresh_ticks_before(uint64_t t, uint64_t interval) { return t == 0 ? 0 : (t - 1) / interval; }

// All-bank: drain (no ACTs; row hits go on until every open bank has met
// tRAS), close (no column commands either; PREA once every open bank may be
// precharged), then REF once every bank has met tRP and tRFC.
class AllBankRefresh final : public RefreshPolicy {
 public:
  AllBankRefresh() = default;
  explicit AllBankRefresh(const McConfig& c) : refi_(c.timing.tREFI), due_(refi_ + 1) {}

  RefreshControl step(const ChannelView& v, uint64_t t) override {
    RefreshControl rc;
    const State before = state_;
    const BankTimes& tm = v.times;
    switch (state_) {
      case State::Idle:
        if (t >= next_due()) state_ = State::Drain;  // owed(t) != 0, without a division
        break;
      case State::Drain:
        rc.act_block = true;
        if (latest(v, tm.ras, v.banks.open) <= t) state_ = State::Close;
        break;
      case State::Close:
        rc.act_block = rc.col_block = true;
        if (v.banks.open == 0) {
          state_ = State::Ref;
        } else if (latest(v, tm.pre, v.banks.open) <= t) {
          rc.cmd = Cmd::PREA;
          state_ = State::Ref;
        }
        break;
      case State::Ref:
        rc.act_block = rc.col_block = true;
        if (latest_act(tm, all_banks(v)) <= t) {
          rc.cmd = Cmd::REF;
          state_ = State::Idle;
          ++refs_;
          due_ += refi_;
        }
        break;
    }
    changed_ = state_ != before;
    return rc;
  }

  uint64_t next_change(const ChannelView& v, uint64_t t) const override {
    if (changed_) return t + 1;
    const BankTimes& tm = v.times;
    switch (state_) {
      case State::Idle:
        return next_due();
      case State::Drain:
        return std::max(t + 1, latest(v, tm.ras, v.banks.open));
      case State::Close:
        return v.banks.open == 0 ? t + 1 : std::max(t + 1, latest(v, tm.pre, v.banks.open));
      case State::Ref:
        return std::max(t + 1, latest_act(tm, all_banks(v)));
    }
    return t + 1;
  }

  uint64_t owed(uint64_t t) const override {
    const uint64_t due = refresh_ticks_before(t, refi_);
    return due > refs_ ? due - refs_ : 0;
  }

 private:
  enum class State { Idle, Drain, Close, Ref };
  // The first cycle owing one more refresh than were paid.
  uint64_t next_due() const { return due_; }
  static uint32_t all_banks(const ChannelView& v) {
    return v.num_banks >= 32 ? ~uint32_t{0} : (uint32_t{1} << v.num_banks) - 1;
  }
  static uint64_t latest(const ChannelView& v, const uint64_t* times, uint32_t banks) {
    uint64_t m = 0;
    for (uint32_t b = banks; b != 0; b &= b - 1) m = std::max(m, times[std::countr_zero(b)]);
    (void)v;
    return m;
  }

  static uint64_t latest_act(const BankTimes& tm, uint32_t banks) {
    uint64_t m = 0;
    for (uint32_t b = banks; b != 0; b &= b - 1) m = std::max(m, tm.act_at(static_cast<unsigned>(std::countr_zero(b))));
    return m;
  }

  uint64_t refi_ = 1;
  uint64_t due_ = 2;  // (refs_ + 1) * refi_ + 1
  State state_ = State::Idle;
  uint64_t refs_ = 0;
  bool changed_ = false;
};

// Per-bank: each round refreshes every bank once. A refresh owed goes to the
// lowest bank of the round that no queued request targets; once
// ref_force_owed are owed, to the lowest bank of the round regardless. The
// bank is blocked, precharged if open, then refreshed (REFB).
class PerBankRefresh final : public RefreshPolicy {
 public:
  PerBankRefresh() = default;
  explicit PerBankRefresh(const McConfig& c)
      : refib_(c.timing.tREFIb), due_(refib_ + 1), force_(c.ref_force_owed),
        all_(c.banks() >= 32 ? ~uint32_t{0} : (uint32_t{1} << c.banks()) - 1), round_(all_) {}

  RefreshControl step(const ChannelView& v, uint64_t t) override {
    RefreshControl rc;
    const State before = state_;
    switch (state_) {
      case State::Idle:
        if (t < due_) break;  // nothing owed (no division on this path)
        if (const uint64_t o = owed(t); o != 0) {
          if (const uint32_t idle = round_ & ~v.queue.banks_used; idle != 0) {
            target_ = static_cast<unsigned>(std::countr_zero(idle));
            state_ = State::Close;
          } else if (o >= force_ && round_ != 0) {
            target_ = static_cast<unsigned>(std::countr_zero(round_));
            state_ = State::Close;
          }
        }
        break;
      case State::Close:
        rc.bank_block = uint32_t{1} << target_;
        rc.bank = target_;
        if (((v.banks.open >> target_) & 1u) == 0) {
          state_ = State::Ref;
        } else if (v.times.pre[target_] <= t) {
          rc.cmd = Cmd::PRE;
          state_ = State::Ref;
        }
        break;
      case State::Ref:
        rc.bank_block = uint32_t{1} << target_;
        rc.bank = target_;
        if (v.times.act_at(target_) <= t) {
          rc.cmd = Cmd::REFB;
          state_ = State::Idle;
          round_ &= ~(uint32_t{1} << target_);
          if (round_ == 0) round_ = all_;
          ++refs_;
          due_ += refib_;
        }
        break;
    }
    changed_ = state_ != before;
    return rc;
  }

  uint64_t next_change(const ChannelView& v, uint64_t t) const override {
    if (changed_) return t + 1;
    switch (state_) {
      case State::Idle:
        // Owed nothing: the next interval. Owed, and a bank of the round
        // has no request now (the caller's command in t emptied it): the
        // next cycle. Owed but every bank of the round busy: a request
        // arriving wakes the channel anyway; the owed count growing to
        // ref_force_owed is the next interval.
        if (t + 1 < due_) return due_;  // owed(t + 1) == 0
        if ((round_ & ~v.queue.banks_used) != 0) return t + 1;
        return (refresh_ticks_before(t, refib_) + 1) * refib_ + 1;
      case State::Close:
        return ((v.banks.open >> target_) & 1u) == 0 ? t + 1 : std::max(t + 1, v.times.pre[target_]);
      case State::Ref:
        return std::max(t + 1, v.times.act_at(target_));
    }
    return t + 1;
  }

  uint64_t owed(uint64_t t) const override {
    const uint64_t due = refresh_ticks_before(t, refib_);
    return due > refs_ ? due - refs_ : 0;
  }

 private:
  enum class State { Idle, Close, Ref };
  uint64_t refib_ = 1;
  uint64_t due_ = 2;  // the first cycle owing one more refresh than were paid: (refs_ + 1) * refib_ + 1
  uint64_t force_ = 1;
  uint32_t all_ = 0;
  uint32_t round_ = 0;
  unsigned target_ = 0;
  State state_ = State::Idle;
  uint64_t refs_ = 0;
  bool changed_ = false;
};

}  // namespace kmtsim::mc
