#include "kmtsim/wire/socket.h"

#include "kmtsim/wire/messages.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace kmtsim::wire {

int send_packet(int sock, std::span<const std::byte> bytes, std::span<const int> fds, bool nonblocking) {
  if (fds.size() > kMaxFds) return -EINVAL;
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (!fds.empty()) {
    std::memset(control, 0, sizeof(control));
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  const int flags = MSG_NOSIGNAL | (nonblocking ? MSG_DONTWAIT : 0);
  for (;;) {
    const ssize_t n = ::sendmsg(sock, &msg, flags);
    if (n >= 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

const char* split_packet(std::span<const std::byte> packet, Header& header, std::span<const std::byte>& payload) {
  if (packet.size() < kHeaderBytes) return "a packet shorter than the header";
  Reader head(packet.first(kHeaderBytes));
  head(header);
  if (header.magic != kMagic) return "a packet with a bad magic number";
  if (header.version != kVersion) return "a packet of another protocol version";
  payload = packet.subspan(kHeaderBytes);
  return nullptr;
}

ScratchBuffer::ScratchBuffer() : size_(kMaxMessageBytes + 1), data_(std::make_unique_for_overwrite<std::byte[]>(size_)) {}

long recv_packet(int sock, std::span<std::byte> scratch, Packet& out, bool nonblocking) {
  out.bytes.clear();
  out.fds.clear();
  iovec iov{scratch.data(), scratch.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const int flags = MSG_CMSG_CLOEXEC | (nonblocking ? MSG_DONTWAIT : 0);
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t k = 0; k < count; ++k) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
      out.fds.emplace_back(fd);
    }
  }
  // The scratch buffer is one byte longer than anything accepted.
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || static_cast<size_t>(n) >= scratch.size()) {
    out.fds.clear();
    return -EMSGSIZE;
  }
  out.bytes.assign(scratch.data(), scratch.data() + n);
  return n;
}

}  // namespace kmtsim::wire
