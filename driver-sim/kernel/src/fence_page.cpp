#include "fence_page.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace kmtsim::kernel {

std::optional<FencePage> FencePage::create(uint64_t initial, uint8_t* at) {
  UniqueFd fd(::memfd_create("kmtsim-fence", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return std::nullopt;
  if (::ftruncate(fd.get(), kSize) != 0) return std::nullopt;
  void* map = ::mmap(at, kSize, PROT_READ | PROT_WRITE, MAP_SHARED | (at != nullptr ? MAP_FIXED : 0), fd.get(), 0);
  if (map == MAP_FAILED) return std::nullopt;
  // From here on nobody can map it writable again, or resize it.
  auto* value = static_cast<uint64_t*>(map);
  FencePage page(std::move(fd), value, at != nullptr);
  if (::fcntl(page.fd(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) != 0)
    return std::nullopt;
  std::atomic_ref<uint64_t>(*value).store(initial, std::memory_order_release);
  return page;
}

FencePage::FencePage(FencePage&& other) noexcept
    : fd_(std::move(other.fd_)), value_(other.value_), fixed_(other.fixed_) {
  other.value_ = nullptr;
}

FencePage::~FencePage() {
  if (value_ == nullptr) return;
  if (fixed_) {
    ::mmap(value_, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  } else {
    ::munmap(value_, kSize);
  }
}

}  // namespace kmtsim::kernel
