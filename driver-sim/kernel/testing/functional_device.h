// The v2 device (docs/device.md, docs/registers.md) without timing and
// without SystemC: every register, ring command, fence write-back and
// interrupt record of the model (systemc-model/src/model_device.cpp), each
// done at once. Enough to drive the kernel side on its own (the fuzzer, unit
// tests).
//
// Time is pretend: every register access, command and fence stage takes one
// cycle of the preset's clock. Register writes take effect at once, but for a
// CPU signal (FENCE_SIGNAL), which the fence engine takes just after the write
// as in the model: before the next register access or run_until_idle(). Ring
// commands run in run_until_idle(), one per ring in turn, which also calls
// the interrupt handler whenever the line is high. Interrupt
// coalescing by count is exact; a TIME limit expires when nothing else is left
// to do. The device never crashes on register values: whatever the model
// would do with memory outside VRAM is an error here (the ring halts).
#pragma once

#include "kmtsim/kernel/device_access.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace kmtsim::kernel {

class FunctionalDevice final : public DeviceAccess {
 public:
  struct Config {
    uint64_t vram_size = uint64_t{64} << 20;  // a power of two, at least a page
    unsigned num_fences = 64;                 // 1 .. 1024
    unsigned num_rings = 2;                   // 1 .. 8
    unsigned irq_fifo_depth = 16;             // 1 .. 255
    std::string preset = "hbm2";              // MEM_CAPS, DRAM_TIMING reset values, the clock
  };
  // Throws std::invalid_argument for a bad configuration, std::runtime_error
  // when the VRAM cannot be mapped.
  FunctionalDevice() : FunctionalDevice(Config{}) {}
  explicit FunctionalDevice(const Config& config);
  ~FunctionalDevice() override;
  FunctionalDevice(const FunctionalDevice&) = delete;
  FunctionalDevice& operator=(const FunctionalDevice&) = delete;

  // Called with the time the line rose (ps) while the interrupt line is high.
  void set_interrupt_handler(std::function<void(uint64_t)> handler) { on_interrupt_ = std::move(handler); }

  uint32_t read32(uint32_t addr) override;
  void write32(uint32_t addr, uint32_t value) override;
  uint8_t* vram() override { return vram_; }
  uint64_t vram_size() const override { return vram_bytes_; }
  void set_probe_handler(std::function<void(const DeviceProbe&)> handler) override { probe_ = std::move(handler); }
  uint64_t now_ps() const override { return cycle_ * tick_ps_; }
  // False only when work went on past a budget (an interrupt handler that
  // never lowers the line); a ring stuck on a partial command is idle.
  bool run_until_idle() override;

  bool irq_line() const;
  // Ring commands run so far (retired, halted on, or stalled on), all rings.
  uint64_t commands() const { return commands_; }

 private:
  struct Ring {
    uint64_t base = 0;
    uint32_t size_log2 = 12;
    uint32_t wptr = 0, rptr = 0;
    bool enabled = false, halted = false, waiting = false;
    uint8_t error = 0, error_opcode = 0;
    uint32_t wait_fence = 0;
    uint64_t wait_value = 0;
    uint32_t completed = 0;
    uint32_t size() const { return uint32_t{1} << size_log2; }
  };
  struct Record {
    uint32_t fence;
    uint64_t value;
    int ring;  // -1: the CPU
    bool critical;
    uint64_t queued;  // cycle
  };

  bool in_vram(uint64_t addr, uint64_t bytes) const { return addr < vram_bytes_ && bytes <= vram_bytes_ - addr; }
  uint32_t word(uint64_t addr) const;
  void probe(DeviceProbe::Kind kind, uint32_t fence, uint64_t value, int ring, bool dropped = false);
  void apply(uint32_t fence, uint64_t value, bool store, int ring);
  void take_cpu_signals();  // the FENCE_SIGNAL writes so far, in order
  bool fence_cause() const;
  uint32_t irq_status() const;

  uint32_t ring_read(Ring& ring, uint32_t off) const;
  void ring_write(unsigned r, uint32_t off, uint32_t data);
  void ring_control(unsigned r, uint32_t value);
  void ring_halt(Ring& ring, uint8_t error, uint8_t opcode);
  void ring_retire(Ring& ring, unsigned words);
  uint32_t ring_state(const Ring& ring) const;
  bool ring_step(unsigned r);  // runs the ring's next command; false when it cannot

  uint8_t* vram_ = nullptr;
  uint64_t vram_bytes_;
  unsigned irq_fifo_depth_;
  uint32_t mem_caps_ = 0;
  uint64_t tick_ps_ = 1000;
  uint64_t cycle_ = 0;
  uint64_t commands_ = 0;

  // Registers.
  uint32_t irq_enable_ = 0, coalesce_ = 0, fence_sel_ = 0, value_hi_ = 0, cycle_hi_ = 0;
  uint64_t wdata_ = 0, wb_base_ = 0, host_addr_ = 0;
  bool wb_enable_ = false, overflow_ = false, ring_error_ = false;
  uint32_t host_errors_ = 0, dram_control_ = 0;
  std::vector<uint32_t> dram_timing_;

  // Fence engine and records.
  std::vector<uint64_t> fences_;
  std::vector<bool> critical_;
  uint32_t signals_ = 0, rewinds_ = 0, fence_errors_ = 0, wb_count_ = 0;
  std::deque<Record> records_;
  std::deque<std::pair<uint32_t, uint64_t>> cpu_signals_;  // written, not yet taken

  std::vector<Ring> rings_;
  unsigned next_ring_ = 0;  // round robin in run_until_idle
  bool running_ = false;    // inside run_until_idle

  std::function<void(uint64_t)> on_interrupt_;
  std::function<void(const DeviceProbe&)> probe_;
};

}  // namespace kmtsim::kernel
