// One page of shared memory that holds a monitored fence's CPU-visible value.
// The kernel maps it read-write over the fence's write-back page in the VRAM
// window, so the device's write-back is the store; openers get a descriptor
// they can only map read-only (F_SEAL_FUTURE_WRITE), so no process can store
// into the value.
#pragma once

#include "kmtsim/util/unique_fd.h"

#include <atomic>
#include <cstdint>
#include <optional>

namespace kmtsim::kernel {

class FencePage {
 public:
  static constexpr size_t kSize = 4096;

  // Maps the page at `at` (page aligned, replacing what was there; nullptr:
  // anywhere). nullopt when the system is out of memory or descriptors.
  static std::optional<FencePage> create(uint64_t initial, uint8_t* at = nullptr);
  FencePage(FencePage&& other) noexcept;
  FencePage& operator=(FencePage&&) = delete;
  FencePage(const FencePage&) = delete;
  ~FencePage();

  void store(uint64_t value) { std::atomic_ref<uint64_t>(*value_).store(value, std::memory_order_release); }
  uint64_t load() const { return std::atomic_ref<uint64_t>(*value_).load(std::memory_order_acquire); }
  int fd() const { return fd_.get(); }

 private:
  FencePage(UniqueFd fd, uint64_t* value, bool fixed) : fd_(std::move(fd)), value_(value), fixed_(fixed) {}
  UniqueFd fd_;
  uint64_t* value_ = nullptr;
  bool fixed_ = false;  // in the VRAM window: zero pages go back there when it goes
};

}  // namespace kmtsim::kernel
