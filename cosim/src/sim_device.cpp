#include "sim_device.h"

#include <cstdio>

namespace kmtsim::cosim {

namespace {
// A device that has not gone idle after this much simulated time is stuck.
const sc_core::sc_time kIdleBudget(100, sc_core::SC_MS);
}  // namespace

SimDevice::SimDevice(sc::Backend backend, const sc::DeviceConfig& config, const sc::HostLink& link)
    : device_(sc::make_device(backend, "device", config)), host_(std::make_unique<sc::Host>("host", *device_, link)) {}

uint64_t SimDevice::now_ps() const { return static_cast<uint64_t>(host_->now().to_seconds() * 1e12 + 0.5); }

bool SimDevice::active() { return host_->irq() || sc_core::sc_pending_activity(); }

bool SimDevice::step(const sc_core::sc_time& limit) {

  switch (host_->run(limit)) {
    case sc::Host::Stop::Irq: {
      const uint64_t raised = now_ps();
      host_->advance(host_->link().irq_latency);  // the interrupt message crosses the link
      if (on_interrupt_) on_interrupt_(raised);
      return true;
    }
    case sc::Host::Stop::Limit: return true;
    case sc::Host::Stop::Idle: return false;
  }
  return false;
}

bool SimDevice::run_until_idle() {
  // The interrupt handler's register accesses never call back in here, but
  // a request handler that runs the device from inside the loop would.
  if (depth_ > 0) return true;
  ++depth_;
  const sc_core::sc_time end = sc_core::sc_time_stamp() + kIdleBudget;
  bool idle = false;
  while (!idle) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (now >= end) break;
    idle = !step(end - now);
  }
  --depth_;
  if (!idle) std::fprintf(stderr, "kmtsimd: the device is still busy after %s of simulated time\n", kIdleBudget.to_string().c_str());
  return idle;
}

}  // namespace kmtsim::cosim
