// One page of shared memory that holds a monitored fence's CPU-visible value.
// The kernel maps it read-write; openers get a descriptor they can only map
// read-only (F_SEAL_FUTURE_WRITE), so no process can store into the value.
#pragma once

#include "kmtsim/util/unique_fd.h"

#include <atomic>
#include <cstdint>
#include <optional>

namespace kmtsim::kernel {

class FencePage {
 public:
  static constexpr size_t kSize = 4096;

  // nullopt when the system is out of memory or descriptors.
  static std::optional<FencePage> create(uint64_t initial);
  FencePage(FencePage&& other) noexcept;
  FencePage& operator=(FencePage&&) = delete;
  FencePage(const FencePage&) = delete;
  ~FencePage();

  void store(uint64_t value) { std::atomic_ref<uint64_t>(*value_).store(value, std::memory_order_release); }
  uint64_t load() const { return std::atomic_ref<uint64_t>(*value_).load(std::memory_order_acquire); }
  int fd() const { return fd_.get(); }

 private:
  FencePage(UniqueFd fd, uint64_t* value) : fd_(std::move(fd)), value_(value) {}
  UniqueFd fd_;
  uint64_t* value_ = nullptr;
};

}  // namespace kmtsim::kernel
