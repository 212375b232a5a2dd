// The SystemC model of the device: the same registers and commands as rtl/,
// computed at transaction level rather than ticked. Register accesses take
// the cycles the RTL takes. The command processor is evaluated lazily: each
// queued word carries the time it arrived, and the parser's progress is
// computed up to the time of every register access (accesses may come ahead
// of SystemC time: the host is temporally decoupled) and, while words are
// queued, at the time the next one completes. An idle model leaves no
// pending activity.
#pragma once

#include "kmtsim/hw/regs.h"
#include "kmtsim/sc/device.h"

#include <deque>
#include <vector>

namespace kmtsim::sc {

class ModelDevice final : public Device {
 public:
  ModelDevice(const sc_core::sc_module_name& name, const DeviceConfig& config);
  Backend backend() const override { return Backend::Model; }

 private:
  struct Record {
    uint32_t fence;
    uint64_t value;
    bool from_cmd;
    sc_core::sc_time visible;  // when it reaches the head of the record FIFO's output
  };

  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) override;
  // Each returns the cycles the access takes, or nothing for an unmapped offset.
  std::optional<unsigned> read_reg(uint32_t addr, uint32_t& data, const sc_core::sc_time& at);
  std::optional<unsigned> write_reg(uint32_t addr, uint32_t data, const sc_core::sc_time& at);

  // Applies a signal now; its record (or the overflow) shows at `visible`.
  void apply_signal(uint32_t fence, uint64_t value, bool store, const sc_core::sc_time& visible);
  void push_word(uint32_t word, const sc_core::sc_time& at);
  void halt(hw::CpError error, uint8_t opcode, const sc_core::sc_time& at);
  // A signal made `fence` what it is now: a WAIT on it may go on at `at`.
  void release_wait(uint32_t fence, const sc_core::sc_time& at);
  // Runs the command processor up to time `until`.
  void advance_cp(const sc_core::sc_time& until);
  void schedule_cp();
  void cp_method();
  void init_method();
  void irq_method();
  void port_method();
  // Updates the interrupt line at absolute time `at` (not before now).
  void irq_at(const sc_core::sc_time& at);
  // The interrupt causes as they stand at `t` (accesses may come ahead of
  // SystemC time, so state carries the time each change shows).
  bool record_visible(const sc_core::sc_time& t) const { return !records_.empty() && records_.front().visible <= t; }
  bool overflow_at(const sc_core::sc_time& t) const { return overflow_ && overflow_since_ <= t; }
  bool cp_error_at(const sc_core::sc_time& t) const { return cp_error_flag_ && cp_error_since_ <= t; }
  bool irq_level(const sc_core::sc_time& t) const;
  sc_core::sc_time cycles(uint64_t n) const { return config().clock_period * static_cast<double>(n); }
  uint64_t cycle_at(const sc_core::sc_time& t) const;

  // Fence engine.
  std::vector<uint64_t> fences_;
  std::deque<Record> records_;
  sc_core::sc_time init_done_;
  bool overflow_ = false;
  sc_core::sc_time overflow_since_;
  uint32_t signal_count_ = 0;
  uint32_t rewind_count_ = 0;
  uint32_t fence_errors_ = 0;

  // Register block.
  uint32_t irq_enable_ = 0;
  uint32_t fence_sel_ = 0;
  uint32_t value_hi_ = 0;
  uint32_t cycle_hi_ = 0;
  uint64_t wdata_ = 0;
  bool cp_error_flag_ = false;
  sc_core::sc_time cp_error_since_;
  sc_core::sc_time port_free_;  // the register port takes one access at a time

  // Command processor.
  struct Word {
    uint32_t value;
    sc_core::sc_time arrived;
  };
  enum class Parse { Header, ValueLo, ValueHi };
  std::deque<Word> cp_queue_;
  sc_core::sc_time cp_time_;  // when the parser finished its last word
  Parse cp_parse_ = Parse::Header;
  uint32_t cp_fence_ = 0;
  uint64_t cp_value_ = 0;
  bool cp_is_wait_ = false;
  bool cp_waiting_ = false;  // a WAIT stalls the queue until a signal satisfies it
  bool cp_halted_ = false;
  uint8_t cp_error_ = 0;
  uint8_t cp_opcode_ = 0;
  uint32_t cp_completed_ = 0;
  sc_core::sc_event cp_due_;
  sc_core::sc_event irq_update_;
  sc_core::sc_event port_busy_;
};

}  // namespace kmtsim::sc
