// The device's VRAM as the kernel manages it: an address-space allocator in
// whole pages, and the mapping of shared memory objects (allocations, fence
// pages) over the VRAM window, so that what the device reads and writes is
// what the processes that map those objects see.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace kmtsim::kernel {

class Vram {
 public:
  static constexpr uint64_t kPage = 4096;

  Vram() = default;
  Vram(uint8_t* window, uint64_t size) { reset(window, size); }
  void reset(uint8_t* window, uint64_t size);

  // A free range of `bytes` (rounded up to pages) aligned to `align` (a power
  // of two, at least a page), first fit; nullopt when none is left.
  std::optional<uint64_t> allocate(uint64_t bytes, uint64_t align = kPage);
  // Marks [addr, addr + bytes) as used (the fixed layout); false if any of
  // it is not free.
  bool reserve(uint64_t addr, uint64_t bytes);
  // Returns a range to the free list and puts fresh zero pages over it.
  void release(uint64_t addr, uint64_t bytes);

  // Maps `fd` (offset 0, `bytes` long, shared, read-write) over the window
  // at `addr`. False when the mapping fails.
  bool map(uint64_t addr, int fd, uint64_t bytes);
  // Puts fresh anonymous zero pages over [addr, addr + bytes).
  void unmap(uint64_t addr, uint64_t bytes);

  uint8_t* at(uint64_t addr) const { return window_ + addr; }
  uint64_t size() const { return size_; }
  uint64_t free_bytes() const;

 private:
  static uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
  uint8_t* window_ = nullptr;
  uint64_t size_ = 0;
  std::map<uint64_t, uint64_t> free_;  // start -> length, coalesced
};

}  // namespace kmtsim::kernel
