// The host end of a Device, driven from sc_main between sc_start calls (never
// from a SystemC process): register accesses that advance simulated time by
// what they take, and a run loop that stops at an interrupt, when nothing is
// left to simulate, or at a time limit.
#pragma once

#include "kmtsim/sc/device.h"

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>

namespace kmtsim::sc {

class Host : public sc_core::sc_module {
 public:
  Host(const sc_core::sc_module_name& name, Device& device);

  // One 32-bit access; the simulation advances by its duration.
  tlm::tlm_response_status access(bool write, uint32_t addr, uint32_t& data);
  // As access(), but a bus error is a bug of the caller: std::runtime_error.
  uint32_t read32(uint32_t addr);
  void write32(uint32_t addr, uint32_t data);

  bool irq() const { return irq_.read(); }

  enum class Stop { Irq, Idle, Limit };
  // Simulates until the interrupt line is high, no activity is pending (the
  // device is idle: time does not move on), or `limit` has passed.
  Stop run(const sc_core::sc_time& limit);

  static sc_core::sc_time now() { return sc_core::sc_time_stamp(); }
  uint64_t accesses() const { return accesses_; }

 private:
  void advance_to(const sc_core::sc_time& t);
  void irq_rose();

  tlm_utils::simple_initiator_socket<Host> socket_;
  sc_core::sc_signal<bool> irq_;
  uint64_t accesses_ = 0;
};

}  // namespace kmtsim::sc
