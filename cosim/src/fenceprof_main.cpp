// kmtsim fenceprof: options, the table, and the JSON, trace and plot files.
#include "fenceprof.h"
#include "kmtsim/util/json.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string_view>

namespace kmtsim::cosim {

namespace {

void usage(FILE* out) {
  std::fputs(
      "usage: kmtsim fenceprof [--backend model|rtl] [--scenario S] [--peers N] [--iterations M]\n"
      "                        [--time profiling|deterministic] [--pin] [--json OUT] [--trace OUT.json]\n"
      "                        [--plot OUT.svg] [--buffer BYTES] [--baseline-rounds K] [--no-progress]\n"
      "                        [--coalescing off|on|critical|compare] [--coalesce COUNT:CYCLES] [--overhead]\n"
      "\n"
      "Measures fence-signalling latency hop by hop on a kmtsimd of its own.\n"
      "  --scenario S   cpu-to-cpu, gpu-to-cpu (default), cpu-to-gpu, gpu-to-gpu, chain, or all\n"
      "                 cpu/gpu-to-cpu: peer 0 signals a fence from the CPU or the GPU, peers\n"
      "                   1..N-1 wait for it on the CPU;\n"
      "                 cpu/gpu-to-gpu: each waiting peer's GPU waits for the fence, then signals\n"
      "                   a fence of its own, which the peer waits for on the CPU;\n"
      "                 chain: peer 0 signals, peer 1 waits then signals, ... peer N-1 waits.\n"
      "  --peers N      processes (2..33; the chain needs 3 or more; default 2)\n"
      "  --iterations M signals (default 1000)\n"
      "  --buffer BYTES a shared allocation the producer fills before each signal and every waiter\n"
      "                 checks after its wake (default 4096; 0: none)\n"
      "  --time T       profiling (default: as fast as the host goes) or deterministic (the same\n"
      "                 simulated results and files, byte for byte, on every run; host hops are left out)\n"
      "  --coalescing C interrupt coalescing in the device: off (default), on, critical (on, with the\n"
      "                 measured fences marked latency-critical), or compare (all three, side by side)\n"
      "  --coalesce C:T what on means: an interrupt per C records or after T device cycles (default 8:2000)\n"
      "  --overhead     also run each scenario 3 times with kmtsimd recording no hops and 2 more times\n"
      "                 with, and report what the instrumentation costs end to end (median of the p50s)\n"
      "  --pin          producer on CPU 0, the others on the last CPU (the floor is measured the same way)\n"
      "  --json OUT     per scenario and hop: p50_ns, p90_ns, p99_ns, p999_ns, max_ns, count; the floor as\n"
      "                 baseline_eventfd; wake_over_floor_p50/_p99 (host wake path over the floor)\n"
      "  --trace OUT    Chrome-trace/Perfetto JSON of the first 2000 signals (ui.perfetto.dev)\n"
      "  --plot OUT     an SVG of each hop's latency CDF\n",
      out);
}

std::string fmt_ns(double ns) {
  char b[32];
  if (ns >= 1e6) std::snprintf(b, sizeof(b), "%.2f ms", ns / 1e6);
  else if (ns >= 1e3) std::snprintf(b, sizeof(b), "%.1f us", ns / 1e3);
  else std::snprintf(b, sizeof(b), "%.0f ns", ns);
  return b;
}

void print_table(const std::string& title, const std::vector<const Hop*>& hops) {
  std::printf("%s\n", title.c_str());
  std::printf("  %-18s %-6s %10s %10s %10s %10s %10s %8s\n", "hop", "time", "p50", "p90", "p99", "p99.9", "max", "count");
  for (const Hop* h : hops) {
    std::printf("  %-18s %-6s %10s %10s %10s %10s %10s %8zu\n", h->name.c_str(), h->simulated ? "sim" : "host",
                fmt_ns(h->stats.p50).c_str(), fmt_ns(h->stats.p90).c_str(), fmt_ns(h->stats.p99).c_str(),
                fmt_ns(h->stats.p999).c_str(), fmt_ns(h->stats.max).c_str(), h->stats.count);
  }
}

// One scenario in every coalescing mode: the hops coalescing touches.
void print_modes(const ScenarioResult& off, const std::vector<ScenarioResult>& others) {
  std::vector<const ScenarioResult*> all{&off};
  for (const auto& r : others) all.push_back(&r);
  std::printf("  interrupt coalescing (on: an interrupt per %u records or after %u cycles):\n", off.options.coalesce_count,
              off.options.coalesce_cycles);
  std::printf("  %-18s", "hop p50 / p99");
  for (const ScenarioResult* r : all) std::printf(" %21s", r->options.coalescing.c_str());
  std::printf("\n");
  for (const char* name : {"irq", "device", "sim_total", "wake_path", "total"}) {
    if (off.find(name) == nullptr) continue;
    std::printf("  %-18s", name);
    for (const ScenarioResult* r : all) {
      const Hop* h = r->find(name);
      const std::string cell = h == nullptr ? "-" : fmt_ns(h->stats.p50) + " / " + fmt_ns(h->stats.p99);
      std::printf(" %21s", cell.c_str());
    }
    std::printf("\n");
  }
}

void write_hop(JsonWriter& j, const Hop& h) {
  j.key(h.name).begin_object();
  j.field("p50_ns", h.stats.p50).field("p90_ns", h.stats.p90).field("p99_ns", h.stats.p99);
  j.field("p999_ns", h.stats.p999).field("max_ns", h.stats.max).field("count", static_cast<uint64_t>(h.stats.count));
  j.field("time", h.simulated ? "simulated" : "host").field("from", h.from).field("to", h.to);
  j.end_object();
}

// Chrome trace events: simulated time on one track group, host time (from
// the first signal) on another. Only simulated events in deterministic time.
void write_trace(const std::string& path, const std::vector<ScenarioResult>& results) {
  JsonWriter j;
  j.begin_object().key("traceEvents").begin_array();
  int pid = 1;
  for (const auto& r : results) {
    const bool host = r.options.time_mode != "deterministic";
    auto meta = [&](int p, int tid, const std::string& name, bool process) {
      j.begin_object().field("ph", "M").field("pid", p).field("tid", tid);
      j.field("name", process ? "process_name" : "thread_name");
      j.key("args").begin_object().field("name", name).end_object().end_object();
    };
    const int sim_pid = pid++, host_pid = pid++;
    meta(sim_pid, 0, r.options.scenario + " (" + r.options.backend + "): device, simulated time", true);
    meta(sim_pid, 1, "device", false);
    meta(sim_pid, 2, "interrupt handler", false);
    if (host) {
      meta(host_pid, 0, r.options.scenario + " (" + r.options.backend + "): host time", true);
      meta(host_pid, 1, "kmtsimd", false);
      for (int k = 1; k < r.options.peers; ++k) meta(host_pid, 1 + k, "peer " + std::to_string(k), false);
    }
    const uint64_t origin = r.timeline.empty() ? 0 : r.timeline.front().host_call;
    auto slice = [&](int p, int tid, const std::string& name, double start_us, double dur_us, uint64_t value) {
      j.begin_object().field("ph", "X").field("pid", p).field("tid", tid).field("name", name);
      j.field("ts", start_us).field("dur", std::max(0.0, dur_us));
      j.key("args").begin_object().field("value", value).end_object().end_object();
    };
    size_t n = 0;
    for (const auto& t : r.timeline) {
      if (++n > 2000) break;
      slice(sim_pid, 1, "signal " + std::to_string(t.value), t.sim_submit_ns / 1e3, (t.sim_irq_ns - t.sim_submit_ns) / 1e3, t.value);
      slice(sim_pid, 2, "isr", t.sim_irq_ns / 1e3, (t.sim_isr_ns - t.sim_irq_ns) / 1e3, t.value);
      if (!host) continue;
      auto us = [&](uint64_t ns) { return static_cast<double>(static_cast<int64_t>(ns - origin)) / 1e3; };
      slice(host_pid, 1, "kernel", us(t.host_received), us(t.host_dpc) - us(t.host_received), t.value);
      for (size_t k = 0; k < t.host_returned.size(); ++k)
        slice(host_pid, 2 + static_cast<int>(k), "wake", us(t.host_dpc), us(t.host_returned[k]) - us(t.host_dpc), t.value);
    }
  }
  j.end_array().field("displayTimeUnit", "ns").end_object();
  std::ofstream f(path);
  f << j.str() << "\n";
  if (!f) throw std::runtime_error("cannot write " + path);
}

// An SVG of each hop's latency CDF, log-scale latency.
void write_plot(const std::string& path, const std::vector<std::pair<std::string, const Hop*>>& hops) {
  const double W = 900, H = 520, left = 70, right = 220, top = 30, bottom = 50;
  double lo = 1e300, hi = 0;
  for (const auto& [label, h] : hops)
    for (double v : h->samples_ns)
      if (v > 0) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (hi <= 0) lo = 1, hi = 10;
  const double l0 = std::floor(std::log10(lo)), l1 = std::max(l0 + 1, std::ceil(std::log10(hi)));
  auto x = [&](double ns) { return left + (std::log10(std::max(ns, lo)) - l0) / (l1 - l0) * (W - left - right); };
  auto y = [&](double q) { return top + (1 - q) * (H - top - bottom); };
  static const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                 "#bcbd22", "#17becf"};
  std::ofstream f(path);
  f << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' font-family='sans-serif' font-size='12'>\n";
  f << "<rect width='100%' height='100%' fill='white'/>\n";
  f << "<text x='" << left << "' y='18' font-size='14'>fence latency CDF per hop (kmtsim fenceprof)</text>\n";
  for (double d = l0; d <= l1; d += 1) {
    const double px = x(std::pow(10, d));
    f << "<line x1='" << px << "' y1='" << top << "' x2='" << px << "' y2='" << H - bottom << "' stroke='#ddd'/>\n";
    f << "<text x='" << px << "' y='" << H - bottom + 16 << "' text-anchor='middle'>" << fmt_ns(std::pow(10, d)) << "</text>\n";
  }
  for (double q : {0.0, 0.5, 0.9, 0.99, 1.0}) {
    f << "<line x1='" << left << "' y1='" << y(q) << "' x2='" << W - right << "' y2='" << y(q) << "' stroke='#ddd'/>\n";
    f << "<text x='" << left - 6 << "' y='" << y(q) + 4 << "' text-anchor='end'>" << q << "</text>\n";
  }
  f << "<text x='" << (left + W - right) / 2 << "' y='" << H - 12 << "' text-anchor='middle'>latency (log scale)</text>\n";
  size_t c = 0;
  for (const auto& [label, h] : hops) {
    std::vector<double> v = h->samples_ns;
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    const char* color = colors[c % 10];
    f << "<polyline fill='none' stroke='" << color << "' stroke-width='1.5' points='";
    const size_t step = std::max<size_t>(1, v.size() / 400);
    for (size_t k = 0; k < v.size(); k += step) f << x(v[k]) << "," << y(static_cast<double>(k + 1) / static_cast<double>(v.size())) << " ";
    f << x(v.back()) << "," << y(1.0) << "'/>\n";
    f << "<rect x='" << W - right + 10 << "' y='" << top + 18 * c << "' width='12' height='3' fill='" << color << "'/>\n";
    f << "<text x='" << W - right + 28 << "' y='" << top + 18 * c + 5 << "'>" << label << "</text>\n";
    ++c;
  }
  f << "</svg>\n";
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int fenceprof_main(int argc, char** argv) {
  ScenarioOptions o;
  std::string coalescing = "off";
  bool overhead = false;
  std::string json_path, trace_path, plot_path;
  uint64_t baseline_rounds = 20000;
  std::vector<std::string> scenarios = {"gpu-to-cpu"};
  o.progress = ::isatty(STDERR_FILENO) != 0;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(a) + " needs a value");
      return argv[++i];
    };
    auto number = [&](uint64_t lo, uint64_t hi) {
      const std::string v = value();
      char* end = nullptr;
      const uint64_t n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < lo || n > hi)
        throw std::invalid_argument(std::string(a) + " takes a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
      return n;
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--backend") {
      o.backend = value();
      if (o.backend != "model" && o.backend != "rtl") throw std::invalid_argument("unknown backend '" + o.backend + "'");
    } else if (a == "--scenario") {
      const std::string s = value();
      scenarios = s == "all" ? std::vector<std::string>{"cpu-to-cpu", "gpu-to-cpu", "cpu-to-gpu", "gpu-to-gpu", "chain"}
                             : std::vector<std::string>{s};
    } else if (a == "--peers") {
      o.peers = static_cast<int>(number(2, 33));
    } else if (a == "--iterations") {
      o.iterations = number(1, 10'000'000);
    } else if (a == "--buffer") {
      o.buffer_bytes = number(0, 64u << 20);
      if (o.buffer_bytes % 8 != 0) throw std::invalid_argument("--buffer takes a multiple of 8 bytes");
    } else if (a == "--time") {
      o.time_mode = value();
      if (o.time_mode != "profiling" && o.time_mode != "deterministic")
        throw std::invalid_argument("unknown time mode '" + o.time_mode + "'");
    } else if (a == "--pin") {
      o.pin = true;
    } else if (a == "--json") {
      json_path = value();
    } else if (a == "--trace") {
      trace_path = value();
    } else if (a == "--plot") {
      plot_path = value();
    } else if (a == "--baseline-rounds") {
      baseline_rounds = number(100, 10'000'000);
    } else if (a == "--coalescing") {
      coalescing = value();
      if (coalescing != "off" && coalescing != "on" && coalescing != "critical" && coalescing != "compare")
        throw std::invalid_argument("unknown coalescing mode '" + coalescing + "' (off, on, critical, compare)");
    } else if (a == "--coalesce") {
      const std::string v = value();
      char* end = nullptr;
      const unsigned long c = std::strtoul(v.c_str(), &end, 10);
      unsigned long t = 0;
      bool ok = end != v.c_str() && *end == ':' && c >= 2 && c <= 255;
      if (ok) {
        const char* p = end + 1;
        t = std::strtoul(p, &end, 10);
        ok = end != p && *end == '\0' && t >= 1 && t <= 0xFFFFFF;
      }
      if (!ok) throw std::invalid_argument("--coalesce takes COUNT:CYCLES, COUNT 2..255 and CYCLES 1..16777215");
      o.coalesce_count = static_cast<uint32_t>(c);
      o.coalesce_cycles = static_cast<uint32_t>(t);
    } else if (a == "--overhead") {
      overhead = true;
    } else if (a == "--no-progress") {
      o.progress = false;
    } else {
      throw std::invalid_argument("unknown argument '" + std::string(a) + "'");
    }
  }
  const bool deterministic = o.time_mode == "deterministic";
  if (overhead && deterministic) throw std::invalid_argument("--overhead measures host time: use --time profiling");
  // Per scenario: the run in the chosen mode (compare: off), then with
  // compare the runs with coalescing on and critical.
  const std::vector<std::string> modes =
      coalescing == "compare" ? std::vector<std::string>{"off", "on", "critical"} : std::vector<std::string>{coalescing};
  std::vector<ScenarioResult> results;
  std::map<std::string, std::vector<ScenarioResult>> by_mode;
  for (const auto& s : scenarios) {
    for (const auto& m : modes) {
      ScenarioOptions so = o;
      so.scenario = s;
      so.coalescing = m;
      if (s == "chain" && so.peers < 3) so.peers = 3;
      if (m == modes.front()) results.push_back(run_scenario(so));
      else by_mode[s].push_back(run_scenario(so));
    }
  }
  // The instrumentation's cost: end-to-end p50 with and without hops,
  // alternating runs, the median of each side.
  std::map<std::string, std::pair<double, double>> cost;  // scenario: (with, without)
  if (overhead) {
    for (const auto& r : results) {
      std::vector<double> with, without;
      if (const Hop* t = r.find("total")) with.push_back(t->stats.p50);
      for (int k = 0; k < 3; ++k) {
        ScenarioOptions so = r.options;
        so.instrumentation = false;
        const ScenarioResult off = run_scenario(so);
        if (!off.complete) throw std::runtime_error(so.scenario + " without instrumentation did not complete");
        without.push_back(off.hops.front().stats.p50);
        if (k == 2) break;
        so.instrumentation = true;
        if (const Hop* t = run_scenario(so).find("total")) with.push_back(t->stats.p50);
      }
      auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : v[v.size() / 2];
      };
      cost[r.options.scenario] = {median(with), median(without)};
    }
  }
  Hop floor;
  if (!deterministic) floor = measure_eventfd_floor(baseline_rounds, o.pin);

  for (const auto& r : results) {
    std::vector<const Hop*> rows;
    for (const auto& h : r.hops) rows.push_back(&h);
    if (!deterministic) rows.push_back(&floor);
    print_table(r.options.scenario + " on " + r.options.backend + ", " + std::to_string(r.options.peers) + " peers, " +
                    std::to_string(r.options.iterations) + " signals" + (r.complete ? "" : " (INCOMPLETE)"),
                rows);
    if (const Hop* w = r.find("wake_path"); w != nullptr && floor.stats.p50 > 0) {
      std::printf("  host wake path over the eventfd floor: p50 %.2fx, p99 %.2fx\n", w->stats.p50 / floor.stats.p50,
                  w->stats.p99 / floor.stats.p99);
    }
    if (modes.size() > 1) print_modes(r, by_mode[r.options.scenario]);
    if (auto c = cost.find(r.options.scenario); c != cost.end()) {
      std::printf("  instrumentation: end-to-end p50 %s with hops, %s without (%+.1f%%)\n", fmt_ns(c->second.first).c_str(),
                  fmt_ns(c->second.second).c_str(), 100.0 * (c->second.first - c->second.second) / c->second.second);
    }
    std::printf("\n");
  }

  if (!json_path.empty()) {
    JsonWriter j;
    j.begin_object().field("backend", o.backend).field("time_mode", o.time_mode).field("iterations", o.iterations);
    j.field("buffer_bytes", o.buffer_bytes);
    j.key("scenarios").begin_object();
    for (const auto& r : results) {
      j.key(r.options.scenario).begin_object().field("peers", r.options.peers).field("complete", r.complete);
      j.field("coalescing", r.options.coalescing);
      j.key("hops").begin_object();
      for (const auto& h : r.hops) write_hop(j, h);
      j.end_object();
      if (auto c = cost.find(r.options.scenario); c != cost.end()) {
        j.key("instrumentation").begin_object();
        j.field("total_p50_ns_with_hops", c->second.first).field("total_p50_ns_without_hops", c->second.second);
        j.field("overhead_p50_ns", c->second.first - c->second.second);
        j.field("overhead_fraction", (c->second.first - c->second.second) / c->second.second);
        j.end_object();
      }
      if (modes.size() > 1) {
        // The same scenario in every coalescing mode, side by side.
        j.key("coalescing_modes").begin_object();
        std::vector<const ScenarioResult*> all{&r};
        for (const auto& other : by_mode[r.options.scenario]) all.push_back(&other);
        for (const ScenarioResult* m : all) {
          j.key(m->options.coalescing).begin_object().field("complete", m->complete);
          if (m->options.coalescing != "off")
            j.field("coalesce_count", m->options.coalesce_count).field("coalesce_cycles", m->options.coalesce_cycles);
          j.key("hops").begin_object();
          for (const auto& h : m->hops) write_hop(j, h);
          j.end_object().end_object();
        }
        j.end_object();
      }
      if (!deterministic) {
        j.field("wall_seconds", r.wall_seconds);
        if (const Hop* w = r.find("wake_path"); w != nullptr && floor.stats.p50 > 0) {
          j.field("wake_over_floor_p50", w->stats.p50 / floor.stats.p50);
          j.field("wake_over_floor_p99", w->stats.p99 / floor.stats.p99);
        }
      }
      j.end_object();
    }
    j.end_object();
    if (!deterministic) {
      write_hop(j, floor);
      // The first scenario's ratios, also at the top level.
      if (const Hop* w = results.front().find("wake_path"); w != nullptr && floor.stats.p50 > 0) {
        j.field("wake_over_floor_p50", w->stats.p50 / floor.stats.p50);
        j.field("wake_over_floor_p99", w->stats.p99 / floor.stats.p99);
      }
    }
    j.end_object();
    std::ofstream f(json_path);
    f << j.str() << "\n";
    if (!f) throw std::runtime_error("cannot write " + json_path);
  }
  if (!trace_path.empty()) write_trace(trace_path, results);
  if (!plot_path.empty()) {
    std::vector<std::pair<std::string, const Hop*>> curves;
    for (const auto& r : results)
      for (const auto& h : r.hops)
        curves.emplace_back((results.size() > 1 ? r.options.scenario + ": " : std::string()) + h.name, &h);
    if (!deterministic) curves.emplace_back("eventfd floor", &floor);
    write_plot(plot_path, curves);
  }
  for (const auto& r : results)
    if (!r.complete) return 1;
  for (const auto& [s, runs] : by_mode)
    for (const auto& r : runs)
      if (!r.complete) return 1;
  return 0;
}

}  // namespace kmtsim::cosim
