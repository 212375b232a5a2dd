// What the kernel side needs from the device and its host: register access,
// simulated time, and a way to let the device finish its work.
#pragma once

#include <cstdint>
#include <functional>

namespace kmtsim::kernel {

class DeviceAccess {
 public:
  virtual ~DeviceAccess() = default;
  virtual uint32_t read32(uint32_t addr) = 0;
  virtual void write32(uint32_t addr, uint32_t value) = 0;
  // Simulated time now, in picoseconds.
  virtual uint64_t now_ps() const = 0;
  // Simulates until the device is idle, calling the kernel's interrupt
  // handler whenever the interrupt line is high. Returns false when the
  // device did not go idle within its time budget.
  virtual bool run_until_idle() = 0;
};

// Tells the kernel when every copy of a descriptor's peer is gone (the last
// NT handle of a shared object was closed, in every process).
class Reactor {
 public:
  virtual ~Reactor() = default;
  // Calls `closed` once the read ends of the pipe whose write end is `fd` are
  // all closed. The kernel keeps `fd` open until then or until unwatch().
  virtual void watch_pipe_readers(int fd, std::function<void()> closed) = 0;
  virtual void unwatch(int fd) = 0;
};

}  // namespace kmtsim::kernel
