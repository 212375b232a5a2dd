#include "connection.h"

#include "kmtsim/util/socket_path.h"
#include "kmtsim/wire/socket.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kmtsim::client {

namespace {
constexpr size_t kPage = 4096;

bool debug() {
  static const bool on = std::getenv("KMTSIM_DEBUG") != nullptr;
  return on;
}
}  // namespace

Connection& Connection::instance() {
  static Connection* c = new Connection;  // never destroyed: usable from atexit handlers
  return *c;
}

bool Connection::connect_locked() {
  const pid_t pid = ::getpid();
  const std::string path = default_socket_path();
  if (socket_ && pid_ == pid && path == path_) return true;
  if (pid_ != pid) {
    // A forked child: the parent's connection and handles are not ours.
    socket_.reset();
    mappings_.clear();
    resources_.clear();
    removed_ = false;
    pid_ = pid;
  } else if (!path_.empty() && path != path_) {
    // $KMTSIM_SOCKET names another daemon now (a tool that drives several
    // in turn): the old one's handles mean nothing there.
    socket_.reset();
    removed_ = false;
    mappings_.clear();  // their pages stay mapped
    resources_.clear();
  }
  if (removed_) return false;  // the device stays removed for this process
  UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (!s || path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc;
  do {
    rc = ::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (debug()) std::fprintf(stderr, "kmtsim: cannot reach kmtsimd at %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  socket_ = std::move(s);
  path_ = path;
  return true;
}

NTSTATUS Connection::transact(wire::Op op, std::span<const std::byte> payload, std::span<const int> fds_in,
                              std::vector<std::byte>& body, std::vector<UniqueFd>& fds) {
  std::lock_guard lock(mutex_);
  if (!connect_locked()) return STATUS_DEVICE_REMOVED;
  wire::Header header;
  header.op = static_cast<uint16_t>(op);
  header.seq = ++seq_;
  wire::Writer w;
  w(header);
  w.bytes().insert(w.bytes().end(), payload.begin(), payload.end());
  if (w.bytes().size() > wire::kMaxMessageBytes) return STATUS_INVALID_PARAMETER;
  const int rc = wire::send_packet(socket_.get(), w.bytes(), fds_in, false);
  if (rc == -EBADF) return STATUS_INVALID_HANDLE;  // a descriptor to pass was not open
  if (rc != 0) {
    remap_pages_locked();
    return STATUS_DEVICE_REMOVED;
  }
  wire::Packet packet;
  if (!scratch_) scratch_ = std::make_unique<wire::ScratchBuffer>();
  const long n = wire::recv_packet(socket_.get(), scratch_->span(), packet, false);
  if (n <= 0) {
    remap_pages_locked();
    return STATUS_DEVICE_REMOVED;
  }
  wire::Header rh;
  int32_t status = 0;
  wire::Reader r(packet.bytes);
  r(rh, status);
  if (!r.ok() || rh.magic != wire::kMagic || rh.op != header.op || rh.seq != header.seq) {
    if (debug()) std::fprintf(stderr, "kmtsim: malformed reply from kmtsimd\n");
    return STATUS_UNSUCCESSFUL;
  }
  const size_t used = packet.bytes.size() - r.remaining();
  body.assign(packet.bytes.begin() + static_cast<long>(used), packet.bytes.end());
  fds = std::move(packet.fds);
  return status;
}

int Connection::socket_fd() {
  std::lock_guard lock(mutex_);
  return socket_ && pid_ == ::getpid() ? socket_.get() : -1;
}

bool Connection::removed() {
  std::lock_guard lock(mutex_);
  return removed_ && pid_ == ::getpid();
}

void Connection::mark_removed() {
  std::lock_guard lock(mutex_);
  remap_pages_locked();
}

void Connection::remap_pages_locked() {
  removed_ = true;
  socket_.reset();
  // Device removal: every fence reads UINT64_MAX (spec §6.5), unless its
  // handle was created or opened with NoSignalMaxValueOnTdr (spec §10.7). The
  // pages are replaced in place, so pointers the application holds stay valid.
  for (auto& [handle, m] : mappings_) {
    if (!m.fence_page || m.keep_on_removal) continue;
    void* p = ::mmap(m.address, kPage, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) continue;
    *static_cast<volatile uint64_t*>(p) = UINT64_MAX;
    ::mprotect(p, kPage, PROT_READ);
  }
}

void Connection::add_mapping(uint32_t handle, uint32_t device, void* address, size_t size, bool fence_page,
                             bool keep_on_removal) {
  std::lock_guard lock(mutex_);
  mappings_[handle] = {device, address, size, fence_page, fence_page ? 0u : 1u, keep_on_removal};
}

void* Connection::mapping(uint32_t handle, bool count_lock) {
  std::lock_guard lock(mutex_);
  auto it = mappings_.find(handle);
  if (it == mappings_.end()) return nullptr;
  if (count_lock) ++it->second.locks;
  return it->second.address;
}

void Connection::remove_mapping(uint32_t handle, bool unlock) {
  std::lock_guard lock(mutex_);
  auto it = mappings_.find(handle);
  if (it == mappings_.end()) return;
  if (unlock && --it->second.locks > 0) return;
  ::munmap(it->second.address, it->second.size);
  mappings_.erase(it);
}

void Connection::add_resource(uint32_t resource, std::vector<uint32_t> allocations) {
  std::lock_guard lock(mutex_);
  resources_[resource] = std::move(allocations);
}

void Connection::forget_resource(uint32_t resource) {
  std::vector<uint32_t> allocations;
  {
    std::lock_guard lock(mutex_);
    auto it = resources_.find(resource);
    if (it == resources_.end()) return;
    allocations = std::move(it->second);
    resources_.erase(it);
  }
  for (uint32_t a : allocations) remove_mapping(a);
}

void Connection::forget_device(uint32_t device) {
  std::lock_guard lock(mutex_);
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    if (it->second.device == device) {
      ::munmap(it->second.address, it->second.size);
      it = mappings_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace kmtsim::client
