#include "functional_device.h"

#include "kmtsim/hw/regs.h"

#include <algorithm>

namespace kmtsim::kernel {

namespace reg = hw::reg;
namespace field = hw::field;

namespace {
constexpr uint64_t kTick = 1000;  // ps
}

FunctionalDevice::FunctionalDevice(unsigned num_fences, unsigned irq_fifo_depth, unsigned cp_queue_depth)
    : fences_(num_fences, 0), fifo_depth_(irq_fifo_depth), queue_depth_(cp_queue_depth) {}

bool FunctionalDevice::irq_level() const {
  const uint32_t status = field::IRQ_STATUS_FENCE.put(!records_.empty()) | field::IRQ_STATUS_OVERFLOW.put(overflow_) |
                          field::IRQ_STATUS_CP_ERROR.put(cp_error_);
  return (status & irq_enable_) != 0;
}

void FunctionalDevice::signal(uint32_t fence, uint64_t value, bool store) {
  const uint64_t old = fences_[fence];
  const uint64_t now = store ? value : std::max(old, value);
  if (store && value < old) ++rewinds_;
  fences_[fence] = now;
  ++signals_;
  if (records_.size() < fifo_depth_) records_.push_back({fence, now, !store});
  else overflow_ = true;
  if (waiting_ && queue_.size() >= 3) {
    // The stalled WAIT is the head command; it goes once its fence is there.
    const uint32_t f = queue_[0] & 0xFFFF;
    const uint64_t target = queue_[1] | (uint64_t{queue_[2]} << 32);
    if (f == fence && now >= target) {
      waiting_ = false;
      queue_.erase(queue_.begin(), queue_.begin() + 3);
      ++completed_;
    }
  }
}

bool FunctionalDevice::step_cp() {
  if (halted_ || waiting_ || queue_.empty()) return false;
  const uint32_t header = queue_.front();
  const auto op = static_cast<uint8_t>(header >> 24);
  opcode_ = op;
  time_ps_ += kTick;
  if (op == static_cast<uint8_t>(hw::CpOpcode::NOP)) {
    queue_.pop_front();
    ++completed_;
    return true;
  }
  const bool is_signal = op == static_cast<uint8_t>(hw::CpOpcode::SIGNAL);
  const bool is_wait = op == static_cast<uint8_t>(hw::CpOpcode::WAIT);
  if ((!is_signal && !is_wait) || (header & 0xFFFF) >= fences_.size()) {
    halted_ = true;
    cp_error_ = true;
    error_ = static_cast<uint32_t>(is_signal || is_wait ? hw::CpError::BAD_FENCE : hw::CpError::BAD_OPCODE);
    return false;
  }
  if (queue_.size() < 3) return false;  // the rest of the command has not come yet
  const uint32_t fence = header & 0xFFFF;
  const uint64_t value = queue_[1] | (uint64_t{queue_[2]} << 32);
  if (is_wait && fences_[fence] < value) {
    waiting_ = true;
    return false;
  }
  queue_.erase(queue_.begin(), queue_.begin() + 3);
  ++completed_;
  if (is_signal) signal(fence, value, false);
  return true;
}

bool FunctionalDevice::run_until_idle() {
  if (depth_ > 0) return true;
  ++depth_;
  for (int guard = 0; guard < 1'000'000; ++guard) {
    if (irq_level()) {
      if (!on_interrupt_) break;
      on_interrupt_(time_ps_);
      continue;
    }
    if (!step_cp()) break;
  }
  --depth_;
  return true;
}

uint32_t FunctionalDevice::read32(uint32_t addr) {
  time_ps_ += kTick;
  switch (addr) {
    case reg::ID: return hw::kIdMagic;
    case reg::VERSION: return hw::kVersion;
    case reg::CAPS:
      return field::CAPS_NUM_FENCES.put(static_cast<uint32_t>(fences_.size())) |
             field::CAPS_IRQ_FIFO_DEPTH.put(fifo_depth_) | field::CAPS_CP_FIFO_DEPTH.put(queue_depth_);
    case reg::STATUS: return field::STATUS_BUSY.put(!halted_ && !waiting_ && !queue_.empty());
    case reg::IRQ_STATUS:
      return field::IRQ_STATUS_FENCE.put(!records_.empty()) | field::IRQ_STATUS_OVERFLOW.put(overflow_) |
             field::IRQ_STATUS_CP_ERROR.put(cp_error_);
    case reg::IRQ_ENABLE: return irq_enable_;
    case reg::CYCLE_LO: cycle_hi_ = static_cast<uint32_t>((time_ps_ / kTick) >> 32); return static_cast<uint32_t>(time_ps_ / kTick);
    case reg::CYCLE_HI: return cycle_hi_;
    case reg::FENCE_SEL: return fence_sel_;
    case reg::FENCE_VALUE_LO:
      if (fence_sel_ >= fences_.size()) {
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
      return records_.empty() ? 0
                              : field::IRQ_REC_INFO_VALID.put(1) | field::IRQ_REC_INFO_SOURCE.put(records_.front().from_cmd) |
                                    field::IRQ_REC_INFO_FENCE.put(records_.front().fence);
    case reg::IRQ_REC_VALUE_LO: return records_.empty() ? 0 : static_cast<uint32_t>(records_.front().value);
    case reg::IRQ_REC_VALUE_HI: return records_.empty() ? 0 : static_cast<uint32_t>(records_.front().value >> 32);
    case reg::FENCE_SIGNALS: return signals_;
    case reg::FENCE_REWINDS: return rewinds_;
    case reg::FENCE_ERRORS: return fence_errors_;
    case reg::CP_STATUS:
      return field::CP_STATUS_LEVEL.put(static_cast<uint32_t>(queue_.size())) | field::CP_STATUS_HALTED.put(halted_) |
             field::CP_STATUS_WAITING.put(waiting_) | field::CP_STATUS_ERROR.put(error_) |
             field::CP_STATUS_ERROR_OPCODE.put(opcode_);
    case reg::CP_COMPLETED: return completed_;
    default: return 0;
  }
}

void FunctionalDevice::write32(uint32_t addr, uint32_t value) {
  time_ps_ += kTick;
  switch (addr) {
    case reg::IRQ_STATUS:
      if (field::IRQ_STATUS_OVERFLOW.get(value)) overflow_ = false;
      if (field::IRQ_STATUS_CP_ERROR.get(value)) cp_error_ = false;
      break;
    case reg::IRQ_ENABLE: irq_enable_ = value & 0x7; break;
    case reg::FENCE_SEL: fence_sel_ = field::FENCE_SEL_INDEX.get(value); break;
    case reg::FENCE_WDATA_LO: wdata_ = (wdata_ & ~0xFFFF'FFFFull) | value; break;
    case reg::FENCE_WDATA_HI: wdata_ = (wdata_ & 0xFFFF'FFFFull) | (uint64_t{value} << 32); break;
    case reg::FENCE_SIGNAL:
      if (field::FENCE_SIGNAL_INDEX.get(value) >= fences_.size()) ++fence_errors_;
      else signal(field::FENCE_SIGNAL_INDEX.get(value), wdata_, true);
      break;
    case reg::IRQ_REC_POP:
      if (!records_.empty()) records_.pop_front();
      break;
    case reg::CP_PUSH:
      if (halted_) break;
      if (queue_.size() >= queue_depth_) {
        halted_ = true;
        cp_error_ = true;
        error_ = static_cast<uint32_t>(hw::CpError::QUEUE_OVERFLOW);
        opcode_ = 0;
        break;
      }
      queue_.push_back(value);
      break;
    case reg::CP_CONTROL:
      if (field::CP_CONTROL_RESUME.get(value) && halted_) {
        queue_.clear();
        halted_ = waiting_ = false;
        error_ = 0;
      }
      break;
    default: break;
  }
}

}  // namespace kmtsim::kernel
