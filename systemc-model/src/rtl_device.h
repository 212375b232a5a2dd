// The RTL device (rtl/kmt_device.sv, compiled by Verilator) behind the same
// TLM-2.0 socket as the model: an adapter from transactions to the pins.
//
// The adapter clocks the Verilated model directly, not with an sc_clock, and
// keeps SystemC time in step: a register access runs the bus handshake to
// completion and returns the cycles it took as annotated delay; while the
// device reports busy_o, an SC_THREAD runs it in chunks, stopping early at
// every interrupt edge, then waits out the time it ran ahead. An idle device
// leaves no pending SystemC activity, and its idle cycles are not clocked at
// all (nothing changes while busy_o is low; the timebase is an input).
// Interrupt edges reach the irq port at the simulated time of the cycle that
// made them.
#pragma once

#include "kmtsim/sc/device.h"

#include <deque>
#include <memory>

class Vkmt_device;
class VerilatedContext;

namespace kmtsim::sc {

class RtlDevice final : public Device {
 public:
  RtlDevice(const sc_core::sc_module_name& name, const DeviceConfig& config);
  ~RtlDevice() override;
  Backend backend() const override { return Backend::Rtl; }

  // The parameters the RTL was built with.
  static DeviceConfig built_config();

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) override;
  // Runs one bus access; false when the device did not answer in time.
  bool bus_access(bool write, uint32_t addr, uint32_t& data, bool& error);
  void tick();
  void catch_up(const sc_core::sc_time& t);
  sc_core::sc_time model_time() const { return config().clock_period * static_cast<double>(cycle_); }
  void clock_thread();
  void irq_method();

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vkmt_device> top_;
  uint64_t cycle_ = 0;
  bool irq_level_ = false;
  bool skip_idle_ = true;  // KMTSIM_RTL_TICK_IDLE set: clock every idle cycle too
  struct IrqEdge {
    uint64_t cycle;
    bool level;
  };
  std::deque<IrqEdge> irq_edges_;
  sc_core::sc_event kick_;
  sc_core::sc_event irq_update_;
};

}  // namespace kmtsim::sc
