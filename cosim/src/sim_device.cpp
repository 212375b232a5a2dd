#include "sim_device.h"

#include <sys/mman.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace kmtsim::cosim {

namespace {
// A device that has not gone idle after this much simulated time is stuck.
const sc_core::sc_time kIdleBudget(100, sc_core::SC_MS);
}  // namespace

namespace {
uint8_t* reserve(uint64_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("cannot reserve " + std::to_string(bytes >> 20) + " MiB for VRAM");
  return static_cast<uint8_t*>(p);
}
sc::DeviceConfig with_vram(sc::DeviceConfig config, uint8_t* vram, uint64_t bytes) {
  config.vram = vram;
  config.vram_size = bytes;
  return config;
}
}  // namespace

SimDevice::SimDevice(sc::Backend backend, const sc::DeviceConfig& config, const sc::HostLink& link)
    : vram_(reserve(sc::vram_bytes(config.preset))), vram_size_(sc::vram_bytes(config.preset)),
      device_(sc::make_device(backend, "device", with_vram(config, vram_, vram_size_))),
      host_(std::make_unique<sc::Host>("host", *device_, link)) {}

SimDevice::~SimDevice() {
  host_.reset();
  device_.reset();
  ::munmap(vram_, vram_size_);
}

void SimDevice::set_probe_handler(std::function<void(const kernel::DeviceProbe&)> handler) {
  if (!handler) {
    device_->set_probe(nullptr);
    return;
  }
  device_->set_probe([h = std::move(handler)](const sc::ProbeEvent& e) {
    h(kernel::DeviceProbe{static_cast<kernel::DeviceProbe::Kind>(e.kind), e.fence, e.value, e.ring, e.dropped,
                          static_cast<uint64_t>(e.time.to_seconds() * 1e12 + 0.5)});
  });
}

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
