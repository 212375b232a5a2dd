// Memory controller (rtl/mc) over Verilator, clocked directly from C++: the
// arbiter and the FR-FCFS picker against C++ reference models, and the whole
// controller with the DRAM model and the independent checker on its command
// buses. Random tests print their seed; KMTSIM_SEED repeats a run. Any test
// dumps an FST waveform to $KMTSIM_FST when set; a failing controller run is
// re-run with the same seed into <test>.fst automatically.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "Vkmt_mc_arb.h"
#include "Vkmt_mc_gddr6.h"
#ifndef KMTSIM_MC_HBM2
#define KMTSIM_MC_HBM2 1
#endif
#if KMTSIM_MC_HBM2
#include "Vkmt_mc_hbm2.h"
#endif
#include "Vkmt_mc_ice40.h"
#include "Vkmt_mc_sched.h"
#include "mc_harness.h"
#include "seed.h"

using namespace kmtsim::test;
namespace dram = kmtsim::dram;
using dram::RefreshMode;

namespace {

using Gddr6 = McHarness<Vkmt_mc_gddr6>;
using Ice40 = McHarness<Vkmt_mc_ice40>;
const McParams kGddr6P = KMT_MC_PARAMS(GDDR6, hwd::kGddr6);
const McParams kIce40P = KMT_MC_PARAMS(ICE40, hwd::kIce40);
#if KMTSIM_MC_HBM2
using Hbm2 = McHarness<Vkmt_mc_hbm2>;
const McParams kHbm2P = KMT_MC_PARAMS(HBM2, hwd::kHbm2);
#else
// Coverage build (test_mc_cov): no instrumented hbm2 model; its cases run on gddr6.
using Hbm2 = Gddr6;
const McParams kHbm2P = kGddr6P;
#endif

// Runs body(fst_path) -> error text (empty when it passed). On failure, unless a
// dump was already requested, runs it again (same seed, so the same run) into
// <name>.fst and says where it is.
void with_waveform_on_failure(const std::string& name, const std::function<std::string(const std::string&)>& body) {
  const std::string requested = fst_request_path();
  std::string err = body(requested);
  if (!err.empty() && requested.empty()) {
    std::string file = name;
    for (char& c : file) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    file += ".fst";
    body(file);
    std::printf("waveform of the failing run: %s\n", file.c_str());
    err += "\nwaveform of the failing run: " + file;
  }
  INFO(err);
  REQUIRE(err.empty());
}

template <class H>
std::string verdict(H& h) {
  h.finish();
  if (h.ok()) return "";
  return h.report();
}

// Random traffic: every port submits `per_port` requests over a footprint of
// `rows` rows in every bank/channel and `cols` columns, a fraction `writes` of
// them writes; ports keep at most `depth` requests queued.
template <class H>
void random_traffic(H& h, unsigned per_port, unsigned rows, unsigned cols, double writes, unsigned depth = 4) {
  auto& rng = h.rng();
  const dram::AddressMap& m = h.map();
  const hwd::Preset& p = *h.params().preset;
  std::vector<unsigned> left(h.params().ports, per_port);
  auto pending = [&] {
    for (unsigned v : left) {
      if (v) return true;
    }
    return false;
  };
  uint64_t stuck = 0;
  while (pending()) {
    if (++stuck > 200000) {
      h.error("random traffic: the controller stopped taking requests");
      return;
    }
    for (unsigned port = 0; port < h.params().ports; ++port) {
      if (left[port] == 0 || h.queued(port) >= depth) continue;
      stuck = 0;
      dram::DramAddress a;
      a.channel = static_cast<uint32_t>(rng() % p.channels);
      a.bankgroup = static_cast<uint32_t>(rng() % p.bankgroups);
      a.bank = static_cast<uint32_t>(rng() % p.banks_per_group);
      a.row = static_cast<uint32_t>(rng() % rows);
      a.column = static_cast<uint32_t>(rng() % std::min<uint64_t>(cols, uint64_t{1} << m.column().width));
      h.submit(port, m.encode(a), std::uniform_real_distribution<>(0, 1)(rng) < writes);
      --left[port];
    }
    h.step();
  }
}

}  // namespace

// ---------------------------------------------------------------------------- arbiter

namespace {

// Reference: port 0 has priority, capped at `cap` grants in a row while another
// port waits; ports 1..n-1 round robin from a pointer that moves past each
// taken grant.
struct ArbRef {
  unsigned n, cap;
  unsigned ptr = 1, prio_run = 0;
  int grant(uint32_t req) const {
    const bool others = (req >> 1) != 0;
    if ((req & 1) && !(others && cap != 0 && prio_run >= cap)) return 0;
    for (unsigned k = 0; k + 1 < n; ++k) {
      const unsigned idx = 1 + (ptr - 1 + k) % (n - 1);
      if ((req >> idx) & 1) return static_cast<int>(idx);
    }
    return -1;
  }
  void update(uint32_t req, bool ack) {
    const int g = grant(req);
    const bool others = (req >> 1) != 0;
    if (ack && g == 0 && others) ++prio_run;
    if (ack && g > 0) {
      prio_run = 0;
      ptr = static_cast<unsigned>(g) == n - 1 ? 1 : static_cast<unsigned>(g) + 1;
    }
    if (!others) prio_run = 0;
  }
};

struct ArbBench {
  VlModel<Vkmt_mc_arb> mp;
  Vkmt_mc_arb& m;
  uint32_t onehot = 0;  // gnt_o in the last cycle
  uint64_t t = 0;
  explicit ArbBench(const std::string& fst_path = fst_request_path()) : mp("arb", fst_path), m(*mp) { mp.reset(); }
  // Drives one cycle; returns the granted index or -1.
  int cycle(uint32_t req, bool ack) {
    m.req_i = req;
    m.ack_i = ack;
    int g = -1;
    mp.clock(t++, [&](Vkmt_mc_arb& low) {
      g = low.gnt_valid_o ? static_cast<int>(low.gnt_idx_o) : -1;
      onehot = low.gnt_o;
    });
    return g;
  }
};

}  // namespace

TEST_CASE("arbiter grants match the priority plus round-robin reference", "[mc][arb]") {
  const uint64_t seed = test_seed("arbiter reference");
  with_waveform_on_failure("arbiter_reference", [&](const std::string& fst) -> std::string {
    std::mt19937_64 rng(seed);
    ArbBench b(fst);
    ArbRef ref{KMT_MC_ARB_N, KMT_MC_ARB_PRIO_CAP};
    for (int i = 0; i < 200000; ++i) {
      const double density = (i / 1000) % 4 * 0.3 + 0.05;
      uint32_t req = 0;
      for (unsigned k = 0; k < KMT_MC_ARB_N; ++k) {
        if (std::uniform_real_distribution<>(0, 1)(rng) < density) req |= 1u << k;
      }
      const bool ack = rng() % 4 != 0;
      const int want = ref.grant(req);
      const int got = b.cycle(req, ack);
      if (got != want || b.onehot != (want < 0 ? 0u : 1u << want)) {
        return "cycle " + std::to_string(i) + " req " + std::to_string(req) + ": rtl granted " + std::to_string(got) +
               " (one-hot " + std::to_string(b.onehot) + "), reference " + std::to_string(want);
      }
      ref.update(req, ack);
    }
    return "";
  });
}

TEST_CASE("arbiter shares grants equally among the round-robin ports", "[mc][arb]") {
  ArbBench b;
  const unsigned n = KMT_MC_ARB_N;
  std::vector<unsigned> grants(n, 0), last(n, 0), max_wait(n, 0);
  const uint32_t all_but_prio = ((1u << n) - 1) & ~1u;
  for (unsigned t = 1; t <= 4000; ++t) {
    const int g = b.cycle(all_but_prio, true);
    REQUIRE(g > 0);
    ++grants[g];
    max_wait[g] = std::max(max_wait[g], t - last[g]);
    last[g] = t;
  }
  for (unsigned k = 1; k < n; ++k) {
    CHECK(grants[k] == 4000 / (n - 1));
    CHECK(max_wait[k] <= n - 1);
  }
}

TEST_CASE("arbiter priority port wins but is capped so the others are not starved", "[mc][arb]") {
  ArbBench b;
  const unsigned n = KMT_MC_ARB_N, cap = KMT_MC_ARB_PRIO_CAP;
  SECTION("alone it gets every cycle") {
    for (int t = 0; t < 100; ++t) REQUIRE(b.cycle(1u, true) == 0);
  }
  SECTION("against a waiting port it gets cap grants of every cap + 1") {
    std::vector<unsigned> grants(n, 0), last(n, 0), max_wait(n, 0);
    unsigned run = 0, max_run = 0;
    const unsigned cycles = (cap + 1) * (n - 1) * 100;
    for (unsigned t = 1; t <= cycles; ++t) {
      const int g = b.cycle((1u << n) - 1, true);
      REQUIRE(g >= 0);
      ++grants[g];
      run = g == 0 ? run + 1 : 0;
      max_run = std::max(max_run, run);
      max_wait[g] = std::max(max_wait[g], t - last[g]);
      last[g] = t;
    }
    CHECK(max_run == cap);
    CHECK(grants[0] == cycles / (cap + 1) * cap);
    for (unsigned k = 1; k < n; ++k) {
      CHECK(grants[k] == cycles / (cap + 1) / (n - 1));
      CHECK(max_wait[k] <= (cap + 1) * (n - 1));
    }
  }
  SECTION("a stalled grant does not count towards the cap") {
    for (int t = 0; t < 50; ++t) REQUIRE(b.cycle((1u << n) - 1, false) == 0);
  }
}

// ---------------------------------------------------------------------------- scheduler

namespace {

constexpr unsigned kSd = KMT_MC_SCHED_DEPTH, kSb = KMT_MC_SCHED_BANKS, kSr = KMT_MC_SCHED_ROW_W;

struct SchedIn {
  unsigned count = 0;  // valid entries: 0..count-1 (age order, 0 oldest)
  unsigned bank[kSd] = {}, row[kSd] = {};
  bool write[kSd] = {}, urgent[kSd] = {};
  bool open[kSb] = {}, can_act[kSb] = {}, can_pre[kSb] = {}, can_rd[kSb] = {}, can_wr[kSb] = {}, block[kSb] = {};
  unsigned open_row[kSb] = {};
  bool act_block = false, col_block = false, rd_credit = true, wr_credit = true;
};

struct SchedOut {
  bool valid;
  unsigned idx;
  Cmd cmd;
  bool operator==(const SchedOut& o) const { return valid == o.valid && (!valid || (idx == o.idx && cmd == o.cmd)); }
};

// FR-FCFS with a starvation cap, from its definition: (1) the oldest ready
// urgent request, (2) the oldest ready row hit, (3) the oldest ready ACT/PRE.
// A row hit is not ready while an older urgent request waits for another row
// of its bank; a PRE is not ready while its bank has row hits that are not
// held back that way.
SchedOut sched_ref(const SchedIn& in) {
  enum Kind { kHit, kConflict, kClosed };
  Kind kind[kSd];
  bool held[kSd] = {}, live_hit[kSb] = {};
  for (unsigned i = 0; i < in.count; ++i) {
    const unsigned b = in.bank[i];
    kind[i] = !in.open[b] ? kClosed : (in.open_row[b] == in.row[i] ? kHit : kConflict);
  }
  for (unsigned i = 0; i < in.count; ++i) {
    for (unsigned j = 0; j < i; ++j) {
      if (in.bank[j] == in.bank[i] && in.urgent[j] && kind[j] != kHit) held[i] = true;
    }
    if (kind[i] == kHit && !held[i]) live_hit[in.bank[i]] = true;
  }
  auto ready = [&](unsigned i, Cmd& cmd) {
    const unsigned b = in.bank[i];
    if (in.block[b]) return false;
    switch (kind[i]) {
      case kHit:
        cmd = in.write[i] ? Cmd::WR : Cmd::RD;
        return !held[i] && !in.col_block &&
               (in.write[i] ? in.can_wr[b] && in.wr_credit : in.can_rd[b] && in.rd_credit);
      case kClosed:
        cmd = Cmd::ACT;
        return !in.act_block && in.can_act[b];
      case kConflict:
        cmd = Cmd::PRE;
        return in.can_pre[b] && !live_hit[b];
    }
    return false;
  };
  Cmd cmd = Cmd::NOP;
  for (unsigned i = 0; i < in.count; ++i) {
    if (in.urgent[i] && ready(i, cmd)) return {true, i, cmd};
  }
  for (unsigned i = 0; i < in.count; ++i) {
    if (ready(i, cmd) && (cmd == Cmd::RD || cmd == Cmd::WR)) return {true, i, cmd};
  }
  for (unsigned i = 0; i < in.count; ++i) {
    if (ready(i, cmd)) return {true, i, cmd};
  }
  return {false, 0, Cmd::NOP};
}

}  // namespace

TEST_CASE("scheduler picks match the FR-FCFS reference model", "[mc][sched]") {
  const uint64_t seed = test_seed("scheduler reference");
  std::map<std::string, unsigned> seen;
  with_waveform_on_failure("scheduler_reference", [&](const std::string& fst_path) -> std::string {
    seen.clear();
    std::mt19937_64 rng(seed);
    VerilatedContext ctx;
    if (!fst_path.empty()) ctx.traceEverOn(true);
    Vkmt_mc_sched m(&ctx, "sched");
    std::unique_ptr<VerilatedFstC> fst;
    if (!fst_path.empty()) {
      fst = std::make_unique<VerilatedFstC>();
      m.trace(fst.get(), 99);
      fst->open(fst_path.c_str());
    }
    struct AtEnd {
      VerilatedContext& c;
      std::unique_ptr<VerilatedFstC>& f;
      ~AtEnd() {
        if (f) f->close();
        write_coverage(c);
      }
    } at_end{ctx, fst};
    auto coin = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
    for (int n = 0; n < 200000; ++n) {
      SchedIn in;
      in.count = static_cast<unsigned>(rng() % (kSd + 1));
      const unsigned banks_used = 1 + static_cast<unsigned>(rng() % kSb);  // crowd few banks sometimes
      const double p_ready = 0.2 + 0.2 * static_cast<double>(rng() % 4);
      for (unsigned i = 0; i < in.count; ++i) {
        in.bank[i] = static_cast<unsigned>(rng() % banks_used);
        in.row[i] = static_cast<unsigned>(rng() % (1u << kSr));
        in.write[i] = coin(0.3);
        in.urgent[i] = coin(0.15);
      }
      for (unsigned b = 0; b < kSb; ++b) {
        in.open[b] = coin(0.6);
        in.open_row[b] = static_cast<unsigned>(rng() % (1u << kSr));
        in.can_act[b] = coin(p_ready);
        in.can_pre[b] = coin(p_ready);
        in.can_rd[b] = coin(p_ready);
        in.can_wr[b] = coin(p_ready);
        in.block[b] = coin(0.05);
      }
      in.act_block = coin(0.1);
      in.col_block = coin(0.1);
      in.rd_credit = coin(0.9);
      in.wr_credit = coin(0.9);

      uint32_t v = 0, w = 0, u = 0, bank = 0, row = 0;
      for (unsigned i = 0; i < kSd; ++i) {
        if (i < in.count) v |= 1u << i;
        if (in.write[i]) w |= 1u << i;
        if (in.urgent[i]) u |= 1u << i;
        bank |= in.bank[i] << (3 * i);
        row |= in.row[i] << (kSr * i);
      }
      m.ent_valid_i = v;
      m.ent_write_i = w;
      m.ent_urgent_i = u;
      m.ent_bank_i = bank;
      m.ent_row_i = row;
      uint32_t open = 0, orow = 0, ca = 0, cp = 0, cr = 0, cw = 0, bb = 0;
      for (unsigned b = 0; b < kSb; ++b) {
        open |= uint32_t{in.open[b]} << b;
        orow |= in.open_row[b] << (kSr * b);
        ca |= uint32_t{in.can_act[b]} << b;
        cp |= uint32_t{in.can_pre[b]} << b;
        cr |= uint32_t{in.can_rd[b]} << b;
        cw |= uint32_t{in.can_wr[b]} << b;
        bb |= uint32_t{in.block[b]} << b;
      }
      m.bank_open_i = open;
      m.bank_row_i = orow;
      m.can_act_i = ca;
      m.can_pre_i = cp;
      m.can_rd_i = cr;
      m.can_wr_i = cw;
      m.bank_block_i = bb;
      m.act_block_i = in.act_block;
      m.col_block_i = in.col_block;
      m.rd_credit_i = in.rd_credit;
      m.wr_credit_i = in.wr_credit;
      m.eval();
      if (fst) fst->dump(static_cast<uint64_t>(n));
      const SchedOut got{m.pick_valid_o != 0, m.pick_idx_o, static_cast<Cmd>(m.pick_cmd_o)};
      const SchedOut want = sched_ref(in);
      if (!(got == want)) {
        return "vector " + std::to_string(n) + ": rtl " + std::to_string(got.valid) + "/" + std::to_string(got.idx) + "/" +
               hwd::to_string(got.cmd) + ", reference " + std::to_string(want.valid) + "/" + std::to_string(want.idx) +
               "/" + hwd::to_string(want.cmd);
      }
      ++seen[want.valid ? std::string(hwd::to_string(want.cmd)) + (in.urgent[want.idx] ? " urgent" : "") : "none"];
      if (want.valid && want.idx > 0) ++seen["not the oldest"];
    }
    return "";
  });
  // The random vectors reach every kind of choice.
  for (const char* k : {"RD", "WR", "ACT", "PRE", "RD urgent", "ACT urgent", "PRE urgent", "none", "not the oldest"}) {
    INFO(k);
    CHECK(seen[k] > 100);
  }
}

// ---------------------------------------------------------------------------- whole controller

TEST_CASE("mc hbm2 random reads and writes return the data last written", "[mc][hbm2]") {
  const uint64_t seed = test_seed("mc hbm2 random traffic");
  with_waveform_on_failure("mc_hbm2_random", [&](const std::string& fst) {
    Hbm2::Options o;
    o.seed = seed;
    o.fst_path = fst;
    o.rsp_ready_prob = 0.7;
    Hbm2 h(kHbm2P, o);
    // Few rows and columns: many row conflicts and many accesses to one address.
    random_traffic(h, 2500, 3, 4, 0.35);
    h.drain(200000);
    std::printf("hbm2 random: %llu reads, %llu writes in %llu cycles\n",
                static_cast<unsigned long long>(h.reads_done()), static_cast<unsigned long long>(h.writes_done()),
                static_cast<unsigned long long>(h.cycle()));
    std::string err = verdict(h);
    if (h.reads_done() + h.writes_done() != h.params().ports * 2500) err += "not every request completed\n";
    return err;
  });
}

TEST_CASE("mc gddr6 and ice40 random traffic pass the scoreboard and the checker", "[mc][gddr6][ice40]") {
  const uint64_t seed = test_seed("mc gddr6/ice40 random traffic");
  with_waveform_on_failure("mc_gddr6_random", [&](const std::string& fst) {
    Gddr6::Options o;
    o.seed = seed;
    o.fst_path = fst;
    o.rsp_ready_prob = 0.8;
    Gddr6 h(kGddr6P, o);
    random_traffic(h, 1500, 4, 8, 0.4);
    h.drain(200000);
    std::string err = verdict(h);
    if (h.reads_done() + h.writes_done() != 4 * 1500) err += "not every request completed\n";
    return err;
  });
  with_waveform_on_failure("mc_ice40_random", [&](const std::string& fst) {
    Ice40::Options o;
    o.seed = seed;
    o.fst_path = fst;
    o.rsp_ready_prob = 0.6;
    Ice40 h(kIce40P, o);
    random_traffic(h, 2000, 64, 8, 0.4);
    h.drain(200000);
    std::string err = verdict(h);
    if (h.reads_done() + h.writes_done() != 5 * 2000) err += "not every request completed\n";
    return err;
  });
}

namespace {

// Traffic that makes every timing rule bind: bank conflicts, read/write mixes
// within and across bank groups, bursts of activates.
template <class H>
void rule_traffic(H& h, unsigned per_port) {
  random_traffic(h, per_port / 2, 2, 4, 0.5, 8);
  random_traffic(h, per_port / 2, 64, 16, 0.1, 8);
  h.drain(400000);
}

template <class H>
void merge_stats(H& h, std::map<std::string, dram::RuleStats>& all) {
  for (const auto& [rule, s] : h.dram().checker().rule_stats()) {
    dram::RuleStats& a = all[rule];
    a.checks += s.checks;
    a.min_slack = std::min(a.min_slack, s.min_slack);
    a.at_limit += s.at_limit;
  }
}

}  // namespace

TEST_CASE("mc exercises every timing rule at its limit and never breaks one", "[mc][timing]") {
  const uint64_t seed = test_seed("mc timing rules");
  std::map<std::string, dram::RuleStats> all;
  uint64_t max_debt = 0;
  with_waveform_on_failure("mc_rules_hbm2_allbank", [&](const std::string& fst) {
    Hbm2::Options o;
    o.seed = seed;
    o.fst_path = fst;
    Hbm2 h(kHbm2P, o);
    rule_traffic(h, 700);
    h.run(8000);  // idle: refresh alone
    std::string err = verdict(h);
    if (fst == fst_request_path()) {
      merge_stats(h, all);
      max_debt = std::max(max_debt, h.dram().checker().max_refresh_debt());
    }
    return err;
  });
  with_waveform_on_failure("mc_rules_hbm2_perbank", [&](const std::string& fst) {
    Hbm2::Options o;
    o.seed = seed + 1;
    o.fst_path = fst;
    o.refresh = RefreshMode::PerBank;
    Hbm2 h(kHbm2P, o);
    rule_traffic(h, 500);
    std::string err = verdict(h);
    if (fst == fst_request_path()) merge_stats(h, all);
    return err;
  });
  with_waveform_on_failure("mc_rules_gddr6", [&](const std::string& fst) {
    Gddr6::Options o;
    o.seed = seed + 2;
    o.fst_path = fst;
    Gddr6 h(kGddr6P, o);
    rule_traffic(h, 1500);
    std::string err = verdict(h);
    if (fst == fst_request_path()) merge_stats(h, all);
    return err;
  });
  with_waveform_on_failure("mc_rules_ice40", [&](const std::string& fst) {
    Ice40::Options o;
    o.seed = seed + 3;
    o.fst_path = fst;
    Ice40 h(kIce40P, o);
    rule_traffic(h, 1500);
    std::string err = verdict(h);
    if (fst == fst_request_path()) merge_stats(h, all);
    return err;
  });
  std::printf("%-8s %10s %10s %9s\n", "rule", "checks", "at limit", "min slack");
  for (const std::string& rule : dram::DramChecker::timing_rules()) {
    const dram::RuleStats& s = all[rule];
    std::printf("%-8s %10llu %10llu %9lld\n", rule.c_str(), static_cast<unsigned long long>(s.checks),
                static_cast<unsigned long long>(s.at_limit), static_cast<long long>(s.min_slack));
  }
  for (const std::string& rule : dram::DramChecker::timing_rules()) {
    INFO("rule " << rule);
    CHECK(all[rule].checks > 0);
    if (rule == "tREFI") continue;  // a deadline, not a gap: see the refresh tests
#if KMTSIM_MC_HBM2
    CHECK(all[rule].min_slack == 0);  // some command went on the first legal cycle
#endif
    // (The coverage build has no hbm2: with gddr6's tRRD 4 x 9 > tFAW 32, tFAW cannot bind.)
  }
  CHECK(max_debt == 1);  // every REF was owed, none was postponed past the next tREFI
}

#if KMTSIM_MC_HBM2
TEST_CASE("checker catches a controller given timing shorter than the DRAM's", "[mc][timing][mutation]") {
  // The controller runs with one parameter lowered; the checker, holding the
  // DRAM's real timing, must name a rule that this breaks.
  const uint64_t seed = test_seed("timing mutation");
  struct Mutation {
    const char* name;
    uint32_t hwd::Timing::*field;
    uint32_t value;
    std::vector<std::string> rules;
    bool gddr6 = false;     // hbm2's tBURST (2) hides tCCD; gddr6's (1) does not
    unsigned traffic = 200;  // requests per port and phase; enough to reach a REF for tRFC
  };
  const std::vector<Mutation> mutations{
      {"tRCD_RD", &hwd::Timing::tRCD_RD, 10, {"tRCD_RD"}},
      {"tRCD_WR", &hwd::Timing::tRCD_WR, 10, {"tRCD_WR"}},
      {"tRP", &hwd::Timing::tRP, 8, {"tRP"}},
      {"tRAS", &hwd::Timing::tRAS, 20, {"tRAS"}},
      {"tRRD_S", &hwd::Timing::tRRD_S, 2, {"tRRD_S"}},
      {"tRRD_L", &hwd::Timing::tRRD_L, 3, {"tRRD_L"}},
      {"tFAW", &hwd::Timing::tFAW, 16, {"tFAW"}},
      {"tCCD_S", &hwd::Timing::tCCD_S, 1, {"tCCD_S"}, true},
      {"tCCD_L", &hwd::Timing::tCCD_L, 1, {"tCCD_L"}, true},
      {"tBURST", &hwd::Timing::tBURST, 1, {"tBURST", "tCCD_L", "tWTR_S", "tWTR_L", "tWR"}},
      {"tWTR_L", &hwd::Timing::tWTR_L, 2, {"tWTR_L"}},
      {"tWTR_S", &hwd::Timing::tWTR_S, 1, {"tWTR_S"}},
      {"tRTP", &hwd::Timing::tRTP, 1, {"tRTP"}},
      {"tWR", &hwd::Timing::tWR, 4, {"tWR"}},
      {"tRTRS", &hwd::Timing::tRTRS, 0, {"tRTRS"}},
      {"CL", &hwd::Timing::CL, 8, {"tRTRS"}},
      {"CWL", &hwd::Timing::CWL, 1, {"tWTR_L", "tWTR_S", "tWR"}},
      {"tRFC", &hwd::Timing::tRFC, 100, {"tRFC"}, false, 1500},
      {"tREFI", &hwd::Timing::tREFI, 60000, {"tREFI"}},
  };
  for (const Mutation& mu : mutations) {
    auto run = [&](auto& h) {
      random_traffic(h, mu.traffic, 2, 4, 0.5, 8);
      random_traffic(h, mu.traffic, 64, 16, 0.1, 8);
      h.drain(100000);
      if (mu.rules.front() == "tREFI") h.run(40000);
      h.finish();
      return h.dram().checker().violations();
    };
    std::vector<dram::Violation> found;
    const hwd::Preset& preset = mu.gddr6 ? hwd::kGddr6 : hwd::kHbm2;
    hwd::Timing mc = preset.timing;
    mc.*mu.field = mu.value;
    if (mu.gddr6) {
      Gddr6::Options o;
      o.seed = seed;
      o.mc_timing = &mc;
      Gddr6 h(kGddr6P, o);
      found = run(h);
    } else {
      Hbm2::Options o;
      o.seed = seed;
      o.mc_timing = &mc;
      Hbm2 h(kHbm2P, o);
      found = run(h);
    }
    std::set<std::string> broken;
    for (const dram::Violation& v : found) broken.insert(v.rule);
    bool caught = false;
    for (const std::string& r : mu.rules) caught = caught || broken.count(r) > 0;
    std::printf("%-5s %-8s %4u -> %5u: %5zu violations, first: %s\n", preset.name.data(), mu.name,
                preset.timing.*mu.field, mu.value, found.size(), found.empty() ? "none" : found.front().message.c_str());
    INFO(mu.name << " lowered to " << mu.value);
    CHECK(caught);
  }
}

#endif

TEST_CASE("mc refresh is never late under load", "[mc][refresh]") {
  const uint64_t seed = test_seed("mc refresh");
  SECTION("ice40 all-bank: one REF per tREFI") {
    with_waveform_on_failure("mc_refresh_ice40", [&](const std::string& fst) {
      Ice40::Options o;
      o.seed = seed;
      o.fst_path = fst;
      Ice40 h(kIce40P, o);
      random_traffic(h, 3000, 64, 8, 0.3, 8);
      h.drain(100000);
      h.run(2000);
      std::string err = verdict(h);
      const uint64_t owed = h.cycle() / hwd::kIce40.timing.tREFI;
      const uint64_t refs = h.commands(Cmd::REF);
      std::printf("ice40: %llu cycles, %llu REF (owed %llu), max debt %llu\n",
                  static_cast<unsigned long long>(h.cycle()), static_cast<unsigned long long>(refs),
                  static_cast<unsigned long long>(owed),
                  static_cast<unsigned long long>(h.dram().checker().max_refresh_debt()));
      if (h.dram().checker().max_refresh_debt() > 1) err += "a refresh was postponed past the next tREFI\n";
      if (refs + 1 < owed || refs > owed) err += "REF count does not follow tREFI\n";
      return err;
    });
  }
  SECTION("hbm2 all-bank under a sequential stream") {
    with_waveform_on_failure("mc_refresh_hbm2_seq", [&](const std::string& fst) {
      Hbm2::Options o;
      o.seed = seed;
      o.fst_path = fst;
      Hbm2 h(kHbm2P, o);
      for (uint64_t line = 0; line < 40000;) {
        for (unsigned p = 0; p < 8; ++p) {
          if (h.queued(p) < 4) h.submit(p, (uint64_t{p} << 24) + (line + p * 16) * 64, false);
        }
        line += 1;
        h.step();
      }
      h.drain(100000);
      std::string err = verdict(h);
      if (h.dram().checker().max_refresh_debt() > 1) err += "a refresh was postponed past the next tREFI\n";
      return err;
    });
  }
  SECTION("hbm2 per-bank: REFB every tREFIb, each bank once a round") {
    with_waveform_on_failure("mc_refresh_hbm2_perbank", [&](const std::string& fst) {
      Hbm2::Options o;
      o.seed = seed;
      o.fst_path = fst;
      o.refresh = RefreshMode::PerBank;
      Hbm2 h(kHbm2P, o);
      random_traffic(h, 600, 8, 16, 0.3, 8);
      h.drain(100000);
      h.run(3000);
      std::string err = verdict(h);
      const hwd::Preset& pr = *h.params().preset;
      const uint64_t owed = h.cycle() / pr.timing.tREFIb * pr.channels;
      const uint64_t refbs = h.commands(Cmd::REFB);
      std::printf("%s per-bank: %llu cycles, %llu REFB (owed %llu), %llu REF, max debt %llu\n",
                  pr.name.data(), static_cast<unsigned long long>(h.cycle()), static_cast<unsigned long long>(refbs),
                  static_cast<unsigned long long>(owed), static_cast<unsigned long long>(h.commands(Cmd::REF)),
                  static_cast<unsigned long long>(h.dram().checker().max_refresh_debt()));
      if (h.commands(Cmd::REF) != 0) err += "REF in per-bank mode\n";
      if (refbs + 8 * pr.channels < owed) err += "REFB count falls behind tREFIb\n";
      return err;
    });
  }
}

TEST_CASE("mc starvation cap bounds how many younger row hits overtake a request", "[mc][sched]") {
  const uint64_t seed = test_seed("mc starvation cap");
  with_waveform_on_failure("mc_starvation", [&](const std::string& fst) {
    Hbm2::Options o;
    o.seed = seed;
    o.fst_path = fst;
    o.log_commands = true;
    Hbm2 h(kHbm2P, o);
    const dram::AddressMap& m = h.map();
    auto addr = [&](uint32_t row, uint32_t col) { return m.encode(dram::DramAddress{0, 0, 1, 2, row, col}); };
    // Open row 5 of channel 0, bank group 1, bank 2.
    h.submit(0, addr(5, 0), false);
    h.drain(1000);
    // The victim wants row 9 of the same bank; then a flood of row-5 hits from the other ports.
    h.submit(1, addr(9, 3), false);
    h.step();
    h.step();
    const uint64_t victim_accepted = h.cycle();
    uint64_t victim_rd = 0;
    unsigned bypass = 0;
    h.on_command = [&](const CmdRecord& c) {
      if (c.ch == 0 && c.bg == 1 && c.ba == 2 && c.cmd == Cmd::RD) {
        if (c.row == 9) victim_rd = c.cycle;
        if (c.row == 5 && victim_rd == 0) ++bypass;
      }
    };
    for (int i = 0; i < 3000 && victim_rd == 0; ++i) {
      for (unsigned p = 2; p < h.params().ports; ++p) {
        if (h.queued(p) < 2) h.submit(p, addr(5, static_cast<uint32_t>(h.rng()() % 16)), false);
      }
      h.step();
    }
    h.on_command = nullptr;
    h.drain(20000);
    std::printf("starvation: the victim's RD came %llu cycles after it was queued, after %u younger row hits (cap %u)\n",
                static_cast<unsigned long long>(victim_rd - victim_accepted), bypass, h.params().starve_cap);
    std::string err = verdict(h);
    if (victim_rd == 0) err += "the victim was never served\n";
    if (bypass > h.params().starve_cap) err += "more younger hits than the cap overtook the victim\n";
    if (bypass == 0) err += "no row hit overtook the victim: not FR-FCFS\n";
    return err;
  });
}

TEST_CASE("mc interleaves addresses per preset", "[mc][map]") {
  const uint64_t seed = test_seed("mc address interleaving");
  // Every RD/WR on a bus must be exactly one request's address as the C++ map decodes it.
  auto run = [&](auto& h, const char* name) {
    const dram::AddressMap& m = h.map();
    std::multiset<std::tuple<unsigned, unsigned, unsigned, unsigned, unsigned>> expected;
    std::set<uint64_t> used;
    std::vector<unsigned> per_channel(h.params().channels, 0);
    h.on_command = [&](const CmdRecord& c) {
      if (c.cmd != Cmd::RD && c.cmd != Cmd::WR) return;
      const auto it = expected.find({c.ch, c.bg, c.ba, c.row, c.col});
      if (it == expected.end()) {
        h.error(std::string(name) + ": a column command at an address no request decodes to");
      } else {
        expected.erase(it);
        ++per_channel[c.ch];
      }
    };
    // Distinct addresses, at most half of the device's lines.
    const unsigned total = static_cast<unsigned>(std::min<uint64_t>(3000, m.capacity_bytes() / h.params().preset->request_bytes / 2));
    unsigned n = 0;
    while (n < total) {
      for (unsigned p = 0; p < h.params().ports && n < total; ++p) {
        if (h.queued(p) >= 2) continue;
        const uint64_t a = h.rng()() & (m.capacity_bytes() - 1) & ~uint64_t{h.params().preset->request_bytes - 1};
        if (!used.insert(a).second) continue;
        const dram::DramAddress d = m.decode(a);
        expected.insert({d.channel, d.bankgroup, d.bank, d.row, d.column});
        h.submit(p, a, (n & 1) != 0);
        ++n;
      }
      h.step();
    }
    h.drain(100000);
    std::string err = verdict(h);
    if (!expected.empty()) err += std::string(name) + ": requests whose address never appeared on a bus\n";
    for (unsigned c = 0; c < h.params().channels; ++c) {
      if (per_channel[c] < total / h.params().channels / 2) err += std::string(name) + ": channel badly underused\n";
    }
    return err;
  };
  with_waveform_on_failure("mc_map_hbm2", [&](const std::string& fst) {
    Hbm2::Options o;
    o.seed = seed;
    o.fst_path = fst;
    Hbm2 h(kHbm2P, o);
    // Sequential lines: 16 to a channel, then the next channel (rorabgbachco).
    for (unsigned line = 0; line < 256 && h.params().preset == &hwd::kHbm2; ++line) {
      const dram::DramAddress d = h.map().decode(uint64_t{line} * 64);
      if (d.channel != (line / 16) % 8 || d.column != line % 16 || d.bank != line / 128 % 4) {
        return std::string("hbm2 sequential lines do not interleave as rorabgbachco\n");
      }
    }
    return run(h, "hbm2");
  });
  with_waveform_on_failure("mc_map_gddr6", [&](const std::string& fst) {
    Gddr6::Options o;
    o.seed = seed;
    o.fst_path = fst;
    Gddr6 h(kGddr6P, o);
    return run(h, "gddr6");
  });
  with_waveform_on_failure("mc_map_ice40", [&](const std::string& fst) {
    Ice40::Options o;
    o.seed = seed;
    o.fst_path = fst;
    Ice40 h(kIce40P, o);
    return run(h, "ice40");
  });
}

