// kmtsim memtrace speed: requests per wall second of the memory-controller
// model and of the Verilated kmt_mc on the same traces (generated in memory,
// so only the replay is timed), and the model alone on a long uniformly
// random hbm2 trace. JSON on stdout (and in --json FILE). Run on demand:
//   bench_memtrace [--requests N] [--rtl-requests M] [--seed S] [--json FILE] [--model-only]
//                  [--model-preset hbm2|gddr6|ice40] [--model-trace random|sequential|mixed]
//                  [--compare PRESET[/TRACE]]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "kmtsim/hw/dram_presets.h"
#include "kmtsim/util/json.h"
#include "memtrace.h"
#include "traces.h"

using namespace kmtsim;

namespace {

memtrace::ReplayResult replay_once(const std::string& backend, const hw::dram::Preset& p,
                                   const std::vector<memtrace::TraceRecord>& t) {
  auto b = memtrace::make_backend(backend, p, {});
  test::VectorTrace src(t);
  return memtrace::replay(*b, src);
}

// The same replay repeated, each on a fresh backend, until the runs add up
// to min_seconds of wall time (at least one run, at most kMaxRuns); the run
// with the median speed is reported, with the number of runs. A run of a few
// milliseconds (the model on a short trace) is otherwise measured mostly
// cold: caches, branch predictors and the clock still warming up. A run
// longer than min_seconds is measured once.
constexpr double kMinSeconds = 3.0;
constexpr unsigned kMaxRuns = 25;

struct Timed {
  memtrace::ReplayResult r;
  unsigned runs = 0;
};

Timed replay(const std::string& backend, const hw::dram::Preset& p, const std::vector<memtrace::TraceRecord>& t,
             double min_seconds = kMinSeconds) {
  std::vector<memtrace::ReplayResult> runs;
  double total = 0;
  do {
    runs.push_back(replay_once(backend, p, t));
    total += runs.back().wall_seconds;
    if (runs.back().cycles != runs.front().cycles) {
      std::fprintf(stderr, "bench_memtrace: %s gave %llu cycles, then %llu, on the same trace\n", backend.c_str(),
                   static_cast<unsigned long long>(runs.front().cycles),
                   static_cast<unsigned long long>(runs.back().cycles));
      std::exit(1);
    }
  } while (total < min_seconds && runs.size() < kMaxRuns);
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.requests_per_second < b.requests_per_second; });
  const unsigned n = static_cast<unsigned>(runs.size());
  return Timed{std::move(runs[n / 2]), n};
}

// The model against the RTL on one trace, in rounds that alternate the two
// (the model's median of runs adding up to kRoundModelSeconds, then one RTL
// run), until the RTL runs add up to kMinSeconds (at most kMaxRounds): a
// change in the machine's load moves both sides of a round's ratio. The
// median round's ratio is the speedup; each side's figures are its median.
constexpr double kRoundModelSeconds = 0.5;
constexpr unsigned kMaxRounds = 15;

struct Compared {
  Timed model, rtl;
  std::vector<double> ratios;  // sorted
  double speedup = 0;
};

Compared compare(const hw::dram::Preset& p, const std::vector<memtrace::TraceRecord>& t) {
  std::vector<Timed> models, rtls;
  Compared c;
  double rtl_total = 0;
  do {
    models.push_back(replay("model", p, t, kRoundModelSeconds));
    rtls.push_back(replay("rtl", p, t, 0));
    rtl_total += rtls.back().r.wall_seconds;
    c.ratios.push_back(models.back().r.requests_per_second / rtls.back().r.requests_per_second);
  } while (rtl_total < kMinSeconds && rtls.size() < kMaxRounds);
  auto by_speed = [](const Timed& a, const Timed& b) { return a.r.requests_per_second < b.r.requests_per_second; };
  std::sort(models.begin(), models.end(), by_speed);
  std::sort(rtls.begin(), rtls.end(), by_speed);
  std::sort(c.ratios.begin(), c.ratios.end());
  const size_t n = c.ratios.size();
  c.model = models[n / 2];
  c.model.runs = 0;
  for (const Timed& m : models) c.model.runs += m.runs;
  c.rtl = rtls[n / 2];
  c.rtl.runs = static_cast<unsigned>(n);
  c.speedup = n % 2 == 1 ? c.ratios[n / 2] : (c.ratios[n / 2 - 1] + c.ratios[n / 2]) / 2;
  return c;
}

void result_fields(JsonWriter& j, const Timed& t) {
  const memtrace::ReplayResult& r = t.r;
  j.field("runs", t.runs).field("requests", r.requests).field("cycles", r.cycles).field("wall_seconds", r.wall_seconds);
  j.field("requests_per_second", r.requests_per_second).field("cycles_per_second",
                                                               static_cast<double>(r.cycles) / r.wall_seconds);
  j.field("bandwidth_gbps", r.bandwidth_gbps).field("read_latency_mean", r.read_latency_mean);
  j.field("row_hit_rate", r.row_hit_rate);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n_model = 4'000'000, n_rtl = 40'000, seed = 1;
  bool model_only = false;
  std::string model_preset = "hbm2";
  std::string model_trace = "random";  // the model-alone trace (random: reads only)
  std::string compare_only;  // one preset, or one preset/trace (gddr6/random)
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_memtrace: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--requests") n_model = std::strtoull(next(), nullptr, 0);
    else if (a == "--rtl-requests") n_rtl = std::strtoull(next(), nullptr, 0);
    else if (a == "--seed") seed = std::strtoull(next(), nullptr, 0);
    else if (a == "--json") json_path = next();
    else if (a == "--model-only") model_only = true;
    else if (a == "--model-preset") model_preset = next();
    else if (a == "--model-trace") model_trace = next();
    else if (a == "--compare") compare_only = next();
    else {
      std::fprintf(stderr, "usage: bench_memtrace [--requests N] [--rtl-requests M] [--seed S] [--json FILE] [--model-only]\n"
                   "                      [--model-preset P] [--model-trace random|sequential|mixed]\n"
                   "                      [--compare PRESET[/random|sequential|mixed]]\n");
      return 2;
    }
  }

  JsonWriter j;
  j.begin_object();
  j.field("benchmark", "memtrace").field("seed", seed);

  // The model alone on a long uniformly random trace (hbm2: the 1 M requests/s target).
  {
    const hw::dram::Preset* p = hw::dram::find_preset(model_preset);
    if (p == nullptr) {
      std::fprintf(stderr, "bench_memtrace: unknown preset %s\n", model_preset.c_str());
      return 2;
    }
    if (model_trace != "random" && model_trace != "sequential" && model_trace != "mixed") {
      std::fprintf(stderr, "bench_memtrace: unknown trace %s (random, sequential or mixed)\n", model_trace.c_str());
      return 2;
    }
    const auto t = model_trace == "random"       ? test::random_trace(*p, n_model, 0.0, seed)
                   : model_trace == "sequential" ? test::sequential_trace(*p, n_model, seed)
                                                 : test::mixed_trace(*p, n_model, seed);
    const Timed r = replay("model", *p, t);
    const char* what = model_trace == "random" ? "uniformly random reads" : model_trace.c_str();
    std::fprintf(stderr, "model, %s %s, %llu requests: %.3g requests/s (median of %u runs)\n", model_preset.c_str(),
                 what, static_cast<unsigned long long>(r.r.requests), r.r.requests_per_second, r.runs);
    j.key("model_" + model_trace + "_" + model_preset).begin_object();
    result_fields(j, r);
    j.end_object();
  }

  // Model against RTL on the same traces.
  j.key("model_vs_rtl").begin_array();
  for (const hw::dram::Preset* p : {&hw::dram::kHbm2, &hw::dram::kGddr6}) {
    if (model_only) break;
    for (const char* kind : {"random", "sequential", "mixed"}) {
      const std::string k = kind;
      if (!compare_only.empty() && compare_only != p->name && compare_only != std::string(p->name) + "/" + k) continue;
      const auto t = k == "random"       ? test::random_trace(*p, n_rtl, 0.3, seed)
                     : k == "sequential" ? test::sequential_trace(*p, n_rtl, seed)
                                         : test::mixed_trace(*p, n_rtl, seed);
      const Compared c = compare(*p, t);
      const Timed& m = c.model;
      const Timed& r = c.rtl;
      const double speedup = c.speedup;
      std::fprintf(stderr,
                   "%-6s %-10s %llu requests: model %.3g requests/s (%u runs), rtl %.3g requests/s (%u): %.0fx "
                   "(median of %zu rounds, %.0f-%.0fx)\n",
                   std::string(p->name).c_str(), kind, static_cast<unsigned long long>(t.size()),
                   m.r.requests_per_second, m.runs, r.r.requests_per_second, r.runs, speedup, c.ratios.size(),
                   c.ratios.front(), c.ratios.back());
      j.begin_object().field("preset", p->name).field("trace", kind);
      j.key("model").begin_object();
      result_fields(j, m);
      j.end_object();
      j.key("rtl").begin_object();
      result_fields(j, r);
      j.end_object();
      j.field("rounds", static_cast<uint64_t>(c.ratios.size()))
          .field("speedup_min", c.ratios.front())
          .field("speedup_max", c.ratios.back());
      j.field("speedup", speedup).field("same_cycles", m.r.cycles == r.r.cycles);
      j.end_object();
    }
  }
  j.end_array();
  j.end_object();
  std::printf("%s\n", j.str().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << j.str() << "\n";
  return 0;
}
