// kmtsim memtrace speed: requests per wall second of the memory-controller
// model and of the Verilated kmt_mc on the same traces (generated in memory,
// so only the replay is timed), and the model alone on a long uniformly
// random hbm2 trace. JSON on stdout (and in --json FILE). Run on demand:
//   bench_memtrace [--requests N] [--rtl-requests M] [--seed S] [--json FILE] [--model-only]
//                  [--model-preset hbm2|gddr6|ice40]
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

memtrace::ReplayResult replay(const std::string& backend, const hw::dram::Preset& p,
                              const std::vector<memtrace::TraceRecord>& t) {
  auto b = memtrace::make_backend(backend, p, {});
  test::VectorTrace src(t);
  return memtrace::replay(*b, src);
}

void result_fields(JsonWriter& j, const memtrace::ReplayResult& r) {
  j.field("requests", r.requests).field("cycles", r.cycles).field("wall_seconds", r.wall_seconds);
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
    else {
      std::fprintf(stderr, "usage: bench_memtrace [--requests N] [--rtl-requests M] [--seed S] [--json FILE] [--model-only]\n"
                   "                      [--model-preset P]\n");
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
    const auto t = test::random_trace(*p, n_model, 0.0, seed);
    const auto r = replay("model", *p, t);
    std::fprintf(stderr, "model, %s uniformly random reads, %llu requests: %.3g requests/s\n", model_preset.c_str(),
                 static_cast<unsigned long long>(r.requests), r.requests_per_second);
    j.key("model_random_" + model_preset).begin_object();
    result_fields(j, r);
    j.end_object();
  }

  // Model against RTL on the same traces.
  j.key("model_vs_rtl").begin_array();
  for (const hw::dram::Preset* p : {&hw::dram::kHbm2, &hw::dram::kGddr6}) {
    if (model_only) break;
    for (const char* kind : {"random", "sequential", "mixed"}) {
      const std::string k = kind;
      const auto t = k == "random"       ? test::random_trace(*p, n_rtl, 0.3, seed)
                     : k == "sequential" ? test::sequential_trace(*p, n_rtl, seed)
                                         : test::mixed_trace(*p, n_rtl, seed);
      const auto m = replay("model", *p, t);
      const auto r = replay("rtl", *p, t);
      const double speedup = m.requests_per_second / r.requests_per_second;
      std::fprintf(stderr, "%-6s %-10s %llu requests: model %.3g requests/s, rtl %.3g requests/s: %.0fx\n",
                   std::string(p->name).c_str(), kind, static_cast<unsigned long long>(t.size()),
                   m.requests_per_second, r.requests_per_second, speedup);
      j.begin_object().field("preset", p->name).field("trace", kind);
      j.key("model").begin_object();
      result_fields(j, m);
      j.end_object();
      j.key("rtl").begin_object();
      result_fields(j, r);
      j.end_object();
      j.field("speedup", speedup).field("same_cycles", m.cycles == r.cycles);
      j.end_object();
    }
  }
  j.end_array();
  j.end_object();
  std::printf("%s\n", j.str().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << j.str() << "\n";
  return 0;
}
