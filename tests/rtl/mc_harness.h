// Test bench for the Verilated memory controller, clocked in a plain loop:
// client ports driven from per-port request queues (writes with a full or a
// random byte strobe), a self-checking scoreboard (every read returns the
// bytes last written to its address, or the DRAM's initial pattern; every
// request completes), and the DRAM model + independent checker (kmtsim_dram)
// on every channel's command bus. The timebase input counts the cycles.
//
// One step() is one DRAM clock cycle t: inputs for t are driven and evaluated
// with the clock low, the outputs of cycle t (commands, handshakes) are
// sampled, then the rising edge ends the cycle.
#pragma once


#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/rtl_attach.h"
#include "kmtsim/dram/storage.h"
#include "kmtsim/dram/vl_bits.h"
#include "kmtsim/hw/dram_presets.h"
#include "mc_configs.h"
#include "vl_model.h"

namespace kmtsim::test {

namespace hwd = kmtsim::hw::dram;
using dram::Cmd;
using dram::get_bits;
using dram::get_words;
using dram::set_bits;
using dram::set_words;

struct McParams {
  const hwd::Preset* preset;
  unsigned ports, channels, addr_w, id_w, data_w, queue_depth, resp_depth, starve_cap, prio_cap;
};

#define KMT_MC_PARAMS(CFG, preset)                                                                            \
  McParams {                                                                                                  \
    &(preset), KMT_MC_##CFG##_NumPorts, KMT_MC_##CFG##_NumCh, KMT_MC_##CFG##_AddrW, KMT_MC_##CFG##_IdW,       \
        KMT_MC_##CFG##_DataW, KMT_MC_##CFG##_QueueDepth, KMT_MC_##CFG##_RespDepth, KMT_MC_##CFG##_StarveCap, \
        KMT_MC_##CFG##_PrioCap                                                                                \
  }

struct CmdRecord {
  uint64_t cycle;
  unsigned ch;
  Cmd cmd;
  unsigned bg, ba, row, col;
};

struct Completion {
  unsigned port;
  unsigned id;
  uint64_t addr;
  bool write;
  uint64_t submit_cycle, accept_cycle, done_cycle;
  uint64_t seq;  // acceptance order, over all ports
};

template <class Model>
class McHarness {
 public:
  struct Options {
    dram::RefreshMode refresh = dram::RefreshMode::AllBank;
    const hwd::Timing* mc_timing = nullptr;  // timing given to the controller (default: the preset's)
    std::string fst_path;                    // dump a waveform here when not empty
    uint64_t seed = 1;
    double rsp_ready_prob = 1.0;             // probability a port accepts a response in a cycle
    bool log_commands = false;
    bool keep_completions = true;            // completions() (benchmarks turn it off)
    double partial_write_prob = 0.0;         // probability a write gets a random byte strobe
  };

  McHarness(const McParams& p, Options o)
      : p_(p),
        opt_(o),
        map_(*p.preset),
        dram_(dram::Geometry::of(*p.preset), p.preset->timing, p.data_w / 32,
              dram::CheckerOptions{o.refresh, 8}),
        pins_(dram_, map_, p.channels, p.data_w),
        rng_(o.seed),
        model_("mc", o.fst_path),
        ports_(p.ports) {
    const hwd::Timing& mt = opt_.mc_timing != nullptr ? *opt_.mc_timing : p.preset->timing;
    hwd::pack_timing(mt, model_->cfg_i.data(), (hwd::kTimingBits + 31) / 32);
    model_->per_bank_ref_i = opt_.refresh == dram::RefreshMode::PerBank;
    line_mask_ = ~uint64_t{p.preset->request_bytes - 1};
    words_ = p.data_w / 32;
    strobe_words_ = (p.data_w / 8 + 31) / 32;
    pins_.on_command = [this](unsigned c, uint64_t cyc, const dram::DramCommand& dc) {
      ++cmd_count_[static_cast<unsigned>(dc.cmd) & 7];
      const CmdRecord rec{cyc, c, dc.cmd, dc.bankgroup, dc.bank, dc.row, dc.column};
      if (opt_.log_commands) cmd_log_.push_back(rec);
      if (on_command) on_command(rec);
    };
    reset();
  }


  McHarness(const McHarness&) = delete;
  McHarness& operator=(const McHarness&) = delete;

  // ------------------------------------------------------------------ stimulus
  // Queues a request on a port; write data is random. Returns its sequence number.
  void submit(unsigned port, uint64_t addr, bool write) {
    Pending r;
    r.addr = addr & line_mask_ & (map_.capacity_bytes() - 1);
    r.write = write;
    r.submit_cycle = cycle_;
    if (write) {
      r.data.resize(words_);
      for (auto& w : r.data) w = static_cast<uint32_t>(rng_());
      r.strobe.assign(strobe_words_, ~0u);
      if (opt_.partial_write_prob > 0 && std::uniform_real_distribution<>(0, 1)(rng_) < opt_.partial_write_prob) {
        for (auto& w : r.strobe) w = static_cast<uint32_t>(rng_());
      }
      const unsigned bytes = p_.data_w / 8;
      if (bytes % 32 != 0) r.strobe.back() &= (1u << (bytes % 32)) - 1;
    }
    ports_[port].queue.push_back(std::move(r));
  }
  size_t queued(unsigned port) const { return ports_[port].queue.size(); }
  size_t outstanding() const { return outstanding_.size(); }
  bool idle() const {
    for (const Port& p : ports_) {
      if (!p.queue.empty()) return false;
    }
    return outstanding_.empty();
  }

  void reset() {
    model_->rst_ni = 0;
    model_->clk_i = 0;
    model_->req_valid_i = 0;
    model_->rsp_ready_i = 0;
    model_->dram_rvalid_i = 0;
    model_->eval();
    model_->clk_i = 1;
    model_->eval();
    model_->clk_i = 0;
    model_->eval();
    model_->rst_ni = 1;
    model_->eval();
  }

  // ------------------------------------------------------------------ one cycle
  void step() {
    Model& m = *model_;
    // Client requests.
    for (unsigned p = 0; p < p_.ports; ++p) {
      Port& port = ports_[p];
      bool valid = false;
      if (!port.queue.empty()) {
        const unsigned id = port.next_id;
        if (outstanding_.find(key(p, id)) == outstanding_.end()) {
          const Pending& r = port.queue.front();
          valid = true;
          set_bits(m.req_addr_i, p * p_.addr_w, p_.addr_w, r.addr);
          set_bits(m.req_id_i, p * p_.id_w, p_.id_w, id);
          set_bits(m.req_write_i, p, 1, r.write);
          if (r.write) {
            set_words(m.req_wdata_i, p * p_.data_w, std::span<const uint32_t>(r.data));
            const unsigned sw = p_.data_w / 8;
            for (unsigned i = 0; i < strobe_words_; ++i) {
              set_bits(m.req_wstrb_i, p * sw + 32 * i, std::min(32u, sw - 32 * i), r.strobe[i]);
            }
          }
        }
      }
      set_bits(m.req_valid_i, p, 1, valid);
      const bool ready = opt_.rsp_ready_prob >= 1.0 || std::uniform_real_distribution<>(0, 1)(rng_) < opt_.rsp_ready_prob;
      set_bits(m.rsp_ready_i, p, 1, ready);
    }
    // Read data due this cycle.
    pins_.drive(m, cycle_);
    m.timebase_i = cycle_;
    model_.clock(cycle_, [this](Model& low) {
      // The cycle's outputs.
      for (unsigned c = 0; c < p_.channels; ++c) {
        const auto cmd = static_cast<Cmd>(get_bits(low.dram_cmd_o, 3 * c, 3));
        if (get_bits(low.dram_cmd_valid_o, c, 1) != (cmd != Cmd::NOP)) {
          error("channel " + std::to_string(c) + ": dram_cmd_valid_o disagrees with dram_cmd_o");
        }
      }
      pins_.sample(low, cycle_);
      quiet_ = low.quiet_o;
      wake_ = low.wake_o;
      for (unsigned p = 0; p < p_.ports; ++p) {
        if (get_bits(low.req_valid_i, p, 1) && get_bits(low.req_ready_o, p, 1)) accept(p);
        if (get_bits(low.rsp_valid_o, p, 1) && get_bits(low.rsp_ready_i, p, 1)) respond(p);
      }
    });
    ++cycle_;
  }

  void run(uint64_t cycles) {
    for (uint64_t i = 0; i < cycles; ++i) step();
  }
  // Steps until every request has completed; false when max_cycles pass first.
  bool drain(uint64_t max_cycles) {
    for (uint64_t i = 0; i < max_cycles; ++i) {
      if (idle()) return true;
      step();
    }
    if (!idle()) {
      error("requests did not complete: " + std::to_string(outstanding_.size()) + " outstanding, " +
            std::to_string(total_queued()) + " not yet accepted at cycle " + std::to_string(cycle_));
    }
    return idle();
  }
  void finish() { dram_.finish(cycle_); }

  // ------------------------------------------------------------------ results
  bool ok() const { return errors_.empty() && dram_.checker().ok(); }
  std::string report() const {
    std::string s;
    for (size_t i = 0; i < errors_.size() && i < 10; ++i) s += "  " + errors_[i] + "\n";
    if (errors_.size() > 10) s += "  ... " + std::to_string(errors_.size() - 10) + " more\n";
    if (!dram_.checker().ok()) s += dram_.checker().summary(10) + "\n";
    return s;
  }
  void error(const std::string& e) { errors_.push_back("cycle " + std::to_string(cycle_) + ": " + e); }

  uint64_t cycle() const { return cycle_; }
  // quiet_o and wake_o of the last cycle stepped.
  bool quiet() const { return quiet_; }
  uint64_t wake() const { return wake_; }
  uint64_t reads_done() const { return reads_done_; }
  uint64_t writes_done() const { return writes_done_; }
  uint64_t commands(Cmd c) const { return cmd_count_[static_cast<unsigned>(c) & 7]; }
  const std::vector<CmdRecord>& command_log() const { return cmd_log_; }
  const std::vector<Completion>& completions() const { return done_; }
  dram::DramModel& dram() { return dram_; }
  const dram::AddressMap& map() const { return map_; }
  Model& model() { return *model_; }
  std::mt19937_64& rng() { return rng_; }
  const McParams& params() const { return p_; }
  void dump_outstanding() const {
    for (const auto& [k, o] : outstanding_) {
      std::printf("  port %u id %u %s %s accepted %llu\n", unsigned(k >> 32), unsigned(k & 0xffffffff),
                  o.write ? "WR" : "RD", dram::to_string(map_.decode(o.addr)).c_str(),
                  static_cast<unsigned long long>(o.accept_cycle));
    }
  }

  std::function<void(const CmdRecord&)> on_command;
  std::function<void(const Completion&)> on_complete;

 private:
  struct Pending {
    uint64_t addr = 0;
    bool write = false;
    std::vector<uint32_t> data;
    std::vector<uint32_t> strobe;  // bit per byte
    uint64_t submit_cycle = 0;
  };
  struct Port {
    std::deque<Pending> queue;
    unsigned next_id = 0;
  };
  struct Outstanding {
    uint64_t addr;
    bool write;
    std::vector<uint32_t> expect;  // reads
    uint64_t submit_cycle, accept_cycle, seq;
  };

  uint64_t key(unsigned port, unsigned id) const { return (uint64_t{port} << 32) | id; }
  size_t total_queued() const {
    size_t n = 0;
    for (const Port& p : ports_) n += p.queue.size();
    return n;
  }

  std::vector<uint32_t> line_value(uint64_t addr) const {
    const auto it = shadow_.find(addr);
    if (it != shadow_.end()) return it->second;
    const dram::DramAddress a = map_.decode(addr);
    const uint64_t k = dram::DramStorage::key(a.channel, a.bankgroup, a.bank, a.row, a.column);
    std::vector<uint32_t> v(words_);
    for (unsigned i = 0; i < words_; ++i) v[i] = dram::DramStorage::initial_word(k, i);
    return v;
  }

  void accept(unsigned p) {
    Port& port = ports_[p];
    Pending r = std::move(port.queue.front());
    port.queue.pop_front();
    Outstanding o{r.addr, r.write, {}, r.submit_cycle, cycle_, seq_++};
    if (r.write) {
      // Requests to one address keep acceptance order.
      std::vector<uint32_t> line = line_value(r.addr);
      for (unsigned i = 0; i < words_; ++i) {
        uint32_t mask = 0;
        for (unsigned b = 0; b < 4; ++b) {
          if (dram::strobe_bit(r.strobe, 4 * i + b)) mask |= 0xFFu << (8 * b);
        }
        line[i] = (line[i] & ~mask) | (r.data[i] & mask);
      }
      shadow_[r.addr] = std::move(line);
    } else {
      o.expect = line_value(r.addr);
    }
    outstanding_.emplace(key(p, port.next_id), std::move(o));
    port.next_id = (port.next_id + 1) & ((1u << p_.id_w) - 1);
  }

  void respond(unsigned p) {
    Model& m = *model_;
    const auto id = static_cast<unsigned>(get_bits(m.rsp_id_o, p * p_.id_w, p_.id_w));
    const bool write = get_bits(m.rsp_write_o, p, 1);
    const auto it = outstanding_.find(key(p, id));
    if (it == outstanding_.end()) {
      error("port " + std::to_string(p) + ": response with id " + std::to_string(id) + " that is not outstanding");
      return;
    }
    const Outstanding& o = it->second;
    char addr_text[32];
    std::snprintf(addr_text, sizeof addr_text, "0x%llx", static_cast<unsigned long long>(o.addr));
    if (write != o.write) {
      error("port " + std::to_string(p) + " id " + std::to_string(id) + " addr " + addr_text +
            ": response says " + (write ? "write" : "read") + ", the request was the other");
    } else if (!write) {
      std::vector<uint32_t> got(words_);
      get_words(m.rsp_data_o, p * p_.data_w, std::span<uint32_t>(got));
      if (got != o.expect) {
        char w[96];
        std::snprintf(w, sizeof w, " word0 got %08x expected %08x", got[0], o.expect[0]);
        error("port " + std::to_string(p) + " id " + std::to_string(id) + " read " + addr_text +
              " (" + dram::to_string(map_.decode(o.addr)) + ") returned wrong data:" + w);
      }
    }
    if (write) {
      ++writes_done_;
    } else {
      ++reads_done_;
    }
    Completion c{p, id, o.addr, o.write, o.submit_cycle, o.accept_cycle, cycle_, o.seq};
    if (opt_.keep_completions) done_.push_back(c);
    if (on_complete) on_complete(c);
    outstanding_.erase(it);
  }

  McParams p_;
  Options opt_;
  dram::AddressMap map_;
  dram::DramModel dram_;
  dram::RtlDramPins<Model> pins_;
  std::mt19937_64 rng_;
  VlModel<Model> model_;
  std::vector<Port> ports_;
  std::unordered_map<uint64_t, Outstanding> outstanding_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> shadow_;
  std::vector<Completion> done_;
  std::vector<CmdRecord> cmd_log_;
  std::vector<std::string> errors_;
  uint64_t cycle_ = 0, seq_ = 0, reads_done_ = 0, writes_done_ = 0;
  uint64_t cmd_count_[8] = {};
  uint64_t line_mask_ = ~uint64_t{63};
  unsigned words_ = 16;
  unsigned strobe_words_ = 2;
  bool quiet_ = false;
  uint64_t wake_ = 0;
};

}  // namespace kmtsim::test
