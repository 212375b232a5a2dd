// The RTL device (rtl/kmt_device.sv, compiled by Verilator) behind the same
// TLM-2.0 socket as the model: an adapter from transactions to the pins, with
// the DRAM model (common/dram) on the device's DRAM command buses. The DRAM's
// storage is the caller's VRAM (DeviceConfig::vram, through dram::FlatVram),
// so what the device writes is what the driver's mappings see.
//
// The adapter clocks the Verilated model directly, not with an sc_clock, and
// keeps SystemC time in step: a register access runs the bus handshake to
// completion and returns the cycles it took as annotated delay; while the
// device is not quiet, an SC_THREAD runs it in chunks, stopping early at
// every interrupt edge, then waits out the time it ran ahead. Cycles in which
// nothing can change (kmt_device quiet_o) are skipped, up to wake_o (a
// refresh falls due, or a coalescing time limit runs out): skipping is exact.
// A quiet device leaves no pending SystemC activity, except a wake-up at a
// coalescing time limit. KMTSIM_RTL_TICK_IDLE set: every cycle is clocked.
// KMTSIM_FST=path: an FST waveform of every clocked cycle goes there
// (skipped cycles are a gap in time).
//
// Probes (Device::set_probe) are sampled from the trace outputs of
// kmt_device (prb_*) in every clocked cycle, at that cycle's time, and
// delivered after the register access or the chunk of cycles that made them
// (as the model delivers its events after the access that caused them).
#pragma once

#include "kmtsim/sc/device.h"

#include <deque>
#include <memory>

class Vkmt_device;
class VerilatedContext;
class VerilatedFstC;

namespace kmtsim::dram {
class AddressMap;
class DramModel;
template <class Model>
class RtlDramPins;
}  // namespace kmtsim::dram

namespace kmtsim::sc {

class RtlDevice final : public Device {
 public:
  RtlDevice(const sc_core::sc_module_name& name, const DeviceConfig& config);
  ~RtlDevice() override;
  Backend backend() const override { return Backend::Rtl; }

  // The parameters the RTL was built with (vram: none).
  static DeviceConfig built_config();

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) override;
  // Runs one bus access; false when the device did not answer in time.
  bool bus_access(bool write, uint32_t addr, uint32_t& data, bool& error);
  // One clock cycle: DRAM pins, the low phase, probes, the rising edge.
  void tick();
  // Runs (or skips, while quiet) up to cycle `target`.
  void catch_up(uint64_t target);
  void sample_probes();
  void flush_probes();
  void check_dram();
  uint64_t cycle_of(const sc_core::sc_time& t) const;  // rounded up
  sc_core::sc_time time_of(uint64_t cycle) const { return clock() * static_cast<double>(cycle); }
  void clock_thread();
  void irq_method();

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vkmt_device> top_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::unique_ptr<dram::AddressMap> map_;
  std::unique_ptr<dram::DramModel> dram_;
  std::unique_ptr<dram::RtlDramPins<Vkmt_device>> pins_;
  uint64_t cycle_ = 0;
  bool irq_level_ = false;
  bool skip_idle_ = true;
  bool dram_reported_ = false;
  // Host handshake outputs seen in the low phase of the last tick.
  bool req_ready_ = false, rsp_valid_ = false, rsp_error_ = false;
  uint32_t rsp_rdata_ = 0;
  struct IrqEdge {
    uint64_t cycle;
    bool level;
  };
  std::deque<IrqEdge> irq_edges_;
  std::deque<ProbeEvent> probes_;  // sampled, not yet delivered
  sc_core::sc_event kick_;
  sc_core::sc_event irq_update_;
};

}  // namespace kmtsim::sc
