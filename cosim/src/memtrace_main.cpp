// kmtsim memtrace: options, progress, the report and the output files.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "memtrace.h"

namespace kmtsim::cosim {

namespace {

void usage(FILE* out) {
  std::fputs(
      "usage: kmtsim memtrace [--backend model|rtl] [--preset hbm2|gddr6|ice40] [--json OUT]\n"
      "                       [--perfetto OUT.json] [--perfetto-cycles N] [--refresh all-bank|per-bank]\n"
      "                       [--check] [--no-progress] TRACE\n"
      "\n"
      "Replays a DRAMSim3-format memory trace on the memory controller and reports what it achieved.\n"
      "  TRACE          one request a line: '0x<hex address> READ|WRITE <cycle>' ('-': standard input);\n"
      "                 blank lines and lines starting with '#' are skipped. A request is issued no\n"
      "                 earlier than its cycle, in trace order, as fast as the controller takes it.\n"
      "                 The trace is streamed: its length does not matter.\n"
      "  --backend B    model (default): the fast event-driven model of the controller;\n"
      "                 rtl: the Verilated kmt_mc with the DRAM model and timing checker\n"
      "  --preset P     hbm2 (default), gddr6 or ice40 (../shared/dram-presets.md)\n"
      "  --refresh R    all-bank (default) or per-bank\n"
      "  --check        model: run the independent DRAM protocol/timing checker on its commands\n"
      "                 (the rtl backend always runs it); a violation fails the run\n"
      "  --json OUT     cycles, bytes, bandwidth_gbps, peak_gbps, efficiency, read_latency_mean,\n"
      "                 read_latency_p50, read_latency_p99, read_latency_max, row_hit_rate, refreshes,\n"
      "                 wall_seconds, requests_per_second, a read-latency histogram, and per channel\n"
      "  --perfetto OUT Chrome-trace/Perfetto JSON of requests and DRAM commands (ui.perfetto.dev)\n"
      "  --perfetto-cycles N  only the first N cycles go to the Perfetto file (default 20000)\n"
      "  --no-progress  no progress line on standard error\n"
      "\n"
      "Cycles are DRAM clock cycles (tCK), from the first cycle after reset until every read has\n"
      "returned and every write has reached DRAM. Exit status: 0, 1 on a malformed trace or a\n"
      "DRAM protocol/timing violation, 2 on bad arguments.\n",
      out);
}

struct Options {
  std::string backend = "model", preset = "hbm2", refresh = "all-bank";
  std::string trace, json, perfetto;
  uint64_t perfetto_cycles = 20000;
  bool check = false, progress = true;
};

uint64_t parse_count(std::string_view opt, const std::string& v) {
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument(std::string(opt) + " needs a whole number, got '" + v + "'");
  }
  return std::stoull(v);
}

Options parse(int argc, char** argv, bool* help) {
  Options o;
  bool have_trace = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      *help = true;
      return o;
    } else if (a == "--backend") {
      o.backend = value();
      if (o.backend != "model" && o.backend != "rtl") {
        throw std::invalid_argument("--backend is model or rtl, not '" + o.backend + "'");
      }
    } else if (a == "--preset") {
      o.preset = value();
      if (hw::dram::find_preset(o.preset) == nullptr) {
        throw std::invalid_argument("unknown preset '" + o.preset + "' (hbm2, gddr6, ice40)");
      }
    } else if (a == "--refresh") {
      o.refresh = value();
      if (o.refresh != "all-bank" && o.refresh != "per-bank") {
        throw std::invalid_argument("--refresh is all-bank or per-bank, not '" + o.refresh + "'");
      }
    } else if (a == "--json") {
      o.json = value();
    } else if (a == "--perfetto") {
      o.perfetto = value();
    } else if (a == "--perfetto-cycles") {
      o.perfetto_cycles = parse_count(a, value());
    } else if (a == "--check") {
      o.check = true;
    } else if (a == "--no-progress") {
      o.progress = false;
    } else if (a.size() > 1 && a.front() == '-') {
      throw std::invalid_argument("unknown option '" + std::string(a) + "'");
    } else {
      if (have_trace) throw std::invalid_argument("one trace only ('" + o.trace + "' and '" + std::string(a) + "')");
      o.trace = a;
      have_trace = true;
    }
  }
  if (!have_trace) throw std::invalid_argument("no trace given");
  return o;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int memtrace_main(int argc, char** argv) {
  namespace mt = kmtsim::memtrace;
  bool help = false;
  const Options o = parse(argc, argv, &help);
  if (help) {
    usage(stdout);
    return 0;
  }
  const hw::dram::Preset& preset = *hw::dram::find_preset(o.preset);

  mt::BackendOptions bo;
  bo.refresh = o.refresh == "per-bank" ? dram::RefreshMode::PerBank : dram::RefreshMode::AllBank;
  bo.check = o.check;
  bo.commands = !o.perfetto.empty();
  mt::TraceFile trace(o.trace);  // opened first: a missing trace is reported before anything is built
  std::unique_ptr<mt::Backend> backend = mt::make_backend(o.backend, preset, bo);

  std::unique_ptr<mt::PerfettoTrace> perfetto;
  if (!o.perfetto.empty()) perfetto = std::make_unique<mt::PerfettoTrace>(o.perfetto, preset, o.perfetto_cycles);

  mt::ReplayOptions ro;
  ro.trace = perfetto.get();
  const bool show = o.progress && ::isatty(STDERR_FILENO) != 0;
  auto last = std::chrono::steady_clock::now();
  bool shown = false;
  if (show) {
    ro.progress = [&](const mt::ReplayProgress& p) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(250)) return;
      last = now;
      shown = true;
      if (trace.size_bytes() != 0) {
        std::fprintf(stderr, "\rmemtrace: %llu requests, cycle %llu, %.0f %% of the trace   ",
                     static_cast<unsigned long long>(p.requests), static_cast<unsigned long long>(p.cycle),
                     100.0 * static_cast<double>(trace.bytes_read()) / static_cast<double>(trace.size_bytes()));
      } else {
        std::fprintf(stderr, "\rmemtrace: %llu requests, cycle %llu   ", static_cast<unsigned long long>(p.requests),
                     static_cast<unsigned long long>(p.cycle));
      }
    };
  }

  mt::ReplayResult r;
  try {
    r = mt::replay(*backend, trace, ro);
  } catch (...) {
    if (shown) std::fputs("\n", stderr);
    throw;
  }
  if (shown) std::fputs("\r\033[K", stderr);
  if (perfetto) perfetto->close();
  mt::print_report(stdout, r, o.trace);
  if (!o.json.empty()) write_file(o.json, mt::result_json(r, o.trace) + "\n");
  if (!r.problems.empty()) {
    std::fprintf(stderr, "kmtsim memtrace: the run violated the DRAM protocol or lost data:\n%s\n", r.problems.c_str());
    return 1;
  }
  return 0;
}

}  // namespace kmtsim::cosim
