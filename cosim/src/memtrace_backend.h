// The memory controller behind one interface for kmtsim memtrace, its
// fidelity tests and its benchmark: the model (kmtsim_mc_model) or the
// Verilated RTL (kmt_mc of the preset's test configuration) with the DRAM
// model and checker of common/dram on its command buses.
//
// Time is in DRAM clock cycles from reset. Requests are offered in cycle
// now(), either in trace order (offer_in_order: the controller takes a
// prefix) or held on a port until taken (hold). Events come to the Sink.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "kmtsim/mc/config.h"
#include "kmtsim/mc/model.h"

namespace kmtsim::memtrace {

// What a read returned: the tag of the write whose data it found, or one of these.
inline constexpr uint64_t kInitialData = ~uint64_t{0} - 1;  // the DRAM's contents before any write
inline constexpr uint64_t kCorruptData = ~uint64_t{0};      // neither: a wrong line or a torn one

struct Request {
  uint64_t addr = 0;
  bool write = false;
  unsigned port = 0;
  uint32_t id = 0;   // unique among the port's requests in flight; below 2^IdW for the RTL
  uint64_t tag = 0;  // returned in events; a write's data is derived from it
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void accepted(unsigned port, uint32_t id, uint64_t tag, uint64_t cycle) = 0;
  // data: with data tracking, what a read returned (see kInitialData); else 0.
  virtual void completed(unsigned port, uint32_t id, uint64_t tag, bool write, uint64_t cycle, uint64_t data) = 0;
  virtual void command(const mc::McCommand& c) { (void)c; }
};

struct BackendOptions {
  dram::RefreshMode refresh = dram::RefreshMode::AllBank;
  bool check = false;       // model: run the DramChecker on its commands (the RTL always has it)
  bool track_data = false;  // model: keep line contents to report what reads return (the RTL always carries data)
  bool commands = false;    // send every DRAM command to the sink
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // The controller's configuration (the RTL's test configuration of the preset).
  virtual const mc::McConfig& config() const = 0;
  virtual uint64_t now() const = 0;
  // Offers reqs in cycle now(), in order; each to another channel and a port
  // holding nothing. The controller takes a prefix: its length.
  virtual size_t offer_in_order(std::span<const Request> reqs) = 0;
  // A number that moves whenever a request refused by offer_in_order might
  // be taken now (the default: every cycle).
  virtual uint64_t acceptance_epoch() const { return now(); }
  // Holds r on r.port from now() until it is taken. False: the port holds one.
  virtual bool hold(const Request& r) = 0;
  virtual bool holding(unsigned port) const = 0;
  // Runs cycles now() .. until-1.
  virtual void advance(uint64_t until) = 0;
  // While a refused request waits: runs at least to the next change (as
  // advance(max(now() + 1, next_change() + 1))), and may go on, never past
  // until - 1, as long as acceptance_epoch() stays the same, so the caller
  // is not asked to decide anything in between. The default runs one step.
  virtual void advance_while_refused(uint64_t until) { advance(std::min(until, std::max(now() + 1, next_change() + 1))); }
  // While port holds a request: runs until the end of the cycle in which it
  // is taken (at once if it holds none), never past until - 1.
  virtual void advance_while_holding(unsigned port, uint64_t until) {
    while (holding(port) && now() < until) advance(now() + 1);
  }
  // The next cycle worth advancing to (>= now()).
  virtual uint64_t next_change() const = 0;
  // Requests held or outstanding.
  virtual bool busy() const = 0;
  // Ends the run at now(): refresh deadlines, protocol and timing violations.
  virtual void finish() = 0;
  // "" when the DRAM checker (if any) and the data path found nothing wrong.
  virtual std::string problems() const = 0;
  virtual uint64_t refreshes(unsigned channel) const = 0;
  // DRAM commands sent on a channel so far, by hw::dram::Cmd.
  virtual std::array<uint64_t, 8> command_counts(unsigned channel) const = 0;
  void set_sink(Sink* s) { sink_ = s; }

 protected:
  Sink* sink_ = nullptr;
};

// The preset's controller configuration for memtrace: the RTL's test
// configuration (tests/rtl/mc_models.cmake), so both backends are the same
// controller.
mc::McConfig memtrace_config(const hw::dram::Preset& p, dram::RefreshMode refresh);

std::unique_ptr<Backend> make_model_backend(const mc::McConfig& cfg, const BackendOptions& o);
// Throws std::invalid_argument when there is no Verilated configuration for the preset.
std::unique_ptr<Backend> make_rtl_backend(const hw::dram::Preset& p, const BackendOptions& o);
std::unique_ptr<Backend> make_backend(const std::string& name, const hw::dram::Preset& p, const BackendOptions& o);

// A write's data word i, from its tag (words 0 and 1 carry the tag itself).
inline uint32_t data_word(uint64_t tag, unsigned i) {
  if (i == 0) return static_cast<uint32_t>(tag);
  if (i == 1) return static_cast<uint32_t>(tag >> 32);
  uint64_t x = tag * 0x9E3779B97F4A7C15ull + i * 0xC2B2AE3D27D4EB4Full;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return static_cast<uint32_t>(x);
}

}  // namespace kmtsim::memtrace
