// The device's registers and commands without timing and without SystemC:
// enough to drive the kernel side on its own (the fuzzer, quick checks).
// Commands run when run_until_idle() is called; every register access and
// command takes one nanosecond of pretend time.
#pragma once

#include "kmtsim/kernel/device_access.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

namespace kmtsim::kernel {

class FunctionalDevice final : public DeviceAccess {
 public:
  explicit FunctionalDevice(unsigned num_fences = 64, unsigned irq_fifo_depth = 16, unsigned cp_queue_depth = 16);

  void set_interrupt_handler(std::function<void(uint64_t)> handler) { on_interrupt_ = std::move(handler); }

  uint32_t read32(uint32_t addr) override;
  void write32(uint32_t addr, uint32_t value) override;
  uint64_t now_ps() const override { return time_ps_; }
  bool run_until_idle() override;

 private:
  struct Record {
    uint32_t fence;
    uint64_t value;
    bool from_cmd;
  };
  void signal(uint32_t fence, uint64_t value, bool store);
  bool step_cp();  // one command; false when nothing can run
  bool irq_level() const;

  std::vector<uint64_t> fences_;
  std::deque<Record> records_;
  std::deque<uint32_t> queue_;
  unsigned fifo_depth_, queue_depth_;
  bool overflow_ = false, cp_error_ = false, halted_ = false, waiting_ = false;
  uint32_t irq_enable_ = 0, fence_sel_ = 0, value_hi_ = 0, cycle_hi_ = 0, error_ = 0, opcode_ = 0;
  uint32_t completed_ = 0, signals_ = 0, rewinds_ = 0, fence_errors_ = 0;
  uint64_t wdata_ = 0;
  uint64_t time_ps_ = 0;
  int depth_ = 0;
  std::function<void(uint64_t)> on_interrupt_;
};

}  // namespace kmtsim::kernel
