// kmtsim demo: two real processes share a monitored fence and an allocation
// through NT handles passed with SCM_RIGHTS. Process A fills the allocation,
// then signals the fence from the GPU (a SIGNAL command through the device's
// command processor); process B waits for each value and checks that it sees
// every one, in order, with that value's data in the allocation. The table gives the
// signal-to-wake latency in simulated time (command submitted → interrupt
// handled and waiter woken) and in host time (A's call → B's wait returned).
// It is the gpu-to-cpu scenario of kmtsim fenceprof, on both backends.
//
// Then the frame hand-off of handoff.h: A renders frames on the GPU into a
// shared resource and hands each to B through the resource's keyed mutex; B
// copies each out on the GPU and checks every byte.
#include "demo.h"

#include "fenceprof.h"
#include "handoff.h"
#include "kmtsim/util/json.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kmtsim::cosim {

namespace {

void usage(FILE* out) {
  std::fputs(
      "usage: kmtsim demo [--backend model|rtl|both] [--iterations N] [--time deterministic|profiling]\n"
      "                   [--buffer BYTES] [--frames N] [--frame-bytes BYTES] [--json FILE]\n"
      "\n"
      "Starts kmtsimd, then process A, which shares a monitored fence and an allocation\n"
      "with process B (the NT handles travel as file descriptors), fills the allocation\n"
      "and signals the fence from the GPU N times, and process B, which waits for each\n"
      "value and checks the allocation. Checks that B saw every value in order with its\n"
      "data, and prints the signal-to-wake latency in simulated ns and host us.\n"
      "  --backend B      model, rtl or both (default both)\n"
      "  --iterations N   signals per backend (default 1000)\n"
      "  --time M         kmtsimd's time mode (default profiling)\n"
      "  --buffer BYTES   size of the shared allocation (default 65536)\n"
      "  --frames N       frames of the hand-off per backend (default 100; 0: no hand-off)\n"
      "  --frame-bytes B  size of a frame: a multiple of 65536 up to 16 MiB (default 262144)\n"
      "  --json FILE      also write the results as JSON\n",
      out);
}

void write_percentiles(JsonWriter& j, const char* name, const Percentiles& p, double scale) {
  j.key(name).begin_object();
  j.field("p50", p.p50 * scale).field("p99", p.p99 * scale).field("max", p.max * scale).field("mean", p.mean * scale);
  j.field("count", static_cast<uint64_t>(p.count)).end_object();
}

}  // namespace

int demo_main(int argc, char** argv) {
  std::vector<std::string> backends = {"model", "rtl"};
  ScenarioOptions o;
  o.scenario = "gpu-to-cpu";
  o.buffer_bytes = 65536;
  o.progress = ::isatty(STDERR_FILENO) != 0;
  std::string json_path;
  HandoffOptions ho;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--backend") {
      const std::string b = value();
      if (b == "both") backends = {"model", "rtl"};
      else if (b == "model" || b == "rtl") backends = {b};
      else throw std::invalid_argument("unknown backend '" + b + "' (model, rtl or both)");
    } else if (a == "--iterations") {
      const std::string n = value();
      char* end = nullptr;
      o.iterations = std::strtoull(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || o.iterations == 0 || o.iterations > 10'000'000)
        throw std::invalid_argument("--iterations takes a whole number from 1 to 10000000");
    } else if (a == "--time") {
      o.time_mode = value();
      if (o.time_mode != "deterministic" && o.time_mode != "profiling")
        throw std::invalid_argument("unknown time mode '" + o.time_mode + "' (deterministic or profiling)");
    } else if (a == "--buffer") {
      const std::string n = value();
      char* end = nullptr;
      o.buffer_bytes = std::strtoull(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || o.buffer_bytes == 0 || o.buffer_bytes % 8 != 0 || o.buffer_bytes > (64u << 20))
        throw std::invalid_argument("--buffer takes a multiple of 8 bytes from 8 to 64 MiB");
    } else if (a == "--frames") {
      const std::string n = value();
      char* end = nullptr;
      ho.frames = std::strtoull(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || ho.frames > 1'000'000)
        throw std::invalid_argument("--frames takes a whole number from 0 to 1000000");
    } else if (a == "--frame-bytes") {
      const std::string n = value();
      char* end = nullptr;
      ho.frame_bytes = std::strtoull(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || ho.frame_bytes == 0 || ho.frame_bytes % 65536 != 0 || ho.frame_bytes > (16u << 20))
        throw std::invalid_argument("--frame-bytes takes a multiple of 65536 up to 16 MiB");
    } else if (a == "--json") {
      json_path = value();
    } else {
      throw std::invalid_argument("unknown argument '" + std::string(a) + "'");
    }
  }

  std::printf("kmtsim demo: process A fills a shared %llu-byte allocation, then signals a shared\n"
              "monitored fence from the GPU, %llu times; process B (another process, the fence and\n"
              "the allocation opened from NT handles passed as file descriptors) waits for each value\n"
              "and checks the allocation holds that value's data.\n\n",
              static_cast<unsigned long long>(o.buffer_bytes), static_cast<unsigned long long>(o.iterations));
  std::fflush(stdout);
  std::vector<ScenarioResult> results;
  for (const auto& b : backends) {
    o.backend = b;
    results.push_back(run_scenario(o));
  }
  const bool host = o.time_mode != "deterministic";
  std::printf("signal-to-wake latency: simulated = SIGNAL command submitted -> interrupt handled and waiter woken;\n"
              "host = A's D3DKMTSignalSynchronizationObjectFromGpu call -> B's wait returned (CLOCK_MONOTONIC)\n\n");
  std::printf("%-7s %8s %9s | %27s | %27s\n", "", "", "", "simulated (ns)", "host (us)");
  std::printf("%-7s %8s %9s | %8s %8s %9s | %8s %8s %9s\n", "backend", "signals", "all seen", "p50", "p99", "max", "p50",
              "p99", "max");
  for (const auto& r : results) {
    const Percentiles& sim = r.find("sim_total")->stats;
    Percentiles h;
    if (const Hop* total = r.find("total")) h = total->stats;
    std::printf("%-7s %8zu %9s | %8.1f %8.1f %9.1f | %8.1f %8.1f %9.1f\n", r.options.backend.c_str(), sim.count,
                r.complete ? "yes" : "NO", sim.p50, sim.p99, sim.max, h.p50 / 1e3, h.p99 / 1e3, h.max / 1e3);
  }
  std::printf("\n");
  for (const auto& r : results)
    std::printf("%s: %.2f s wall%s\n", r.options.backend.c_str(), r.wall_seconds,
                host ? "" : " (deterministic time: host latencies are not measured)");
  std::printf("Per-hop breakdown and more scenarios: kmtsim fenceprof --help\n");

  std::vector<HandoffResult> handoffs;
  if (ho.frames != 0) {
    std::printf("\nframe hand-off: A renders each frame on the GPU (16 FILLs and a COPY) into a shared %llu-byte\n"
                "resource and releases its keyed mutex to key 1; B acquires key 1, copies the frame out on the\n"
                "GPU, checks every byte and releases key 0. The resource, keyed mutex and sync object travel as\n"
                "one NT handle.\n\n",
                static_cast<unsigned long long>(ho.frame_bytes));
    std::fflush(stdout);
    ho.time_mode = o.time_mode;
    for (const auto& b : backends) {
      ho.backend = b;
      handoffs.push_back(run_handoff(ho));
    }
    std::printf("%-7s %7s %9s %9s | %30s | %12s\n", "", "", "", "", "hand-off, release -> acquire (us)", "simulated");
    std::printf("%-7s %7s %9s %9s | %9s %9s %10s | %12s\n", "backend", "frames", "verified", "frames/s", "p50", "p99",
                "max", "us/frame");
    for (const auto& h : handoffs)
      std::printf("%-7s %7llu %9llu %9.1f | %9.1f %9.1f %10.1f | %12.2f\n", h.options.backend.c_str(),
                  static_cast<unsigned long long>(h.options.frames), static_cast<unsigned long long>(h.frames_verified),
                  h.frames_per_second, h.handoff_us.p50, h.handoff_us.p99, h.handoff_us.max, h.sim_us_per_frame);
  }

  if (!json_path.empty()) {
    JsonWriter j;
    j.begin_object().field("iterations", o.iterations).field("time_mode", o.time_mode);
    j.field("buffer_bytes", o.buffer_bytes).key("backends").begin_array();
    for (const auto& r : results) {
      j.begin_object().field("backend", r.options.backend).field("all_seen_in_order", r.complete);
      write_percentiles(j, "sim_signal_to_wake_ns", r.find("sim_total")->stats, 1);
      if (const Hop* total = r.find("total")) write_percentiles(j, "host_signal_to_wake_us", total->stats, 1e-3);
      j.end_object();
    }
    j.end_array();
    if (!handoffs.empty()) {
      j.key("handoff").begin_array();
      for (const auto& h : handoffs) {
        j.begin_object().field("backend", h.options.backend).field("frames", h.options.frames);
        j.field("frame_bytes", h.options.frame_bytes).field("frames_verified", h.frames_verified);
        j.field("all_verified", h.complete).field("frames_per_second", h.frames_per_second);
        j.field("sim_us_per_frame", h.sim_us_per_frame);
        write_percentiles(j, "handoff_us", h.handoff_us, 1);
        write_percentiles(j, "frame_us", h.frame_us, 1);
        j.end_object();
      }
      j.end_array();
    }
    j.end_object();
    std::ofstream f(json_path);
    f << j.str() << "\n";
    if (!f) throw std::runtime_error("cannot write " + json_path);
  }
  for (const auto& r : results)
    if (!r.complete) return 1;
  for (const auto& h : handoffs)
    if (!h.complete) return 1;
  return 0;
}

}  // namespace kmtsim::cosim
