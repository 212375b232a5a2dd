// kmtsim memtrace: replays a DRAMSim3-format memory trace on the memory
// controller (the model or the Verilated RTL) and reports what it achieved.
//
// Trace: one request a line, "0x<hex address> READ|WRITE <cycle>"; blank
// lines and lines starting with '#' are skipped. A request is offered no
// earlier than its cycle, in trace order, as fast as the controller takes
// them: each cycle the next requests whose cycle has come are offered
// together, one per channel (the port of a channel's requests is channel
// mod ports), and the controller takes a prefix; the rest wait.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kmtsim/hw/dram_presets.h"
#include "memtrace_backend.h"

namespace kmtsim::memtrace {

struct TraceRecord {
  uint64_t addr = 0;
  bool write = false;
  uint64_t cycle = 0;
};

class TraceSource {
 public:
  virtual ~TraceSource() = default;
  virtual bool next(TraceRecord& r) = 0;  // false at the end
};

// Parses one trace line. False for a line with no request (blank, comment);
// std::invalid_argument saying what is wrong otherwise.
bool parse_trace_line(std::string_view line, TraceRecord& r);

// A malformed line: "<file>:<line>: <what>".
class TraceError : public std::runtime_error {
 public:
  TraceError(const std::string& file, uint64_t line, const std::string& what)
      : std::runtime_error(file + ":" + std::to_string(line) + ": " + what), line_(line) {}
  uint64_t line() const { return line_; }

 private:
  uint64_t line_;
};

// A trace file, streamed in constant memory ("-": standard input).
class TraceFile final : public TraceSource {
 public:
  explicit TraceFile(const std::string& path);
  ~TraceFile() override;
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
  bool next(TraceRecord& r) override;
  uint64_t line() const { return line_; }
  uint64_t bytes_read() const { return consumed_; }
  uint64_t size_bytes() const { return size_; }  // 0: not known (a pipe)

 private:
  std::string path_;
  FILE* f_ = nullptr;
  bool close_ = false;
  static constexpr size_t kMaxLine = 4096;  // longer lines are errors: memory stays bounded
  char text_[kMaxLine] = {};
  uint64_t line_ = 0, consumed_ = 0, size_ = 0;
};

// Read latencies in cycles: exact counts (constant memory for any number).
class LatencyHistogram {
 public:
  void add(uint64_t v);
  uint64_t count() const { return n_; }
  double mean() const { return n_ != 0 ? static_cast<double>(sum_) / static_cast<double>(n_) : 0.0; }
  uint64_t max() const { return max_; }
  uint64_t percentile(double q) const;  // nearest rank
  // Counts in bins of bin_width cycles from 0 to max(), at most max_bins.
  std::vector<uint64_t> bins(unsigned max_bins, uint64_t* bin_width) const;

 private:
  static constexpr uint64_t kExact = 1u << 16;
  std::vector<uint64_t> low_;          // counts below kExact
  std::map<uint64_t, uint64_t> high_;  // the rare longer ones
  uint64_t n_ = 0, sum_ = 0, max_ = 0;
};

struct ChannelResult {
  uint64_t requests = 0, reads = 0, writes = 0, bytes = 0;
  uint64_t commands[8] = {};
  uint64_t refreshes = 0;
  double bandwidth_gbps = 0, row_hit_rate = 0;
  LatencyHistogram read_latency;
};

struct ReplayResult {
  std::string backend, preset, refresh;
  uint64_t requests = 0, reads = 0, writes = 0;
  uint64_t cycles = 0;  // until the last read returned and the last write was acknowledged (its WR sent)
  uint64_t bytes = 0;
  double bandwidth_gbps = 0, peak_gbps = 0, efficiency = 0;
  double read_latency_mean = 0;  // acceptance to data back at the port, cycles
  uint64_t read_latency_p50 = 0, read_latency_p99 = 0, read_latency_max = 0;
  double row_hit_rate = 0;  // 1 - ACT / (RD + WR)
  uint64_t refreshes = 0;   // REF + REFB commands
  double wall_seconds = 0, requests_per_second = 0;
  LatencyHistogram read_latency;
  std::vector<ChannelResult> channels;
  uint64_t data_mismatches = 0;  // reads that returned other data than the last write (with expect_data)
  std::string problems;          // the DRAM checker's or the data path's findings ("" when clean)
};

struct ReplayProgress {
  uint64_t requests = 0;  // accepted so far
  uint64_t cycle = 0;
};

// Writes a Chrome-trace/Perfetto JSON file as the replay runs: each request
// as an async slice (acceptance to completion) on its channel, each DRAM
// command as a one-cycle slice on its bank (refresh on its own track).
class PerfettoTrace {
 public:
  PerfettoTrace(const std::string& path, const hw::dram::Preset& p, uint64_t max_cycles);
  ~PerfettoTrace();
  PerfettoTrace(const PerfettoTrace&) = delete;
  PerfettoTrace& operator=(const PerfettoTrace&) = delete;
  void request_begin(uint64_t tag, unsigned channel, uint64_t addr, bool write, uint64_t cycle);
  // begun: the cycle it was accepted (its slice is drawn if it began in the window).
  void request_end(uint64_t tag, unsigned channel, bool write, uint64_t begun, uint64_t cycle);
  void command(const mc::McCommand& c);
  void close();  // throws std::runtime_error if the file could not be written

 private:
  double us(uint64_t cycle) const { return static_cast<double>(cycle) * tck_us_; }
  std::string path_;
  FILE* f_ = nullptr;
  double tck_us_;
  uint64_t max_cycles_;
  unsigned banks_per_group_;
  bool first_ = true;
  void event(const char* text);
};

struct ReplayOptions {
  // Called every few thousand requests (the callee decides whether to show anything).
  std::function<void(const ReplayProgress&)> progress;
  PerfettoTrace* trace = nullptr;
  // Compare each read's data with the last write accepted to its address
  // before it (needs the backend to report data; keeps a map of lines written).
  bool expect_data = false;
  // Called with each read's tag (its index in the trace) and what it
  // returned (kInitialData, or the tag of the write whose data it found);
  // the model backend needs BackendOptions::track_data for this.
  std::function<void(uint64_t tag, uint64_t data)> read_data;
};

// Replays src in trace order on b. Throws what src throws.
ReplayResult replay(Backend& b, TraceSource& src, const ReplayOptions& o = {});
// Replays one stream per port, each in its own order; a port holds its next
// request until the controller takes it (the ports compete in the arbiters).
ReplayResult replay_ports(Backend& b, const std::vector<TraceSource*>& ports, const ReplayOptions& o = {});

void print_report(FILE* out, const ReplayResult& r, const std::string& trace_name);
std::string result_json(const ReplayResult& r, const std::string& trace_name);

}  // namespace kmtsim::memtrace

namespace kmtsim::cosim {
int memtrace_main(int argc, char** argv);
}
