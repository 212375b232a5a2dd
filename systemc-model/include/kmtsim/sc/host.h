// The host end of a Device, driven from sc_main between sc_start calls (never
// from a SystemC process): register accesses, and a run loop that stops at an
// interrupt, when nothing is left to simulate, or at a time limit.
//
// Register accesses are temporally decoupled (the TLM-2.0 quantum keeper
// pattern): the host keeps a local time offset that each access's duration
// adds to, passes it to the device as the annotated delay, and synchronises
// with the SystemC kernel only when the offset reaches the quantum, or before
// it looks at the interrupt line or runs the simulation. A burst of accesses
// (an interrupt handler's) costs no kernel round trips.
#pragma once

#include "kmtsim/sc/device.h"

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>

namespace kmtsim::sc {

// The link between the CPU and the device (PCIe-like): a read crosses it
// twice and stalls the CPU; a posted write reaches the device after
// write_latency while the CPU goes on after write_issue; an interrupt reaches
// the CPU irq_latency after the device raised it.
struct HostLink {
  sc_core::sc_time read_latency{250, sc_core::SC_NS};   // one way
  sc_core::sc_time write_latency{150, sc_core::SC_NS};
  sc_core::sc_time write_issue{10, sc_core::SC_NS};
  sc_core::sc_time irq_latency{200, sc_core::SC_NS};
  static HostLink ideal() { return {sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME}; }
};

class Host : public sc_core::sc_module {
 public:
  Host(const sc_core::sc_module_name& name, Device& device, const HostLink& link = HostLink::ideal());

  // One 32-bit access, at now(); now() moves on by its duration.
  tlm::tlm_response_status access(bool write, uint32_t addr, uint32_t& data);
  // As access(), but a bus error is a bug of the caller: std::runtime_error.
  uint32_t read32(uint32_t addr);
  void write32(uint32_t addr, uint32_t data);

  // The interrupt line, after synchronising.
  bool irq();

  enum class Stop { Irq, Idle, Limit };
  // Simulates until the interrupt line is high, no activity is pending (the
  // device is idle: time does not move on), or `limit` has passed.
  Stop run(const sc_core::sc_time& limit);

  // The host's time: the kernel's time plus the local offset.
  sc_core::sc_time now() const { return sc_core::sc_time_stamp() + offset_; }
  // Brings the SystemC kernel up to now().
  void sync();
  // The CPU spends `t` (moves now() on without touching the device).
  void advance(const sc_core::sc_time& t) { offset_ += t; }
  const HostLink& link() const { return link_; }
  uint64_t accesses() const { return accesses_; }

 private:
  void start_if_needed();
  void irq_rose();

  tlm_utils::simple_initiator_socket<Host> socket_;
  sc_core::sc_signal<bool> irq_;
  HostLink link_;
  sc_core::sc_time offset_ = sc_core::SC_ZERO_TIME;
  sc_core::sc_time quantum_{1, sc_core::SC_US};
  uint64_t accesses_ = 0;
};

}  // namespace kmtsim::sc
