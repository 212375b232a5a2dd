// The RTL's timing rules (gap_checker.h): the gaps from the timing
// configuration, and the checker's factory.
#include "gap_checker.h"

#include <stdexcept>

namespace kmtsim::mc {

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

void GapChecker::init(const McConfig& c) {
  g_ = gaps_of(c.timing);
  banks_ = c.banks();
  group_shift_ = static_cast<unsigned>(std::countr_zero(c.preset.banks_per_group));
  groups_ = banks_ >> group_shift_;
  t_ = BankTimes{};
  t_.group_shift = group_shift_;
  split_ = g_.rc >= g_.rrd_l && g_.rfcb >= g_.rrd_l && g_.rrd_l >= g_.rrd_s;
  col_gap_[0] = ColGaps{{g_.wr2rd_s, g_.wr2rd_l}, {g_.wr2wr_s, g_.wr2wr_l}, g_.wr2pre};
  col_gap_[1] = ColGaps{{g_.rd2rd_s, g_.rd2rd_l}, {g_.rd2wr_s, g_.rd2wr_l}, g_.rtp};
  std::fill(faw_, faw_ + 4, 0);
  faw_next_ = 0;
  // tRC and tRRD are timing fields (32 bits each).
  for (unsigned a = 0; a < banks_; ++a) {
    for (unsigned b = 0; b < banks_; ++b) {
      act_gap_[a][b] = b == a ? c.timing.tRC : ((b >> group_shift_) == (a >> group_shift_) ? c.timing.tRRD_L : c.timing.tRRD_S);
    }
  }
}

void GapChecker::prea_error() { throw std::logic_error("PREA goes to the checker as a PRE per open bank"); }

std::unique_ptr<TimingChecker> make_checker(const McConfig& c) {
  if (c.checker == "gaps") return std::make_unique<GapChecker>(c);
  throw std::invalid_argument("unknown timing checker '" + c.checker + "' (known: gaps)");
}

}  // namespace kmtsim::mc
