// The device, simulated in SystemC, as the kernel side sees it: register
// accesses through the host end of the TLM socket, simulated time, and runs
// of the simulation that hand every interrupt to the kernel's handler.
#pragma once

#include "kmtsim/kernel/device_access.h"
#include "kmtsim/sc/device.h"
#include "kmtsim/sc/host.h"

#include <functional>
#include <memory>

namespace kmtsim::cosim {

class SimDevice final : public kernel::DeviceAccess {
 public:
  SimDevice(sc::Backend backend, const sc::DeviceConfig& config = {}, const sc::HostLink& link = {});

  // Called with the simulated time (ps) at which the interrupt line rose.
  void set_interrupt_handler(std::function<void(uint64_t)> handler) { on_interrupt_ = std::move(handler); }

  ~SimDevice() override;
  uint32_t read32(uint32_t addr) override { return host_->read32(addr); }
  void write32(uint32_t addr, uint32_t value) override { host_->write32(addr, value); }
  uint8_t* vram() override { return vram_; }
  uint64_t vram_size() const override { return vram_size_; }
  void set_probe_handler(std::function<void(const kernel::DeviceProbe&)> handler) override;
  uint64_t now_ps() const override;
  bool run_until_idle() override;

  // One bounded step: simulates at most `limit` (stopping early at an
  // interrupt, which it hands to the handler). False when the device is idle.
  bool step(const sc_core::sc_time& limit);
  bool active();
  bool irq() { return host_->irq(); }
  sc::Backend backend() const { return device_->backend(); }

 private:
  uint8_t* vram_ = nullptr;  // the preset's VRAM, reserved (zero pages on first touch)
  uint64_t vram_size_ = 0;
  std::unique_ptr<sc::Device> device_;
  std::unique_ptr<sc::Host> host_;
  std::function<void(uint64_t)> on_interrupt_;
  int depth_ = 0;  // run_until_idle re-entered from an interrupt handler
};

}  // namespace kmtsim::cosim
