#include "functional_device.h"

#include "kmtsim/hw/dram_presets.h"
#include "kmtsim/hw/regs.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace kmtsim::kernel {

namespace reg = hw::reg;
namespace field = hw::field;
using Op = hw::CpOpcode;
using Err = hw::RingError;

namespace {

// Steps of run_until_idle (commands and interrupts) before it gives up.
constexpr uint64_t kBudget = 10'000'000;

const FunctionalDevice::Config& checked(const FunctionalDevice::Config& config) {
  if (hw::dram::find_preset(config.preset) == nullptr) throw std::invalid_argument("unknown DRAM preset " + config.preset);
  if (!std::has_single_bit(config.vram_size) || config.vram_size < 4096 || config.vram_size > (uint64_t{1} << 40))
    throw std::invalid_argument("vram_size must be a power of two from 4 KiB to 1 TiB");
  if (config.num_fences == 0 || config.num_fences > hw::kMaxFences)
    throw std::invalid_argument("num_fences must be 1 to " + std::to_string(hw::kMaxFences));
  if (config.num_rings == 0 || config.num_rings > hw::kMaxRings)
    throw std::invalid_argument("num_rings must be 1 to " + std::to_string(hw::kMaxRings));
  if (config.irq_fifo_depth == 0 || config.irq_fifo_depth > 255)
    throw std::invalid_argument("irq_fifo_depth must be 1 to 255");
  return config;
}

}  // namespace

FunctionalDevice::FunctionalDevice(const Config& config)
    : vram_bytes_(checked(config).vram_size), irq_fifo_depth_(config.irq_fifo_depth),
      dram_timing_(hw::kDramTimingFields, 0), fences_(config.num_fences, 0), critical_(config.num_fences, false),
      rings_(config.num_rings) {
  const hw::dram::Preset* preset = hw::dram::find_preset(config.preset);
  uint32_t preset_id = 0;
  for (uint32_t k = 0; k < hw::dram::kPresets.size(); ++k)
    if (hw::dram::kPresets[k] == preset) preset_id = k;
  mem_caps_ = field::MEM_CAPS_VRAM_LOG2.put(static_cast<uint32_t>(std::countr_zero(vram_bytes_))) |
              field::MEM_CAPS_CHANNELS.put(preset->channels) |
              field::MEM_CAPS_LINE_LOG2.put(static_cast<uint32_t>(std::countr_zero(preset->request_bytes))) |
              field::MEM_CAPS_PRESET.put(preset_id);
  for (size_t k = 0; k < hw::dram::kTimingFields.size() && k < dram_timing_.size(); ++k)
    dram_timing_[k] = preset->timing.*hw::dram::kTimingFields[k].member;
  tick_ps_ = preset->tck_ps;
  // Page-aligned memory that the kernel may map its own pages over.
  void* p = ::mmap(nullptr, vram_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("cannot map " + std::to_string(vram_bytes_ >> 20) + " MiB of VRAM");
  vram_ = static_cast<uint8_t*>(p);
}

FunctionalDevice::~FunctionalDevice() { ::munmap(vram_, vram_bytes_); }

uint32_t FunctionalDevice::word(uint64_t addr) const {
  uint32_t w = 0;
  if (in_vram(addr, 4)) std::memcpy(&w, vram_ + addr, 4);
  return w;
}

void FunctionalDevice::probe(DeviceProbe::Kind kind, uint32_t fence, uint64_t value, int ring, bool dropped) {
  ++cycle_;  // each stage of a signal one pretend cycle after the last
  if (probe_) probe_(DeviceProbe{kind, fence, value, ring, dropped, now_ps()});
}

// --- Fences and records -------------------------------------------------------------------

void FunctionalDevice::apply(uint32_t fence, uint64_t value, bool store, int ring) {
  const uint64_t old = fences_[fence];
  const uint64_t now = store ? value : std::max(old, value);
  if (store && value < old) ++rewinds_;
  fences_[fence] = now;
  ++signals_;
  probe(DeviceProbe::FenceUpdated, fence, now, ring);
  // WAITs the new value satisfies retire, also on a ring that was disabled
  // meanwhile (it finishes the command it is in).
  for (Ring& g : rings_) {
    if (!g.waiting || g.wait_fence != fence || now < g.wait_value) continue;
    g.waiting = false;
    ring_retire(g, 3);
  }
  // Written back before the record is queued.
  if (wb_enable_) {
    const uint64_t addr = wb_base_ + uint64_t{fence} * hw::kFencePageBytes;
    if (in_vram(addr, 8)) {
      std::memcpy(vram_ + addr, &now, 8);
      ++wb_count_;
      probe(DeviceProbe::WrittenBack, fence, now, ring);
    } else {
      ++fence_errors_;
    }
  }
  const bool dropped = records_.size() >= irq_fifo_depth_;
  if (dropped) overflow_ = true;
  else records_.push_back({fence, now, ring, critical_[fence], cycle_ + 1});
  probe(DeviceProbe::RecordQueued, fence, now, ring, dropped);
}

void FunctionalDevice::take_cpu_signals() {
  while (!cpu_signals_.empty()) {
    const auto [fence, value] = cpu_signals_.front();
    cpu_signals_.pop_front();
    apply(fence, value, true, -1);
  }
}

bool FunctionalDevice::fence_cause() const {
  if (records_.empty()) return false;
  const uint32_t count = field::IRQ_COALESCE_COUNT.get(coalesce_);
  const uint32_t wait = field::IRQ_COALESCE_TIME.get(coalesce_);
  if (count <= 1 || records_.size() >= count) return true;
  if (wait != 0 && cycle_ >= records_.front().queued + wait) return true;
  return std::any_of(records_.begin(), records_.end(), [](const Record& r) { return r.critical; });
}

uint32_t FunctionalDevice::irq_status() const {
  return field::IRQ_STATUS_FENCE.put(fence_cause()) | field::IRQ_STATUS_OVERFLOW.put(overflow_) |
         field::IRQ_STATUS_RING_ERROR.put(ring_error_);
}

bool FunctionalDevice::irq_line() const { return (irq_status() & irq_enable_) != 0; }

// --- Registers ------------------------------------------------------------------------------

uint32_t FunctionalDevice::read32(uint32_t addr) {
  take_cpu_signals();
  ++cycle_;
  const auto n = static_cast<uint32_t>(fences_.size());
  if (addr >= reg::RING_BASE_LO && addr < reg::RING_BASE_LO + hw::kMaxRings * hw::kRingStride) {
    const unsigned r = (addr - reg::RING_BASE_LO) / hw::kRingStride;
    const uint32_t off = reg::RING_BASE_LO + (addr - reg::RING_BASE_LO) % hw::kRingStride;
    return r < rings_.size() ? ring_read(rings_[r], off) : 0;  // an absent ring reads 0
  }
  if (addr >= reg::DRAM_TIMING && addr < reg::DRAM_TIMING + reg::DRAM_TIMING_COUNT * reg::DRAM_TIMING_STRIDE)
    return addr % 4 == 0 ? dram_timing_[(addr - reg::DRAM_TIMING) / reg::DRAM_TIMING_STRIDE] : 0;
  const Record* head = records_.empty() ? nullptr : &records_.front();
  switch (addr) {
    case reg::ID: return hw::kIdMagic;
    case reg::VERSION: return hw::kVersion;
    case reg::CAPS:
      return field::CAPS_NUM_FENCES.put(n) | field::CAPS_IRQ_FIFO_DEPTH.put(irq_fifo_depth_) |
             field::CAPS_NUM_RINGS.put(static_cast<uint32_t>(rings_.size()));
    case reg::STATUS: {
      const bool busy = std::any_of(rings_.begin(), rings_.end(), [this](const Ring& g) {
        return ring_state(g) == static_cast<uint32_t>(hw::RingState::RUNNING);
      });
      // The fence table clears for NumFences cycles after reset.
      return field::STATUS_BUSY.put(busy) | field::STATUS_INIT.put(cycle_ < n);
    }
    case reg::IRQ_STATUS: return irq_status();
    case reg::IRQ_ENABLE: return irq_enable_;
    case reg::CYCLE_LO:
      cycle_hi_ = static_cast<uint32_t>(cycle_ >> 32);
      return static_cast<uint32_t>(cycle_);
    case reg::CYCLE_HI: return cycle_hi_;
    case reg::MEM_CAPS: return mem_caps_;
    case reg::IRQ_COALESCE: return coalesce_;
    case reg::FENCE_SEL: return fence_sel_;
    case reg::FENCE_VALUE_LO:
      if (fence_sel_ >= n) {
        ++fence_errors_;
        value_hi_ = 0;
        return 0;
      }
      value_hi_ = static_cast<uint32_t>(fences_[fence_sel_] >> 32);
      return static_cast<uint32_t>(fences_[fence_sel_]);
    case reg::FENCE_VALUE_HI: return value_hi_;
    case reg::FENCE_WDATA_LO: return static_cast<uint32_t>(wdata_);
    case reg::FENCE_WDATA_HI: return static_cast<uint32_t>(wdata_ >> 32);
    case reg::IRQ_REC_INFO:
      if (head == nullptr) return 0;
      return field::IRQ_REC_INFO_VALID.put(1) | field::IRQ_REC_INFO_SOURCE.put(head->ring >= 0) |
             field::IRQ_REC_INFO_CRITICAL.put(head->critical) |
             field::IRQ_REC_INFO_RING.put(head->ring >= 0 ? static_cast<uint32_t>(head->ring) : 0) |
             field::IRQ_REC_INFO_FENCE.put(head->fence);
    case reg::IRQ_REC_VALUE_LO: return head ? static_cast<uint32_t>(head->value) : 0;
    case reg::IRQ_REC_VALUE_HI: return head ? static_cast<uint32_t>(head->value >> 32) : 0;
    case reg::FENCE_SIGNALS: return signals_;
    case reg::FENCE_REWINDS: return rewinds_;
    case reg::FENCE_ERRORS: return fence_errors_;
    case reg::FENCE_WB_BASE_LO: return static_cast<uint32_t>(wb_base_);
    case reg::FENCE_WB_BASE_HI: return static_cast<uint32_t>(wb_base_ >> 32);
    case reg::FENCE_WB_CONTROL: return field::FENCE_WB_CONTROL_ENABLE.put(wb_enable_);
    case reg::FENCE_WB_COUNT: return wb_count_;
    case reg::VRAM_ADDR_LO: return static_cast<uint32_t>(host_addr_);
    case reg::VRAM_ADDR_HI: return static_cast<uint32_t>(host_addr_ >> 32);
    case reg::VRAM_RDATA: {
      const uint64_t a = host_addr_;
      host_addr_ += 4;
      if (!in_vram(a, 4)) ++host_errors_;
      return word(a);
    }
    case reg::HOST_ERRORS: return host_errors_;
    case reg::DRAM_CONTROL: return dram_control_;
    default: return 0;  // write-only and unmapped
  }
}

void FunctionalDevice::write32(uint32_t addr, uint32_t data) {
  take_cpu_signals();
  ++cycle_;
  const auto n = static_cast<uint32_t>(fences_.size());
  if (addr >= reg::RING_BASE_LO && addr < reg::RING_BASE_LO + hw::kMaxRings * hw::kRingStride) {
    const unsigned r = (addr - reg::RING_BASE_LO) / hw::kRingStride;
    if (r < rings_.size()) ring_write(r, reg::RING_BASE_LO + (addr - reg::RING_BASE_LO) % hw::kRingStride, data);
    return;
  }
  if (addr >= reg::DRAM_TIMING && addr < reg::DRAM_TIMING + reg::DRAM_TIMING_COUNT * reg::DRAM_TIMING_STRIDE) {
    if (addr % 4 == 0) dram_timing_[(addr - reg::DRAM_TIMING) / reg::DRAM_TIMING_STRIDE] = field::DRAM_TIMING_CYCLES.get(data);
    return;
  }
  switch (addr) {
    case reg::IRQ_STATUS:
      if (field::IRQ_STATUS_OVERFLOW.get(data)) overflow_ = false;
      if (field::IRQ_STATUS_RING_ERROR.get(data)) ring_error_ = false;
      break;
    case reg::IRQ_ENABLE:
      irq_enable_ = data & (field::IRQ_ENABLE_FENCE.mask() | field::IRQ_ENABLE_OVERFLOW.mask() |
                            field::IRQ_ENABLE_RING_ERROR.mask());
      break;
    case reg::IRQ_COALESCE: coalesce_ = data; break;
    case reg::FENCE_SEL: fence_sel_ = field::FENCE_SEL_INDEX.get(data); break;
    case reg::FENCE_WDATA_LO: wdata_ = (wdata_ & ~0xFFFF'FFFFull) | data; break;
    case reg::FENCE_WDATA_HI: wdata_ = (wdata_ & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
    case reg::FENCE_SIGNAL: {
      const uint32_t fence = field::FENCE_SIGNAL_INDEX.get(data);
      if (fence >= n) ++fence_errors_;
      else cpu_signals_.emplace_back(fence, wdata_);
      break;
    }
    case reg::FENCE_CRITICAL: {
      const uint32_t fence = field::FENCE_CRITICAL_INDEX.get(data);
      if (fence >= n) ++fence_errors_;
      else critical_[fence] = field::FENCE_CRITICAL_SET.get(data) != 0;
      break;
    }
    case reg::IRQ_REC_POP:
      if (!records_.empty()) records_.pop_front();
      break;
    case reg::FENCE_WB_BASE_LO: wb_base_ = (wb_base_ & ~0xFFFF'FFFFull) | (data & ~0xFFFu); break;
    case reg::FENCE_WB_BASE_HI: wb_base_ = (wb_base_ & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
    case reg::FENCE_WB_CONTROL: wb_enable_ = field::FENCE_WB_CONTROL_ENABLE.get(data) != 0; break;
    case reg::VRAM_ADDR_LO: host_addr_ = (host_addr_ & ~0xFFFF'FFFFull) | (data & ~3u); break;
    case reg::VRAM_ADDR_HI: host_addr_ = (host_addr_ & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
    case reg::VRAM_WDATA: {
      const uint64_t a = host_addr_;
      host_addr_ += 4;
      if (in_vram(a, 4)) std::memcpy(vram_ + a, &data, 4);
      else ++host_errors_;
      break;
    }
    case reg::DRAM_CONTROL: dram_control_ = data & field::DRAM_CONTROL_PER_BANK_REF.mask(); break;
    default: break;  // read-only and unmapped
  }
}

// --- Rings ----------------------------------------------------------------------------------

uint32_t FunctionalDevice::ring_state(const Ring& g) const {
  using S = hw::RingState;
  if (g.halted) return static_cast<uint32_t>(S::HALTED);
  if (!g.enabled) return static_cast<uint32_t>(S::DISABLED);
  if (g.waiting) return static_cast<uint32_t>(S::WAITING);
  if (g.rptr != g.wptr) return static_cast<uint32_t>(S::RUNNING);
  return static_cast<uint32_t>(S::IDLE);
}

uint32_t FunctionalDevice::ring_read(Ring& g, uint32_t off) const {
  switch (off) {
    case reg::RING_BASE_LO: return static_cast<uint32_t>(g.base);
    case reg::RING_BASE_HI: return static_cast<uint32_t>(g.base >> 32);
    case reg::RING_SIZE: return g.size_log2;
    case reg::RING_WPTR: return g.wptr;
    case reg::RING_RPTR: return g.rptr;
    case reg::RING_CONTROL: return field::RING_CONTROL_ENABLE.put(g.enabled);
    case reg::RING_STATUS:
      return field::RING_STATUS_STATE.put(ring_state(g)) | field::RING_STATUS_ERROR.put(g.error) |
             field::RING_STATUS_ERROR_OPCODE.put(g.error_opcode);
    case reg::RING_WAIT_FENCE: return g.waiting ? g.wait_fence : 0;
    case reg::RING_COMPLETED: return g.completed;
    default: return 0;
  }
}

void FunctionalDevice::ring_write(unsigned r, uint32_t off, uint32_t data) {
  Ring& g = rings_[r];
  switch (off) {
    case reg::RING_BASE_LO: g.base = (g.base & ~0xFFFF'FFFFull) | (data & ~0xFFFu); break;
    case reg::RING_BASE_HI: g.base = (g.base & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
    case reg::RING_SIZE: g.size_log2 = field::RING_SIZE_LOG2.get(data); break;
    case reg::RING_WPTR:  // the doorbell
      if (g.halted) break;
      if (data % 4 != 0 || data >= g.size()) ring_halt(g, static_cast<uint8_t>(Err::BAD_POINTER), 0);
      else g.wptr = data;
      break;
    case reg::RING_CONTROL: ring_control(r, data); break;
    default: break;  // read-only
  }
}

void FunctionalDevice::ring_control(unsigned r, uint32_t value) {
  Ring& g = rings_[r];
  if (field::RING_CONTROL_RESET.get(value)) {
    g.rptr = g.wptr = 0;
    g.waiting = g.halted = false;
    g.error = g.error_opcode = 0;
  }
  const bool enable = field::RING_CONTROL_ENABLE.get(value) != 0;
  if (enable && !g.enabled && (g.size_log2 < 8 || g.size_log2 > 24 || !in_vram(g.base, g.size()))) {
    g.enabled = true;
    ring_halt(g, static_cast<uint8_t>(Err::BAD_RING), 0);
    return;
  }
  // Disabling finishes the command in progress (here: a WAIT, when released)
  // and starts no other.
  g.enabled = enable;
}

void FunctionalDevice::ring_halt(Ring& g, uint8_t error, uint8_t opcode) {
  g.halted = true;
  g.error = error;
  g.error_opcode = opcode;
  ring_error_ = true;
}

void FunctionalDevice::ring_retire(Ring& g, unsigned words) {
  g.rptr = (g.rptr + 4 * words) & (g.size() - 1);
  ++g.completed;
}

bool FunctionalDevice::ring_step(unsigned r) {
  Ring& g = rings_[r];
  if (!g.enabled || g.halted || g.waiting || g.rptr == g.wptr) return false;
  const uint32_t size = g.size();
  if (!in_vram(g.base, size)) {
    // RING_BASE or RING_SIZE changed while enabled (checked only when
    // enabling): the buffer is not in VRAM any more.
    ring_halt(g, static_cast<uint8_t>(Err::BAD_RING), 0);
    return true;
  }
  auto at = [&](unsigned k) { return word(g.base + ((g.rptr + 4 * k) & (size - 1))); };
  const uint32_t header = at(0);
  const auto op = static_cast<Op>(header >> 24);
  const auto opcode = static_cast<uint8_t>(header >> 24);
  const unsigned words = op == Op::NOP ? 1 + (header & 0xFFFF) : hw::command_words(op);
  if (words == 0) {
    ring_halt(g, static_cast<uint8_t>(Err::BAD_OPCODE), opcode);
    return true;
  }
  // Only whole commands run: the write pointer must be past the last word.
  if (((g.wptr - g.rptr) & (size - 1)) / 4 < words) return false;
  ++cycle_;
  uint32_t w[6] = {};
  for (unsigned k = 0; k < words && k < 6; ++k) w[k] = at(k);
  auto u64 = [&](unsigned k) { return uint64_t{w[k]} | (uint64_t{w[k + 1]} << 32); };
  auto halt = [&](Err e) {
    ring_halt(g, static_cast<uint8_t>(e), opcode);
    return true;
  };
  switch (op) {
    case Op::NOP: break;
    case Op::SIGNAL:
    case Op::WAIT: {
      const uint32_t fence = w[0] & 0xFFFF;
      const uint64_t value = u64(1);
      if (fence >= fences_.size()) return halt(Err::BAD_FENCE);
      if (op == Op::WAIT) {
        if (fences_[fence] < value) {
          g.waiting = true;  // retired by the signal that satisfies it
          g.wait_fence = fence;
          g.wait_value = value;
          return true;
        }
        break;
      }
      // Every earlier COPY/FILL/TIMESTAMP of the ring is done: they ran whole.
      probe(DeviceProbe::CommandFetched, fence, value, static_cast<int>(r));
      apply(fence, value, false, static_cast<int>(r));
      break;
    }
    case Op::COPY:
    case Op::FILL: {
      const uint64_t dst = u64(1), src = op == Op::COPY ? u64(3) : 0;
      const uint64_t bytes = op == Op::COPY ? w[5] : w[3];
      if (bytes == 0 || bytes % 4 != 0) return halt(Err::BAD_LENGTH);
      if (dst % 4 != 0 || src % 4 != 0) return halt(Err::BAD_ALIGN);
      if (!in_vram(dst, bytes) || (op == Op::COPY && !in_vram(src, bytes))) return halt(Err::BAD_ADDRESS);
      if (op == Op::COPY) {
        std::memmove(vram_ + dst, vram_ + src, bytes);  // overlap: undefined data, not a crash
      } else {
        // The pattern, then the bytes written so far copied over the rest.
        std::memcpy(vram_ + dst, &w[4], 4);
        for (uint64_t done = 4; done < bytes; done *= 2)
          std::memcpy(vram_ + dst + done, vram_ + dst, std::min(done, bytes - done));
      }
      break;
    }
    case Op::TIMESTAMP: {
      const uint64_t dst = u64(1);
      if (dst % 8 != 0) return halt(Err::BAD_ALIGN);
      if (!in_vram(dst, 8)) return halt(Err::BAD_ADDRESS);
      std::memcpy(vram_ + dst, &cycle_, 8);
      break;
    }
    default: return halt(Err::BAD_OPCODE);
  }
  ring_retire(g, words);
  return true;
}

// --- Running ------------------------------------------------------------------------------------

bool FunctionalDevice::run_until_idle() {
  // The interrupt handler may ask for the device again: it is already running.
  if (running_) return true;
  running_ = true;
  cycle_ = std::max<uint64_t>(cycle_, fences_.size());  // the fence table has cleared
  take_cpu_signals();
  bool idle = false;
  for (uint64_t step = 0; step < kBudget && !idle; ++step) {
    if (on_interrupt_ && irq_line()) {
      on_interrupt_(now_ps());
      continue;
    }
    // One command of each ring in turn, so that no ring starves another.
    bool ran = false;
    for (size_t k = 0; k < rings_.size() && !ran; ++k) {
      const unsigned r = (next_ring_ + static_cast<unsigned>(k)) % static_cast<unsigned>(rings_.size());
      if (ring_step(r)) {
        ran = true;
        ++commands_;
        next_ring_ = (r + 1) % static_cast<unsigned>(rings_.size());
      }
    }
    if (ran) continue;
    // Nothing left to run: records held for a time limit have waited it.
    const uint32_t wait = field::IRQ_COALESCE_TIME.get(coalesce_);
    if (wait != 0 && !records_.empty() && !fence_cause()) {
      cycle_ = std::max(cycle_, records_.front().queued + wait);
      continue;
    }
    idle = true;
  }
  running_ = false;
  return idle;
}

}  // namespace kmtsim::kernel
