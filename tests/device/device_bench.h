// A device (either backend) with its host, its VRAM in this process, an
// interrupt handler that drains the records, and helpers to run rings.
#pragma once

#include <catch2/catch.hpp>

#include "kmtsim/hw/regs.h"
#include "kmtsim/sc/device.h"
#include "kmtsim/sc/host.h"

#include <sys/mman.h>

#include "ring_commands.h"
#include "waves_on_failure.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace kmtsim::test {

namespace reg = hw::reg;
namespace field = hw::field;
using sc_core::sc_time;

// The backend under test: KMTSIM_TEST_BACKEND (model or rtl), model when unset.
inline sc::Backend bench_backend() {
  const char* b = std::getenv("KMTSIM_TEST_BACKEND");
  return b != nullptr && std::string(b) == "rtl" ? sc::Backend::Rtl : sc::Backend::Model;
}

struct Rec {
  uint32_t fence;
  uint64_t value;
  int ring;  // -1: CPU
  bool critical = false;
  bool operator==(const Rec&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Rec& r) {
  return os << "{fence " << r.fence << ", value " << r.value << ", " << (r.ring < 0 ? std::string("cpu") : "ring " + std::to_string(r.ring))
            << (r.critical ? ", critical}" : "}");
}

class DeviceBench {
 public:
  explicit DeviceBench(sc::Backend backend = bench_backend(), sc::DeviceConfig config = {},
                       const sc::HostLink& link = sc::HostLink::ideal(), const std::string& name = "dut")
      : bytes_(sc::vram_bytes(config.preset)) {
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    REQUIRE(p != MAP_FAILED);
    vram_ = static_cast<uint8_t*>(p);
    config.vram = vram_;
    config.vram_size = bytes_;
    config_ = config;
    device_ = sc::make_device(backend, (name + "_device").c_str(), config);
    host_ = std::make_unique<sc::Host>((name + "_host").c_str(), *device_, link);
    rings_.resize(config.num_rings);
    if (backend == sc::Backend::Rtl) waves_possible() = true;
  }
  ~DeviceBench() { ::munmap(vram_, bytes_); }

  sc::Host& host() { return *host_; }
  sc::Device& device() { return *device_; }
  uint8_t* vram() { return vram_; }
  uint64_t vram_bytes() const { return bytes_; }
  const sc::DeviceConfig& config() const { return config_; }
  std::vector<Rec>& records() { return records_; }
  unsigned interrupts() const { return interrupts_; }
  unsigned overflows() const { return overflows_; }
  unsigned ring_errors() const { return ring_errors_; }

  uint32_t rd(uint32_t addr) { return host_->read32(addr); }
  void wr(uint32_t addr, uint32_t v) { host_->write32(addr, v); }

  // After reset: wait for the fence table to clear, enable every interrupt.
  void start(uint32_t irq_enable = 0x7) {
    settle();
    REQUIRE(field::STATUS_INIT.get(rd(reg::STATUS)) == 0);
    wr(reg::IRQ_ENABLE, irq_enable);
  }

  // Runs until the device is idle with no interrupt pending, handling each.
  void settle(sc_time limit = sc_time(10, sc_core::SC_MS)) {
    for (int rounds = 0; rounds < 100000; ++rounds) {
      switch (host_->run(limit)) {
        case sc::Host::Stop::Irq: service(); break;
        case sc::Host::Stop::Idle: return;
        case sc::Host::Stop::Limit: FAIL("the device is still busy after " << limit); return;
      }
    }
    FAIL("interrupt storm: the device never went idle");
  }

  void service() {
    ++interrupts_;
    const uint32_t status = rd(reg::IRQ_STATUS);
    for (;;) {
      const uint32_t info = rd(reg::IRQ_REC_INFO);
      if (!field::IRQ_REC_INFO_VALID.get(info)) break;
      const uint64_t lo = rd(reg::IRQ_REC_VALUE_LO);
      const uint64_t hi = rd(reg::IRQ_REC_VALUE_HI);
      wr(reg::IRQ_REC_POP, 1);
      records_.push_back({field::IRQ_REC_INFO_FENCE.get(info), lo | (hi << 32),
                          field::IRQ_REC_INFO_SOURCE.get(info) ? static_cast<int>(field::IRQ_REC_INFO_RING.get(info)) : -1,
                          field::IRQ_REC_INFO_CRITICAL.get(info) != 0});
    }
    if (field::IRQ_STATUS_OVERFLOW.get(status)) ++overflows_;
    if (field::IRQ_STATUS_RING_ERROR.get(status)) ++ring_errors_;
    const uint32_t sticky = status & (field::IRQ_STATUS_OVERFLOW.mask() | field::IRQ_STATUS_RING_ERROR.mask());
    if (sticky != 0) wr(reg::IRQ_STATUS, sticky);
  }

  uint64_t fence(uint32_t f) {
    wr(reg::FENCE_SEL, f);
    const uint64_t lo = rd(reg::FENCE_VALUE_LO);
    return lo | (uint64_t{rd(reg::FENCE_VALUE_HI)} << 32);
  }
  void cpu_signal(uint32_t f, uint64_t v) {
    wr(reg::FENCE_WDATA_LO, static_cast<uint32_t>(v));
    wr(reg::FENCE_WDATA_HI, static_cast<uint32_t>(v >> 32));
    wr(reg::FENCE_SIGNAL, f);
  }
  void write_back(uint64_t base, bool enable = true) {
    wr(reg::FENCE_WB_BASE_LO, static_cast<uint32_t>(base));
    wr(reg::FENCE_WB_BASE_HI, static_cast<uint32_t>(base >> 32));
    wr(reg::FENCE_WB_CONTROL, enable ? 1 : 0);
  }
  uint64_t page_value(uint64_t base, uint32_t f) {
    uint64_t v;
    std::memcpy(&v, vram_ + base + uint64_t{f} * hw::kFencePageBytes, 8);
    return v;
  }

  // --- Rings ---
  struct SoftRing {
    uint64_t base = 0;
    uint32_t size = 0;
    uint32_t wptr = 0;  // where the next word goes
  };
  void ring_setup(unsigned r, uint64_t base, unsigned size_log2) {
    wr(reg::RING_BASE_LO_AT(r), static_cast<uint32_t>(base));
    wr(reg::RING_BASE_HI_AT(r), static_cast<uint32_t>(base >> 32));
    wr(reg::RING_SIZE_AT(r), size_log2);
    wr(reg::RING_CONTROL_AT(r), field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
    rings_[r] = {base, 1u << size_log2, 0};
  }
  // Writes words into the ring at the software write pointer (wrapping),
  // without ringing the doorbell.
  void emit(unsigned r, const std::vector<uint32_t>& words) {
    SoftRing& s = rings_[r];
    for (uint32_t w : words) {
      std::memcpy(vram_ + s.base + s.wptr, &w, 4);
      s.wptr = (s.wptr + 4) % s.size;
    }
  }
  void doorbell(unsigned r) { wr(reg::RING_WPTR_AT(r), rings_[r].wptr); }
  void submit(unsigned r, const std::vector<uint32_t>& words) {
    emit(r, words);
    doorbell(r);
  }
  uint32_t ring_state(unsigned r) { return field::RING_STATUS_STATE.get(rd(reg::RING_STATUS_AT(r))); }
  uint32_t ring_error(unsigned r) { return field::RING_STATUS_ERROR.get(rd(reg::RING_STATUS_AT(r))); }
  uint32_t rptr(unsigned r) { return rd(reg::RING_RPTR_AT(r)); }
  SoftRing& soft(unsigned r) { return rings_[r]; }

  // Ring commands (ring_commands.h).
  static uint32_t header(hw::CpOpcode op, uint32_t low = 0) { return cmd::header(op, low); }
  static std::vector<uint32_t> signal(uint32_t f, uint64_t v) { return cmd::signal(f, v); }
  static std::vector<uint32_t> wait(uint32_t f, uint64_t v) { return cmd::wait(f, v); }
  static std::vector<uint32_t> copy(uint64_t dst, uint64_t src, uint32_t bytes) { return cmd::copy(dst, src, bytes); }
  static std::vector<uint32_t> fill(uint64_t dst, uint32_t bytes, uint32_t pattern) {
    return cmd::fill(dst, bytes, pattern);
  }
  static std::vector<uint32_t> timestamp(uint64_t dst) { return cmd::timestamp(dst); }
  static std::vector<uint32_t> nop(uint32_t skip = 0) { return cmd::nop(skip); }

 private:
  uint64_t bytes_;
  uint8_t* vram_ = nullptr;
  sc::DeviceConfig config_;
  std::unique_ptr<sc::Device> device_;
  std::unique_ptr<sc::Host> host_;
  std::vector<Rec> records_;
  std::vector<SoftRing> rings_;
  unsigned interrupts_ = 0, overflows_ = 0, ring_errors_ = 0;
};

// Concatenates command word lists.
inline std::vector<uint32_t> operator+(std::vector<uint32_t> a, const std::vector<uint32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace kmtsim::test
