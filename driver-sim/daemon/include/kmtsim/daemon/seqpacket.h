// Boost.Asio has stream and datagram Unix sockets; the daemon speaks
// SOCK_SEQPACKET (message boundaries, connection-oriented, EOF on close).
#pragma once

#include <boost/asio/basic_seq_packet_socket.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/local/basic_endpoint.hpp>

#include <sys/socket.h>

namespace kmtsim::daemon {

class SeqPacketProtocol {
 public:
  using endpoint = boost::asio::local::basic_endpoint<SeqPacketProtocol>;
  using socket = boost::asio::basic_seq_packet_socket<SeqPacketProtocol>;
  using acceptor = boost::asio::basic_socket_acceptor<SeqPacketProtocol>;

  int type() const noexcept { return SOCK_SEQPACKET; }
  int protocol() const noexcept { return 0; }
  int family() const noexcept { return AF_UNIX; }
};

}  // namespace kmtsim::daemon
