// An independent DRAM protocol and timing checker. Feed it every command of
// every channel with its cycle (DRAM clock); it keeps the bank states and the
// time of each command that a later one depends on, and records a violation
// naming the rule, channel, bank group, bank and cycle for every command that
// breaks one. Written from the JEDEC rules, not from the controller's RTL.
//
// Rules (t = this command's cycle, all in tCK):
//   ACT     bank closed; tRP after PRE/PREA of the bank; tRC after its ACT;
//           tRRD_L after ACT/REFB of another bank of the group, tRRD_S after
//           one of another group; at most 4 ACTs in any tFAW window; tRFC
//           after REF; tRFCb after REFB of the bank.
//   RD/WR   bank open on the row the command names (the bus carries the row
//           the controller believes open); tRCD_RD / tRCD_WR after ACT;
//           tCCD_L after a column command of the group, tCCD_S of another;
//           RD->RD and WR->WR at least tBURST apart (data bus);
//           WR->RD  CWL + tBURST + tWTR_L (same group) / tWTR_S (other);
//           RD->WR  CL + tBURST + tRTRS - CWL (bus turnaround).
//   PRE     to an open bank: tRAS after ACT, tRTP after RD, CWL + tBURST +
//           tWR after WR; to a closed bank it is a NOP (allowed, not timed).
//   PREA    as PRE, for every open bank.
//   REF     every bank closed; tRP after the last PRE; tRFC after REF;
//           tRFCb after any REFB.
//   REFB    the bank closed; tRP; tRFCb after REFB of the bank; tRFC after
//           REF; tRRD_S/L like an ACT; each bank once per round (no bank is
//           refreshed twice before every bank has been).
//   refresh deadline: all-bank mode owes one REF per tREFI, per-bank mode one
//           REFB per tREFIb (a REF pays for every bank); at most
//           max_postponed (default 8, as JEDEC allows) may be owed at any
//           cycle.
//   and: at most one command per channel per cycle, cycles never go back,
//        bank/row/column within the geometry.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kmtsim/hw/dram_presets.h"

namespace kmtsim::dram {

using hw::dram::Cmd;

struct DramCommand {
  Cmd cmd = Cmd::NOP;
  uint32_t bankgroup = 0;
  uint32_t bank = 0;  // within the group
  uint32_t row = 0;
  uint32_t column = 0;  // request index within the row
};

enum class RefreshMode { AllBank, PerBank };



struct Violation {
  uint64_t cycle = 0;
  unsigned channel = 0;
  unsigned bankgroup = 0;
  unsigned bank = 0;
  std::string rule;
  std::string message;  // full text: rule, channel, bank group, bank, cycle and the numbers
};

struct CheckerOptions {
  RefreshMode refresh = RefreshMode::AllBank;
  unsigned max_postponed = 8;  // refreshes that may be owed at any time
  // Throw DramViolation at the first violation instead of only recording it.
  bool fail_fast = false;
};

// Thrown by a fail-fast checker; what() names the rule, channel, bank group,
// bank and cycle.
class DramViolation : public std::runtime_error {
 public:
  DramViolation(const std::string& what, Violation v) : std::runtime_error(what), violation_(std::move(v)) {}
  const Violation& violation() const { return violation_; }

 private:
  Violation violation_;
};

// How often a rule constrained a command and how close the closest came: a
// slack of 0 means a command was issued on the first legal cycle.
struct RuleStats {
  uint64_t checks = 0;
  int64_t min_slack = std::numeric_limits<int64_t>::max();
  uint64_t at_limit = 0;  // checks with slack 0
};

struct Geometry {
  unsigned channels = 1;
  unsigned bankgroups = 1;
  unsigned banks_per_group = 1;
  uint32_t rows = 1;
  uint32_t columns = 1;  // requests per row
  static Geometry of(const hw::dram::Preset& p);
};

class DramChecker {
 public:
  DramChecker(const Geometry& g, const hw::dram::Timing& t, CheckerOptions o = {});

  void command(unsigned channel, uint64_t cycle, const DramCommand& c);
  // Checks the refresh deadline up to cycle (call at the end of a run).
  void finish(uint64_t cycle);
  // Records a violation found by a user of the checker (e.g. the storage model).
  void report_violation(unsigned channel, uint64_t cycle, unsigned bg, unsigned ba, const std::string& rule,
                        const std::string& what);

  bool ok() const { return violations_.empty(); }
  const std::vector<Violation>& violations() const { return violations_; }
  std::string summary(size_t max_lines = 10) const;  // the first violations, one a line
  const std::map<std::string, RuleStats>& rule_stats() const { return stats_; }
  uint64_t command_count(Cmd c) const { return counts_[static_cast<unsigned>(c) & 7]; }
  // The largest number of refreshes owed at once (1: never postponed beyond one interval).
  uint64_t max_refresh_debt() const { return max_debt_; }
  const Geometry& geometry() const { return geo_; }
  const hw::dram::Timing& timing() const { return t_; }

  // Rule names (keys of rule_stats and Violation::rule).
  static const std::vector<std::string>& timing_rules();
  static const std::vector<std::string>& protocol_rules();

 private:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::min() / 4;
  struct Bank {
    bool open = false;
    uint32_t row = 0;
    int64_t act = kNever, pre = kNever, rd = kNever, wr = kNever, refb = kNever;
    bool refreshed_in_round = false;
  };
  struct Channel {
    std::vector<Bank> banks;
    std::vector<int64_t> last_act_group;   // ACT or REFB, per group
    std::vector<unsigned> last_act_bank;   // which bank it was
    std::vector<int64_t> last_col_group;   // RD or WR, per group
    std::vector<int64_t> last_wr_group;
    int64_t last_rd = kNever, last_wr = kNever, last_ref = kNever, last_cmd = kNever;
    int64_t acts[4] = {kNever, kNever, kNever, kNever};  // the last four ACTs, oldest first
    uint64_t refs = 0, refbs = 0;
    bool late = false;  // a refresh-deadline violation was reported and not yet caught up
  };

  void need(unsigned ch, int64_t t, unsigned bg, unsigned ba, const char* rule, int64_t prev, int64_t required,
            const char* what, const char* after);
  void check_deadline(unsigned ch, int64_t t);
  void close_bank(unsigned ch, int64_t t, unsigned bg, unsigned ba, const char* what);
  unsigned flat(unsigned bg, unsigned ba) const { return bg * geo_.banks_per_group + ba; }

  Geometry geo_;
  hw::dram::Timing t_;
  CheckerOptions opt_;
  std::vector<Channel> ch_;
  std::vector<Violation> violations_;
  std::map<std::string, RuleStats> stats_;
  uint64_t counts_[8] = {};
  uint64_t max_debt_ = 0;
};

}  // namespace kmtsim::dram
