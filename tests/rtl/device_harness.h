// The whole Verilated device (rtl/kmt_device.sv) clocked directly from C++,
// no SystemC: the DRAM model and its checker on the device's command buses
// (its storage is this harness's VRAM, so what the device writes is in
// vram()) and a blocking host bus. A template over the Verilated class (the
// preset and parameters it was built with are the caller's to know).
//
// Rings (RingWriter) work on anything with rd(addr), wr(addr, value) and
// vram(): this harness, or a SystemC host in front of the RTL backend.
// Used by the direct device test and the device benchmark.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/rtl_attach.h"
#include "kmtsim/dram/storage.h"
#include "kmtsim/hw/dram_presets.h"
#include "host_bus.h"
#include "kmtsim/hw/regs.h"
#include "ring_commands.h"
#include "vl_model.h"

namespace kmtsim::test {

template <class Model>
class DeviceHarness {
 public:
  explicit DeviceHarness(const hw::dram::Preset& preset, const std::string& fst_path = next_fst_path())
      : map_(preset), bytes_(map_.capacity_bytes()), vram_(map_vram(bytes_)),
        dram_(std::make_unique<dram::DramModel>(preset, std::span<uint8_t>(vram_, bytes_))),
        pins_(*dram_, map_, preset.channels, preset.request_bytes * 8), m_("kmt_device", fst_path) {
    m_->host_req_valid_i = 0;
    m_->timebase_i = 0;
    m_.reset();
  }
  ~DeviceHarness() { ::munmap(vram_, bytes_); }
  DeviceHarness(const DeviceHarness&) = delete;
  DeviceHarness& operator=(const DeviceHarness&) = delete;

  // One clock cycle: read data due, the low phase, host handshakes, DRAM
  // commands, the rising edge.
  void tick() {
    Model& m = *m_;
    pins_.drive(m, cycle_);
    m.timebase_i = cycle_;
    m_.clock(cycle_, [this](Model& low) {
      pins_.sample(low, cycle_);
      bus_.seen(low);
    });
    ++cycle_;
  }
  void run(uint64_t cycles) {
    for (uint64_t i = 0; i < cycles; ++i) tick();
  }

  // One register access, to completion; throws when the device does not answer.
  uint32_t access(bool write, uint32_t addr, uint32_t data = 0) {
    const std::optional<uint32_t> v = bus_.access(*m_, [this] { tick(); }, write, addr, data);
    if (!v) throw std::runtime_error("register access at " + std::to_string(addr) + ": no answer");
    return *v;
  }
  uint32_t rd(uint32_t addr) { return access(false, addr); }
  void wr(uint32_t addr, uint32_t v) { access(true, addr, v); }
  bool last_error() const { return bus_.error(); }

  // Waits for the fence table to clear after reset.
  void wait_init() {
    while (hw::field::STATUS_INIT.get(rd(hw::reg::STATUS)) != 0) run(16);
  }

  uint64_t fence(unsigned f) {
    wr(hw::reg::FENCE_SEL, f);
    const uint64_t lo = rd(hw::reg::FENCE_VALUE_LO);
    return lo | (uint64_t{rd(hw::reg::FENCE_VALUE_HI)} << 32);
  }

  uint8_t* vram() { return vram_; }
  uint64_t vram_bytes() const { return bytes_; }
  uint64_t cycle() const { return cycle_; }
  Model& model() { return *m_; }
  dram::DramModel& dram() { return *dram_; }
  bool busy() const { return m_->busy_o; }

 private:
  static uint8_t* map_vram(uint64_t bytes) {
    // Zero pages on first touch: a 4 GiB VRAM costs what is used.
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot map the VRAM");
    return static_cast<uint8_t*>(p);
  }

  dram::AddressMap map_;
  uint64_t bytes_;
  uint8_t* vram_;
  std::unique_ptr<dram::DramModel> dram_;
  dram::RtlDramPins<Model> pins_;
  VlModel<Model> m_;
  HostBus<Model> bus_;
  uint64_t cycle_ = 0;
};

// One ring: started at base with 2^log2 bytes (reset and enabled); commands
// are written at its write pointer in VRAM and its doorbell rung.
class RingWriter {
 public:
  template <class Io>
  RingWriter(Io& io, unsigned ring, uint64_t base, unsigned log2)
      : ring_(ring), base_(base), size_(uint32_t{1} << log2) {
    const uint32_t o = off();
    io.wr(hw::reg::RING_BASE_LO + o, static_cast<uint32_t>(base));
    io.wr(hw::reg::RING_BASE_HI + o, static_cast<uint32_t>(base >> 32));
    io.wr(hw::reg::RING_SIZE + o, log2);
    io.wr(hw::reg::RING_CONTROL + o, hw::field::RING_CONTROL_RESET.put(1) | hw::field::RING_CONTROL_ENABLE.put(1));
  }
  template <class Io>
  void submit(Io& io, std::span<const uint32_t> words) {
    for (uint32_t w : words) {
      std::memcpy(io.vram() + base_ + wptr_, &w, 4);
      wptr_ = (wptr_ + 4) % size_;
    }
    io.wr(hw::reg::RING_WPTR + off(), wptr_);
  }
  // Free bytes (one word is kept free).
  template <class Io>
  uint32_t space(Io& io) const {
    const uint32_t rptr = io.rd(hw::reg::RING_RPTR + off());
    return (rptr + size_ - wptr_ - 4) % size_;
  }
  template <class Io>
  uint32_t completed(Io& io) const {
    return io.rd(hw::reg::RING_COMPLETED + off());
  }

 private:
  uint32_t off() const { return ring_ * hw::reg::RING_BASE_LO_STRIDE; }
  unsigned ring_;
  uint64_t base_;
  uint32_t size_, wptr_ = 0;
};

// The busy workload of the device test and benchmark, one batch for ring r:
// FILL a block with a pattern, COPY it next to itself, SIGNAL fence `fence`
// with `value`. Blocks of `bytes` at `area` (each ring its own area).
inline std::vector<uint32_t> busy_batch(uint64_t area, uint32_t bytes, uint32_t pattern, unsigned fence,
                                        uint64_t value) {
  std::vector<uint32_t> w;
  cmd::append(w, cmd::fill(area, bytes, pattern));
  cmd::append(w, cmd::copy(area + bytes, area, bytes));
  cmd::append(w, cmd::signal(fence, value));
  return w;
}

}  // namespace kmtsim::test
