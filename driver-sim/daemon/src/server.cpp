#include "kmtsim/daemon/server.h"

#include "kmtsim/util/clock.h"
#include "kmtsim/wire/messages.h"
#include "kmtsim/wire/socket.h"
#include "ntstatus.h"

#include <boost/asio/post.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <stdexcept>

namespace kmtsim::daemon {

namespace asio = boost::asio;

// --- Reactor ---------------------------------------------------------------------

AsioReactor::~AsioReactor() {
  for (auto& [fd, d] : watched_) d->release();
}

void AsioReactor::watch_pipe_readers(int fd, std::function<void()> closed) {
  auto d = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  // The write end of a pipe reports an error condition once no reader is left.
  d->async_wait(asio::posix::stream_descriptor::wait_error,
                [this, fd, closed = std::move(closed)](const boost::system::error_code& ec) {
                  if (ec == asio::error::operation_aborted || !watched_.contains(fd)) return;
                  closed();
                });
  watched_[fd] = std::move(d);
}

void AsioReactor::unwatch(int fd) {
  auto it = watched_.find(fd);
  if (it == watched_.end()) return;
  boost::system::error_code ignored;
  it->second->cancel(ignored);
  it->second->release();  // the kernel owns the descriptor
  watched_.erase(it);
}

// --- Session ---------------------------------------------------------------------

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server& server, SeqPacketProtocol::socket socket) : server_(server), socket_(std::move(socket)) {}

  void start() {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      close();
      return;
    }
    socket_.non_blocking(true);
    process_pid_ = cred.pid;
    process_ = server_.kernel_.attach(cred.pid, cred.uid);
    wait_readable();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    server_.kernel_.detach(process_);
    process_ = nullptr;
    boost::system::error_code ignored;
    socket_.close(ignored);
    server_.closed(this);
  }

 private:
  void wait_readable() {
    socket_.async_wait(SeqPacketProtocol::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         if (ec) return self->close();
                         self->on_readable();
                       });
  }

  void on_readable() {
    // One packet per turn of the event loop, so that the device work it
    // starts, other clients and the simulation all get their turn in between.
    if (closed_) return;
    wire::Packet packet;
    const long n = wire::recv_packet(socket_.native_handle(), scratch_.span(), packet, true);
    if (n == -EAGAIN || n == -EWOULDBLOCK) return wait_readable();
    if (n == -EMSGSIZE) {
      std::fprintf(stderr, "kmtsimd: pid %d sent a packet over %zu bytes; dropped\n", pid(), wire::kMaxMessageBytes);
    } else if (n <= 0) {
      return close();
    } else {
      handle_packet(packet);
    }
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_readable(); });
  }

  void handle_packet(wire::Packet& packet) {
    const uint64_t received = host_now_ns();
    wire::Header header;
    std::span<const std::byte> payload;
    if (const char* why = wire::split_packet(packet.bytes, header, payload)) return protocol_error(why);
    kernel::Kernel::Request request;
    request.op = static_cast<wire::Op>(header.op);
    request.payload = payload;
    request.fds = std::move(packet.fds);
    request.received_host_ns = received;
    kernel::Kernel::Reply reply = server_.kernel_.handle(*process_, std::move(request));
    if (closed_) return;

    wire::Writer out;
    out(header, reply.status);
    auto& bytes = out.bytes();
    const auto& body = reply.body.bytes();
    bytes.insert(bytes.end(), body.begin(), body.end());
    // Sent from the event loop, after the device work this request started
    // has run: a reply wakes its sender, and on a virtual machine that costs
    // the sender tens of microseconds that would otherwise sit on the path
    // from the device's interrupt to the waiting process.
    boost::asio::post(socket_.get_executor(), [self = shared_from_this(), bytes = std::move(bytes),
                                               fds = std::move(reply.fds)]() mutable {
      self->send(std::move(bytes), std::move(fds));
    });
  }

  void protocol_error(const char* what) {
    std::fprintf(stderr, "kmtsimd: pid %d sent %s; closing its connection\n", pid(), what);
    close();
  }

  void send(std::vector<std::byte> bytes, std::vector<UniqueFd> fds) {
    outgoing_.push_back({std::move(bytes), std::move(fds)});
    if (outgoing_.size() == 1) flush();
  }

  void flush() {
    while (!outgoing_.empty() && !closed_) {
      Outgoing& o = outgoing_.front();
      std::vector<int> fds;
      for (auto& fd : o.fds) fds.push_back(fd.get());
      const int rc = wire::send_packet(socket_.native_handle(), o.bytes, fds, true);
      if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
        if (outgoing_.size() > kMaxQueuedReplies) return protocol_error("no reads while its replies piled up");
        socket_.async_wait(SeqPacketProtocol::socket::wait_write,
                           [self = shared_from_this()](const boost::system::error_code& ec) {
                             if (ec) return self->close();
                             self->flush();
                           });
        return;
      }
      if (rc != 0) return close();
      outgoing_.pop_front();  // closes our copies of the descriptors sent
    }
  }

  int pid() const { return static_cast<int>(process_pid_); }

  struct Outgoing {
    std::vector<std::byte> bytes;
    std::vector<UniqueFd> fds;
  };
  static constexpr size_t kMaxQueuedReplies = 1024;

  Server& server_;
  SeqPacketProtocol::socket socket_;
  kernel::Process* process_ = nullptr;
  pid_t process_pid_ = 0;
  std::deque<Outgoing> outgoing_;
  wire::ScratchBuffer scratch_;
  bool closed_ = false;
};

// --- Server ----------------------------------------------------------------------

Server::Server(asio::io_context& io, kernel::Kernel& kernel, std::string socket_path)
    : io_(io), kernel_(kernel), path_(std::move(socket_path)), acceptor_(io) {}

Server::~Server() { stop(); }

void Server::start() {
  if (path_.size() >= sizeof(sockaddr_un::sun_path))
    throw std::runtime_error("socket path too long (" + std::to_string(path_.size()) + " bytes): " + path_);
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path_ + " exists and is not a socket");
    // A socket nobody answers on is left over from a daemon that died.
    SeqPacketProtocol::socket probe(io_);
    boost::system::error_code ec;
    probe.connect(SeqPacketProtocol::endpoint(path_), ec);
    if (!ec) throw std::runtime_error("another kmtsimd is serving " + path_);
    ::unlink(path_.c_str());
  }
  acceptor_.open(SeqPacketProtocol());
  acceptor_.bind(SeqPacketProtocol::endpoint(path_));
  acceptor_.listen(128);
  listening_ = true;
  accept();
}

void Server::stop() {
  if (listening_) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    ::unlink(path_.c_str());
    listening_ = false;
  }
  while (!sessions_.empty()) sessions_.begin()->second->close();
}

void Server::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, SeqPacketProtocol::socket socket) {
    if (ec == asio::error::operation_aborted || !listening_) return;
    if (!ec) {
      auto session = std::make_shared<Session>(*this, std::move(socket));
      sessions_[session.get()] = session;
      session->start();
    } else {
      std::fprintf(stderr, "kmtsimd: accept failed: %s\n", ec.message().c_str());
    }
    accept();
  });
}

void Server::closed(Session* session) {
  // Keep the session alive until its handlers have unwound.
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  std::shared_ptr<Session> keep = std::move(it->second);
  sessions_.erase(it);
  asio::post(io_, [keep] {});
}

}  // namespace kmtsim::daemon
