// What the client library's source files share.
#pragma once

#include "connection.h"
#include "d3dkmthk.h"
#include "kmtsim/wire/messages.h"

#include <fcntl.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

namespace kmtsim::client {

constexpr UINT kMaxObjectsPerCall = 32;
constexpr size_t kPage = 4096;
constexpr size_t kMaxPrivateData = 64 * 1024;
constexpr size_t kMaxEscapeData = 128 * 1024;
constexpr UINT kMaxAllocations = 1024;  // D3DKMT_CREATEALLOCATION_MAX
// Wake codes kmtsimd writes to a blocking wait's event.
constexpr uint64_t kWakeDeviceRemoved = 3;

inline Connection& conn() { return Connection::instance(); }

template <typename T>
uint32_t bits_of(const T& flags) {
  static_assert(sizeof(T) == sizeof(uint32_t));
  uint32_t v;
  std::memcpy(&v, &flags, sizeof(v));
  return v;
}

inline int fd_of(HANDLE h) { return static_cast<int>(reinterpret_cast<intptr_t>(h)); }

inline bool is_open_fd(HANDLE h) {
  const intptr_t v = reinterpret_cast<intptr_t>(h);
  return v > 0 && v <= INT32_MAX && ::fcntl(static_cast<int>(v), F_GETFD) != -1;
}

// An NT handle of this process for a descriptor received from the daemon.
HANDLE handle_of(UniqueFd fd);

// Copies `count` items of a caller's array; false when it is missing.
template <typename T, typename U>
bool copy_array(const T* array, UINT count, std::vector<U>& out) {
  if (count != 0 && array == nullptr) return false;
  out.assign(array, array + count);
  return true;
}

// OBJECT_ATTRIBUTES as the library sees them (only it can read the caller's
// buffers): a status for malformed ones, else the name, if any.
struct Attributes {
  NTSTATUS status = STATUS_SUCCESS;
  bool has_name = false;
  uint32_t attributes = 0;
  std::vector<uint32_t> name;
};
Attributes read_attributes(const OBJECT_ATTRIBUTES* attributes);

// Waits for `event` (an eventfd) to be signalled, noticing the daemon going
// away. timeout_ms < 0 waits for ever. Returns the value read, 0 on timeout,
// or nothing when the daemon is gone.
std::optional<uint64_t> wait_event(int event, int64_t timeout_ms);

}  // namespace kmtsim::client
