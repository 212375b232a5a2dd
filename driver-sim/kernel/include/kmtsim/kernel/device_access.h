// What the kernel side needs from the device and its host: register access,
// the VRAM (the device's memory, mapped into this process: the kernel places
// allocations, fence pages and rings in it), simulated time, the device's
// probes, and a way to let the device finish its work.
#pragma once

#include <cstdint>
#include <functional>

namespace kmtsim::kernel {

// A device probe event (docs/device.md, "Probes"), in simulated picoseconds.
struct DeviceProbe {
  enum Kind : uint8_t { CommandFetched, FenceUpdated, WrittenBack, RecordQueued };
  Kind kind;
  uint32_t fence;
  uint64_t value;
  int ring;  // the ring that signalled; -1: a CPU signal
  bool dropped;
  uint64_t time_ps;
};

class DeviceAccess {
 public:
  virtual ~DeviceAccess() = default;
  virtual uint32_t read32(uint32_t addr) = 0;
  virtual void write32(uint32_t addr, uint32_t value) = 0;
  // The VRAM: device address a is vram()[a], vram_size() bytes. The kernel
  // may map memory over parts of it (MAP_FIXED), in whole pages.
  virtual uint8_t* vram() = 0;
  virtual uint64_t vram_size() const = 0;
  // Every probe event of the device goes to `handler` (nullptr: none).
  virtual void set_probe_handler(std::function<void(const DeviceProbe&)> handler) = 0;
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
