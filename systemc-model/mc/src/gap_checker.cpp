// The RTL's timing rules (kmt_mc_gaps, kmt_mc_bank, the channel's tFAW
// window) as absolute times: a command in cycle t moves the first cycle at
// which each later command may go to t + gap, never earlier than it was.
#include <algorithm>
#include <bit>
#include <stdexcept>

#include "kmtsim/mc/policy.h"

namespace kmtsim::mc {
namespace {

struct Gaps {
  uint64_t rcd_rd, rcd_wr, ras, rc, rp, rrd_s, rrd_l, rtp, wr2pre;
  uint64_t rd2rd_s, rd2rd_l, wr2wr_s, wr2wr_l, rd2wr_s, rd2wr_l, wr2rd_s, wr2rd_l;
  uint64_t rfc, rfcb, faw;
};

Gaps gaps_of(const hw::dram::Timing& t) {
  using std::max;
  const uint64_t turn = uint64_t{t.CL} + t.tBURST + t.tRTRS > t.CWL ? uint64_t{t.CL} + t.tBURST + t.tRTRS - t.CWL : 0;
  Gaps g{};
  g.rcd_rd = t.tRCD_RD;
  g.rcd_wr = t.tRCD_WR;
  g.ras = t.tRAS;
  g.rc = t.tRC;
  g.rp = t.tRP;
  g.rrd_s = t.tRRD_S;
  g.rrd_l = t.tRRD_L;
  g.rtp = t.tRTP;
  g.wr2pre = uint64_t{t.CWL} + t.tBURST + t.tWR;
  g.rd2rd_s = max<uint64_t>(t.tCCD_S, t.tBURST);
  g.rd2rd_l = max<uint64_t>(t.tCCD_L, t.tBURST);
  g.wr2wr_s = g.rd2rd_s;
  g.wr2wr_l = g.rd2rd_l;
  g.rd2wr_s = max<uint64_t>(t.tCCD_S, turn);
  g.rd2wr_l = max<uint64_t>(t.tCCD_L, turn);
  g.wr2rd_s = max<uint64_t>(t.tCCD_S, uint64_t{t.CWL} + t.tBURST + t.tWTR_S);
  g.wr2rd_l = max<uint64_t>(t.tCCD_L, uint64_t{t.CWL} + t.tBURST + t.tWTR_L);
  g.rfc = t.tRFC;
  g.rfcb = t.tRFCb;
  g.faw = t.tFAW;
  return g;
}

inline void later(uint64_t& x, uint64_t v) { x = std::max(x, v); }

class GapChecker final : public TimingChecker {
 public:
  explicit GapChecker(const McConfig& c)
      : g_(gaps_of(c.timing)),
        banks_(c.banks()),
        group_shift_(static_cast<unsigned>(std::countr_zero(c.preset.banks_per_group))),
        groups_(banks_ >> group_shift_) {
    t_.group_shift = group_shift_;
  }

  void insert(Cmd cmd, unsigned bank, uint64_t t) override {
    const unsigned group = bank >> group_shift_;
    switch (cmd) {
      case Cmd::ACT:
        for (unsigned b = 0; b < banks_; ++b) {
          if (b == bank) {
            later(t_.act[b], t + g_.rc);
            later(t_.pre[b], t + g_.ras);
            later(t_.ras[b], t + g_.ras);
            later(t_.rd[b], t + g_.rcd_rd);
            later(t_.wr[b], t + g_.rcd_wr);
          } else {
            later(t_.act[b], t + ((b >> group_shift_) == group ? g_.rrd_l : g_.rrd_s));
          }
        }
        {
          // The window slot that ran out longest ago takes this ACT.
          uint64_t* slot = std::min_element(faw_, faw_ + 4);
          *slot = t + g_.faw;
          t_.faw_free = *std::min_element(faw_, faw_ + 4);
        }
        break;
      case Cmd::RD:
      case Cmd::WR: {
        // Column to column: the same for every bank of a group.
        const bool rd = cmd == Cmd::RD;
        const uint64_t to_rd_s = t + (rd ? g_.rd2rd_s : g_.wr2rd_s), to_rd_l = t + (rd ? g_.rd2rd_l : g_.wr2rd_l);
        const uint64_t to_wr_s = t + (rd ? g_.rd2wr_s : g_.wr2wr_s), to_wr_l = t + (rd ? g_.rd2wr_l : g_.wr2wr_l);
        for (unsigned x = 0; x < groups_; ++x) {
          later(t_.rd_grp[x], x == group ? to_rd_l : to_rd_s);
          later(t_.wr_grp[x], x == group ? to_wr_l : to_wr_s);
        }
        later(t_.pre[bank], t + (rd ? g_.rtp : g_.wr2pre));
        break;
      }
      case Cmd::PRE:
        later(t_.act[bank], t + g_.rp);
        break;
      case Cmd::PREA:
        throw std::logic_error("PREA goes to the checker as a PRE per open bank");
      case Cmd::REF:
        for (unsigned b = 0; b < banks_; ++b) later(t_.act[b], t + g_.rfc);
        break;
      case Cmd::REFB:
        for (unsigned b = 0; b < banks_; ++b) {
          later(t_.act[b], t + (b == bank ? g_.rfcb : ((b >> group_shift_) == group ? g_.rrd_l : g_.rrd_s)));
        }
        break;
      case Cmd::NOP:
        break;
    }
  }

  const BankTimes& times() const override { return t_; }

 private:
  Gaps g_;
  unsigned banks_;
  unsigned group_shift_;  // bank >> group_shift_: its bank group (banks_per_group is a power of two)
  unsigned groups_;
  BankTimes t_;
  uint64_t faw_[4] = {0, 0, 0, 0};
};

}  // namespace

std::unique_ptr<TimingChecker> make_checker(const McConfig& c) {
  if (c.checker == "gaps") return std::make_unique<GapChecker>(c);
  throw std::invalid_argument("unknown timing checker '" + c.checker + "' (known: gaps)");
}

}  // namespace kmtsim::mc
