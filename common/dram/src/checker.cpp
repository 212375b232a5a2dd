#include "kmtsim/dram/checker.h"

#include <algorithm>
#include <bit>
#include <sstream>

namespace kmtsim::dram {

Geometry Geometry::of(const hw::dram::Preset& p) {
  Geometry g;
  g.channels = p.channels;
  g.bankgroups = p.bankgroups;
  g.banks_per_group = p.banks_per_group;
  g.rows = p.rows;
  g.columns = p.columns / p.BL;
  return g;
}

const std::vector<std::string>& DramChecker::timing_rules() {
  static const std::vector<std::string> rules{
      "tRCD_RD", "tRCD_WR", "tRP",    "tRAS",   "tRC",    "tRRD_S", "tRRD_L", "tFAW", "tCCD_S",
      "tCCD_L",  "tWTR_S",  "tWTR_L", "tRTP",   "tWR",    "tBURST", "tRTRS",  "tRFC", "tRFCb",
      "tREFI"};
  return rules;
}

const std::vector<std::string>& DramChecker::protocol_rules() {
  static const std::vector<std::string> rules{
      "ACT to open bank", "RD to closed bank", "RD to wrong row", "WR to closed bank", "WR to wrong row",
      "REF with banks open", "REFB to open bank", "REFB twice in a round", "one command per cycle",
      "cycle went back", "address out of range"};
  return rules;
}

DramChecker::DramChecker(const Geometry& g, const hw::dram::Timing& t, CheckerOptions o)
    : geo_(g), t_(t), opt_(o), ch_(g.channels) {
  for (Channel& c : ch_) {
    c.banks.resize(size_t{g.bankgroups} * g.banks_per_group);
    c.last_act_group.assign(g.bankgroups, kNever);
    c.last_act_bank.assign(g.bankgroups, 0);
    c.last_col_group.assign(g.bankgroups, kNever);
    c.last_wr_group.assign(g.bankgroups, kNever);
  }
}

void DramChecker::report_violation(unsigned channel, uint64_t cycle, unsigned bg, unsigned ba,
                                   const std::string& rule, const std::string& what) {
  std::ostringstream m;
  m << rule << " violated at cycle " << cycle << ", channel " << channel << ", bank group " << bg << ", bank "
    << ba << ": " << what;
  violations_.push_back(Violation{cycle, channel, bg, ba, rule, m.str()});
  if (opt_.fail_fast) throw DramViolation("DRAM " + m.str(), violations_.back());
}

void DramChecker::need(unsigned ch, int64_t t, unsigned bg, unsigned ba, const char* rule, int64_t prev,
                       int64_t required, const char* what, const char* after) {
  if (prev == kNever) return;
  const int64_t slack = (t - prev) - required;
  RuleStats& s = stats_[rule];
  ++s.checks;
  s.min_slack = std::min(s.min_slack, slack);
  if (slack == 0) ++s.at_limit;
  if (slack < 0) {
    std::ostringstream m;
    m << what << " " << (t - prev) << " cycles after " << after << " at cycle " << prev << ", needs " << required;
    report_violation(ch, static_cast<uint64_t>(t), bg, ba, rule, m.str());
  }
}

void DramChecker::check_deadline(unsigned ch, int64_t t) {
  Channel& c = ch_[ch];
  const uint64_t nbanks = c.banks.size();
  const bool per_bank = opt_.refresh == RefreshMode::PerBank;
  const uint64_t interval = per_bank ? t_.tREFIb : t_.tREFI;
  if (interval == 0) return;
  const uint64_t done = per_bank ? c.refbs + c.refs * nbanks : c.refs + c.refbs / nbanks;
  const uint64_t owed = static_cast<uint64_t>(t) / interval;
  const uint64_t debt = owed > done ? owed - done : 0;
  max_debt_ = std::max(max_debt_, debt);
  RuleStats& s = stats_["tREFI"];
  ++s.checks;
  const int64_t slack = static_cast<int64_t>(opt_.max_postponed) - static_cast<int64_t>(debt);
  s.min_slack = std::min(s.min_slack, slack);
  if (slack == 0) ++s.at_limit;
  if (slack < 0 && !c.late) {
    c.late = true;
    const uint64_t late_at = (done + opt_.max_postponed + 1) * interval;
    std::ostringstream m;
    m << (per_bank ? "per-bank" : "all-bank") << " refresh late: " << debt << " refreshes owed at cycle " << t
      << " (one per " << interval << " cycles, at most " << opt_.max_postponed
      << " may be postponed; late since cycle " << late_at << ")";
    report_violation(ch, late_at, 0, 0, "tREFI", m.str());
  } else if (slack >= 0) {
    c.late = false;
  }
}

void DramChecker::close_bank(unsigned ch, int64_t t, unsigned bg, unsigned ba, const char* what) {
  Bank& b = ch_[ch].banks[flat(bg, ba)];
  if (!b.open) return;  // a precharge of a closed bank is a NOP
  need(ch, t, bg, ba, "tRAS", b.act, t_.tRAS, what, "ACT");
  need(ch, t, bg, ba, "tRTP", b.rd, t_.tRTP, what, "RD");
  need(ch, t, bg, ba, "tWR", b.wr, int64_t{t_.CWL} + t_.tBURST + t_.tWR, what, "WR");
  b.open = false;
  b.pre = t;
}

void DramChecker::command(unsigned channel, uint64_t cycle, const DramCommand& c) {
  const auto t = static_cast<int64_t>(cycle);
  ++counts_[static_cast<unsigned>(c.cmd) & 7];
  if (c.cmd == Cmd::NOP) return;
  if (channel >= ch_.size()) {
    report_violation(channel, cycle, c.bankgroup, c.bank, "address out of range", "no such channel");
    return;
  }
  Channel& ch = ch_[channel];
  const unsigned bg = c.bankgroup, ba = c.bank;
  const char* name = hw::dram::to_string(c.cmd);
  if (t < ch.last_cmd) {
    report_violation(channel, cycle, bg, ba, "cycle went back", std::string(name) + " after a command at cycle " +
                                                                    std::to_string(ch.last_cmd));
  } else if (t == ch.last_cmd) {
    report_violation(channel, cycle, bg, ba, "one command per cycle",
                     std::string(name) + " in the same cycle as another command");
  }
  ch.last_cmd = std::max(ch.last_cmd, t);
  const bool banked = c.cmd != Cmd::PREA && c.cmd != Cmd::REF;
  if (banked && (bg >= geo_.bankgroups || ba >= geo_.banks_per_group ||
                 ((c.cmd == Cmd::ACT || c.cmd == Cmd::RD || c.cmd == Cmd::WR) && c.row >= geo_.rows) ||
                 ((c.cmd == Cmd::RD || c.cmd == Cmd::WR) && c.column >= geo_.columns))) {
    report_violation(channel, cycle, bg, ba, "address out of range",
                     std::string(name) + " row " + std::to_string(c.row) + " column " + std::to_string(c.column));
    return;
  }
  check_deadline(channel, t);

  switch (c.cmd) {
    case Cmd::ACT: {
      Bank& b = ch.banks[flat(bg, ba)];
      if (b.open) {
        report_violation(channel, cycle, bg, ba, "ACT to open bank",
                         "ACT row " + std::to_string(c.row) + " while row " + std::to_string(b.row) + " is open");
      }
      need(channel, t, bg, ba, "tRP", b.pre, t_.tRP, "ACT", "PRE");
      need(channel, t, bg, ba, "tRC", b.act, t_.tRC, "ACT", "ACT of the bank");
      for (unsigned g = 0; g < geo_.bankgroups; ++g) {
        if (g == bg) {
          if (ch.last_act_bank[g] != ba) {
            need(channel, t, bg, ba, "tRRD_L", ch.last_act_group[g], t_.tRRD_L, "ACT", "ACT/REFB in the bank group");
          }
        } else {
          need(channel, t, bg, ba, "tRRD_S", ch.last_act_group[g], t_.tRRD_S, "ACT", "ACT/REFB in another bank group");
        }
      }
      need(channel, t, bg, ba, "tFAW", ch.acts[0], t_.tFAW, "ACT", "the fourth ACT before it");
      need(channel, t, bg, ba, "tRFC", ch.last_ref, t_.tRFC, "ACT", "REF");
      need(channel, t, bg, ba, "tRFCb", b.refb, t_.tRFCb, "ACT", "REFB of the bank");
      b.open = true;
      b.row = c.row;
      b.act = t;
      ch.last_act_group[bg] = t;
      ch.last_act_bank[bg] = ba;
      std::rotate(ch.acts, ch.acts + 1, ch.acts + 4);
      ch.acts[3] = t;
      break;
    }
    case Cmd::RD:
    case Cmd::WR: {
      const bool rd = c.cmd == Cmd::RD;
      Bank& b = ch.banks[flat(bg, ba)];
      if (!b.open) {
        report_violation(channel, cycle, bg, ba, rd ? "RD to closed bank" : "WR to closed bank",
                         std::string(name) + " row " + std::to_string(c.row) + " column " +
                             std::to_string(c.column));
      } else if (b.row != c.row) {
        report_violation(channel, cycle, bg, ba, rd ? "RD to wrong row" : "WR to wrong row",
                         std::string(name) + " for row " + std::to_string(c.row) + " while row " +
                             std::to_string(b.row) + " is open");
      }
      if (rd) {
        need(channel, t, bg, ba, "tRCD_RD", b.act, t_.tRCD_RD, "RD", "ACT");
      } else {
        need(channel, t, bg, ba, "tRCD_WR", b.act, t_.tRCD_WR, "WR", "ACT");
      }
      for (unsigned g = 0; g < geo_.bankgroups; ++g) {
        if (g == bg) {
          need(channel, t, bg, ba, "tCCD_L", ch.last_col_group[g], t_.tCCD_L, name, "a column command in the bank group");
        } else {
          need(channel, t, bg, ba, "tCCD_S", ch.last_col_group[g], t_.tCCD_S, name, "a column command in another bank group");
        }
      }
      if (rd) {
        need(channel, t, bg, ba, "tBURST", ch.last_rd, t_.tBURST, "RD", "RD (read data on the bus)");
        for (unsigned g = 0; g < geo_.bankgroups; ++g) {
          if (g == bg) {
            need(channel, t, bg, ba, "tWTR_L", ch.last_wr_group[g], int64_t{t_.CWL} + t_.tBURST + t_.tWTR_L, "RD",
                 "WR in the bank group (CWL + tBURST + tWTR_L)");
          } else {
            need(channel, t, bg, ba, "tWTR_S", ch.last_wr_group[g], int64_t{t_.CWL} + t_.tBURST + t_.tWTR_S, "RD",
                 "WR in another bank group (CWL + tBURST + tWTR_S)");
          }
        }
        b.rd = t;
        ch.last_rd = t;
      } else {
        need(channel, t, bg, ba, "tBURST", ch.last_wr, t_.tBURST, "WR", "WR (write data on the bus)");
        const int64_t turn = std::max<int64_t>(0, int64_t{t_.CL} + t_.tBURST + t_.tRTRS - t_.CWL);
        need(channel, t, bg, ba, "tRTRS", ch.last_rd, turn, "WR", "RD (CL + tBURST + tRTRS - CWL)");
        b.wr = t;
        ch.last_wr = t;
        ch.last_wr_group[bg] = t;
      }
      ch.last_col_group[bg] = t;
      break;
    }
    case Cmd::PRE:
      close_bank(channel, t, bg, ba, "PRE");
      break;
    case Cmd::PREA:
      for (unsigned g = 0; g < geo_.bankgroups; ++g) {
        for (unsigned k = 0; k < geo_.banks_per_group; ++k) close_bank(channel, t, g, k, "PREA");
      }
      break;
    case Cmd::REF: {
      for (unsigned g = 0; g < geo_.bankgroups; ++g) {
        for (unsigned k = 0; k < geo_.banks_per_group; ++k) {
          const Bank& b = ch.banks[flat(g, k)];
          if (b.open) {
            report_violation(channel, cycle, g, k, "REF with banks open", "REF while row " + std::to_string(b.row) + " is open");
          }
          need(channel, t, g, k, "tRP", b.pre, t_.tRP, "REF", "PRE");
          need(channel, t, g, k, "tRFCb", b.refb, t_.tRFCb, "REF", "REFB");
        }
      }
      need(channel, t, 0, 0, "tRFC", ch.last_ref, t_.tRFC, "REF", "REF");
      ch.last_ref = t;
      ++ch.refs;
      for (Bank& b : ch.banks) b.refreshed_in_round = false;
      break;
    }
    case Cmd::REFB: {
      Bank& b = ch.banks[flat(bg, ba)];
      if (b.open) {
        report_violation(channel, cycle, bg, ba, "REFB to open bank", "REFB while row " + std::to_string(b.row) + " is open");
      }
      if (b.refreshed_in_round) {
        report_violation(channel, cycle, bg, ba, "REFB twice in a round",
                         "the bank was refreshed again before every other bank was");
      }
      need(channel, t, bg, ba, "tRP", b.pre, t_.tRP, "REFB", "PRE");
      need(channel, t, bg, ba, "tRFCb", b.refb, t_.tRFCb, "REFB", "REFB of the bank");
      need(channel, t, bg, ba, "tRFC", ch.last_ref, t_.tRFC, "REFB", "REF");
      for (unsigned g = 0; g < geo_.bankgroups; ++g) {
        if (g == bg) {
          if (ch.last_act_bank[g] != ba) {
            need(channel, t, bg, ba, "tRRD_L", ch.last_act_group[g], t_.tRRD_L, "REFB", "ACT/REFB in the bank group");
          }
        } else {
          need(channel, t, bg, ba, "tRRD_S", ch.last_act_group[g], t_.tRRD_S, "REFB", "ACT/REFB in another bank group");
        }
      }
      b.refb = t;
      b.refreshed_in_round = true;
      ch.last_act_group[bg] = t;
      ch.last_act_bank[bg] = ba;
      ++ch.refbs;
      if (std::all_of(ch.banks.begin(), ch.banks.end(), [](const Bank& x) { return x.refreshed_in_round; })) {
        for (Bank& x : ch.banks) x.refreshed_in_round = false;
      }
      break;
    }
    case Cmd::NOP:
      break;
  }
}

void DramChecker::finish(uint64_t cycle) {
  for (unsigned c = 0; c < ch_.size(); ++c) check_deadline(c, static_cast<int64_t>(cycle));
}

std::string DramChecker::summary(size_t max_lines) const {
  std::ostringstream m;
  m << violations_.size() << " DRAM protocol/timing violation(s)";
  for (size_t i = 0; i < violations_.size() && i < max_lines; ++i) m << "\n  " << violations_[i].message;
  return m.str();
}

}  // namespace kmtsim::dram
