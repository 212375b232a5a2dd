// memtrace backend: the Verilated kmt_mc of the preset's test configuration
// (tests/rtl/mc_models.cmake), clocked directly, with the DRAM model and the
// independent checker of common/dram on every channel's command bus.
//
// One cycle t: the inputs of t (read data due, requests, the timebase) are
// driven and evaluated with the clock low; the outputs of t (commands, write
// data, handshakes, responses) are sampled; the rising edge ends the cycle.
// Every cycle is clocked (no skipping of quiet cycles), as a cycle-by-cycle
// simulator would.
#include <verilated.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vkmt_mc_gddr6.h"
#include "Vkmt_mc_hbm2.h"
#include "Vkmt_mc_ice40.h"
#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/rtl_attach.h"
#include "kmtsim/dram/storage.h"
#include "kmtsim/dram/vl_bits.h"
#include "mc_configs.h"
#include "memtrace_backend.h"

namespace kmtsim::memtrace {
namespace {

namespace hwd = hw::dram;
using dram::get_bits;
using dram::get_words;
using dram::set_bits;
using dram::set_words;

struct RtlParams {
  unsigned ports, channels, addr_w, id_w, data_w, queue_depth, resp_depth, starve_cap, prio_cap;
};

#define KMT_RTL_PARAMS(CFG)                                                                                    \
  RtlParams {                                                                                                  \
    KMT_MC_##CFG##_NumPorts, KMT_MC_##CFG##_NumCh, KMT_MC_##CFG##_AddrW, KMT_MC_##CFG##_IdW,                   \
        KMT_MC_##CFG##_DataW, KMT_MC_##CFG##_QueueDepth, KMT_MC_##CFG##_RespDepth, KMT_MC_##CFG##_StarveCap,  \
        KMT_MC_##CFG##_PrioCap                                                                                 \
  }

const RtlParams* params_of(const hwd::Preset& p) {
  static const RtlParams hbm2 = KMT_RTL_PARAMS(HBM2), gddr6 = KMT_RTL_PARAMS(GDDR6), ice40 = KMT_RTL_PARAMS(ICE40);
  if (p.name == hwd::kHbm2.name) return &hbm2;
  if (p.name == hwd::kGddr6.name) return &gddr6;
  if (p.name == hwd::kIce40.name) return &ice40;
  return nullptr;
}

// The low `bits` bits of a port vector set (any Verilated width).
template <class T>
void set_ones(T& v, unsigned bits) {
  for (unsigned i = 0; i < bits; i += 32) set_bits(v, i, std::min(32u, bits - i), ~uint64_t{0});
}

template <class V>
class RtlBackend final : public Backend {
 public:
  RtlBackend(const hwd::Preset& preset, const RtlParams& rp, const BackendOptions& o)
      : rp_(rp),
        o_(o),
        cfg_(memtrace_config(preset, o.refresh)),
        map_(preset),
        dram_(dram::Geometry::of(preset), preset.timing, rp.data_w / 32, dram::CheckerOptions{o.refresh, 8}),
        pins_(dram_, map_, rp.channels, rp.data_w),
        words_(rp.data_w / 32),
        buf_(words_),
        held_(rp.ports),
        table_(size_t{rp.ports} << rp.id_w) {
    ctx_ = std::make_unique<VerilatedContext>();
    m_ = std::make_unique<V>(ctx_.get(), "mc");
    V& m = *m_;
    hwd::pack_timing(cfg_.timing, m.cfg_i.data(), (hwd::kTimingBits + 31) / 32);
    m.per_bank_ref_i = o.refresh == dram::RefreshMode::PerBank;
    set_ones(m.req_wstrb_i, rp.ports * rp.data_w / 8);  // whole lines
    pins_.on_command = [this](unsigned c, uint64_t t, const dram::DramCommand& dc) { on_command(c, t, dc); };
    line_mask_ = ~uint64_t{preset.request_bytes - 1} & (map_.capacity_bytes() - 1);
    // Reset, as the block tests do: cycle 0 is the first cycle out of it.
    m.rst_ni = 0;
    m.clk_i = 0;
    m.req_valid_i = 0;
    m.rsp_ready_i = 0;
    m.dram_rvalid_i = 0;
    m.eval();
    m.clk_i = 1;
    m.eval();
    m.clk_i = 0;
    m.eval();
    m.rst_ni = 1;
    m.eval();
    set_ones(m.rsp_ready_i, rp.ports);  // responses are always taken
    counts_.assign(rp.channels, {});
  }

  ~RtlBackend() override { m_->final(); }

  std::string name() const override { return "rtl"; }
  const mc::McConfig& config() const override { return cfg_; }
  uint64_t now() const override { return cycle_; }

  size_t offer_in_order(std::span<const Request> reqs) override {
    if (!prepared_) prepare();
    V& m = *m_;
    size_t n = 0;
    for (const Request& r : reqs) {
      if (held_[r.port].held) break;
      drive(r);
      ++n;
    }
    if (n == 0) return 0;
    m.eval();
    size_t k = 0;
    while (k < n && get_bits(m.req_ready_o, reqs[k].port, 1)) ++k;
    if (k < n) {
      for (size_t i = k; i < n; ++i) set_bits(m.req_valid_i, reqs[i].port, 1, 0);
      m.eval();
    }
    for (size_t i = 0; i < k; ++i) held_[reqs[i].port] = Held{true, reqs[i]};
    return k;
  }

  bool hold(const Request& r) override {
    if (held_[r.port].held) return false;
    held_[r.port] = Held{true, r};
    if (prepared_) {  // the inputs of this cycle are already driven
      drive(r);
      m_->eval();
    }
    return true;
  }
  bool holding(unsigned port) const override { return held_[port].held; }

  void advance(uint64_t until) override {
    while (cycle_ < until) {
      if (!prepared_) prepare();
      finish_cycle();
    }
  }

  uint64_t next_change() const override { return cycle_; }

  bool busy() const override {
    if (outstanding_ != 0) return true;
    for (const Held& h : held_) {
      if (h.held) return true;
    }
    return false;
  }

  void finish() override { dram_.finish(cycle_); }

  std::string problems() const override {
    std::string s;
    for (size_t i = 0; i < errors_.size() && i < 10; ++i) s += errors_[i] + "\n";
    if (!dram_.checker().ok()) s += dram_.checker().summary(10);
    return s;
  }

  std::array<uint64_t, 8> command_counts(unsigned channel) const override { return counts_[channel]; }
  uint64_t refreshes(unsigned channel) const override {
    return counts_[channel][static_cast<unsigned>(mc::Cmd::REF)] + counts_[channel][static_cast<unsigned>(mc::Cmd::REFB)];
  }

 private:
  struct Held {
    bool held = false;
    Request r;
  };
  struct InFlight {
    bool busy = false;
    bool write = false;
    uint64_t line = 0;
    uint64_t tag = 0;
  };

  void drive(const Request& r) {
    V& m = *m_;
    const unsigned p = r.port;
    set_bits(m.req_addr_i, p * rp_.addr_w, rp_.addr_w, r.addr & line_mask_);
    set_bits(m.req_id_i, p * rp_.id_w, rp_.id_w, r.id);
    set_bits(m.req_write_i, p, 1, r.write);
    if (r.write) {
      for (unsigned i = 0; i < words_; ++i) buf_[i] = data_word(r.tag, i);
      set_words(m.req_wdata_i, p * rp_.data_w, std::span<const uint32_t>(buf_));
    }
    set_bits(m.req_valid_i, p, 1, 1);
  }

  // Inputs of this cycle, evaluated with the clock low.
  void prepare() {
    V& m = *m_;
    pins_.drive(m, cycle_);
    m.timebase_i = cycle_;
    for (unsigned p = 0; p < rp_.ports; ++p) {
      if (held_[p].held) {
        drive(held_[p].r);
      } else {
        set_bits(m.req_valid_i, p, 1, 0);
      }
    }
    m.clk_i = 0;
    m.eval();
    prepared_ = true;
  }

  // Outputs of this cycle, then the rising edge.
  void finish_cycle() {
    V& m = *m_;
    const uint64_t t = cycle_;
    pins_.sample(m, t);
    for (unsigned p = 0; p < rp_.ports; ++p) {
      Held& h = held_[p];
      if (h.held && get_bits(m.req_valid_i, p, 1) && get_bits(m.req_ready_o, p, 1)) {
        InFlight& f = table_[(size_t{p} << rp_.id_w) | h.r.id];
        if (f.busy) errors_.push_back("port " + std::to_string(p) + " id " + std::to_string(h.r.id) + " reused while in flight");
        f = InFlight{true, h.r.write, h.r.addr & line_mask_, h.r.tag};
        h.held = false;
        ++outstanding_;
        if (sink_ != nullptr) sink_->accepted(p, h.r.id, h.r.tag, t);
      }
      if (get_bits(m.rsp_valid_o, p, 1)) respond(p, t);
    }
    m.clk_i = 1;
    m.eval();
    ++cycle_;
    prepared_ = false;
  }

  void on_command(unsigned c, uint64_t t, const dram::DramCommand& dc) {
    ++counts_[c][static_cast<unsigned>(dc.cmd)];
    if (o_.commands && sink_ != nullptr) {
      mc::McCommand mcmd;
      mcmd.cycle = t;
      mcmd.channel = c;
      mcmd.cmd = dc;
      mcmd.refresh = dc.cmd == mc::Cmd::REF || dc.cmd == mc::Cmd::REFB || dc.cmd == mc::Cmd::PREA;
      sink_->command(mcmd);
    }
  }

  void respond(unsigned p, uint64_t t) {
    V& m = *m_;
    const auto id = static_cast<uint32_t>(get_bits(m.rsp_id_o, p * rp_.id_w, rp_.id_w));
    const bool write = get_bits(m.rsp_write_o, p, 1) != 0;
    InFlight& f = table_[(size_t{p} << rp_.id_w) | id];
    if (!f.busy || f.write != write) {
      errors_.push_back("cycle " + std::to_string(t) + ": port " + std::to_string(p) + " response id " +
                        std::to_string(id) + " matches no request in flight");
      return;
    }
    uint64_t data = 0;
    if (!write) {
      get_words(m.rsp_data_o, p * rp_.data_w, std::span<uint32_t>(buf_));
      data = decode(f.line);
      if (data == kCorruptData) {
        errors_.push_back("cycle " + std::to_string(t) + ": port " + std::to_string(p) + " read of line " +
                          std::to_string(f.line) + " returned data no write carried");
      }
    }
    f.busy = false;
    --outstanding_;
    if (sink_ != nullptr) sink_->completed(p, id, f.tag, write, t, data);
  }

  // What the read data in buf_ is: a write's tag, the initial contents, or neither.
  uint64_t decode(uint64_t line) const {
    const dram::DramAddress a = map_.decode(line);
    const uint64_t key = dram::DramStorage::key(a.channel, a.bankgroup, a.bank, a.row, a.column);
    bool initial = true;
    for (unsigned i = 0; i < words_ && initial; ++i) initial = buf_[i] == dram::DramStorage::initial_word(key, i);
    if (initial) return kInitialData;
    const uint64_t tag = buf_[0] | (uint64_t{buf_[1]} << 32);
    for (unsigned i = 2; i < words_; ++i) {
      if (buf_[i] != data_word(tag, i)) return kCorruptData;
    }
    return tag;
  }

  RtlParams rp_;
  BackendOptions o_;
  mc::McConfig cfg_;
  dram::AddressMap map_;
  dram::DramModel dram_;
  dram::RtlDramPins<V> pins_;
  unsigned words_;
  std::vector<uint32_t> buf_;
  std::vector<Held> held_;
  std::vector<InFlight> table_;
  std::vector<std::array<uint64_t, 8>> counts_;
  std::vector<std::string> errors_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> m_;
  uint64_t cycle_ = 0, outstanding_ = 0, line_mask_ = 0;
  bool prepared_ = false;
};

}  // namespace

std::unique_ptr<Backend> make_rtl_backend(const hw::dram::Preset& p, const BackendOptions& o) {
  const RtlParams* rp = params_of(p);
  if (rp == nullptr) throw std::invalid_argument("no Verilated memory controller for preset '" + std::string(p.name) + "'");
  if (p.name == hwd::kHbm2.name) return std::make_unique<RtlBackend<Vkmt_mc_hbm2>>(p, *rp, o);
  if (p.name == hwd::kGddr6.name) return std::make_unique<RtlBackend<Vkmt_mc_gddr6>>(p, *rp, o);
  return std::make_unique<RtlBackend<Vkmt_mc_ice40>>(p, *rp, o);
}

}  // namespace kmtsim::memtrace
