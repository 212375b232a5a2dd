// The client library's one connection per process to kmtsimd, found through
// $KMTSIM_SOCKET. Calls from any number of threads are serialised on it; a
// child made by fork() opens its own (it has no handles of its parent's).
// Once the daemon is gone every call returns STATUS_DEVICE_REMOVED.
#pragma once

#include "kmtsim/util/unique_fd.h"
#include "kmtsim/wire/messages.h"
#include "kmtsim/wire/socket.h"
#include "ntstatus.h"

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>
#include <vector>

namespace kmtsim::client {

class Connection {
 public:
  static Connection& instance();

  // One request and its reply. `reply` is decoded only when the status is a
  // success; descriptors that come back land in `fds_out`.
  template <typename Req, typename Rep>
  NTSTATUS call(wire::Op op, const Req& request, Rep* reply, std::span<const int> fds_in = {},
                std::vector<UniqueFd>* fds_out = nullptr) {
    wire::Writer w;
    w(request);
    std::vector<std::byte> body;
    std::vector<UniqueFd> fds;
    const NTSTATUS status = transact(op, w.bytes(), fds_in, body, fds);
    if (!NT_SUCCESS(status)) return status;
    if (reply != nullptr) {
      wire::Reader r(body);
      r(*reply);
      if (!r.finish()) return STATUS_UNSUCCESSFUL;
    }
    if (fds_out != nullptr) *fds_out = std::move(fds);
    return status;
  }

  // The socket, for a waiting thread to notice the daemon going away (-1 when
  // there is none).
  int socket_fd();
  bool removed();
  // The daemon went away: from now on every call fails and every fence page
  // reads UINT64_MAX, but for the handles created or opened with
  // NoSignalMaxValueOnTdr, whose pages keep their last value.
  void mark_removed();

  // Memory the library mapped into this process: fence pages (by sync
  // object handle) and locked allocations (by allocation handle).
  void add_mapping(uint32_t handle, uint32_t device, void* address, size_t size, bool fence_page,
                   bool keep_on_removal = false);
  // The mapping of a handle, if any (a second Lock2 reuses it).
  void* mapping(uint32_t handle, bool count_lock);
  // Unmaps (for an allocation: once its last lock is undone).
  void remove_mapping(uint32_t handle, bool unlock = false);
  // The allocations of a resource, unmapped when it goes.
  void add_resource(uint32_t resource, std::vector<uint32_t> allocations);
  void forget_resource(uint32_t resource);
  // Everything mapped for objects of a device that was destroyed.
  void forget_device(uint32_t device);

 private:
  Connection() = default;
  NTSTATUS transact(wire::Op op, std::span<const std::byte> payload, std::span<const int> fds_in,
                    std::vector<std::byte>& body, std::vector<UniqueFd>& fds);
  bool connect_locked();
  void remap_pages_locked();

  std::mutex mutex_;
  UniqueFd socket_;
  std::string path_;  // the daemon's socket
  pid_t pid_ = 0;
  uint32_t seq_ = 0;
  bool removed_ = false;
  struct Mapping {
    uint32_t device;
    void* address;
    size_t size;
    bool fence_page;
    uint32_t locks;
    bool keep_on_removal;  // a fence page of a NoSignalMaxValueOnTdr handle
  };
  std::map<uint32_t, Mapping> mappings_;
  std::map<uint32_t, std::vector<uint32_t>> resources_;
  std::unique_ptr<wire::ScratchBuffer> scratch_;
};

}  // namespace kmtsim::client
