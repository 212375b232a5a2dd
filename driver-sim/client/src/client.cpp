#include "client.h"

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace kmtsim::client {

HANDLE handle_of(UniqueFd fd) {
  // Keep NT handles off the standard streams' numbers.
  int moved = fd.get() >= 3 ? fd.release() : ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  return reinterpret_cast<HANDLE>(static_cast<intptr_t>(moved));
}

Attributes read_attributes(const OBJECT_ATTRIBUTES* attributes) {
  Attributes out;
  if (attributes == nullptr) return out;
  const OBJECT_ATTRIBUTES& a = *attributes;
  const UNICODE_STRING* name = a.ObjectName;
  if (a.Length != sizeof(OBJECT_ATTRIBUTES)) {
    out.status = STATUS_INVALID_PARAMETER;
  } else if (name == nullptr) {
    if (a.RootDirectory != nullptr) out.status = STATUS_OBJECT_NAME_INVALID;
  } else if (reinterpret_cast<uintptr_t>(name->Buffer) % alignof(WCHAR) != 0) {
    out.status = STATUS_DATATYPE_MISALIGNMENT;
  } else if (name->Length % sizeof(WCHAR) != 0 || (name->Length != 0 && name->Buffer == nullptr) ||
             name->Length > name->MaximumLength) {
    out.status = STATUS_OBJECT_NAME_INVALID;
  } else if (a.RootDirectory != nullptr && name->Length != 0) {
    out.status = STATUS_INVALID_HANDLE;  // object directories are not modelled: no handle names one
  } else if (name->Length != 0) {
    out.has_name = true;
    out.attributes = a.Attributes;
    for (size_t k = 0; k < name->Length / sizeof(WCHAR); ++k) out.name.push_back(static_cast<uint32_t>(name->Buffer[k]));
  }
  return out;
}

std::optional<uint64_t> wait_event(int event, int64_t timeout_ms) {
  const int sock = conn().socket_fd();
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      timespec now{};
      clock_gettime(CLOCK_MONOTONIC, &now);
      const int64_t spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1'000'000;
      const int64_t left = timeout_ms - spent;
      if (left <= 0) return 0;
      wait_ms = static_cast<int>(std::min<int64_t>(left, INT_MAX));
    }
    pollfd fds[2] = {{event, POLLIN, 0}, {sock, 0, 0}};
    const int n = ::poll(fds, sock >= 0 ? 2 : 1, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if ((fds[0].revents & POLLIN) != 0) {
      uint64_t value = 0;
      if (::read(event, &value, sizeof(value)) == sizeof(value)) return value;
      continue;
    }
    if (sock >= 0 && (fds[1].revents & (POLLHUP | POLLERR)) != 0) {
      conn().mark_removed();
      return std::nullopt;
    }
  }
}

}  // namespace kmtsim::client
