#include "fence_page.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace kmtsim::kernel {

std::optional<FencePage> FencePage::create(uint64_t initial) {
  UniqueFd fd(::memfd_create("kmtsim-fence", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return std::nullopt;
  if (::ftruncate(fd.get(), kSize) != 0) return std::nullopt;
  void* map = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (map == MAP_FAILED) return std::nullopt;
  // From here on nobody can map it writable again, or resize it.
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) != 0) {
    ::munmap(map, kSize);
    return std::nullopt;
  }
  auto* value = static_cast<uint64_t*>(map);
  std::atomic_ref<uint64_t>(*value).store(initial, std::memory_order_release);
  return FencePage(std::move(fd), value);
}

FencePage::FencePage(FencePage&& other) noexcept : fd_(std::move(other.fd_)), value_(other.value_) {
  other.value_ = nullptr;
}

FencePage::~FencePage() {
  if (value_ != nullptr) ::munmap(value_, kSize);
}

}  // namespace kmtsim::kernel
