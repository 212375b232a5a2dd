// bench_mc: the memory controller (hbm2 configuration, 8 channels, 8 ports)
// clocked directly, with the DRAM model and checker on its buses. Prints JSON:
// achieved read bandwidth for sequential and uniformly random reads, with
// all-bank and with per-bank refresh, against the preset's peak and the tFAW
// bound; and simulation speed in cycles per second.
//
//   bench_mc [--cycles N] [--warmup N] [--seed N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "Vkmt_mc_hbm2.h"
#include "mc_harness.h"

using namespace kmtsim::test;
namespace dram = kmtsim::dram;

namespace {

using Hbm2 = McHarness<Vkmt_mc_hbm2>;

struct Result {
  std::string workload, refresh;
  uint64_t cycles = 0, reads = 0, refs = 0, refbs = 0, violations = 0;
  double gbps = 0, of_peak = 0, of_faw = 0, seconds = 0;
};

constexpr unsigned kLookahead = 2;  // requests a port keeps queued

Result run(const std::string& workload, dram::RefreshMode mode, uint64_t warmup, uint64_t cycles, uint64_t seed) {
  const McParams p = KMT_MC_PARAMS(HBM2, hwd::kHbm2);
  Hbm2::Options o;
  o.seed = seed;
  o.refresh = mode;
  o.keep_completions = false;
  o.fst_path = fst_request_path();
  Hbm2 h(p, o);
  const dram::AddressMap& m = h.map();
  std::mt19937_64 rng(seed);
  const bool sequential = workload == "sequential_read";
  // Sequential: one stream of 64-B reads from address 0 up, split by channel
  // over the ports (port k issues, in order, the lines that map to channel k:
  // a DMA engine with one issue queue per channel).
  std::vector<uint64_t> issued(p.ports, 0);
  auto seq_addr = [&](unsigned k, uint64_t j) {
    const uint64_t per_row = uint64_t{1} << m.column().width;  // lines of one row of one channel
    const uint64_t line = (j / per_row) * per_row * p.channels + k * per_row + j % per_row;
    return line * hwd::kHbm2.request_bytes;
  };
  uint64_t reads_at_warmup = 0, rds_at_warmup = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t c = 0; c < warmup + cycles; ++c) {
    for (unsigned k = 0; k < p.ports; ++k) {
      while (h.queued(k) < kLookahead) {
        uint64_t a;
        if (sequential) {
          a = seq_addr(k, issued[k]++);
        } else {
          a = rng() & (m.capacity_bytes() - 1);
        }
        h.submit(k, a, false);
      }
    }
    if (c == warmup) {
      reads_at_warmup = h.reads_done();
      rds_at_warmup = h.commands(Cmd::RD);
    }
    h.step();
  }
  const auto t1 = std::chrono::steady_clock::now();
  h.finish();
  Result r;
  r.workload = workload;
  r.refresh = mode == dram::RefreshMode::PerBank ? "per_bank" : "all_bank";
  r.cycles = cycles;
  r.reads = h.commands(Cmd::RD) - rds_at_warmup;  // bursts on the buses in the window
  (void)reads_at_warmup;
  r.refs = h.commands(Cmd::REF);
  r.refbs = h.commands(Cmd::REFB);
  r.violations = h.dram().checker().violations().size();
  if (r.violations) std::fprintf(stderr, "%s\n", h.dram().checker().summary(5).c_str());
  const hwd::Preset& pr = hwd::kHbm2;
  const double ns = static_cast<double>(cycles) * pr.tck_ps / 1000.0;
  r.gbps = static_cast<double>(r.reads) * pr.request_bytes / ns;
  r.of_peak = r.gbps / pr.peak_gbps;
  // tFAW bound: four ACTs per tFAW per channel, one request each.
  const double faw_gbps = pr.channels * 4.0 * pr.request_bytes / (pr.timing.tFAW * pr.tck_ps / 1000.0);
  r.of_faw = r.gbps / faw_gbps;
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  return r;
}

// The model alone, clocked in a plain loop: sequential reads on every port, read
// data echoed back CL cycles after each RD, no checker or scoreboard.
double model_only_speed(uint64_t cycles) {
  VlModel<Vkmt_mc_hbm2> vm("mc", "");
  Vkmt_mc_hbm2& m = *vm;
  const hwd::Preset& pr = hwd::kHbm2;
  hwd::pack_timing(pr.timing, m.cfg_i.data(), (hwd::kTimingBits + 31) / 32);
  m.per_bank_ref_i = 0;
  vm.reset();
  const unsigned ports = KMT_MC_HBM2_NumPorts, ch = KMT_MC_HBM2_NumCh;
  std::vector<uint64_t> next(ports);
  for (unsigned k = 0; k < ports; ++k) next[k] = (uint64_t{k} << 28) + uint64_t{k} * 16 * 64;
  std::vector<uint32_t> pending(64, 0);  // per cycle slot: channels with data due
  m.rsp_ready_i = 0xFF;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t c = 0; c < cycles; ++c) {
    for (unsigned k = 0; k < ports; ++k) set_bits(m.req_addr_i, k * 32, 32, next[k]);
    m.req_valid_i = 0xFF;
    m.dram_rvalid_i = pending[c % 64];
    pending[c % 64] = 0;
    m.clk_i = 0;
    m.eval();
    for (unsigned k = 0; k < ports; ++k) {
      if ((m.req_ready_o >> k) & 1) next[k] += 64;
    }
    for (unsigned c2 = 0; c2 < ch; ++c2) {
      if (get_bits(m.dram_cmd_o, 3 * c2, 3) == static_cast<unsigned>(Cmd::RD)) {
        pending[(c + pr.timing.CL) % 64] |= 1u << c2;
      }
    }
    m.clk_i = 1;
    m.eval();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(cycles) / s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t cycles = 100000, warmup = 5000, seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--cycles") && i + 1 < argc) {
      cycles = std::strtoull(argv[++i], nullptr, 0);
    } else if (!std::strcmp(argv[i], "--warmup") && i + 1 < argc) {
      warmup = std::strtoull(argv[++i], nullptr, 0);
    } else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 0);
    } else {
      std::fprintf(stderr, "usage: bench_mc [--cycles N] [--warmup N] [--seed N]\n");
      return 2;
    }
  }
  const hwd::Preset& pr = hwd::kHbm2;
  std::vector<Result> results;
  for (const char* w : {"sequential_read", "random_read"}) {
    for (dram::RefreshMode mode : {dram::RefreshMode::AllBank, dram::RefreshMode::PerBank}) {
      results.push_back(run(w, mode, warmup, cycles, seed));
    }
  }
  const double raw = model_only_speed(cycles);
  double harness_cps = 0;
  for (const Result& r : results) harness_cps += static_cast<double>(cycles + warmup) / r.seconds;
  harness_cps /= static_cast<double>(results.size());

  const double faw_gbps = pr.channels * 4.0 * pr.request_bytes / (pr.timing.tFAW * pr.tck_ps / 1000.0);
  std::printf("{\n  \"preset\": \"%s\",\n  \"config\": {\"channels\": %u, \"ports\": %u, \"queue_depth\": %u, "
              "\"resp_depth\": %u, \"starve_cap\": %u, \"request_bytes\": %u},\n",
              pr.name.data(), KMT_MC_HBM2_NumCh, KMT_MC_HBM2_NumPorts, KMT_MC_HBM2_QueueDepth,
              KMT_MC_HBM2_RespDepth, KMT_MC_HBM2_StarveCap, pr.request_bytes);
  std::printf("  \"peak_gbps\": %.1f,\n  \"tfaw_bound_gbps\": %.2f,\n  \"cycles\": %llu,\n  \"warmup_cycles\": %llu,\n",
              pr.peak_gbps, faw_gbps, static_cast<unsigned long long>(cycles), static_cast<unsigned long long>(warmup));
  std::printf("  \"results\": [\n");
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    const bool seq = r.workload == "sequential_read";
    std::printf("    {\"workload\": \"%s\", \"refresh\": \"%s\", \"gbps\": %.2f, \"fraction_of_peak\": %.4f, "
                "\"fraction_of_tfaw_bound\": %.4f, \"target\": \"%s\", \"target_met\": %s, \"reads\": %llu, "
                "\"ref\": %llu, \"refb\": %llu, \"checker_violations\": %llu}%s\n",
                r.workload.c_str(), r.refresh.c_str(), r.gbps, r.of_peak, r.of_faw,
                seq ? "fraction_of_peak >= 0.92" : "fraction_of_tfaw_bound >= 0.85",
                (seq ? r.of_peak >= 0.92 : r.of_faw >= 0.85) ? "true" : "false",
                static_cast<unsigned long long>(r.reads), static_cast<unsigned long long>(r.refs),
                static_cast<unsigned long long>(r.refbs), static_cast<unsigned long long>(r.violations),
                i + 1 < results.size() ? "," : "");
  }
  std::printf("  ],\n  \"sim_speed\": {\"model_only_cycles_per_s\": %.0f, \"with_dram_model_and_checker_cycles_per_s\": %.0f}\n}\n",
              raw, harness_cps);
  return 0;
}
