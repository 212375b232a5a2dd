// The fence engine and the interrupt records (rtl/kmt_fence_engine.sv,
// rtl/kmt_irq.sv) with the register block and two rings around them
// (tests/rtl/kmt_fence_tb.sv), over Verilator, clocked directly from C++.
//
// A scoreboard checks every cycle against a C++ reference: each request the
// engine grants (ring SIGNAL: max, ring WAIT: read, CPU signal: store, CPU
// read) is matched with what its requester was given to do, in order, and
// applied to a reference fence table in grant order; the table probe, the
// update broadcast and read answers must follow at the documented cycles
// with the reference values; each signal's write-back goes out in signal
// order to its fence's page with its value; its interrupt record enters the
// FIFO in signal order, after the write-back was acknowledged, with the
// fence's latency-critical bit; the FIFO drops exactly when it is full; the
// coalesced fence interrupt, the interrupt line and every IRQ_STATUS and
// IRQ_REC_* read are those of the reference; a ring WAIT is released only
// after an update (or the value read) reaches its target. The write-back
// memory answers after random delays, out of order; rings fetch their
// commands through a memory with random delays.
//
// Random tests print their seed (KMTSIM_SEED repeats a run); KMTSIM_FST dumps
// a waveform, and a failing case is re-run into <case>.fst automatically.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "Vkmt_fence_tb.h"
#include "kmtsim/dram/vl_bits.h"
#include "host_bus.h"
#include "kmtsim/hw/regs.h"
#include "seed.h"
#include "vl_model.h"

namespace {

namespace reg = kmtsim::hw::reg;
namespace field = kmtsim::hw::field;
using kmtsim::dram::get_bits;
using kmtsim::dram::set_bits;
using kmtsim::dram::set_words;
using kmtsim::test::VlModel;
using Op = kmtsim::hw::CpOpcode;

// The model's parameters (kmt_fence_tb defaults, tests/rtl/CMakeLists.txt).
constexpr unsigned kFences = 16;
constexpr unsigned kRings = 2;
constexpr unsigned kFifoDepth = 8;
constexpr unsigned kIdxW = 4;
constexpr unsigned kHost = kRings;  // the host's requester index
constexpr unsigned kLineBytes = 64;
constexpr uint64_t kVram = uint64_t{1} << 32;
constexpr unsigned kRingLog2 = 16;
constexpr uint64_t kRingBase[kRings] = {0x100000, 0x200000};

constexpr unsigned kOpRead = 0, kOpStore = 1, kOpMax = 2;

struct Record {
  unsigned fence = 0;
  uint64_t value = 0;
  int ring = -1;  // -1: the CPU
  bool crit = false;
  bool operator==(const Record&) const = default;
};

std::string to_string(const Record& r) {
  std::ostringstream s;
  s << "{fence " << r.fence << ", value " << r.value << ", " << (r.ring < 0 ? "cpu" : "ring " + std::to_string(r.ring))
    << (r.crit ? ", critical}" : "}");
  return s.str();
}

// A ring command the engine will see: SIGNAL (max) or WAIT (read); NOPs are
// not seen by the engine.
struct RingCmd {
  Op op;
  unsigned fence = 0;
  uint64_t value = 0;
  unsigned skip = 0;  // NOP
};

struct Options {
  uint64_t seed = 1;
  double wb_ready = 1.0;          // probability the write-back port is ready in a cycle
  unsigned wb_latency_max = 1;    // write acknowledged 1..max cycles after it is taken
  double fetch_ready = 1.0;
  unsigned fetch_latency_max = 3;
};

class FenceBench {
 public:
  explicit FenceBench(Options o) : opt_(o), rng_(o.seed), m_("fence_tb") {
    m_.reset();
    for (unsigned r = 0; r < kRings; ++r) ring_[r].base = kRingBase[r];
    while (m_->mon_init_o) step();
  }

  // ------------------------------------------------------------------ one cycle
  void step() {
    Vkmt_fence_tb& m = *m_;
    drive_memories();
    m.timebase_i = cycle_;
    m_.clock(cycle_, [this](Vkmt_fence_tb& low) {
      monitor();
      bus_.seen(low);
    });
    ++cycle_;
  }
  void run(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) step();
  }

  // ------------------------------------------------------------------ host bus
  uint32_t access(bool write, uint32_t addr, uint32_t data = 0) {
    const std::optional<uint32_t> v = bus_.access(*m_, [this] { step(); }, write, addr, data, 10000);
    if (!v) error("host bus: register " + std::to_string(addr) + " not answered");
    return v.value_or(0);
  }
  uint32_t rd(uint32_t addr) { return access(false, addr); }
  void wr(uint32_t addr, uint32_t v) { access(true, addr, v); }

  void cpu_signal(unsigned f, uint64_t v) {
    wr(reg::FENCE_WDATA_LO, static_cast<uint32_t>(v));
    wr(reg::FENCE_WDATA_HI, static_cast<uint32_t>(v >> 32));
    wr(reg::FENCE_SIGNAL, f);
  }
  uint64_t fence_value(unsigned f) {
    wr(reg::FENCE_SEL, f);
    const uint64_t lo = rd(reg::FENCE_VALUE_LO);
    return lo | (uint64_t{rd(reg::FENCE_VALUE_HI)} << 32);
  }
  void set_critical(unsigned f, bool on) { wr(reg::FENCE_CRITICAL, f | (on ? 1u << 31 : 0u)); }
  void coalesce(unsigned count, unsigned time) { wr(reg::IRQ_COALESCE, count | (time << 8)); }
  void write_back(uint64_t base, bool enable) {
    wr(reg::FENCE_WB_BASE_LO, static_cast<uint32_t>(base));
    wr(reg::FENCE_WB_BASE_HI, static_cast<uint32_t>(base >> 32));
    wr(reg::FENCE_WB_CONTROL, enable ? 1 : 0);
  }

  // ------------------------------------------------------------------ the driver
  // The interrupt handler: on OVERFLOW, clear it first, then drain the
  // records, then read every fence (the resynchronisation); otherwise drain.
  // known() is what the driver believes each fence's value is.
  void service() {
    const uint32_t status = rd(reg::IRQ_STATUS);
    const bool overflow = field::IRQ_STATUS_OVERFLOW.get(status) != 0;
    if (overflow) wr(reg::IRQ_STATUS, field::IRQ_STATUS_OVERFLOW.mask());
    drain_records();
    if (overflow) {
      ++resyncs_;
      for (unsigned f = 0; f < kFences; ++f) known_[f] = fence_value(f);
    }
  }
  void drain_records() {
    for (;;) {
      const uint32_t info = rd(reg::IRQ_REC_INFO);
      if (!field::IRQ_REC_INFO_VALID.get(info)) break;
      Record r;
      r.fence = field::IRQ_REC_INFO_FENCE.get(info);
      r.ring = field::IRQ_REC_INFO_SOURCE.get(info) ? static_cast<int>(field::IRQ_REC_INFO_RING.get(info)) : -1;
      r.crit = field::IRQ_REC_INFO_CRITICAL.get(info) != 0;
      r.value = rd(reg::IRQ_REC_VALUE_LO);
      r.value |= uint64_t{rd(reg::IRQ_REC_VALUE_HI)} << 32;
      wr(reg::IRQ_REC_POP, 1);
      if (r.fence < kFences) known_[r.fence] = r.value;
      driver_records_.push_back(r);
    }
  }
  bool irq() const { return m_->irq_o; }

  // ------------------------------------------------------------------ rings
  void ring_setup(unsigned r) {
    const uint32_t b = r * reg::RING_BASE_LO_STRIDE;
    wr(b + reg::RING_BASE_LO, static_cast<uint32_t>(ring_[r].base));
    wr(b + reg::RING_BASE_HI, static_cast<uint32_t>(ring_[r].base >> 32));
    wr(b + reg::RING_SIZE, kRingLog2);
    wr(b + reg::RING_CONTROL, field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
  }
  // Appends commands to ring r's buffer (not yet visible: see doorbell).
  void ring_append(unsigned r, const RingCmd& c) {
    Ring& ring = ring_[r];
    auto put = [&](uint32_t w) {
      ring.mem[ring.written % (1u << kRingLog2)] = w;
      ring.written += 4;
    };
    const uint32_t hdr = uint32_t{static_cast<uint8_t>(c.op)} << 24;
    if (c.op == Op::NOP) {
      put(hdr | c.skip);
      for (unsigned k = 0; k < c.skip; ++k) put(0xDEADBEEF);
    } else {
      put(hdr | c.fence);
      put(static_cast<uint32_t>(c.value));
      put(static_cast<uint32_t>(c.value >> 32));
      ring.expect.push_back(c);
    }
    ++ring.commands;
  }
  // Makes everything appended to ring r visible.
  void doorbell(unsigned r) {
    const uint32_t b = r * reg::RING_BASE_LO_STRIDE;
    wr(b + reg::RING_WPTR, ring_[r].written % (1u << kRingLog2));
  }
  uint32_t ring_reg(unsigned r, uint32_t ring_register) { return rd(ring_register + r * reg::RING_BASE_LO_STRIDE); }
  unsigned ring_commands(unsigned r) const { return ring_[r].commands; }
  uint32_t ring_written(unsigned r) const { return ring_[r].written % (1u << kRingLog2); }
  // Every command given to the rings has run (a last WAIT: reached).
  bool rings_done() const {
    for (const Ring& r : ring_) {
      if (!r.expect.empty() || (r.wait && !r.satisfied)) return false;
    }
    return true;
  }
  // Signals given (to a ring or through the host bus) whose records the
  // driver has not read and that were not dropped.
  size_t unread_signals() const {
    size_t n = signals_.size() + in_flight_signals_.size();
    for (const Pending& p : pipe_) n += p.op != kOpRead && p.grant + 1 >= cycle_;
    for (const Pending& p : host_expect_) n += p.op == kOpStore;
    for (const Ring& r : ring_) {
      for (const RingCmd& c : r.expect) n += c.op == Op::SIGNAL;
    }
    return n - driver_records_.size() - drops_;
  }

  // ------------------------------------------------------------------ state
  bool quiet() const {
    size_t wb = wb_cursor_;
    while (wb < signals_.size() && !wb_needed_[wb]) ++wb;
    return rings_done() && pipe_.empty() && wb == signals_.size() && rec_cursor_ == signals_.size() &&
           wb_flight_.empty();
  }
  uint64_t ref_fence(unsigned f) const { return table_[f]; }
  const std::map<uint64_t, uint64_t>& vram() const { return vram_; }
  const std::vector<Record>& signals() const { return signals_; }
  const std::vector<Record>& driver_records() const { return driver_records_; }
  const uint64_t* known() const { return known_; }
  unsigned drops() const { return drops_; }
  // OVERFLOW clears that came in the cycle of a drop.
  unsigned clears_with_drop() const { return clear_with_drop_; }
  unsigned resyncs() const { return resyncs_; }
  size_t fifo_level() const { return fifo_.size(); }
  uint64_t cycle() const { return cycle_; }
  std::mt19937_64& rng() { return rng_; }
  // Cycles at which records entered the FIFO, and rising edges of the fence interrupt.
  const std::vector<uint64_t>& push_cycles() const { return push_cycles_; }
  const std::vector<uint64_t>& fence_irq_rises() const { return irq_rises_; }
  // Cycles from the update that satisfied a WAIT to the ring's next request.
  const std::vector<uint64_t>& release_delays() const { return release_delays_; }
  // Cycles at which each ring's requests were granted, in order.
  const std::vector<uint64_t>& grants(unsigned r) const { return ring_[r].grant_cycles; }

  void error(const std::string& e) {
    if (errors_.size() < 20) errors_.push_back("cycle " + std::to_string(cycle_) + ": " + e);
    ++error_count_;
  }
  std::string report() const {
    std::string s;
    for (const std::string& e : errors_) s += "  " + e + "\n";
    if (error_count_ > errors_.size()) s += "  ... " + std::to_string(error_count_ - errors_.size()) + " more\n";
    return s;
  }
  bool ok() const { return error_count_ == 0; }

 private:
  struct Ring {
    uint64_t base = 0;
    std::map<uint32_t, uint32_t> mem;  // offset -> word
    uint32_t written = 0;
    unsigned commands = 0;
    std::deque<RingCmd> expect;        // SIGNAL/WAIT not yet granted
    std::optional<uint64_t> fetch_due;
    uint64_t fetch_addr = 0;
    // The WAIT in progress: its read was granted.
    bool wait = false;
    unsigned wait_fence = 0;
    uint64_t wait_target = 0, wait_read_cycle = 0;
    std::optional<uint64_t> satisfied;  // cycle of the update (or read answer) that reached the target
    std::vector<uint64_t> grant_cycles;
  };
  struct Pending {  // a granted request on its way through the engine
    uint64_t grant;
    unsigned requester, op, fence;
    uint64_t value;  // new value (signals) or value read
  };
  struct WbFlight {
    unsigned id;
    uint64_t due;
    size_t signal;
  };
  struct Fifo {
    Record rec;
    uint64_t visible;
  };

  uint64_t now_due(uint64_t lat_max) { return cycle_ + 1 + rng_() % std::max<uint64_t>(lat_max, 1); }
  bool chance(double p) { return p >= 1.0 || std::uniform_real_distribution<>(0, 1)(rng_) < p; }

  // Inputs from the memories for this cycle: fetch answers, write-back
  // handshake and acknowledgements.
  void drive_memories() {
    Vkmt_fence_tb& m = *m_;
    m.fetch_rsp_valid_i = 0;
    for (unsigned r = 0; r < kRings; ++r) {
      Ring& ring = ring_[r];
      if (ring.fetch_due && *ring.fetch_due <= cycle_ && m.fetch_rsp_valid_i == 0) {
        uint32_t line[kLineBytes / 4];
        for (unsigned k = 0; k < kLineBytes / 4; ++k) {
          const uint64_t a = ring.fetch_addr + 4 * k - ring.base;
          const auto it = ring.mem.find(static_cast<uint32_t>(a));
          line[k] = it == ring.mem.end() ? 0u : it->second;
        }
        set_words(m.fetch_rsp_data_i, 0, std::span<const uint32_t>(line));
        set_bits(m.fetch_rsp_valid_i, r, 1, 1);
        ring.fetch_due.reset();
      }
      set_bits(m.fetch_ready_i, r, 1, !ring.fetch_due && chance(opt_.fetch_ready));
    }
    m.wb_req_ready_i = chance(opt_.wb_ready);
    m.wb_rsp_valid_i = 0;
    for (auto it = wb_flight_.begin(); it != wb_flight_.end(); ++it) {
      if (it->due <= cycle_) {
        m.wb_rsp_valid_i = 1;
        m.wb_rsp_id_i = it->id;
        acked_[it->signal] = cycle_;
        wb_flight_.erase(it);
        break;
      }
    }
  }

  // Reference of the coalesced fence interrupt in this cycle.
  bool ref_fence_irq() const {
    if (fifo_.empty()) return false;
    if (fence_latched_) return true;
    const unsigned thr = std::max(coalesce_count_, 1u);
    bool crit = false;
    for (const Fifo& e : fifo_) crit = crit || e.rec.crit;
    const bool time_hit = coalesce_time_ != 0 && cycle_ - fifo_.front().visible >= coalesce_time_;
    return crit || fifo_.size() >= thr || time_hit;
  }
  uint32_t ref_irq_status(bool fence_irq) const { return (overflow_ ? 2u : 0u) | (fence_irq ? 1u : 0u); }

  void monitor() {
    Vkmt_fence_tb& m = *m_;
    const uint64_t c = cycle_;

    // --- the interrupt line and the coalesced fence interrupt
    const bool fence_irq = ref_fence_irq();
    if (static_cast<bool>(m.mon_fence_irq_o) != fence_irq) {
      error(std::string("fence interrupt is ") + (m.mon_fence_irq_o ? "high" : "low") + ", the reference has it " +
            (fence_irq ? "high" : "low") + " (" + std::to_string(fifo_.size()) + " records waiting)");
    }
    if (fence_irq && !fence_irq_prev_) irq_rises_.push_back(c);
    fence_irq_prev_ = fence_irq;
    const bool line = (ref_irq_status(fence_irq) & irq_enable_) != 0;
    if (static_cast<bool>(m.irq_o) != line) error(std::string("irq_o is ") + (m.irq_o ? "high" : "low"));
    if (m.ring_halt_o != 0) error("a ring halted");

    // --- the engine's pipeline: probe at grant + 1, broadcast and answers at grant + 2
    bool prb_expected = false, upd_expected = false;
    unsigned rsp_expected = 0;
    for (const Pending& p : pipe_) {
      if (p.op != kOpRead && p.grant + 1 == c) {
        prb_expected = true;
        if (!m.mon_prb_upd_valid_o || m.mon_prb_upd_fence_o != p.fence || m.mon_prb_upd_value_o != p.value) {
          error("table write probe: expected fence " + std::to_string(p.fence) + " value " + std::to_string(p.value));
        }
        Record r{p.fence, p.value, p.requester == kHost ? -1 : static_cast<int>(p.requester), crit_[p.fence]};
        in_flight_signals_.push_back(r);
      }
      if (p.grant + 2 == c) {
        if (p.op == kOpRead) {
          rsp_expected |= 1u << p.requester;
          if (m.mon_rsp_value_o != p.value) {
            error("read answer of fence " + std::to_string(p.fence) + ": " + std::to_string(m.mon_rsp_value_o) +
                  ", expected " + std::to_string(p.value));
          }
        } else {
          upd_expected = true;
          if (!m.mon_upd_valid_o || m.mon_upd_fence_o != p.fence || m.mon_upd_value_o != p.value) {
            error("update broadcast: expected fence " + std::to_string(p.fence) + " value " +
                  std::to_string(p.value));
          }
          // The signal enters the write-back queue.
          signals_.push_back(in_flight_signals_.front());
          in_flight_signals_.pop_front();
          acked_.push_back(std::nullopt);
          wb_needed_.push_back(wb_enable_ && ((wb_base_ + uint64_t{p.fence} * 4096) >> 32) == 0);
          for (unsigned r = 0; r < kRings; ++r) {
            Ring& ring = ring_[r];
            if (ring.wait && !ring.satisfied && ring.wait_fence == p.fence && p.value >= ring.wait_target &&
                c >= ring.wait_read_cycle + 3) {
              ring.satisfied = c;
            }
          }
        }
      }
    }
    if (!prb_expected && m.mon_prb_upd_valid_o) error("table write probe without a signal");
    if (!upd_expected && m.mon_upd_valid_o) error("update broadcast without a signal");
    if (m.mon_rsp_valid_o != rsp_expected) error("read answer valid " + std::to_string(m.mon_rsp_valid_o));
    while (!pipe_.empty() && pipe_.front().grant + 2 <= c) pipe_.pop_front();

    // --- line fetches: one in flight per ring
    for (unsigned r = 0; r < kRings; ++r) {
      if (get_bits(m.fetch_valid_o, r, 1) && get_bits(m.fetch_ready_i, r, 1)) {
        ring_[r].fetch_addr = get_bits(m.fetch_addr_o, 32 * r, 32);
        ring_[r].fetch_due = now_due(opt_.fetch_latency_max);
      }
    }

    // --- grants
    const unsigned ready = m.mon_req_ready_o;
    if (ready & ~unsigned{m.mon_req_valid_o}) error("grant without a request");
    if (ready & (ready - 1)) error("two grants in one cycle");
    for (unsigned i = 0; i < kRings + 1; ++i) {
      const bool valid = get_bits(m.mon_req_valid_o, i, 1);
      const unsigned op = static_cast<unsigned>(get_bits(m.mon_req_op_o, 2 * i, 2));
      const auto f = static_cast<unsigned>(get_bits(m.mon_req_fence_o, kIdxW * i, kIdxW));
      const uint64_t v = get_bits(m.mon_req_value_o, 64 * i, 64);
      if (i < kRings && valid) ring_request(i, c);
      if (!valid || !((ready >> i) & 1)) continue;
      if (i < kRings) {
        Ring& ring = ring_[i];
        ring.grant_cycles.push_back(c);
        if (ring.expect.empty()) {
          error("ring " + std::to_string(i) + ": a request it was not given");
          continue;
        }
        const RingCmd want = ring.expect.front();
        ring.expect.pop_front();
        const unsigned want_op = want.op == Op::WAIT ? kOpRead : kOpMax;
        if (op != want_op || f != want.fence || (op == kOpMax && v != want.value)) {
          error("ring " + std::to_string(i) + ": request op " + std::to_string(op) + " fence " + std::to_string(f) +
                " value " + std::to_string(v) + ", expected op " + std::to_string(want_op) + " fence " +
                std::to_string(want.fence) + " value " + std::to_string(want.value));
        }
        if (op == kOpRead) {
          ring.wait = true;
          ring.wait_fence = f;
          ring.wait_target = want.value;
          ring.wait_read_cycle = c;
          ring.satisfied.reset();
          if (table_[f] >= want.value) ring.satisfied = c + 2;
        }
      } else {
        if (host_expect_.empty()) {
          error("host: a request it was not given");
          continue;
        }
        const Pending want = host_expect_.front();
        host_expect_.pop_front();
        if (op != want.op || f != want.fence || (op == kOpStore && v != want.value)) {
          error("host: request op " + std::to_string(op) + " fence " + std::to_string(f) + ", expected op " +
                std::to_string(want.op) + " fence " + std::to_string(want.fence));
        }
      }
      // The reference table, in grant order.
      uint64_t result = table_[f];
      if (op == kOpStore) result = v;
      if (op == kOpMax) result = std::max(table_[f], v);
      if (op != kOpRead) table_[f] = result;
      pipe_.push_back({c, i, op, f, result});
    }

    // --- write-back: in signal order, to the fence's page, the value in bytes 0..7
    if (m.wb_req_valid_o && m.wb_req_ready_i) {
      while (wb_cursor_ < signals_.size() && !wb_needed_[wb_cursor_]) ++wb_cursor_;
      if (wb_cursor_ == signals_.size()) {
        error("write-back without a signal that needs one");
      } else {
        const Record& s = signals_[wb_cursor_];
        const uint64_t addr = wb_base_ + uint64_t{s.fence} * 4096;
        if (m.wb_req_addr_o != addr || m.wb_req_wdata_o != s.value || m.wb_req_wdata_rest_o ||
            m.wb_req_wstrb_o != 0xFF) {
          error("write-back of " + to_string(s) + ": address " + std::to_string(m.wb_req_addr_o) + " (expected " +
                std::to_string(addr) + "), value " + std::to_string(m.wb_req_wdata_o));
        }
        for (const WbFlight& w : wb_flight_) {
          if (w.id == m.wb_req_id_o) error("write-back id " + std::to_string(w.id) + " reused while in flight");
        }
        vram_[addr] = m.wb_req_wdata_o;
        wb_flight_.push_back({m.wb_req_id_o, now_due(opt_.wb_latency_max), wb_cursor_});
        ++wb_cursor_;
      }
    } else if (m.wb_req_valid_o) {
      // Not taken: nothing.
    }

    // --- records into the FIFO: signal order, after the write-back was acknowledged
    const bool pop = m.mon_rec_pop_o;
    bool drop_expected = false;
    if (m.mon_rec_valid_o) {
      Record got{m.mon_rec_fence_o, m.mon_rec_value_o, m.mon_rec_src_o ? static_cast<int>(m.mon_rec_ring_o) : -1,
                 static_cast<bool>(m.mon_rec_crit_o)};
      if (rec_cursor_ >= signals_.size()) {
        error("record " + to_string(got) + " without a signal");
      } else {
        const Record& want = signals_[rec_cursor_];
        if (!(got == want)) error("record " + to_string(got) + ", expected " + to_string(want));
        if (wb_needed_[rec_cursor_] && !(acked_[rec_cursor_] && *acked_[rec_cursor_] < c)) {
          error("record " + to_string(got) + " before its write-back was acknowledged");
        }
        ++rec_cursor_;
      }
      drop_expected = fifo_.size() == kFifoDepth && !pop;
      if (drop_expected) {
        ++drops_;
      } else {
        push_cycles_.push_back(c);
      }
    }
    if (static_cast<bool>(m.mon_rec_dropped_o) != drop_expected) {
      error(std::string("record FIFO drop is ") + (m.mon_rec_dropped_o ? "1" : "0") + ", expected " +
            (drop_expected ? "1" : "0"));
    }
    if (pop && fifo_.empty()) error("pop of an empty record FIFO");

    // --- host accesses: what the reference expects of them
    if (m.host_req_valid_i && m.host_req_ready_o) host_access(c, fence_irq);
    if (m.host_rsp_valid_o && rsp_check_) {
      if ((m.host_rsp_rdata_o & rsp_mask_) != *rsp_check_) {
        error("register read returned " + std::to_string(m.host_rsp_rdata_o) + ", expected " +
              std::to_string(*rsp_check_) + " (" + rsp_what_ + ")");
      }
      rsp_check_.reset();
    }

    // --- end of the cycle: the FIFO and the flags take their next values
    if (pop && !fifo_.empty()) fifo_.pop_front();
    if (m.mon_rec_valid_o && !drop_expected) {
      fifo_.push_back({Record{m.mon_rec_fence_o, m.mon_rec_value_o,
                              m.mon_rec_src_o ? static_cast<int>(m.mon_rec_ring_o) : -1,
                              static_cast<bool>(m.mon_rec_crit_o)},
                       c + 1});
    }
    fence_latched_ = fence_irq && !fifo_.empty();
    if (ovf_clear_) {
      overflow_ = m.mon_rec_dropped_o;
      ovf_clear_ = false;
      clear_with_drop_ += m.mon_rec_dropped_o;
    } else if (m.mon_rec_dropped_o) {
      overflow_ = true;
    }
    for (const auto& [f, on] : crit_writes_) crit_[f] = on;
    crit_writes_.clear();
  }

  // A ring requests: if it was waiting, its WAIT must have been satisfied.
  void ring_request(unsigned r, uint64_t c) {
    Ring& ring = ring_[r];
    if (!ring.wait) return;
    if (!ring.satisfied || *ring.satisfied >= c) {
      error("ring " + std::to_string(r) + " went past WAIT(fence " + std::to_string(ring.wait_fence) + ", " +
            std::to_string(ring.wait_target) + ") before any update reached it (value now " +
            std::to_string(table_[ring.wait_fence]) + ")");
    } else {
      release_delays_.push_back(c - *ring.satisfied);
    }
    ring.wait = false;
  }

  void host_access(uint64_t c, bool fence_irq) {
    const Vkmt_fence_tb& m = *m_;
    const uint32_t a = m.host_req_addr_i, d = m.host_req_wdata_i;
    if (m.host_req_write_i) {
      switch (a) {
        case reg::FENCE_WDATA_LO: wdata_ = (wdata_ & ~uint64_t{0xFFFFFFFF}) | d; break;
        case reg::FENCE_WDATA_HI: wdata_ = (wdata_ & 0xFFFFFFFF) | (uint64_t{d} << 32); break;
        case reg::FENCE_SIGNAL:
          if (d < kFences) host_expect_.push_back({c, kHost, kOpStore, d, wdata_});
          break;
        case reg::FENCE_CRITICAL:
          if ((d & 0xFFFF) < kFences) crit_writes_.emplace_back(d & 0xFFFF, (d >> 31) != 0);
          break;
        case reg::IRQ_COALESCE:
          coalesce_count_ = d & 0xFF;
          coalesce_time_ = d >> 8;
          break;
        case reg::IRQ_ENABLE: irq_enable_ = d & 7; break;
        case reg::IRQ_STATUS:
          if (d & field::IRQ_STATUS_OVERFLOW.mask()) ovf_clear_ = true;
          break;
        case reg::FENCE_WB_BASE_LO: wb_base_ = (wb_base_ & ~uint64_t{0xFFFFFFFF}) | (d & ~0xFFFu); break;
        case reg::FENCE_WB_BASE_HI: wb_base_ = (wb_base_ & 0xFFFFFFFF) | (uint64_t{d} << 32); break;
        case reg::FENCE_WB_CONTROL: wb_enable_ = (d & 1) != 0; break;
        case reg::FENCE_SEL: fence_sel_ = d & 0xFFFF; break;
        default: break;
      }
      return;
    }
    const Record* head = fifo_.empty() ? nullptr : &fifo_.front().rec;
    rsp_mask_ = ~0u;
    switch (a) {
      case reg::FENCE_VALUE_LO:
        if (fence_sel_ < kFences) host_expect_.push_back({c, kHost, kOpRead, fence_sel_, 0});
        break;
      case reg::IRQ_STATUS:
        rsp_check_ = ref_irq_status(fence_irq);
        rsp_what_ = "IRQ_STATUS";
        break;
      case reg::IRQ_REC_INFO:
        // An empty FIFO: only VALID is defined.
        rsp_check_ = head == nullptr ? 0u
                                     : (1u << 31) | (head->ring >= 0 ? 1u << 30 : 0u) | (head->crit ? 1u << 29 : 0u) |
                                           (head->ring >= 0 ? static_cast<uint32_t>(head->ring) << 24 : 0u) |
                                           head->fence;
        rsp_mask_ = head == nullptr ? 1u << 31 : ~0u;
        rsp_what_ = "IRQ_REC_INFO";
        break;
      case reg::IRQ_REC_VALUE_LO:
        if (head != nullptr) rsp_check_ = static_cast<uint32_t>(head->value);
        rsp_what_ = "IRQ_REC_VALUE_LO";
        break;
      case reg::IRQ_REC_VALUE_HI:
        if (head != nullptr) rsp_check_ = static_cast<uint32_t>(head->value >> 32);
        rsp_what_ = "IRQ_REC_VALUE_HI";
        break;
      default: break;
    }
  }

  Options opt_;
  std::mt19937_64 rng_;
  VlModel<Vkmt_fence_tb> m_;
  kmtsim::test::HostBus<Vkmt_fence_tb> bus_;
  uint64_t cycle_ = 0;
  Ring ring_[kRings];

  // The reference.
  uint64_t table_[kFences] = {};
  bool crit_[kFences] = {};
  std::vector<std::pair<unsigned, bool>> crit_writes_;
  unsigned coalesce_count_ = 0, coalesce_time_ = 0, irq_enable_ = 0, fence_sel_ = 0;
  bool overflow_ = false, ovf_clear_ = false, fence_latched_ = false, fence_irq_prev_ = false;
  bool wb_enable_ = false;
  uint64_t wb_base_ = 0, wdata_ = 0;
  std::deque<Pending> pipe_, host_expect_;
  std::deque<Record> in_flight_signals_;
  std::vector<Record> signals_;  // every signal, in the order the engine queued them
  std::vector<bool> wb_needed_;
  std::vector<std::optional<uint64_t>> acked_;
  size_t wb_cursor_ = 0, rec_cursor_ = 0;
  std::vector<WbFlight> wb_flight_;
  std::map<uint64_t, uint64_t> vram_;  // write-back slots as written
  std::deque<Fifo> fifo_;
  std::optional<uint32_t> rsp_check_;
  uint32_t rsp_mask_ = ~0u;
  std::string rsp_what_;
  unsigned drops_ = 0, clear_with_drop_ = 0;
  std::vector<uint64_t> push_cycles_, irq_rises_, release_delays_;

  // The driver's view.
  uint64_t known_[kFences] = {};
  std::vector<Record> driver_records_;
  unsigned resyncs_ = 0;

  std::vector<std::string> errors_;
  size_t error_count_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------- helpers

namespace {

constexpr uint64_t kWbBase = 0x4000000;

// Interrupts on (fence records and overflow), coalescing, write-back, both rings ready.
void start(FenceBench& b, unsigned count, unsigned time, uint64_t wb_base = kWbBase, bool wb = true) {
  b.wr(reg::IRQ_ENABLE, field::IRQ_ENABLE_FENCE.mask() | field::IRQ_ENABLE_OVERFLOW.mask());
  b.coalesce(count, time);
  b.write_back(wb_base, wb);
  for (unsigned r = 0; r < kRings; ++r) b.ring_setup(r);
}

// Runs until everything given has gone through (serving interrupts), then
// the driver's last look: a final service and a poll of the records. Then
// the end state against the reference: what the driver knows of every
// fence, every fence's value and write-back slot, each ring's progress, and
// every signal accounted for (a record the driver read, or a dropped one).
std::string finish(FenceBench& b, uint64_t wb_base = kWbBase, bool wb = true, uint64_t max_cycles = 200000) {
  const uint64_t limit = b.cycle() + max_cycles;
  while (!b.quiet() && b.cycle() < limit) {
    if (b.irq()) {
      b.service();
    } else {
      b.step();
    }
  }
  if (!b.quiet()) b.error("not quiet after " + std::to_string(max_cycles) + " cycles");
  b.service();
  b.drain_records();
  for (unsigned f = 0; f < kFences; ++f) {
    const uint64_t want = b.ref_fence(f);
    if (b.known()[f] != want) {
      b.error("fence " + std::to_string(f) + ": the driver knows " + std::to_string(b.known()[f]) + ", the value is " +
              std::to_string(want));
    }
    const uint64_t got = b.fence_value(f);
    if (got != want) b.error("fence " + std::to_string(f) + " reads " + std::to_string(got));
    if (wb) {
      const auto it = b.vram().find(wb_base + uint64_t{f} * 4096);
      const uint64_t slot = it == b.vram().end() ? 0 : it->second;
      if (((wb_base + uint64_t{f} * 4096) >> 32) == 0 && slot != want) {
        b.error("fence " + std::to_string(f) + "'s write-back slot holds " + std::to_string(slot));
      }
    }
  }
  for (unsigned r = 0; r < kRings; ++r) {
    const uint32_t done = b.ring_reg(r, reg::RING_COMPLETED), rptr = b.ring_reg(r, reg::RING_RPTR);
    if (done != b.ring_commands(r) || rptr != b.ring_written(r)) {
      b.error("ring " + std::to_string(r) + ": " + std::to_string(done) + " of " + std::to_string(b.ring_commands(r)) +
              " commands completed, RPTR " + std::to_string(rptr));
    }
  }
  if (b.driver_records().size() + b.drops() != b.signals().size()) {
    b.error(std::to_string(b.signals().size()) + " signals, " + std::to_string(b.driver_records().size()) +
            " records read and " + std::to_string(b.drops()) + " dropped");
  }
  return b.report();
}

void check_finish(FenceBench& b, uint64_t wb_base = kWbBase, bool wb = true) {
  const std::string err = finish(b, wb_base, wb);
  INFO(err);
  CHECK(err.empty());
}

struct Traffic {
  unsigned ring_cmds = 150;     // SIGNAL/WAIT/NOP per ring
  unsigned cpu_signals = 120;
  unsigned gap_max = 40;        // idle cycles between the CPU's actions, at most
  unsigned irq_delay_max = 0;   // the driver answers the interrupt after up to this many cycles
  // The CPU gives no new work while that work could make more records than
  // the FIFO holds unread (it polls the records meanwhile): no overflow. A
  // ring WAIT on a CPU fence then waits only for a value the CPU has already
  // signalled (else the rings could hold back records behind a WAIT the CPU
  // does not get to).
  bool keep_up = false;
};

// Fences 0..5: the CPU signals them with rising values, the rings WAIT on
// them; 6..9: the CPU stores anything (rewinds too) and the rings signal
// them; 10..15: the rings signal them and WAIT on values they signalled.
// No WAIT can wait forever.
void random_traffic(FenceBench& b, const Traffic& t) {
  auto& rng = b.rng();
  auto below = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  std::vector<std::pair<unsigned, uint64_t>> cpu;
  uint64_t cpu_value[6] = {};
  for (unsigned k = 0; k < t.cpu_signals; ++k) {
    if (below(3) != 0) {
      const auto f = static_cast<unsigned>(below(6));
      cpu_value[f] += 1 + below(5);
      cpu.emplace_back(f, cpu_value[f]);
    } else {
      // Small values, and now and then any 64-bit value (every bit of the paths toggles).
      cpu.emplace_back(6 + static_cast<unsigned>(below(4)), below(4) == 0 ? rng() : below(2000));
    }
  }
  std::vector<RingCmd> prog[kRings];
  for (unsigned r = 0; r < kRings; ++r) {
    uint64_t counter = 0, signalled[kFences] = {};
    for (unsigned k = 0; k < t.ring_cmds; ++k) {
      const uint64_t pick = below(20);
      if (pick < 9) {
        const auto f = static_cast<unsigned>(6 + below(10));
        counter += 1 + below(7);
        prog[r].push_back({Op::SIGNAL, f, counter});
        signalled[f] = counter;
      } else if (pick < 13) {
        const auto f = static_cast<unsigned>(below(6));
        if (cpu_value[f] > 0) prog[r].push_back({Op::WAIT, f, 1 + below(cpu_value[f])});
      } else if (pick < 17) {
        const auto f = static_cast<unsigned>(10 + below(6));
        if (signalled[f] > 0) prog[r].push_back({Op::WAIT, f, 1 + below(signalled[f])});
      } else {
        prog[r].push_back({Op::NOP, 0, 0, static_cast<unsigned>(below(4))});
      }
    }
  }

  size_t cpu_next = 0, appended[kRings] = {};
  uint64_t cpu_issued[6] = {};
  uint64_t irq_seen = 0, irq_delay = 0;
  bool irq_pending = false;
  auto left = [&] {
    bool any = cpu_next < cpu.size();
    for (unsigned r = 0; r < kRings; ++r) any = any || appended[r] < prog[r].size();
    return any;
  };
  while (left()) {
    if (b.irq() && !irq_pending) {
      irq_pending = true;
      irq_seen = b.cycle();
      irq_delay = below(t.irq_delay_max + 1);
    }
    if (irq_pending && b.cycle() >= irq_seen + irq_delay) {
      b.service();
      irq_pending = false;
      continue;
    }
    if (t.keep_up && b.unread_signals() + 8 > kFifoDepth) {
      b.drain_records();
      b.run(1 + below(8));
      continue;
    }
    switch (below(10)) {
      case 0:
      case 1:
      case 2:
      case 3:
        if (cpu_next < cpu.size()) {
          const auto [f, v] = cpu[cpu_next++];
          b.cpu_signal(f, v);
          if (f < 6) cpu_issued[f] = v;
        }
        break;
      case 4:
      case 5: {
        const auto r = static_cast<unsigned>(below(kRings));
        const size_t n = std::min<size_t>(prog[r].size() - appended[r], 1 + below(8));
        for (size_t k = 0; k < n; ++k) {
          RingCmd c = prog[r][appended[r]++];
          if (t.keep_up && c.op == Op::WAIT && c.fence < 6 && c.value > cpu_issued[c.fence]) {
            c = cpu_issued[c.fence] > 0 ? RingCmd{Op::WAIT, c.fence, cpu_issued[c.fence]} : RingCmd{Op::NOP};
          }
          b.ring_append(r, c);
        }
        if (n > 0) b.doorbell(r);
        break;
      }
      case 6: b.run(1 + below(t.gap_max)); break;
      case 7: b.fence_value(static_cast<unsigned>(below(kFences))); break;
      case 8: b.set_critical(static_cast<unsigned>(below(kFences)), below(4) == 0); break;
      default: b.step(); break;
    }
  }
}

Options random_memories(uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x9E3779B97F4A7C15ull);
  Options o;
  o.seed = seed;
  o.wb_ready = 0.3 + 0.7 * std::uniform_real_distribution<>(0, 1)(rng);
  o.wb_latency_max = 1 + static_cast<unsigned>(rng() % 24);
  o.fetch_ready = 0.5 + 0.5 * std::uniform_real_distribution<>(0, 1)(rng);
  o.fetch_latency_max = 1 + static_cast<unsigned>(rng() % 12);
  return o;
}

// Runs per random case: each with its own seed (the case's seed + k), memory
// latencies, coalescing and traffic; the first that fails ends the case.
constexpr unsigned kRandomRuns = 12;

// One run; what went wrong, empty when nothing did.
std::string keep_up_run(uint64_t seed) {
  FenceBench b(random_memories(seed));
  std::mt19937_64 rng(seed);
  const unsigned count = static_cast<unsigned>(rng() % 4), time = static_cast<unsigned>(rng() % 3) * 60;
  start(b, count, time);
  Traffic t;
  t.keep_up = true;
  random_traffic(b, t);
  std::string err = finish(b);
  // The driver kept up: every signal's record was read, in signal order.
  if (b.drops() != 0) err += "  " + std::to_string(b.drops()) + " records dropped\n";
  if (b.driver_records() != b.signals()) err += "  the records read are not the signals in order\n";
  if (b.signals().size() < 200) err += "  only " + std::to_string(b.signals().size()) + " signals\n";
  if (!err.empty()) err = "COUNT " + std::to_string(count) + ", TIME " + std::to_string(time) + "\n" + err;
  return err;
}

std::string overflow_run(uint64_t seed) {
  FenceBench b(random_memories(seed));
  start(b, 0, 0);
  Traffic t;
  t.ring_cmds = 300;
  t.cpu_signals = 200;
  t.gap_max = 4;
  t.irq_delay_max = 400;
  random_traffic(b, t);
  std::string err = finish(b);
  if (b.drops() == 0) err += "  no record was dropped\n";
  if (b.resyncs() == 0) err += "  the driver never resynchronised\n";
  return err;
}

void random_runs(const char* what, std::string (*run)(uint64_t)) {
  const uint64_t seed = kmtsim::test::test_seed(what);
  for (unsigned k = 0; k < kRandomRuns; ++k) {
    const std::string err = run(seed + k);
    INFO("run " << k << " of seed " << seed << " (KMTSIM_SEED=" << seed + k << " makes it the first)\n" << err);
    CHECK(err.empty());
    if (!err.empty()) break;
  }
}

}  // namespace

// ---------------------------------------------------------------------------- random

TEST_CASE("Random signals from two rings and the CPU match the reference signal by signal and record by record",
          "[fence][random]") {
  random_runs("fence_random", keep_up_run);
}

TEST_CASE("An overflowing record FIFO is flagged and after the driver resynchronises no signal is lost",
          "[fence][random][overflow]") {
  random_runs("fence_overflow", overflow_run);
}

// ---------------------------------------------------------------------------- directed

TEST_CASE("Records wait for COUNT of them and a latency-critical fence bypasses coalescing", "[fence][coalesce]") {
  FenceBench b(Options{});
  start(b, 4, 0);
  for (unsigned k = 0; k < 3; ++k) b.cpu_signal(k, 10 + k);
  b.run(500);
  CHECK(b.push_cycles().size() == 3);
  CHECK(b.fence_irq_rises().empty());
  CHECK_FALSE(b.irq());
  b.cpu_signal(3, 13);
  b.run(20);
  REQUIRE(b.push_cycles().size() == 4);
  REQUIRE(b.fence_irq_rises().size() == 1);
  CHECK(b.fence_irq_rises()[0] == b.push_cycles()[3] + 1);  // the cycle the fourth record is visible
  b.service();
  CHECK_FALSE(b.irq());
  // A critical fence: at once, with three others waiting no longer than it.
  b.set_critical(7, true);
  b.cpu_signal(5, 1);
  b.run(100);
  CHECK(b.fence_irq_rises().size() == 1);
  b.cpu_signal(7, 1);
  b.run(20);
  REQUIRE(b.fence_irq_rises().size() == 2);
  CHECK(b.fence_irq_rises()[1] == b.push_cycles().back() + 1);
  b.service();
  REQUIRE(b.driver_records().size() == 6);
  CHECK(b.driver_records()[5] == Record{7, 1, -1, true});
  CHECK(b.driver_records()[4] == Record{5, 1, -1, false});
  // Cleared again: back to coalescing.
  b.set_critical(7, false);
  b.cpu_signal(7, 2);
  b.run(100);
  CHECK(b.fence_irq_rises().size() == 2);
  check_finish(b);
}

TEST_CASE("A record waits TIME cycles from when it is visible and COUNT 0 or 1 means at once", "[fence][coalesce]") {
  FenceBench b(Options{});
  start(b, 8, 100);
  b.cpu_signal(2, 5);
  b.run(300);
  REQUIRE(b.push_cycles().size() == 1);
  REQUIRE(b.fence_irq_rises().size() == 1);
  CHECK(b.fence_irq_rises()[0] == b.push_cycles()[0] + 1 + 100);
  // Two records 30 cycles apart: TIME runs from the older one.
  b.service();
  b.cpu_signal(2, 6);
  b.run(30);
  b.cpu_signal(3, 6);
  b.run(300);
  REQUIRE(b.push_cycles().size() == 3);
  REQUIRE(b.fence_irq_rises().size() == 2);
  CHECK(b.fence_irq_rises()[1] == b.push_cycles()[1] + 1 + 100);
  b.service();
  for (unsigned count : {0u, 1u}) {
    b.coalesce(count, 0);
    b.cpu_signal(4, 7 + count);
    b.run(20);
    CHECK(b.fence_irq_rises().back() == b.push_cycles().back() + 1);
    b.service();
  }
  check_finish(b);
}

TEST_CASE("A ring WAIT is released by the update that reaches its target and not before", "[fence][wait]") {
  FenceBench b(Options{});
  start(b, 0, 0);
  b.cpu_signal(3, 4);
  b.ring_append(0, {Op::WAIT, 3, 10});
  b.ring_append(0, {Op::SIGNAL, 12, 1});
  b.ring_append(0, {Op::WAIT, 3, 4});  // already reached
  b.ring_append(0, {Op::SIGNAL, 12, 2});
  b.doorbell(0);
  b.run(200);
  REQUIRE(b.grants(0).size() == 1);  // the WAIT's read
  CHECK(field::RING_STATUS_STATE.get(b.ring_reg(0, reg::RING_STATUS)) ==
        static_cast<uint32_t>(kmtsim::hw::RingState::WAITING));
  CHECK(b.ring_reg(0, reg::RING_WAIT_FENCE) == 3);
  b.cpu_signal(3, 9);  // not enough
  b.run(200);
  CHECK(b.grants(0).size() == 1);
  CHECK(b.ref_fence(12) == 0);
  b.cpu_signal(3, 10);
  b.run(200);
  REQUIRE(b.grants(0).size() == 4);
  // Released in the cycle of the update: the SIGNAL's three words are then
  // taken in three cycles and it runs in the fourth.
  REQUIRE(b.release_delays().size() == 2);
  CHECK(b.release_delays()[0] == 4);
  CHECK(b.ref_fence(12) == 2);
  check_finish(b);
}

TEST_CASE("A write-back page outside VRAM is not written and is counted and its record still comes",
          "[fence][writeback]") {
  const uint64_t base = kVram - 4 * 4096;  // fences 0..3 inside, 4.. outside
  FenceBench b(Options{});
  start(b, 0, 0, base);
  b.cpu_signal(2, 7);
  b.cpu_signal(6, 8);
  b.run(50);
  CHECK(b.vram().size() == 1);
  CHECK(b.vram().count(base + 2 * 4096) == 1);
  CHECK(b.rd(reg::FENCE_ERRORS) == 1);
  CHECK(b.rd(reg::FENCE_WB_COUNT) == 1);
  b.service();
  REQUIRE(b.driver_records().size() == 2);
  CHECK(b.driver_records()[1] == Record{6, 8, -1, false});
  check_finish(b, base);
}

TEST_CASE("CPU signals store their value and a lower one is counted as a rewind", "[fence][cpu]") {
  FenceBench b(Options{});
  start(b, 0, 0);
  b.cpu_signal(9, 100);
  b.cpu_signal(9, 40);
  b.cpu_signal(9, (uint64_t{1} << 63) + 5);
  b.ring_append(1, {Op::SIGNAL, 9, 50});  // a ring never lowers a fence
  b.doorbell(1);
  b.run(100);
  CHECK(b.fence_value(9) == (uint64_t{1} << 63) + 5);
  CHECK(b.rd(reg::FENCE_REWINDS) == 1);
  CHECK(b.rd(reg::FENCE_SIGNALS) == 4);
  check_finish(b);
  CHECK(b.driver_records().size() == 4);
}

TEST_CASE("Signals of one fence granted in back-to-back cycles each see the one before", "[fence][bypass]") {
  // Both rings signal fence 11 with values that interleave; NOPs of one word
  // on ring 1 shift its phase against ring 0 so that grants of the fence
  // land in consecutive cycles, where the table's read misses the write
  // before it (the bypass must supply it), and the CPU reads it in between.
  FenceBench b(Options{});
  start(b, 0, 0);
  std::mt19937_64 rng(7);
  for (unsigned k = 0; k < 60; ++k) {
    b.ring_append(0, {Op::SIGNAL, 11, 100 + 10 * uint64_t{k} + rng() % 20});
    b.ring_append(1, {Op::SIGNAL, 11, 100 + 10 * uint64_t{k} + rng() % 20});
    if (k % 3 == 0) b.ring_append(1, {Op::NOP, 0, 0, 0});
  }
  b.doorbell(0);
  b.doorbell(1);
  for (unsigned k = 0; k < 40; ++k) b.fence_value(11);
  check_finish(b);
  unsigned adjacent = 0;
  for (uint64_t g0 : b.grants(0)) {
    for (uint64_t g1 : b.grants(1)) adjacent += g0 + 1 == g1 || g1 + 1 == g0;
  }
  INFO("grants of fence 11 in consecutive cycles: " << adjacent);
  CHECK(adjacent >= 10);
}

TEST_CASE("OVERFLOW stays set when a record is dropped in the cycle it is cleared", "[fence][overflow]") {
  // Records arrive every few cycles (no write-back), nobody pops, and the
  // driver clears OVERFLOW again and again: some clears meet a drop.
  FenceBench b(Options{});
  start(b, 0, 0, kWbBase, false);
  for (unsigned k = 0; k < 400; ++k) b.ring_append(k % 2, {Op::SIGNAL, 10 + k % 6, k + 1});
  b.doorbell(0);
  b.doorbell(1);
  for (unsigned k = 0; k < 200; ++k) {
    b.wr(reg::IRQ_STATUS, field::IRQ_STATUS_OVERFLOW.mask());
    b.rd(reg::IRQ_STATUS);  // the scoreboard checks the value read
  }
  CHECK(b.clears_with_drop() > 0);
  check_finish(b, kWbBase, false);
  CHECK(b.drops() > 0);
}
