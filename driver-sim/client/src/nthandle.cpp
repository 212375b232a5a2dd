#include "kmtsim/nthandle.h"

#include "kmtsim/util/unique_fd.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

extern "C" int KmtsimSendNtHandle(int socket_fd, HANDLE handle, UINT64 tag) {
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(handle));
  iovec iov{&tag, sizeof(tag)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  for (;;) {
    if (::sendmsg(socket_fd, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof(tag))) return 0;
    if (errno != EINTR) return -errno;
  }
}

extern "C" int KmtsimReceiveNtHandle(int socket_fd, HANDLE* handle, UINT64* tag) {
  if (handle == nullptr) return -EINVAL;
  UINT64 value = 0;
  iovec iov{&value, sizeof(value)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  if (n == 0) return -ECONNRESET;
  int received = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t k = 0; k < count; ++k) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
      if (received < 0) received = fd;
      else kmtsim::UniqueFd extra(fd);  // only one is expected
    }
  }
  if (received < 0 || n != sizeof(value)) {
    kmtsim::UniqueFd drop(received);
    return -EPROTO;
  }
  *handle = reinterpret_cast<HANDLE>(static_cast<intptr_t>(received));
  if (tag != nullptr) *tag = value;
  return 0;
}
