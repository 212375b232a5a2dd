#include "vram.h"

#include <sys/mman.h>

namespace kmtsim::kernel {

void Vram::reset(uint8_t* window, uint64_t size) {
  window_ = window;
  size_ = size - size % kPage;
  free_.clear();
  if (size_ != 0) free_[0] = size_;
}

std::optional<uint64_t> Vram::allocate(uint64_t bytes, uint64_t align) {
  if (bytes == 0 || bytes > size_) return std::nullopt;
  bytes = round_up(bytes, kPage);
  if (align < kPage) align = kPage;
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    const uint64_t start = round_up(it->first, align);
    const uint64_t end = it->first + it->second;
    if (start >= end || end - start < bytes) continue;
    const uint64_t first = it->first;
    free_.erase(it);
    if (start > first) free_[first] = start - first;
    if (start + bytes < end) free_[start + bytes] = end - (start + bytes);
    return start;
  }
  return std::nullopt;
}

bool Vram::reserve(uint64_t addr, uint64_t bytes) {
  bytes = round_up(bytes, kPage);
  auto it = free_.upper_bound(addr);
  if (it == free_.begin()) return false;
  --it;
  const uint64_t first = it->first, end = it->first + it->second;
  if (addr < first || addr + bytes > end) return false;
  free_.erase(it);
  if (addr > first) free_[first] = addr - first;
  if (addr + bytes < end) free_[addr + bytes] = end - (addr + bytes);
  return true;
}

void Vram::release(uint64_t addr, uint64_t bytes) {
  bytes = round_up(bytes, kPage);
  unmap(addr, bytes);
  auto [it, inserted] = free_.emplace(addr, bytes);
  if (!inserted) return;  // already free: nothing to do
  // Coalesce with the neighbours.
  if (auto next = std::next(it); next != free_.end() && addr + bytes == next->first) {
    it->second += next->second;
    free_.erase(next);
  }
  if (it != free_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      free_.erase(it);
    }
  }
}

bool Vram::map(uint64_t addr, int fd, uint64_t bytes) {
  void* p = ::mmap(window_ + addr, round_up(bytes, kPage), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  return p != MAP_FAILED;
}

void Vram::unmap(uint64_t addr, uint64_t bytes) {
  ::mmap(window_ + addr, round_up(bytes, kPage), PROT_READ | PROT_WRITE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

uint64_t Vram::free_bytes() const {
  uint64_t n = 0;
  for (const auto& [a, len] : free_) n += len;
  return n;
}

}  // namespace kmtsim::kernel
