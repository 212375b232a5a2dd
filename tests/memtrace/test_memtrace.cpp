// kmtsim memtrace: the trace format and its errors, the model's replay
// (independent DRAM checker, data, determinism, issue times), and the
// model against the Verilated kmt_mc on the same traces: the same data read
// back, and total cycles and mean read latency within 5 %.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "kmtsim/hw/dram_presets.h"
#include "memtrace.h"
#include "seed.h"
#include "traces.h"

using namespace kmtsim;
using memtrace::TraceRecord;

namespace {

// A file in the temporary directory, removed at the end of the scope.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/kmtsim_memtrace_XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

struct Run {
  memtrace::ReplayResult result;
  std::unordered_map<uint64_t, uint64_t> reads;  // tag -> what it returned
};

Run run(const std::string& backend, const hw::dram::Preset& p, const std::vector<TraceRecord>& trace,
        dram::RefreshMode refresh = dram::RefreshMode::AllBank) {
  memtrace::BackendOptions bo;
  bo.refresh = refresh;
  bo.check = true;
  bo.track_data = true;
  auto b = memtrace::make_backend(backend, p, bo);
  test::VectorTrace src(trace);
  Run r;
  memtrace::ReplayOptions ro;
  ro.expect_data = true;
  ro.read_data = [&r](uint64_t tag, uint64_t data) { r.reads[tag] = data; };
  r.result = memtrace::replay(*b, src, ro);
  return r;
}

std::string parse_error(const std::string& line) {
  TraceRecord r;
  try {
    memtrace::parse_trace_line(line, r);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

size_t count_reads(const std::vector<TraceRecord>& t) {
  size_t n = 0;
  for (const auto& r : t) n += r.write ? 0 : 1;
  return n;
}

}  // namespace

// ------------------------------------------------------------------ the format

TEST_CASE("parse_trace_line reads DRAMSim3 lines", "[unit]") {
  TraceRecord r;
  REQUIRE(memtrace::parse_trace_line("0x1F40 READ 12", r));
  CHECK(r.addr == 0x1F40);
  CHECK_FALSE(r.write);
  CHECK(r.cycle == 12);
  REQUIRE(memtrace::parse_trace_line("  0xffffffffffffffff\tWRITE   0\r\n", r));
  CHECK(r.addr == ~uint64_t{0});
  CHECK(r.write);
  REQUIRE(memtrace::parse_trace_line("0X0 write 18446744073709551615", r));
  CHECK(r.cycle == ~uint64_t{0});
  CHECK_FALSE(memtrace::parse_trace_line("", r));
  CHECK_FALSE(memtrace::parse_trace_line("   \t\n", r));
  CHECK_FALSE(memtrace::parse_trace_line("# a comment", r));
}

TEST_CASE("parse_trace_line says what is wrong with a malformed line", "[unit]") {
  CHECK_THAT(parse_error("0x40 READ"), Catch::Contains("too few fields"));
  CHECK_THAT(parse_error("0x40"), Catch::Contains("too few fields"));
  CHECK_THAT(parse_error("0x40 READ 3 4"), Catch::Contains("unexpected '4'"));
  CHECK_THAT(parse_error("40 READ 3"), Catch::Contains("0x prefix"));
  CHECK_THAT(parse_error("0x READ 3"), Catch::Contains("0x prefix"));
  CHECK_THAT(parse_error("0x4g READ 3"), Catch::Contains("not a hex digit"));
  CHECK_THAT(parse_error("0x11112222333344445 READ 3"), Catch::Contains("64 bits"));
  CHECK_THAT(parse_error("0x40 LOAD 3"), Catch::Contains("neither READ nor WRITE"));
  CHECK_THAT(parse_error("0x40 READ -3"), Catch::Contains("not a whole number"));
  CHECK_THAT(parse_error("0x40 READ 3.5"), Catch::Contains("not a whole number"));
  CHECK_THAT(parse_error("0x40 READ 18446744073709551616"), Catch::Contains("64 bits"));
  CHECK_THAT(parse_error(std::string("0x4\0 READ 3", 11)), Catch::Contains("not a hex digit"));
}

TEST_CASE("A malformed trace line stops the replay with its file and line number", "[unit]") {
  const TempFile f("0x0 READ 0\n\n# comment\n0x40 WRITE 1\n0x80 RAED 2\n0xc0 READ 3\n");
  auto b = memtrace::make_backend("model", hw::dram::kHbm2, {});
  memtrace::TraceFile t(f.path);
  try {
    memtrace::replay(*b, t);
    FAIL("no error");
  } catch (const memtrace::TraceError& e) {
    CHECK(e.line() == 5);
    CHECK_THAT(e.what(), Catch::StartsWith(f.path + ":5: "));
    CHECK_THAT(e.what(), Catch::Contains("'RAED'"));
  }
}

TEST_CASE("A trace that cannot be opened is an error, not a crash", "[unit]") {
  CHECK_THROWS_WITH(memtrace::TraceFile("/nonexistent/trace"), Catch::Contains("cannot open trace /nonexistent/trace"));
}

TEST_CASE("LatencyHistogram gives exact percentiles", "[unit]") {
  memtrace::LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.add(v);
  h.add(1'000'000);  // beyond the exact table
  CHECK(h.count() == 101);
  CHECK(h.percentile(0.5) == 51);
  CHECK(h.percentile(0.99) == 100);
  CHECK(h.percentile(1.0) == 1'000'000);
  CHECK(h.max() == 1'000'000);
  CHECK(h.mean() == Approx((5050.0 + 1e6) / 101));
}

// ------------------------------------------------------------------ the model

TEST_CASE("The model's commands pass the independent DRAM checker and reads see the last write", "[model]") {
  const uint64_t seed = test::test_seed("model checker");
  for (const hw::dram::Preset* p : hw::dram::kPresets) {
    for (const auto mode : {dram::RefreshMode::AllBank, dram::RefreshMode::PerBank}) {
      for (int kind = 0; kind < 3; ++kind) {
        const auto trace = kind == 0   ? test::sequential_trace(*p, 6000, seed)
                           : kind == 1 ? test::random_trace(*p, 6000, 0.3, seed)
                                       : test::mixed_trace(*p, 6000, seed);
        INFO(p->name << (mode == dram::RefreshMode::PerBank ? " per-bank" : " all-bank") << " trace " << kind);
        const Run r = run("model", *p, trace, mode);
        CHECK(r.result.problems == "");
        CHECK(r.result.data_mismatches == 0);
        CHECK(r.result.requests == trace.size());
        CHECK(r.result.reads == count_reads(trace));
        CHECK(r.reads.size() == count_reads(trace));
        CHECK(r.result.refreshes > 0);
      }
    }
  }
}

TEST_CASE("The model gives the same results on every run", "[model]") {
  const uint64_t seed = test::test_seed("model determinism");
  const auto trace = test::mixed_trace(hw::dram::kHbm2, 20000, seed);
  const Run a = run("model", hw::dram::kHbm2, trace), b = run("model", hw::dram::kHbm2, trace);
  CHECK(a.result.cycles == b.result.cycles);
  CHECK(a.result.read_latency_mean == b.result.read_latency_mean);
  CHECK(a.result.read_latency_max == b.result.read_latency_max);
  CHECK(a.result.row_hit_rate == b.result.row_hit_rate);
  CHECK(a.reads == b.reads);
}

namespace {

// Every acceptance and completion, in the order the backend reports them.
struct EventLog final : memtrace::Sink {
  std::vector<std::array<uint64_t, 5>> events;  // kind (0 accepted, 1 read, 2 write), port, id, tag, cycle
  void accepted(unsigned port, uint32_t id, uint64_t tag, uint64_t cycle) override {
    events.push_back({0, port, id, tag, cycle});
  }
  void completed(unsigned port, uint32_t id, uint64_t tag, bool write, uint64_t cycle, uint64_t) override {
    events.push_back({write ? 2u : 1u, port, id, tag, cycle});
  }
};

// Holds each request of t on port 0 from its cycle on and waits until it is
// taken, with the backend's own advance_while_holding or with the one of
// Backend (one cycle at a time); then runs until everything completed.
std::vector<std::array<uint64_t, 5>> hold_each(const hw::dram::Preset& p, const std::vector<TraceRecord>& t,
                                                bool stepwise) {
  auto b = memtrace::make_backend("model", p, {});
  EventLog log;
  b->set_sink(&log);
  for (size_t i = 0; i < t.size(); ++i) {
    if (b->now() < t[i].cycle) b->advance(t[i].cycle);
    REQUIRE(b->hold(memtrace::Request{t[i].addr, t[i].write, 0, static_cast<uint32_t>(i % 256), i}));
    if (stepwise) b->Backend::advance_while_holding(0, mc::kNever);
    else b->advance_while_holding(0, mc::kNever);
    REQUIRE(!b->holding(0));
  }
  while (b->busy()) b->advance(std::max(b->now() + 1, b->next_change() + 1));
  b->set_sink(nullptr);
  return log.events;
}

}  // namespace

TEST_CASE("The model runs to a held request's acceptance as stepping one cycle at a time does", "[model]") {
  const uint64_t seed = test::test_seed("hold until taken");
  for (const hw::dram::Preset* p : {&hw::dram::kGddr6, &hw::dram::kIce40, &hw::dram::kHbm2}) {
    INFO("preset " << p->name);
    // Bursts, idle gaps and same-address hazards (mixed), and a full queue (random).
    for (const auto& trace : {test::mixed_trace(*p, 3000, seed), test::random_trace(*p, 3000, 0.3, seed)}) {
      const auto fast = hold_each(*p, trace, false), step = hold_each(*p, trace, true);
      REQUIRE(fast.size() == 2 * trace.size());
      CHECK(fast == step);
    }
  }
}

TEST_CASE("No request is issued before its cycle", "[model]") {
  std::vector<TraceRecord> t{{0x0, false, 0}, {0x40, false, 5000}, {0x80, true, 9000}};
  const Run r = run("model", hw::dram::kHbm2, t);
  CHECK(r.result.requests == 3);
  CHECK(r.result.cycles > 9000);
  // Each read alone: latency is that of an idle controller (ACT, RD, CL, response path).
  CHECK(r.result.read_latency_max < 60);
}

TEST_CASE("Sequential reads on hbm2 are issue-bound in trace order, bus-bound across channels", "[model]") {
  // Consecutive lines fill a 1-KiB stretch of one channel (rorabgbachco), and
  // a channel takes one request a cycle: in trace order, one request a cycle.
  std::vector<TraceRecord> seq, across;
  for (uint64_t i = 0; i < 100000; ++i) seq.push_back(TraceRecord{i * 64, false, 0});
  // The same lines in an order that visits the eight channels in turn.
  for (uint64_t i = 0; i < 100000; ++i) {
    across.push_back(TraceRecord{(i / 128) * 8192 + (i % 8) * 1024 + ((i / 8) % 16) * 64, false, 0});
  }
  const Run a = run("model", hw::dram::kHbm2, seq);
  INFO("sequential: " << a.result.bandwidth_gbps << " GB/s, row hits " << a.result.row_hit_rate);
  CHECK(static_cast<double>(a.result.requests) / static_cast<double>(a.result.cycles) > 0.95);
  CHECK(a.result.row_hit_rate > 0.9);
  const Run b = run("model", hw::dram::kHbm2, across);
  INFO("across channels: " << b.result.bandwidth_gbps << " GB/s, row hits " << b.result.row_hit_rate);
  // 256 GB/s less refresh (tRFC / tREFI = 6.7 %).
  CHECK(b.result.efficiency > 0.85);
  CHECK(b.result.efficiency <= 1.0);
  CHECK(b.result.row_hit_rate > 0.9);
}

// ------------------------------------------------------------------ model against RTL

#if KMTSIM_MEMTRACE_RTL
namespace {

void compare(const hw::dram::Preset& p, const std::vector<TraceRecord>& trace, dram::RefreshMode mode) {
  const Run m = run("model", p, trace, mode);
  const Run r = run("rtl", p, trace, mode);
  const auto& a = m.result;
  const auto& b = r.result;
  std::printf("  %-6s %-9s %6zu requests: cycles model %llu rtl %llu (%+.2f %%), mean read latency model %.2f rtl %.2f "
              "(%+.2f %%), row hits %.3f / %.3f, refreshes %llu / %llu\n",
              std::string(p.name).c_str(), mode == dram::RefreshMode::PerBank ? "per-bank" : "all-bank", trace.size(),
              static_cast<unsigned long long>(a.cycles), static_cast<unsigned long long>(b.cycles),
              100.0 * (static_cast<double>(a.cycles) / static_cast<double>(b.cycles) - 1), a.read_latency_mean,
              b.read_latency_mean, 100.0 * (a.read_latency_mean / b.read_latency_mean - 1), a.row_hit_rate,
              b.row_hit_rate, static_cast<unsigned long long>(a.refreshes), static_cast<unsigned long long>(b.refreshes));
  std::fflush(stdout);
  CHECK(a.problems == "");
  CHECK(b.problems == "");
  CHECK(a.data_mismatches == 0);
  CHECK(b.data_mismatches == 0);
  CHECK(a.requests == trace.size());
  CHECK(b.requests == trace.size());
  // Function: every read returned the same data on both.
  CHECK(m.reads.size() == count_reads(trace));
  CHECK(m.reads == r.reads);
  // Timing: within 5 % (the bound), and in fact to the cycle: the
  // controller model is kmt_mc cycle for cycle.
  CHECK(static_cast<double>(a.cycles) == Approx(static_cast<double>(b.cycles)).epsilon(0.05));
  CHECK(a.read_latency_mean == Approx(b.read_latency_mean).epsilon(0.05));
  CHECK(a.cycles == b.cycles);
  CHECK(a.read_latency_mean == b.read_latency_mean);
  CHECK(a.read_latency_max == b.read_latency_max);
  CHECK(a.read_latency_p99 == b.read_latency_p99);
  CHECK(a.refreshes == b.refreshes);
}

}  // namespace

TEST_CASE("Model and RTL agree on a sequential trace", "[rtl]") {
  const uint64_t seed = test::test_seed("model vs rtl, sequential");
  compare(hw::dram::kHbm2, test::sequential_trace(hw::dram::kHbm2, 8000, seed), dram::RefreshMode::AllBank);
  compare(hw::dram::kGddr6, test::sequential_trace(hw::dram::kGddr6, 4000, seed), dram::RefreshMode::AllBank);
}

TEST_CASE("Model and RTL agree on a uniformly random trace", "[rtl]") {
  const uint64_t seed = test::test_seed("model vs rtl, random");
  compare(hw::dram::kHbm2, test::random_trace(hw::dram::kHbm2, 8000, 0.3, seed), dram::RefreshMode::AllBank);
  compare(hw::dram::kGddr6, test::random_trace(hw::dram::kGddr6, 4000, 0.3, seed), dram::RefreshMode::AllBank);
}

TEST_CASE("Model and RTL agree on a mixed trace", "[rtl]") {
  const uint64_t seed = test::test_seed("model vs rtl, mixed");
  compare(hw::dram::kHbm2, test::mixed_trace(hw::dram::kHbm2, 8000, seed), dram::RefreshMode::AllBank);
  compare(hw::dram::kGddr6, test::mixed_trace(hw::dram::kGddr6, 4000, seed), dram::RefreshMode::AllBank);
}

TEST_CASE("Model and RTL agree with per-bank refresh", "[rtl]") {
  const uint64_t seed = test::test_seed("model vs rtl, per-bank refresh");
  compare(hw::dram::kHbm2, test::mixed_trace(hw::dram::kHbm2, 8000, seed), dram::RefreshMode::PerBank);
  compare(hw::dram::kGddr6, test::random_trace(hw::dram::kGddr6, 4000, 0.3, seed), dram::RefreshMode::PerBank);
}
#endif
