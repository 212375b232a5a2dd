#include "model_device.h"

#include "kmtsim/hw/regs.h"

#include <algorithm>

namespace kmtsim::sc {

using sc_core::sc_time;
namespace reg = hw::reg;
namespace field = hw::field;

// Cycle counts of the RTL (rtl/kmt_regs.sv, kmt_cp.sv, kmt_fence_engine.sv).
namespace timing {
constexpr unsigned kRegAccess = 1;       // request accepted, response registered
constexpr unsigned kFenceRead = 3;       // + grant + table read
constexpr unsigned kCpuSignal = 2;       // + grant
constexpr unsigned kCpuToRecord = 3;     // write accepted -> grant -> table write -> record at the FIFO's output
constexpr unsigned kCpWord = 1;          // the parser takes one word a cycle
constexpr unsigned kSignalToRecord = 2;  // the engine grants the command, then writes the record
constexpr unsigned kWaitRead = 3;        // a WAIT's read of the fence: grant, table, answer
}  // namespace timing

ModelDevice::ModelDevice(const sc_core::sc_module_name& name, const DeviceConfig& config)
    : Device(name, config), fences_(config.num_fences, 0), init_done_(cycles(config.num_fences)),
      cp_time_(init_done_) {
  SC_HAS_PROCESS(ModelDevice);
  SC_METHOD(init_method);  // runs at time 0, then once more when the table has cleared
  SC_METHOD(cp_method);
  sensitive << cp_due_;
  dont_initialize();
  SC_METHOD(irq_method);
  sensitive << irq_update_;
  dont_initialize();
  SC_METHOD(port_method);
  sensitive << port_busy_;
  dont_initialize();
}

void ModelDevice::port_method() {
  // Posted writes may keep the register port busy past the host's time: the
  // device is not idle until they are done (as the RTL, which they clock).
  const sc_time now = sc_core::sc_time_stamp();
  if (port_free_ > now) next_trigger(port_free_ - now);
}

void ModelDevice::init_method() {
  // Keeps the simulation busy while the fence table clears after reset.
  if (sc_core::sc_time_stamp() < init_done_) next_trigger(init_done_ - sc_core::sc_time_stamp());
}

uint64_t ModelDevice::cycle_at(const sc_time& t) const {
  return static_cast<uint64_t>(t / config().clock_period);
}

bool ModelDevice::irq_level(const sc_time& t) const {
  const uint32_t status = field::IRQ_STATUS_FENCE.put(record_visible(t)) |
                          field::IRQ_STATUS_OVERFLOW.put(overflow_at(t)) |
                          field::IRQ_STATUS_CP_ERROR.put(cp_error_at(t));
  return (status & irq_enable_) != 0;
}

void ModelDevice::irq_method() {
  const sc_time now = sc_core::sc_time_stamp();
  irq.write(irq_level(now));
  // A cause that shows later: look again then.
  sc_time next = sc_core::SC_ZERO_TIME;
  auto later = [&](bool pending, const sc_time& t) {
    if (pending && t > now && (next == sc_core::SC_ZERO_TIME || t < next)) next = t;
  };
  later(!records_.empty(), records_.empty() ? now : records_.front().visible);
  later(overflow_, overflow_since_);
  later(cp_error_flag_, cp_error_since_);
  if (next != sc_core::SC_ZERO_TIME) irq_update_.notify(next - now);
}

void ModelDevice::irq_at(const sc_time& at) {
  const sc_time now = sc_core::sc_time_stamp();
  irq_update_.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
}

void ModelDevice::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  const auto access = decode(trans);
  if (!access) return;
  // The register port takes one access at a time (the RTL's request is not
  // ready until the previous one has answered).
  const sc_time at = std::max(sc_core::sc_time_stamp() + delay, port_free_);
  advance_cp(at);  // the command processor's progress up to this access
  std::optional<unsigned> took = access->write ? write_reg(access->addr, *access->data, at)
                                               : read_reg(access->addr, *access->data, at);
  if (!took) {
    if (!access->write) *access->data = 0;
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    took = timing::kRegAccess;
  } else {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  port_free_ = at + cycles(*took);
  delay = port_free_ - sc_core::sc_time_stamp();
  port_busy_.notify(sc_core::SC_ZERO_TIME);
  irq_at(sc_core::sc_time_stamp() + delay);
  schedule_cp();
}

std::optional<unsigned> ModelDevice::read_reg(uint32_t addr, uint32_t& data, const sc_time& at) {
  const unsigned n = config().num_fences;
  data = 0;
  switch (addr) {
    case reg::ID: data = hw::kIdMagic; break;
    case reg::VERSION: data = hw::kVersion; break;
    case reg::CAPS:
      data = field::CAPS_NUM_FENCES.put(n) | field::CAPS_IRQ_FIFO_DEPTH.put(config().irq_fifo_depth) |
             field::CAPS_CP_FIFO_DEPTH.put(config().cp_queue_depth);
      break;
    case reg::STATUS: {
      const bool cp_busy = !cp_halted_ && !cp_waiting_ && (!cp_queue_.empty() || cp_parse_ != Parse::Header);
      data = field::STATUS_BUSY.put(cp_busy) | field::STATUS_INIT.put(at < init_done_);
      break;
    }
    case reg::IRQ_STATUS:
      data = field::IRQ_STATUS_FENCE.put(record_visible(at)) | field::IRQ_STATUS_OVERFLOW.put(overflow_at(at)) |
             field::IRQ_STATUS_CP_ERROR.put(cp_error_at(at));
      break;
    case reg::IRQ_ENABLE: data = irq_enable_; break;
    case reg::CYCLE_LO: {
      const uint64_t c = cycle_at(at);
      data = static_cast<uint32_t>(c);
      cycle_hi_ = static_cast<uint32_t>(c >> 32);
      break;
    }
    case reg::CYCLE_HI: data = cycle_hi_; break;
    case reg::FENCE_SEL: data = fence_sel_; break;
    case reg::FENCE_VALUE_LO:
      if (fence_sel_ < n) {
        data = static_cast<uint32_t>(fences_[fence_sel_]);
        value_hi_ = static_cast<uint32_t>(fences_[fence_sel_] >> 32);
        return timing::kFenceRead;
      }
      value_hi_ = 0;
      ++fence_errors_;
      break;
    case reg::FENCE_VALUE_HI: data = value_hi_; break;
    case reg::FENCE_WDATA_LO: data = static_cast<uint32_t>(wdata_); break;
    case reg::FENCE_WDATA_HI: data = static_cast<uint32_t>(wdata_ >> 32); break;
    case reg::IRQ_REC_INFO:
      if (record_visible(at)) {
        data = field::IRQ_REC_INFO_VALID.put(1) | field::IRQ_REC_INFO_SOURCE.put(records_.front().from_cmd) |
               field::IRQ_REC_INFO_FENCE.put(records_.front().fence);
      }
      break;
    case reg::IRQ_REC_VALUE_LO:
      if (record_visible(at)) data = static_cast<uint32_t>(records_.front().value);
      break;
    case reg::IRQ_REC_VALUE_HI:
      if (record_visible(at)) data = static_cast<uint32_t>(records_.front().value >> 32);
      break;
    case reg::FENCE_SIGNALS: data = signal_count_; break;
    case reg::FENCE_REWINDS: data = rewind_count_; break;
    case reg::FENCE_ERRORS: data = fence_errors_; break;
    case reg::CP_STATUS:
      data = field::CP_STATUS_LEVEL.put(static_cast<uint32_t>(cp_queue_.size())) |
             field::CP_STATUS_HALTED.put(cp_halted_) | field::CP_STATUS_WAITING.put(cp_waiting_) |
             field::CP_STATUS_ERROR.put(cp_error_) |
             field::CP_STATUS_ERROR_OPCODE.put(cp_opcode_);
      break;
    case reg::CP_COMPLETED: data = cp_completed_; break;
    case reg::FENCE_SIGNAL:
    case reg::IRQ_REC_POP:
    case reg::CP_PUSH:
    case reg::CP_CONTROL: break;
    default: return std::nullopt;
  }
  return timing::kRegAccess;
}

std::optional<unsigned> ModelDevice::write_reg(uint32_t addr, uint32_t data, const sc_time& at) {
  switch (addr) {
    case reg::ID:
    case reg::VERSION:
    case reg::CAPS:
    case reg::STATUS:
    case reg::CYCLE_LO:
    case reg::CYCLE_HI:
    case reg::FENCE_VALUE_LO:
    case reg::FENCE_VALUE_HI:
    case reg::IRQ_REC_INFO:
    case reg::IRQ_REC_VALUE_LO:
    case reg::IRQ_REC_VALUE_HI:
    case reg::FENCE_SIGNALS:
    case reg::FENCE_REWINDS:
    case reg::FENCE_ERRORS:
    case reg::CP_STATUS:
    case reg::CP_COMPLETED: break;
    case reg::IRQ_STATUS:
      if (field::IRQ_STATUS_OVERFLOW.get(data)) overflow_ = false;
      if (field::IRQ_STATUS_CP_ERROR.get(data)) cp_error_flag_ = false;
      break;
    case reg::IRQ_ENABLE:
      irq_enable_ = data & (field::IRQ_ENABLE_FENCE.mask() | field::IRQ_ENABLE_OVERFLOW.mask() |
                            field::IRQ_ENABLE_CP_ERROR.mask());
      break;
    case reg::FENCE_SEL: fence_sel_ = field::FENCE_SEL_INDEX.get(data); break;
    case reg::FENCE_WDATA_LO: wdata_ = (wdata_ & ~0xFFFF'FFFFull) | data; break;
    case reg::FENCE_WDATA_HI: wdata_ = (wdata_ & 0xFFFF'FFFFull) | (uint64_t{data} << 32); break;
    case reg::FENCE_SIGNAL: {
      const uint32_t fence = field::FENCE_SIGNAL_INDEX.get(data);
      if (fence >= config().num_fences) {
        ++fence_errors_;
        break;
      }
      // The engine takes no request until the table is cleared.
      const unsigned wait_init = at < init_done_ ? static_cast<unsigned>(cycle_at(init_done_ - at)) : 0;
      apply_signal(fence, wdata_, /*store=*/true, at + cycles(timing::kCpuToRecord + wait_init));
      release_wait(fence, at + cycles(timing::kCpuSignal + wait_init));
      return timing::kCpuSignal + wait_init;
    }
    case reg::IRQ_REC_POP:
      if (record_visible(at)) records_.pop_front();
      break;
    case reg::CP_PUSH: push_word(data, at); break;
    case reg::CP_CONTROL:
      if (field::CP_CONTROL_RESUME.get(data) && cp_halted_) {
        cp_queue_.clear();
        cp_halted_ = false;
        cp_waiting_ = false;
        cp_parse_ = Parse::Header;
        cp_error_ = static_cast<uint8_t>(hw::CpError::NONE);
        cp_time_ = std::max(cp_time_, at);
      }
      break;
    default: return std::nullopt;
  }
  return timing::kRegAccess;
}

void ModelDevice::apply_signal(uint32_t fence, uint64_t value, bool store, const sc_time& visible) {
  const uint64_t old = fences_[fence];
  const uint64_t now = store ? value : std::max(old, value);
  if (store && value < old) ++rewind_count_;
  fences_[fence] = now;
  ++signal_count_;
  if (records_.size() < config().irq_fifo_depth) {
    records_.push_back({fence, now, !store, visible});
  } else if (!overflow_) {
    overflow_ = true;
    overflow_since_ = visible;
  }
}

void ModelDevice::push_word(uint32_t word, const sc_time& at) {
  if (cp_halted_) return;  // dropped, as the RTL drops them
  if (cp_queue_.size() >= config().cp_queue_depth) {
    halt(hw::CpError::QUEUE_OVERFLOW, 0, at);
    return;
  }
  cp_queue_.push_back({word, at + cycles(timing::kRegAccess)});
}

void ModelDevice::halt(hw::CpError error, uint8_t opcode, const sc_time& at) {
  cp_halted_ = true;
  cp_error_ = static_cast<uint8_t>(error);
  cp_opcode_ = opcode;
  if (!cp_error_flag_) cp_error_since_ = at;
  cp_error_flag_ = true;
  irq_at(at);
}

void ModelDevice::release_wait(uint32_t fence, const sc_time& at) {
  if (!cp_waiting_ || fence != cp_fence_ || fences_[fence] < cp_value_) return;
  cp_waiting_ = false;
  ++cp_completed_;
  cp_time_ = std::max(cp_time_, at + cycles(1));
}

void ModelDevice::advance_cp(const sc_time& until) {
  while (!cp_halted_ && !cp_waiting_ && !cp_queue_.empty()) {
    const sc_time done = std::max(cp_time_, cp_queue_.front().arrived) + cycles(timing::kCpWord);
    if (done > until) return;
    const uint32_t word = cp_queue_.front().value;
    cp_queue_.pop_front();
    cp_time_ = done;
    switch (cp_parse_) {
      case Parse::Header: {
        const auto opcode = static_cast<uint8_t>(word >> 24);
        cp_opcode_ = opcode;
        if (opcode == static_cast<uint8_t>(hw::CpOpcode::NOP)) {
          ++cp_completed_;
        } else if (opcode != static_cast<uint8_t>(hw::CpOpcode::SIGNAL) &&
                   opcode != static_cast<uint8_t>(hw::CpOpcode::WAIT)) {
          halt(hw::CpError::BAD_OPCODE, opcode, done);
        } else if ((word & 0xFFFF) >= config().num_fences) {
          halt(hw::CpError::BAD_FENCE, opcode, done);
        } else {
          cp_fence_ = word & 0xFFFF;
          cp_is_wait_ = opcode == static_cast<uint8_t>(hw::CpOpcode::WAIT);
          cp_parse_ = Parse::ValueLo;
        }
        break;
      }
      case Parse::ValueLo:
        cp_value_ = word;
        cp_parse_ = Parse::ValueHi;
        break;
      case Parse::ValueHi: {
        cp_value_ |= uint64_t{word} << 32;
        cp_parse_ = Parse::Header;
        if (cp_is_wait_) {
          cp_time_ = done + cycles(timing::kWaitRead);
          if (fences_[cp_fence_] >= cp_value_) ++cp_completed_;
          else cp_waiting_ = true;  // until a signal reaches the value
          break;
        }
        ++cp_completed_;
        apply_signal(cp_fence_, cp_value_, /*store=*/false, done + cycles(timing::kSignalToRecord));
        release_wait(cp_fence_, done + cycles(timing::kSignalToRecord));
        cp_time_ = done + cycles(timing::kSignalToRecord - 1);  // the parser waits for the engine's grant
        irq_at(done + cycles(timing::kSignalToRecord));
        break;
      }
    }
  }
}

void ModelDevice::schedule_cp() {
  if (cp_halted_ || cp_waiting_ || cp_queue_.empty()) return;
  const sc_time due = std::max(cp_time_, cp_queue_.front().arrived) + cycles(timing::kCpWord);
  const sc_time now = sc_core::sc_time_stamp();
  cp_due_.notify(due > now ? due - now : sc_core::SC_ZERO_TIME);
}

void ModelDevice::cp_method() {
  advance_cp(sc_core::sc_time_stamp());
  schedule_cp();
}

}  // namespace kmtsim::sc
