// The daemon's front end: accepts client connections on a Unix socket, knows
// each client by its credentials (SO_PEERCRED), decodes packets into kernel
// requests and sends the replies. One io_context, no threads; the kernel is
// called on the thread that runs the io_context.
#pragma once

#include "kmtsim/daemon/seqpacket.h"
#include "kmtsim/kernel/device_access.h"
#include "kmtsim/kernel/kernel.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>

namespace kmtsim::daemon {

class Session;

// Reactor (kernel/device_access.h) on the daemon's io_context.
class AsioReactor final : public kernel::Reactor {
 public:
  explicit AsioReactor(boost::asio::io_context& io) : io_(io) {}
  ~AsioReactor() override;
  void watch_pipe_readers(int fd, std::function<void()> closed) override;
  void unwatch(int fd) override;

 private:
  boost::asio::io_context& io_;
  std::map<int, std::unique_ptr<boost::asio::posix::stream_descriptor>> watched_;
};

class Server {
 public:
  Server(boost::asio::io_context& io, kernel::Kernel& kernel, std::string socket_path);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; throws std::runtime_error with the reason when it cannot.
  void start();
  void stop();
  size_t session_count() const { return sessions_.size(); }
  const std::string& socket_path() const { return path_; }

 private:
  friend class Session;
  void accept();
  void closed(Session* session);

  boost::asio::io_context& io_;
  kernel::Kernel& kernel_;
  std::string path_;
  SeqPacketProtocol::acceptor acceptor_;
  std::map<Session*, std::shared_ptr<Session>> sessions_;
  bool listening_ = false;
};

}  // namespace kmtsim::daemon
