#include "model_device.h"

#include "mc_memory.h"

#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/storage.h"
#include "kmtsim/hw/dram_presets.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace kmtsim::sc {

using sc_core::sc_time;
namespace reg = hw::reg;
namespace field = hw::field;

// Cycle counts of the RTL (docs/device.md, "Cycle timing").
namespace timing {
constexpr unsigned kRegAccess = 2;      // an access holds the register port two cycles: request, answer
constexpr unsigned kFenceRead = 3;      // + grant, table read, answer
constexpr unsigned kDoorbell = 1;       // doorbell written -> first fetch offered
constexpr unsigned kParseWord = 1;      // the parser takes one word a cycle
constexpr unsigned kWaitRead = 3;       // a WAIT's first look at its fence: grant, table, answer
// A signal granted in cycle t (kmt_fence_engine's A stage): the table is
// written in t + 1 (B), the update is broadcast and the signal enters the
// write-back queue in t + 2 (C), and that entry acts from t + 3.
constexpr unsigned kUpdate = 1;         // engine grant -> table written
constexpr unsigned kToBroadcast = 1;    // table written -> update broadcast: WAITs released
constexpr unsigned kToQueued = 2;       // table written -> its write-back offered (or, with none, its record may leave)
constexpr unsigned kToRecord = 1;       // write-back acknowledged -> record queued
constexpr unsigned kRetire = 1;         // a command done -> the ring's next command may start
}  // namespace timing

namespace {

unsigned log2_exact(uint64_t v) { return static_cast<unsigned>(std::countr_zero(v)); }

uint32_t word_at(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

}  // namespace

ModelDevice::ModelDevice(const sc_core::sc_module_name& name, const DeviceConfig& config)
    : Device(name, config), vram_(vram()), vram_bytes_(this->config().vram_size),
      fences_(config.num_fences, 0), critical_(config.num_fences, false), init_done_(config.num_fences),
      rings_(config.num_rings), dma_req_(config.num_rings) {
  if (config.num_fences == 0 || config.num_fences > hw::kMaxFences)
    throw std::invalid_argument("num_fences must be 1 to " + std::to_string(hw::kMaxFences));
  if (config.num_rings == 0 || config.num_rings > hw::kMaxRings)
    throw std::invalid_argument("num_rings must be 1 to " + std::to_string(hw::kMaxRings));
  if (config.irq_fifo_depth == 0 || config.irq_fifo_depth > 255)
    throw std::invalid_argument("irq_fifo_depth must be 1 to 255");
  const hw::dram::Preset& preset = *hw::dram::find_preset(this->config().preset);
  line_bytes_ = preset.request_bytes;
  dram_timing_.resize(hw::kDramTimingFields);
  for (size_t k = 0; k < hw::dram::kTimingFields.size() && k < dram_timing_.size(); ++k)
    dram_timing_[k] = preset.timing.*hw::dram::kTimingFields[k].member;
  memory_ = make_memory();

  SC_HAS_PROCESS(ModelDevice);
  SC_METHOD(wake_method);  // runs once at time 0 too, which arms the first event
  sensitive << wake_;
  SC_METHOD(irq_method);
  sensitive << irq_update_;
  dont_initialize();
  // The fence table clears after reset: the device is busy until then.
  at(init_done_, [] {});
}

ModelDevice::~ModelDevice() = default;

// --- Event engine ------------------------------------------------------------------

uint64_t ModelDevice::cycle_of(const sc_time& t) const {
  const uint64_t period = clock().value();
  return (t.value() + period - 1) / period;
}

sc_time ModelDevice::time_of(uint64_t cycle) const { return clock() * static_cast<double>(cycle); }

void ModelDevice::at(uint64_t cycle, std::function<void()> fn) {
  events_.emplace(std::make_pair(std::max(cycle, now_), seq_++), std::move(fn));
}

void ModelDevice::run_until(uint64_t cycle) {
  for (;;) {
    const auto mem = memory_->next_event();
    const bool dev = !events_.empty() && events_.begin()->first.first <= cycle;
    const bool memory_due = mem && *mem <= cycle;
    if (!dev && !memory_due) break;
    // Completions first when both fall on one cycle: a unit sees its data
    // before it acts in that cycle.
    if (memory_due && (!dev || *mem <= events_.begin()->first.first)) {
      now_ = std::max(now_, *mem);
      completions_.clear();
      memory_->advance(*mem, completions_);
      for (const MemCompletion& c : completions_) complete(c);
      continue;
    }
    auto it = events_.begin();
    now_ = std::max(now_, it->first.first);
    auto fn = std::move(it->second);
    events_.erase(it);
    fn();
  }
  now_ = std::max(now_, cycle);
}

void ModelDevice::arm() {
  std::optional<uint64_t> next;
  if (!events_.empty()) next = events_.begin()->first.first;
  if (const auto mem = memory_->next_event(); mem && (!next || *mem < *next)) next = mem;
  if (!next) return;
  const sc_time when = time_of(*next);
  const sc_time now = sc_core::sc_time_stamp();
  wake_.notify(when > now ? when - now : sc_core::SC_ZERO_TIME);
}

void ModelDevice::wake_method() {
  const uint64_t period = clock().value();
  run_until(sc_core::sc_time_stamp().value() / period);
  arm();
}

// --- Register access -------------------------------------------------------------------

void ModelDevice::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  const auto access = decode(trans);
  if (!access) return;
  // The register port takes one access at a time.
  const uint64_t start = std::max(cycle_of(sc_core::sc_time_stamp() + delay), port_free_);
  run_until(start);
  std::optional<unsigned> took = access->write ? write_reg(access->addr, *access->data)
                                               : read_reg(access->addr, *access->data);
  if (!took) {
    if (!access->write) *access->data = 0;
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    took = timing::kRegAccess;
  } else {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  port_free_ = start + *took;
  delay = time_of(port_free_) - sc_core::sc_time_stamp();
  arm();
}

std::optional<unsigned> ModelDevice::read_reg(uint32_t addr, uint32_t& data) {
  const uint64_t c = now_;
  const unsigned n = config().num_fences;
  data = 0;
  if (addr >= reg::RING_BASE_LO && addr < reg::RING_BASE_LO + hw::kMaxRings * hw::kRingStride) {
    const unsigned r = (addr - reg::RING_BASE_LO) / hw::kRingStride;
    const uint32_t off = reg::RING_BASE_LO + (addr - reg::RING_BASE_LO) % hw::kRingStride;
    if (off > reg::RING_COMPLETED) return std::nullopt;
    if (r >= rings_.size()) return timing::kRegAccess;  // an absent ring reads 0
    const Ring& ring = rings_[r];
    switch (off) {
      case reg::RING_BASE_LO: data = static_cast<uint32_t>(ring.base); break;
      case reg::RING_BASE_HI: data = static_cast<uint32_t>(ring.base >> 32); break;
      case reg::RING_SIZE: data = ring.size_log2; break;
      case reg::RING_WPTR: data = ring.wptr; break;
      case reg::RING_RPTR: data = ring.rptr(); break;
      case reg::RING_CONTROL: data = field::RING_CONTROL_ENABLE.put(ring.enabled); break;
      case reg::RING_STATUS:
        data = field::RING_STATUS_STATE.put(ring_state(ring)) | field::RING_STATUS_ERROR.put(ring.error) |
               field::RING_STATUS_ERROR_OPCODE.put(ring.error_opcode);
        break;
      case reg::RING_WAIT_FENCE: data = ring.waiting ? ring.wait_fence : 0; break;
      case reg::RING_COMPLETED: data = ring.completed; break;
      default: return std::nullopt;
    }
    return timing::kRegAccess;
  }
  if (addr >= reg::DRAM_TIMING && addr < reg::DRAM_TIMING + reg::DRAM_TIMING_COUNT * reg::DRAM_TIMING_STRIDE) {
    data = dram_timing_[(addr - reg::DRAM_TIMING) / reg::DRAM_TIMING_STRIDE];
    return timing::kRegAccess;
  }
  switch (addr) {
    case reg::ID: data = hw::kIdMagic; break;
    case reg::VERSION: data = hw::kVersion; break;
    case reg::CAPS:
      data = field::CAPS_NUM_FENCES.put(n) | field::CAPS_IRQ_FIFO_DEPTH.put(config().irq_fifo_depth) |
             field::CAPS_NUM_RINGS.put(static_cast<uint32_t>(rings_.size()));
      break;
    case reg::STATUS: {
      bool busy = dma_busy_ || !in_flight_.empty();
      for (const auto& q : port_queue_) busy = busy || !q.empty();
      for (const Ring& ring : rings_) busy = busy || ring_state(ring) == static_cast<uint32_t>(hw::RingState::RUNNING);
      data = field::STATUS_BUSY.put(busy) | field::STATUS_INIT.put(c < init_done_);
      break;
    }
    case reg::IRQ_STATUS:
      data = field::IRQ_STATUS_FENCE.put(fence_cause(c)) | field::IRQ_STATUS_OVERFLOW.put(overflow_) |
             field::IRQ_STATUS_RING_ERROR.put(ring_error_);
      break;
    case reg::IRQ_ENABLE: data = irq_enable_; break;
    case reg::CYCLE_LO:
      data = static_cast<uint32_t>(c);
      cycle_hi_ = static_cast<uint32_t>(c >> 32);
      break;
    case reg::CYCLE_HI: data = cycle_hi_; break;
    case reg::MEM_CAPS: {
      const auto& preset = *hw::dram::find_preset(config().preset);
      uint32_t id = 0;
      for (uint32_t k = 0; k < hw::dram::kPresets.size(); ++k)
        if (hw::dram::kPresets[k] == &preset) id = k;
      data = field::MEM_CAPS_VRAM_LOG2.put(log2_exact(vram_bytes_)) | field::MEM_CAPS_CHANNELS.put(preset.channels) |
             field::MEM_CAPS_LINE_LOG2.put(log2_exact(line_bytes_)) | field::MEM_CAPS_PRESET.put(id);
      break;
    }
    case reg::IRQ_COALESCE: data = coalesce_; break;
    case reg::FENCE_SEL: data = fence_sel_; break;
    case reg::FENCE_VALUE_LO: {
      const uint64_t g = engine_grant(c);
      if (fence_sel_ < n) {
        data = static_cast<uint32_t>(fences_[fence_sel_]);
        value_hi_ = static_cast<uint32_t>(fences_[fence_sel_] >> 32);
      } else {
        value_hi_ = 0;
        ++fence_errors_;
      }
      return static_cast<unsigned>(g - c) + timing::kFenceRead;
    }
    case reg::FENCE_VALUE_HI: data = value_hi_; break;
    case reg::FENCE_WDATA_LO: data = static_cast<uint32_t>(wdata_); break;
    case reg::FENCE_WDATA_HI: data = static_cast<uint32_t>(wdata_ >> 32); break;
    case reg::IRQ_REC_INFO:
      if (!records_.empty()) {
        const Record& r = records_.front();
        data = field::IRQ_REC_INFO_VALID.put(1) | field::IRQ_REC_INFO_SOURCE.put(r.ring >= 0) |
               field::IRQ_REC_INFO_CRITICAL.put(r.critical) |
               field::IRQ_REC_INFO_RING.put(r.ring >= 0 ? static_cast<uint32_t>(r.ring) : 0) |
               field::IRQ_REC_INFO_FENCE.put(r.fence);
      }
      break;
    case reg::IRQ_REC_VALUE_LO:
      if (!records_.empty()) data = static_cast<uint32_t>(records_.front().value);
      break;
    case reg::IRQ_REC_VALUE_HI:
      if (!records_.empty()) data = static_cast<uint32_t>(records_.front().value >> 32);
      break;
    case reg::FENCE_SIGNALS: data = signal_count_; break;
    case reg::FENCE_REWINDS: data = rewind_count_; break;
    case reg::FENCE_ERRORS: data = fence_errors_; break;
    case reg::FENCE_WB_BASE_LO: data = static_cast<uint32_t>(wb_base_); break;
    case reg::FENCE_WB_BASE_HI: data = static_cast<uint32_t>(wb_base_ >> 32); break;
    case reg::FENCE_WB_CONTROL: data = field::FENCE_WB_CONTROL_ENABLE.put(wb_enable_); break;
    case reg::FENCE_WB_COUNT: data = wb_count_; break;
    case reg::VRAM_ADDR_LO: data = static_cast<uint32_t>(host_addr_); break;
    case reg::VRAM_ADDR_HI: data = static_cast<uint32_t>(host_addr_ >> 32); break;
    case reg::VRAM_RDATA: {
      const uint64_t a = host_addr_;
      host_addr_ += 4;
      if (!in_vram(a, 4)) {
        ++host_errors_;
        break;
      }
      // The access waits for the data: run the device until it is back.
      bool back = false;
      uint64_t when = c;
      request(kPortHost, a - a % line_bytes_, false, {}, {}, [&, a](uint64_t cycle, const uint8_t* line) {
        data = word_at(line + a % line_bytes_);
        when = cycle;
        back = true;
      });
      while (!back) {
        std::optional<uint64_t> next;
        if (!events_.empty()) next = events_.begin()->first.first;
        if (const auto m = memory_->next_event(); m && (!next || *m < *next)) next = m;
        if (!next) throw std::logic_error("host VRAM read: the memory never answered");
        run_until(*next);
      }
      return static_cast<unsigned>(when - c) + timing::kRegAccess;
    }
    case reg::HOST_ERRORS: data = host_errors_; break;
    case reg::DRAM_CONTROL: data = dram_control_; break;
    case reg::FENCE_SIGNAL:
    case reg::FENCE_CRITICAL:
    case reg::IRQ_REC_POP:
    case reg::VRAM_WDATA: break;
    default: return std::nullopt;
  }
  return timing::kRegAccess;
}

std::optional<unsigned> ModelDevice::write_reg(uint32_t addr, uint32_t data) {
  const uint64_t c = now_;
  const unsigned n = config().num_fences;
  if (addr >= reg::RING_BASE_LO && addr < reg::RING_BASE_LO + hw::kMaxRings * hw::kRingStride) {
    const unsigned r = (addr - reg::RING_BASE_LO) / hw::kRingStride;
    const uint32_t off = reg::RING_BASE_LO + (addr - reg::RING_BASE_LO) % hw::kRingStride;
    if (off > reg::RING_COMPLETED) return std::nullopt;
    if (r >= rings_.size()) return timing::kRegAccess;  // an absent ring ignores writes
    Ring& ring = rings_[r];
    switch (off) {
      case reg::RING_BASE_LO: ring.base = (ring.base & ~0xFFFF'FFFFull) | (data & ~0xFFFu); break;
      case reg::RING_BASE_HI: ring.base = (ring.base & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
      case reg::RING_SIZE: ring.size_log2 = field::RING_SIZE_LOG2.get(data); break;
      case reg::RING_WPTR: ring_doorbell(r, data, c); break;
      case reg::RING_CONTROL: ring_control(r, data, c); break;
      default: break;  // read-only
    }
    return timing::kRegAccess;
  }
  if (addr >= reg::DRAM_TIMING && addr < reg::DRAM_TIMING + reg::DRAM_TIMING_COUNT * reg::DRAM_TIMING_STRIDE) {
    dram_timing_[(addr - reg::DRAM_TIMING) / reg::DRAM_TIMING_STRIDE] = field::DRAM_TIMING_CYCLES.get(data);
    memory_stale_ = true;
    return timing::kRegAccess;
  }
  switch (addr) {
    case reg::IRQ_STATUS:
      if (field::IRQ_STATUS_OVERFLOW.get(data)) overflow_ = false;
      if (field::IRQ_STATUS_RING_ERROR.get(data)) ring_error_ = false;
      update_irq(c + 1);
      break;
    case reg::IRQ_ENABLE:
      irq_enable_ = data & (field::IRQ_ENABLE_FENCE.mask() | field::IRQ_ENABLE_OVERFLOW.mask() |
                            field::IRQ_ENABLE_RING_ERROR.mask());
      update_irq(c + 1);
      break;
    case reg::IRQ_COALESCE:
      coalesce_ = data;
      update_irq(c + 1);
      break;
    case reg::FENCE_SEL: fence_sel_ = field::FENCE_SEL_INDEX.get(data); break;
    case reg::FENCE_WDATA_LO: wdata_ = (wdata_ & ~0xFFFF'FFFFull) | data; break;
    case reg::FENCE_WDATA_HI: wdata_ = (wdata_ & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
    case reg::FENCE_SIGNAL: {
      const uint32_t fence = field::FENCE_SIGNAL_INDEX.get(data);
      if (fence >= n) {
        ++fence_errors_;
        break;
      }
      // The port holds the access until the engine takes the signal.
      uint64_t granted = c;
      engine_signal({fence, wdata_, true, -1}, c + 1, [&](uint64_t g) { granted = g; });
      return static_cast<unsigned>(granted - c) + 1;
    }
    case reg::FENCE_CRITICAL: {
      const uint32_t fence = field::FENCE_CRITICAL_INDEX.get(data);
      if (fence >= n) ++fence_errors_;
      else critical_[fence] = field::FENCE_CRITICAL_SET.get(data) != 0;
      break;
    }
    case reg::IRQ_REC_POP:
      if (!records_.empty()) {
        records_.pop_front();
        update_irq(c + 1);
      }
      break;
    case reg::FENCE_WB_BASE_LO: wb_base_ = (wb_base_ & ~0xFFFF'FFFFull) | (data & ~0xFFFu); break;
    case reg::FENCE_WB_BASE_HI: wb_base_ = (wb_base_ & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
    case reg::FENCE_WB_CONTROL: wb_enable_ = field::FENCE_WB_CONTROL_ENABLE.get(data) != 0; break;
    case reg::VRAM_ADDR_LO: host_addr_ = (host_addr_ & ~0xFFFF'FFFFull) | (data & ~3u); break;
    case reg::VRAM_ADDR_HI: host_addr_ = (host_addr_ & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
    case reg::VRAM_WDATA: {
      const uint64_t a = host_addr_;
      host_addr_ += 4;
      if (!in_vram(a, 4)) {
        ++host_errors_;
        break;
      }
      std::vector<uint8_t> line(line_bytes_, 0), strobe(line_bytes_, 0);
      std::memcpy(&line[a % line_bytes_], &data, 4);
      std::fill_n(&strobe[a % line_bytes_], 4, 1);
      request(kPortHost, a - a % line_bytes_, true, std::move(line), std::move(strobe), nullptr);
      break;
    }
    case reg::DRAM_CONTROL:
      dram_control_ = data & field::DRAM_CONTROL_PER_BANK_REF.mask();
      memory_stale_ = true;
      break;
    case reg::ID:
    case reg::VERSION:
    case reg::CAPS:
    case reg::STATUS:
    case reg::CYCLE_LO:
    case reg::CYCLE_HI:
    case reg::MEM_CAPS:
    case reg::FENCE_VALUE_LO:
    case reg::FENCE_VALUE_HI:
    case reg::IRQ_REC_INFO:
    case reg::IRQ_REC_VALUE_LO:
    case reg::IRQ_REC_VALUE_HI:
    case reg::FENCE_SIGNALS:
    case reg::FENCE_REWINDS:
    case reg::FENCE_ERRORS:
    case reg::FENCE_WB_COUNT:
    case reg::VRAM_RDATA:
    case reg::HOST_ERRORS: break;
    default: return std::nullopt;
  }
  return timing::kRegAccess;
}

// --- Memory ports -------------------------------------------------------------------------

void ModelDevice::request(unsigned port, uint64_t addr, bool write, std::vector<uint8_t> data,
                          std::vector<uint8_t> strobe, std::function<void(uint64_t, const uint8_t*)> done,
                          std::function<void(uint64_t)> accepted, unsigned source) {
  // The memory decodes the VRAM's address bits only, as the RTL's ports do:
  // a ring whose base moved under it while enabled reads around, never out.
  addr %= vram_bytes_;
  Pending p;
  p.request = {port, addr, write, next_tag_++};
  p.data = std::move(data);
  p.strobe = std::move(strobe);
  p.done = std::move(done);
  p.accepted = std::move(accepted);
  p.source = source;
  port_queue_[port].push_back(std::move(p));
  arm_pump(now_);
}

// The memory controller's model with the DRAM timing and refresh mode the
// CSRs hold now.
std::unique_ptr<Memory> ModelDevice::make_memory() const {
  const hw::dram::Preset& preset = *hw::dram::find_preset(config().preset);
  const auto mode = field::DRAM_CONTROL_PER_BANK_REF.get(dram_control_) != 0 ? dram::RefreshMode::PerBank
                                                                              : dram::RefreshMode::AllBank;
  mc::McConfig c = McMemory::device_config(preset, mode);
  for (size_t k = 0; k < hw::dram::kTimingFields.size() && k < dram_timing_.size(); ++k)
    c.timing.*hw::dram::kTimingFields[k].member = dram_timing_[k];
  return std::make_unique<McMemory>(c);
}

// The ports' requests of a cycle are offered together, after every other
// event of the cycle, so that the controller's arbiters choose among them
// as the RTL's do.
void ModelDevice::arm_pump(uint64_t cycle) { arm_late(pump_step_, cycle, &ModelDevice::pump_ports); }

void ModelDevice::arm_late(LateStep& step, uint64_t cycle, void (ModelDevice::*fn)()) {
  cycle = std::max(cycle, now_);
  if (step.armed && step.at <= cycle) return;
  step.armed = true;
  step.at = cycle;
  events_.emplace(std::make_pair(cycle, kLateEvent | seq_++), [this, &step, cycle, fn] {
    if (!step.armed || step.at != cycle) return;  // re-armed for an earlier cycle
    step.armed = false;
    (this->*fn)();
  });
}

void ModelDevice::pump_ports() {
  // New DRAM timing takes effect when the controller has nothing in flight.
  if (memory_stale_ && in_flight_.empty()) {
    memory_ = make_memory();
    memory_stale_ = false;
  }
  std::array<MemRequest, kPorts> offers;
  std::array<unsigned, kPorts> ports{};
  size_t n = 0;
  // The rings' fetches share their port in round robin (kmt_device's
  // u_fetch_arb): the first ring from fetch_ptr_ that waits goes first.
  auto& fq = port_queue_[kPortFetch];
  if (fq.size() > 1) {
    const unsigned n_rings = static_cast<unsigned>(rings_.size());
    auto rank = [&](const Pending& p) { return (p.source + n_rings - fetch_ptr_) % n_rings; };
    auto first = std::min_element(fq.begin(), fq.end(), [&](const Pending& a, const Pending& b) { return rank(a) < rank(b); });
    if (first != fq.begin()) std::rotate(fq.begin(), first, first + 1);
  }
  for (unsigned port = 0; port < kPorts; ++port) {
    if (port_queue_[port].empty()) continue;
    offers[n] = port_queue_[port].front().request;
    ports[n++] = port;
  }
  if (n == 0) return;
  const uint64_t taken = memory_->offer_many(std::span<const MemRequest>(offers.data(), n), now_);
  bool again = false;
  for (size_t k = 0; k < n; ++k) {
    auto& q = port_queue_[ports[k]];
    if (((taken >> k) & 1u) == 0) {
      again = true;  // refused: offered again next time
      continue;
    }
    if (ports[k] == kPortFetch) fetch_ptr_ = (q.front().source + 1) % static_cast<unsigned>(rings_.size());
    auto accepted = std::move(q.front().accepted);
    in_flight_.emplace(q.front().request.tag, std::move(q.front()));
    q.pop_front();
    if (accepted) accepted(now_);
    again = again || !q.empty();
  }
  if (again) arm_pump(memory_->retry_cycle(now_));
}

void ModelDevice::complete(const MemCompletion& c) {
  auto it = in_flight_.find(c.request.tag);
  if (it == in_flight_.end()) return;
  Pending p = std::move(it->second);
  in_flight_.erase(it);
  uint8_t* line = vram_ + p.request.addr;
  if (p.request.write) {
    // A process that maps the VRAM (a monitored fence's value, written back
    // here) sees each whole 64-bit word change in one store.
    const uint8_t* on = p.strobe.data();
    dram::store_masked(line, p.data.data(), p.data.size(), [on](size_t i) { return on[i] != 0; });
  }
  if (p.done) p.done(c.cycle, line);
}

// --- Fence engine ---------------------------------------------------------------------------

uint64_t ModelDevice::engine_grant(uint64_t cycle) {
  const uint64_t g = std::max({cycle, engine_free_, init_done_});
  engine_free_ = g + 1;
  engine_rr_ = 0;  // after the host (the last requester) come the rings from 0
  return g;
}

void ModelDevice::engine_request(unsigned ring, uint64_t cycle, std::function<void(uint64_t)> granted) {
  if (engine_req_.size() < rings_.size()) engine_req_.resize(rings_.size());
  engine_req_[ring] = EngineRequest{cycle, rings_[ring].epoch, std::move(granted)};
  arm_engine(cycle);
}

void ModelDevice::arm_engine(uint64_t cycle) { arm_late(engine_step_, cycle, &ModelDevice::engine_arbitrate); }

void ModelDevice::engine_arbitrate() {
  const uint64_t c = now_;
  const uint64_t free = std::max(engine_free_, init_done_);
  if (c < free) {
    arm_engine(free);
    return;
  }
  const unsigned n = static_cast<unsigned>(engine_req_.size());
  std::optional<unsigned> pick;
  uint64_t later = ~uint64_t{0};
  for (unsigned k = 0; k <= n; ++k) {
    const unsigned r = (engine_rr_ + k) % (n + 1);
    if (r == n || !engine_req_[r]) continue;  // n: the host, granted at its access
    if (engine_req_[r]->epoch != rings_[r].epoch) {
      engine_req_[r].reset();
      continue;
    }
    if (engine_req_[r]->ready <= c) {
      if (!pick) pick = r;
    } else {
      later = std::min(later, engine_req_[r]->ready);
    }
  }
  if (!pick) {
    if (later != ~uint64_t{0}) arm_engine(later);
    return;
  }
  EngineRequest q = std::move(*engine_req_[*pick]);
  engine_req_[*pick].reset();
  engine_free_ = c + 1;
  engine_rr_ = (*pick + 1) % (n + 1);
  for (unsigned r = 0; r < n; ++r) {
    if (engine_req_[r]) later = std::min(later, std::max(engine_req_[r]->ready, c + 1));
  }
  if (later != ~uint64_t{0}) arm_engine(later);
  q.granted(c);
}

void ModelDevice::engine_signal(const Signal& s, uint64_t cycle, std::function<void(uint64_t)> granted) {
  auto go = [this, s, granted = std::move(granted)](uint64_t g) {
    if (granted) granted(g);
    at(g + timing::kUpdate, [this, s] { apply(s, now_); });
  };
  if (s.ring < 0) {
    go(engine_grant(cycle));  // the host's access holds until the engine takes it
    return;
  }
  engine_request(static_cast<unsigned>(s.ring), cycle, std::move(go));
}

void ModelDevice::apply(const Signal& s, uint64_t cycle) {
  const uint64_t old = fences_[s.fence];
  const uint64_t value = s.store ? s.value : std::max(old, s.value);
  if (s.store && s.value < old) ++rewind_count_;
  fences_[s.fence] = value;
  ++signal_count_;
  probe({ProbeKind::FenceUpdated, s.fence, value, s.ring, false, time_of(cycle)});
  at(cycle + timing::kToBroadcast, [this, f = s.fence] { release_waits(f, now_); });
  // Records leave in the order of the signals, whenever each write-back is
  // acknowledged.
  const uint64_t id = slot_base_ + slots_.size();
  slots_.push_back({s.fence, value, s.ring, critical_[s.fence], std::nullopt});
  if (!wb_enable_) {
    slot_ready(id, cycle + timing::kToQueued);
    return;
  }
  write_back(s.fence, value, s.ring, cycle + timing::kToQueued,
             [this, id](uint64_t acked) { slot_ready(id, acked + timing::kToRecord); });
}

void ModelDevice::slot_ready(uint64_t id, uint64_t cycle) {
  slots_[id - slot_base_].ready = cycle;
  while (!slots_.empty() && slots_.front().ready) {
    const Slot& f = slots_.front();
    last_record_ = std::max(last_record_, *f.ready);
    queue_record(f.fence, f.value, f.ring, f.critical, last_record_);
    slots_.pop_front();
    ++slot_base_;
  }
}

void ModelDevice::write_back(uint32_t fence, uint64_t value, int ring, uint64_t cycle,
                             std::function<void(uint64_t)> acked) {
  const uint64_t addr = wb_base_ + uint64_t{fence} * hw::kFencePageBytes;
  if (!in_vram(addr, 8)) {
    ++fence_errors_;
    acked(cycle);
    return;
  }
  std::vector<uint8_t> line(line_bytes_, 0), strobe(line_bytes_, 0);
  std::memcpy(&line[addr % line_bytes_], &value, 8);
  std::fill_n(&strobe[addr % line_bytes_], 8, 1);
  at(cycle, [this, addr, fence, value, ring, acked, line = std::move(line), strobe = std::move(strobe)]() mutable {
    request(kPortWriteBack, addr - addr % line_bytes_, true, std::move(line), std::move(strobe),
            [this, fence, value, ring, acked](uint64_t ack, const uint8_t*) {
              ++wb_count_;
              probe({ProbeKind::WrittenBack, fence, value, ring, false, time_of(ack)});
              acked(ack);
            });
  });
}

void ModelDevice::queue_record(uint32_t fence, uint64_t value, int ring, bool critical, uint64_t cycle) {
  at(cycle, [this, fence, value, ring, critical] {
    const bool dropped = records_.size() >= config().irq_fifo_depth;
    if (dropped) overflow_ = true;
    else records_.push_back({fence, value, ring, critical, now_});
    probe({ProbeKind::RecordQueued, fence, value, ring, dropped, time_of(now_)});
    update_irq(now_);
    const uint32_t wait = field::IRQ_COALESCE_TIME.get(coalesce_);
    if (!dropped && wait != 0) at(now_ + wait, [this] { update_irq(now_); });
  });
}

// --- Interrupts -------------------------------------------------------------------------------

bool ModelDevice::fence_cause(uint64_t cycle) const {
  if (records_.empty()) return false;
  if (fence_held_) return true;  // held from the cycle the condition held until the FIFO empties
  const uint32_t count = field::IRQ_COALESCE_COUNT.get(coalesce_);
  const uint32_t wait = field::IRQ_COALESCE_TIME.get(coalesce_);
  if (count <= 1 || records_.size() >= count) return true;
  if (wait != 0 && cycle >= records_.front().queued + wait) return true;
  return std::any_of(records_.begin(), records_.end(), [](const Record& r) { return r.critical; });
}

void ModelDevice::update_irq(uint64_t cycle) {
  fence_held_ = fence_cause(cycle);
  const uint32_t status = field::IRQ_STATUS_FENCE.put(fence_cause(cycle)) | field::IRQ_STATUS_OVERFLOW.put(overflow_) |
                          field::IRQ_STATUS_RING_ERROR.put(ring_error_);
  const bool level = (status & irq_enable_) != 0;
  if (level == irq_level_) return;
  irq_level_ = level;
  irq_edges_.emplace_back(cycle, level);
  const sc_time when = time_of(cycle), now = sc_core::sc_time_stamp();
  irq_update_.notify(when > now ? when - now : sc_core::SC_ZERO_TIME);
}

void ModelDevice::irq_method() {
  const sc_time now = sc_core::sc_time_stamp();
  bool level = irq.read();
  while (!irq_edges_.empty() && time_of(irq_edges_.front().first) <= now) {
    level = irq_edges_.front().second;
    irq_edges_.pop_front();
  }
  irq.write(level);
  if (!irq_edges_.empty()) irq_update_.notify(time_of(irq_edges_.front().first) - now);
}

// --- Rings ----------------------------------------------------------------------------------------

uint32_t ModelDevice::ring_state(const Ring& ring) const {
  using S = hw::RingState;
  if (ring.halted) return static_cast<uint32_t>(S::HALTED);
  if (!ring.enabled) return static_cast<uint32_t>(S::DISABLED);
  if (ring.waiting) return static_cast<uint32_t>(S::WAITING);
  if (ring.busy || ring.ur != ring.uw || ring.fetching) return static_cast<uint32_t>(S::RUNNING);
  return static_cast<uint32_t>(S::IDLE);
}

void ModelDevice::ring_halt(unsigned r, hw::RingError error, uint8_t opcode, uint64_t cycle) {
  Ring& ring = rings_[r];
  ring.halted = true;
  ring.busy = false;
  ring.nop_pending = false;
  ring.k = 0;
  ring.buf_valid = false;
  ring.error = static_cast<uint8_t>(error);
  ring.error_opcode = opcode;
  ring_error_ = true;
  update_irq(cycle);
}

void ModelDevice::ring_doorbell(unsigned r, uint32_t wptr, uint64_t cycle) {
  Ring& ring = rings_[r];
  if (ring.halted) return;
  if (wptr % 4 != 0 || wptr >= ring.size()) {
    ring_halt(r, hw::RingError::BAD_POINTER, 0, cycle + 1);
    return;
  }
  ring.wptr = wptr;
  ring.uw += (wptr - ring.uw) & ring.mask();
  const uint64_t epoch = ring.epoch;
  at(cycle + timing::kDoorbell, [this, r, epoch] {
    Ring& g = rings_[r];
    if (g.epoch != epoch) return;
    if (g.nop_pending) ring_exec(r, now_);
    else ring_collect(r, now_);
  });
}

void ModelDevice::ring_control(unsigned r, uint32_t value, uint64_t cycle) {
  Ring& ring = rings_[r];
  if (field::RING_CONTROL_RESET.get(value)) {
    ring.ur = ring.uw = ring.wptr = 0;
    ring.k = 0;
    ring.buf_valid = false;
    ring.fetching = false;
    ring.busy = false;
    ring.nop_pending = false;
    ring.waiting = false;
    ring.halted = false;
    ring.collect_armed = false;
    ring.error = ring.error_opcode = 0;
    ring.on_drained = nullptr;
    dma_req_[r].reset();
    if (r < engine_req_.size()) engine_req_[r].reset();
    ++ring.epoch;
  }
  const bool enable = field::RING_CONTROL_ENABLE.get(value) != 0;
  if (enable && !ring.enabled) {
    if (ring.size_log2 < 8 || ring.size_log2 > 24 || !in_vram(ring.base, ring.size())) {
      ring.enabled = true;
      ring_halt(r, hw::RingError::BAD_RING, 0, cycle + 1);
      return;
    }
    if (ring.wptr >= ring.size()) {  // a size made smaller under it
      ring.enabled = true;
      ring_halt(r, hw::RingError::BAD_POINTER, 0, cycle + 1);
      return;
    }
  }
  ring.enabled = enable;
  if (enable) {
    const uint64_t epoch = ring.epoch;
    at(cycle + 1, [this, r, epoch] {
      if (rings_[r].epoch == epoch) ring_collect(r, now_);
    });
  }
}

// The parser takes a word a cycle from the line buffer; a word that is
// written but not in the buffer has its line read (and the parser waits for
// it); a word not written yet waits for a doorbell. Words in the buffer are
// taken in one go, each in its own cycle.
void ModelDevice::ring_collect(unsigned r, uint64_t cycle) {
  Ring& g = rings_[r];
  if (!g.enabled || g.halted || g.busy || g.waiting || g.fetching) return;
  uint64_t t = std::max(cycle, g.parse_free);
  if (t > now_) {
    if (g.collect_armed && g.collect_at <= t) return;
    g.collect_armed = true;
    g.collect_at = t;
    const uint64_t epoch = g.epoch;
    at(t, [this, r, epoch, t] {
      Ring& x = rings_[r];
      if (x.epoch != epoch || !x.collect_armed || x.collect_at != t) return;
      x.collect_armed = false;
      ring_collect(r, now_);
    });
    return;
  }
  g.collect_armed = false;
  for (;;) {
    const uint32_t pos = g.ur + 4 * g.k;
    if (4 * g.k >= g.uw - g.ur) {  // not written yet
      g.parse_free = t;
      return;
    }
    if (!g.buf_valid || pos - g.buf_lo >= g.buf_hi - g.buf_lo) {
      g.parse_free = t;
      if (t > now_) ring_collect(r, t);  // reach that cycle first
      else ring_fetch(r, pos);
      return;
    }
    const uint32_t w = g.buf[(pos - g.buf_line) / 4];
    g.cmd[g.k] = w;
    const auto op = static_cast<hw::CpOpcode>((g.k == 0 ? w : g.cmd[0]) >> 24);
    const unsigned n = std::max(1u, hw::command_words(op));  // an unknown opcode is one word, then an error
    if (g.k + 1 >= n) {
      g.k = 0;
      g.busy = true;
      g.parse_free = t + 1;
      const uint64_t epoch = g.epoch;
      at(t + 1, [this, r, epoch] {
        if (rings_[r].epoch == epoch && rings_[r].busy) ring_exec(r, now_);
      });
      return;
    }
    ++g.k;
    ++t;
  }
}

// One line read, now: the words from the line's start up to its end or the
// write pointer as it is now (words a later doorbell adds are read again).
void ModelDevice::ring_fetch(unsigned r, uint32_t pos) {
  Ring& g = rings_[r];
  const uint32_t L = line_bytes_;
  const uint32_t lo = pos & ~(L - 1);
  const uint32_t hi = g.uw - lo < L ? g.uw : lo + L;
  g.fetching = true;
  const uint64_t epoch = g.epoch;
  request(kPortFetch, g.base + (lo & g.mask()), false, {}, {}, [this, r, epoch, lo, hi, L](uint64_t done, const uint8_t* line) {
    Ring& x = rings_[r];
    if (x.epoch != epoch) return;
    x.fetching = false;
    x.buf_valid = true;
    x.buf_line = lo;
    x.buf_lo = lo;
    x.buf_hi = hi;
    x.buf.resize(L / 4);
    for (unsigned k = 0; k < L / 4; ++k) x.buf[k] = word_at(line + 4 * k);
    ring_collect(r, done + 1);  // the buffer is valid from the next cycle
  }, nullptr, r);
}

void ModelDevice::ring_exec(unsigned r, uint64_t cycle) {
  Ring& g = rings_[r];
  const uint64_t t = cycle;
  const auto& w = g.cmd;
  const auto op = static_cast<hw::CpOpcode>(w[0] >> 24);
  const auto opcode = static_cast<uint8_t>(op);
  const uint32_t bytes = 4 * hw::command_words(op);
  const uint64_t epoch = g.epoch;
  auto u64 = [&](unsigned k) { return uint64_t{w[k]} | (uint64_t{w[k + 1]} << 32); };
  // A command is finished in the cycle its request is taken.
  auto complete_at = [this, r, epoch, bytes](uint64_t c) {
    at(c, [this, r, epoch, bytes] {
      if (rings_[r].epoch == epoch) ring_complete(r, bytes, now_);
    });
  };
  g.nop_pending = false;
  switch (op) {
    case hw::CpOpcode::NOP: {
      const uint32_t nop_bytes = 4 * (1 + (w[0] & 0xFFFF));
      if (uint64_t{nop_bytes} + 4 > g.size()) return ring_halt(r, hw::RingError::BAD_LENGTH, opcode, t);
      if (g.uw - g.ur >= nop_bytes) ring_complete(r, nop_bytes, t);  // its padding is written: skip it
      else g.nop_pending = true;                                     // a doorbell looks again
      return;
    }
    case hw::CpOpcode::SIGNAL:
    case hw::CpOpcode::WAIT: {
      const uint32_t fence = w[0] & 0xFFFF;
      const uint64_t value = u64(1);
      if (fence >= config().num_fences) return ring_halt(r, hw::RingError::BAD_FENCE, opcode, t);
      if (op == hw::CpOpcode::SIGNAL) {
        probe({ProbeKind::CommandFetched, fence, value, static_cast<int>(r), false, time_of(t)});
        ring_after_writes(r, t, [this, r, fence, value, complete_at](uint64_t ready) {
          engine_signal({fence, value, false, static_cast<int>(r)}, ready, complete_at);
        });
        return;
      }
      engine_request(r, t, [this, r, fence, value, epoch, bytes](uint64_t granted) {
        at(granted + timing::kWaitRead, [this, r, fence, value, epoch, bytes] {
          Ring& waiter = rings_[r];
          if (waiter.epoch != epoch) return;
          if (fences_[fence] >= value) {
            ring_complete(r, bytes, now_);
            return;
          }
          waiter.waiting = true;
          waiter.wait_fence = fence;
          waiter.wait_value = value;
        });
      });
      return;
    }
    case hw::CpOpcode::COPY:
    case hw::CpOpcode::FILL: {
      DmaJob job;
      job.ring = r;
      job.op = op;
      job.dst = u64(1);
      if (op == hw::CpOpcode::COPY) {
        job.src = u64(3);
        job.bytes = w[5];
      } else {
        job.bytes = w[3];
        job.pattern = w[4];
      }
      if (job.bytes == 0 || job.bytes % 4 != 0) return ring_halt(r, hw::RingError::BAD_LENGTH, opcode, t);
      if (job.dst % 4 != 0 || job.src % 4 != 0) return ring_halt(r, hw::RingError::BAD_ALIGN, opcode, t);
      if (!in_vram(job.dst, job.bytes) || (op == hw::CpOpcode::COPY && !in_vram(job.src, job.bytes)))
        return ring_halt(r, hw::RingError::BAD_ADDRESS, opcode, t);
      job.granted = complete_at;
      dma_request(std::move(job), t);
      return;
    }
    case hw::CpOpcode::TIMESTAMP: {
      const uint64_t dst = u64(1);
      if (dst % 8 != 0) return ring_halt(r, hw::RingError::BAD_ALIGN, opcode, t);
      if (!in_vram(dst, 8)) return ring_halt(r, hw::RingError::BAD_ADDRESS, opcode, t);
      ring_after_writes(r, t, [this, r, dst, complete_at](uint64_t ready) {
        DmaJob job;
        job.ring = r;
        job.op = hw::CpOpcode::TIMESTAMP;
        job.dst = dst;
        job.bytes = 8;
        job.granted = complete_at;
        dma_request(std::move(job), ready);
      });
      return;
    }
    default: return ring_halt(r, hw::RingError::BAD_OPCODE, opcode, t);
  }
}

void ModelDevice::ring_complete(unsigned r, uint32_t bytes, uint64_t cycle) {
  Ring& ring = rings_[r];
  ring.ur += bytes;
  ++ring.completed;
  ring.busy = false;
  ring.parse_free = cycle + 1;
  ring_collect(r, cycle + 1);
}

bool ModelDevice::ring_drained(unsigned r) const {
  return !(dma_busy_ && dma_.job.ring == r) && !dma_req_[r] && rings_[r].writes_in_flight == 0;
}

void ModelDevice::ring_after_writes(unsigned r, uint64_t cycle, std::function<void(uint64_t)> fn) {
  if (ring_drained(r)) {
    fn(std::max(cycle, rings_[r].drained_from));
    return;
  }
  rings_[r].on_drained = std::move(fn);
}

void ModelDevice::ring_check_drained(unsigned r, uint64_t cycle) {
  Ring& ring = rings_[r];
  if (!ring.on_drained || !ring_drained(r)) return;
  auto fn = std::move(ring.on_drained);
  ring.on_drained = nullptr;
  fn(std::max(cycle, ring.drained_from));
}

void ModelDevice::release_waits(uint32_t fence, uint64_t cycle) {
  for (unsigned r = 0; r < rings_.size(); ++r) {
    Ring& ring = rings_[r];
    if (!ring.waiting || ring.wait_fence != fence || fences_[fence] < ring.wait_value) continue;
    ring.waiting = false;
    ring_complete(r, 4 * hw::command_words(hw::CpOpcode::WAIT), cycle);
  }
}

// --- DMA ----------------------------------------------------------------------------------------------

void ModelDevice::dma_request(DmaJob job, uint64_t cycle) {
  job.since = cycle;
  const unsigned r = job.ring;
  dma_req_[r] = std::move(job);
  if (!dma_busy_) at(std::max(cycle, dma_free_), [this] { dma_arbitrate(now_); });
}

// The engine takes one ring's command when it is free, in round robin.
void ModelDevice::dma_arbitrate(uint64_t cycle) {
  if (dma_busy_) return;  // its end arbitrates again
  if (cycle < dma_free_) {
    at(dma_free_, [this] { dma_arbitrate(now_); });
    return;
  }
  const unsigned n = static_cast<unsigned>(rings_.size());
  std::optional<unsigned> pick;
  uint64_t later = ~uint64_t{0};
  for (unsigned k = 0; k < n && !pick; ++k) {
    const unsigned r = (dma_rr_ + k) % n;
    if (!dma_req_[r]) continue;
    if (dma_req_[r]->since <= cycle) pick = r;
    else later = std::min(later, dma_req_[r]->since);
  }
  if (!pick) {
    if (later != ~uint64_t{0}) at(later, [this] { dma_arbitrate(now_); });
    return;
  }
  DmaJob job = std::move(*dma_req_[*pick]);
  dma_req_[*pick].reset();
  auto granted = std::move(job.granted);
  job.granted = nullptr;
  dma_ = DmaRun{std::move(job)};
  dma_rr_ = (*pick + 1) % n;
  dma_busy_ = true;
  DmaRun& d = dma_;
  const uint64_t L = line_bytes_;
  d.stamp = cycle;  // TIMESTAMP: the timebase in the cycle it is taken
  d.dline0 = d.job.dst - d.job.dst % L;
  d.lines_w = (d.job.dst + d.job.bytes - 4) / L - d.job.dst / L + 1;
  if (d.job.op == hw::CpOpcode::COPY) {
    d.sline0 = d.job.src - d.job.src % L;
    d.lines_r = (d.job.src + d.job.bytes - 4) / L - d.job.src / L + 1;
    d.ahead = d.job.src % L > d.job.dst % L;
  }
  if (granted) granted(cycle);
  dma_tick_at(cycle + 1);  // it works from the next cycle
}

void ModelDevice::dma_tick_at(uint64_t cycle) {
  at(cycle, [this] {
    if (dma_last_tick_ == now_) return;  // one tick a cycle
    dma_last_tick_ = now_;
    dma_tick(now_);
  });
}

// One cycle of the engine: a write if its data is here, the oldest read
// taken into the window if a write needs it, a read if a slot is free.
void ModelDevice::dma_tick(uint64_t cycle) {
  if (!dma_busy_) return;
  DmaRun& d = dma_;
  const bool copy = d.job.op == hw::CpOpcode::COPY;
  const uint64_t used = d.slots.size();  // as at the start of the cycle
  const uint64_t ahead = d.ahead ? 1 : 0;
  auto need = [&d, ahead](uint64_t written) { return std::min(written + 1 + ahead, d.lines_r); };
  bool progress = false;
  if (d.written < d.lines_w && !d.wr_wait && cycle >= d.wr_next && (!copy || d.consumed == need(d.written))) {
    dma_write_line(cycle);
    progress = true;
  }
  if (copy && !d.slots.empty() && d.slots.front().back && d.slots.front().valid <= cycle &&
      d.consumed < need(d.written)) {
    d.window[d.consumed] = std::move(d.slots.front().data);
    d.slots.pop_front();
    ++d.consumed;
    while (!d.window.empty() && d.window.begin()->first + 2 < d.consumed) d.window.erase(d.window.begin());
    progress = true;
  }
  if (copy && d.read < d.lines_r && used < kDmaReads && !d.rd_wait && cycle >= d.rd_next) {
    const uint64_t index = d.read++;
    d.slots.push_back({});
    d.rd_wait = true;
    request(kPortDmaRead, d.sline0 + index * line_bytes_, false, {}, {},
            [this, index](uint64_t back, const uint8_t* line) {
              DmaRun& x = dma_;
              DmaSlot& s = x.slots[index - x.consumed];
              s.back = true;
              s.valid = back + 1;
              s.data.assign(line, line + line_bytes_);
              dma_tick_at(back + 1);
            },
            [this](uint64_t taken) {
              dma_.rd_wait = false;
              dma_.rd_next = taken + 1;
              dma_tick_at(taken + 1);
            });
    progress = true;
  }
  if (progress) dma_tick_at(cycle + 1);
}

// Destination line `written`: the bytes of the command's range in it.
void ModelDevice::dma_write_line(uint64_t cycle) {
  (void)cycle;
  DmaRun& d = dma_;
  const uint64_t L = line_bytes_;
  const uint64_t line = d.dline0 + d.written * L;
  const uint64_t lo = std::max(d.job.dst, line), hi = std::min(d.job.dst + d.job.bytes, line + L);
  std::vector<uint8_t> data(L, 0), strobe(L, 0);
  std::fill(strobe.begin() + static_cast<ptrdiff_t>(lo - line), strobe.begin() + static_cast<ptrdiff_t>(hi - line), 1);
  switch (d.job.op) {
    case hw::CpOpcode::FILL:
      for (uint64_t a = lo; a < hi; ++a) data[a - line] = static_cast<uint8_t>(d.job.pattern >> (8 * (a % 4)));
      break;
    case hw::CpOpcode::TIMESTAMP: std::memcpy(&data[lo - line], &d.stamp, 8); break;
    default:
      for (uint64_t a = lo; a < hi;) {
        const uint64_t s = d.job.src + (a - d.job.dst);
        const uint64_t n = std::min(hi - a, L - s % L);
        const auto it = d.window.find((s - d.sline0) / L);
        if (it == d.window.end()) throw std::logic_error("model DMA: a source line left the window too early");
        std::memcpy(&data[a - line], &it->second[s % L], n);
        a += n;
      }
      break;
  }
  const unsigned r = d.job.ring;
  ++d.written;
  ++rings_[r].writes_in_flight;
  d.wr_wait = true;
  request(kPortDmaWrite, line, true, std::move(data), std::move(strobe),
          [this, r](uint64_t ack, const uint8_t*) {
            --rings_[r].writes_in_flight;
            rings_[r].drained_from = std::max(rings_[r].drained_from, ack + 1);
            ring_check_drained(r, ack + 1);  // the ring sees its count the cycle after
          },
          [this](uint64_t taken) {
            DmaRun& x = dma_;
            x.wr_wait = false;
            x.wr_next = taken + 1;
            if (x.written < x.lines_w) {
              dma_tick_at(taken + 1);
              return;
            }
            // The last write is taken: the engine is free in the next cycle.
            at(taken + 1, [this] {
              const unsigned ring = dma_.job.ring;
              dma_busy_ = false;
              dma_free_ = now_;
              ring_check_drained(ring, now_);
              dma_arbitrate(now_);
            });
          });
}

}  // namespace kmtsim::sc
