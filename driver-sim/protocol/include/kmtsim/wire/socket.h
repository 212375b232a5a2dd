// Packet I/O on a SOCK_SEQPACKET Unix socket with descriptors attached.
#pragma once

#include "kmtsim/util/unique_fd.h"

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace kmtsim::wire {

// Sends one packet; returns 0 or -errno. MSG_NOSIGNAL: a closed peer is EPIPE.
int send_packet(int sock, std::span<const std::byte> bytes, std::span<const int> fds, bool nonblocking);

struct Packet {
  std::vector<std::byte> bytes;
  std::vector<UniqueFd> fds;
};
// Receives one packet into `scratch` (reused between calls, at least one byte
// longer than the largest packet accepted), then copies it out. Returns its
// size, 0 when the peer closed, or -errno: -EMSGSIZE for a packet that did not
// fit or came with too many descriptors (what came with it is closed).
long recv_packet(int sock, std::span<std::byte> scratch, Packet& out, bool nonblocking);

// Splits a received packet into its header and payload. Returns nullptr, or
// what is wrong with it (a short packet, a bad magic number, another version).
const char* split_packet(std::span<const std::byte> packet, struct Header& header, std::span<const std::byte>& payload);

// A receive buffer for packets of up to kMaxMessageBytes, left uninitialised.
class ScratchBuffer {
 public:
  ScratchBuffer();
  std::span<std::byte> span() { return {data_.get(), size_}; }

 private:
  size_t size_;
  std::unique_ptr<std::byte[]> data_;
};

}  // namespace kmtsim::wire
