#include "kmtsim/sc/host.h"

#include <sstream>
#include <stdexcept>

namespace kmtsim::sc {

using sc_core::sc_time;

Host::Host(const sc_core::sc_module_name& name, Device& device, const HostLink& link)
    : sc_core::sc_module(name), socket_("socket"), irq_("irq"), link_(link) {
  socket_.bind(device.mmio);
  device.irq(irq_);
  SC_HAS_PROCESS(Host);
  SC_METHOD(irq_rose);
  sensitive << irq_.posedge_event();
  dont_initialize();
}

void Host::irq_rose() { sc_core::sc_pause(); }

void Host::start_if_needed() {
  // The first use ends elaboration and runs the initialisation phase.
  if (sc_core::sc_get_status() == sc_core::SC_ELABORATION) sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

void Host::sync() {
  start_if_needed();
  const sc_time t = sc_core::sc_time_stamp() + offset_;
  offset_ = sc_core::SC_ZERO_TIME;
  // An interrupt edge pauses the kernel early; keep going to the host's time.
  while (sc_core::sc_time_stamp() < t) sc_core::sc_start(t - sc_core::sc_time_stamp());
  // Let the last access's delta notifications settle.
  if (sc_core::sc_pending_activity_at_current_time()) sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

bool Host::irq() {
  if (offset_ > sc_core::SC_ZERO_TIME || sc_core::sc_get_status() == sc_core::SC_ELABORATION) sync();
  return irq_.read();
}

tlm::tlm_response_status Host::access(bool write, uint32_t addr, uint32_t& data) {
  start_if_needed();
  tlm::tlm_generic_payload trans;
  trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  trans.set_address(addr);
  trans.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
  trans.set_data_length(4);
  trans.set_streaming_width(4);
  trans.set_byte_enable_ptr(nullptr);
  trans.set_dmi_allowed(false);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = offset_ + (write ? link_.write_latency : link_.read_latency);
  socket_->b_transport(trans, delay);
  ++accesses_;
  // A read waits for its answer to come back; a posted write does not.
  offset_ = write ? offset_ + link_.write_issue : delay + link_.read_latency;
  if (offset_ >= quantum_) sync();
  return trans.get_response_status();
}

uint32_t Host::read32(uint32_t addr) {
  uint32_t data = 0;
  if (access(false, addr, data) != tlm::TLM_OK_RESPONSE) {
    std::ostringstream msg;
    msg << "register read at 0x" << std::hex << addr << " failed";
    throw std::runtime_error(msg.str());
  }
  return data;
}

void Host::write32(uint32_t addr, uint32_t data) {
  if (access(true, addr, data) != tlm::TLM_OK_RESPONSE) {
    std::ostringstream msg;
    msg << "register write at 0x" << std::hex << addr << " failed";
    throw std::runtime_error(msg.str());
  }
}

Host::Stop Host::run(const sc_time& limit) {
  sync();
  const sc_time end = sc_core::sc_time_stamp() + limit;
  for (;;) {
    if (irq_.read()) return Stop::Irq;
    if (!sc_core::sc_pending_activity()) return Stop::Idle;
    const sc_time now = sc_core::sc_time_stamp();
    if (now >= end) return Stop::Limit;
    // With nothing due before the limit, SC_EXIT_ON_STARVATION would return
    // at once without moving time (W571), and this loop would never end:
    // run to the limit instead.
    const bool due_before_end = sc_core::sc_time_to_pending_activity() < end - now;
    sc_core::sc_start(end - now, due_before_end ? sc_core::SC_EXIT_ON_STARVATION : sc_core::SC_RUN_TO_TIME);
  }
}

}  // namespace kmtsim::sc
