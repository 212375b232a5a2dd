// Keyed mutexes (spec §7): device-less, owned through one local handle at a
// time, acquired by key, released to a key with a fence value. A blocked
// acquire is a ticket: the library waits on its event, then collects the
// outcome, or withdraws the ticket when its timeout passes (whichever
// happened first in the kernel wins). Destroying the owning handle (or the
// owning process going away) abandons the mutex for good.
#include "event.h"
#include "internal.h"

#include <algorithm>

namespace kmtsim::kernel {

std::shared_ptr<KeyedMutex> Kernel::new_keyed_mutex() {
  std::shared_ptr<KeyedMutex> m(new KeyedMutex, [this](KeyedMutex* p) {
    if (p->global_handle != 0) global_mutexes_.erase(p->global_handle);
    delete p;
  });
  return m;
}

int32_t Kernel::op_create_keyed_mutex(Ctx& c) {
  wire::CreateKeyedMutexReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if ((req.flags & ~flags::kMutexNtSecuritySharing) != 0 || (!req.v2 && req.flags != 0)) return STATUS_INVALID_PARAMETER;
  if (!req.v2 && !req.runtime_data.empty()) return STATUS_INVALID_PARAMETER;
  if (req.runtime_data.size() > limits::kMaxPrivateData) return STATUS_INVALID_PARAMETER;
  auto m = new_keyed_mutex();
  m->key = req.initial_key;
  m->runtime_data = req.runtime_data;
  m->nt_shareable = (req.flags & flags::kMutexNtSecuritySharing) != 0;
  wire::KeyedMutexRep rep;
  if (!m->nt_shareable) {
    m->global_handle = new_global_handle();
    global_mutexes_[m->global_handle] = m;
    rep.global = m->global_handle;
  }
  rep.handle = new_handle(c.proc);
  rep.runtime_data_size = static_cast<uint32_t>(m->runtime_data.size());
  c.proc.handles.emplace(rep.handle, MutexRef{std::move(m)});
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::open_keyed_mutex(Ctx& c, const std::shared_ptr<KeyedMutex>& mutex, const wire::OpenKeyedMutexReq& req) {
  // Private data (OpenKeyedMutex2): a size needs a buffer, and a buffer must
  // hold what is stored. The data itself is not copied (Windows does not).
  if (req.runtime_data_size != 0 && !req.has_buffer) return STATUS_INVALID_PARAMETER;
  if (req.has_buffer && req.runtime_data_size != 0 && req.runtime_data_size < mutex->runtime_data.size())
    return STATUS_INVALID_PARAMETER;
  wire::KeyedMutexRep rep;
  rep.handle = new_handle(c.proc);
  rep.runtime_data_size = static_cast<uint32_t>(mutex->runtime_data.size());
  c.proc.handles.emplace(rep.handle, MutexRef{mutex});
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_open_keyed_mutex(Ctx& c) {
  wire::OpenKeyedMutexReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto it = global_mutexes_.find(req.global);
  std::shared_ptr<KeyedMutex> m = it == global_mutexes_.end() ? nullptr : it->second.lock();
  if (!m) return STATUS_INVALID_PARAMETER;
  return open_keyed_mutex(c, m, req);
}

int32_t Kernel::op_open_keyed_mutex_from_nt(Ctx& c) {
  wire::OpenKeyedMutexReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (c.fds_in.size() != 1) return STATUS_INVALID_HANDLE;
  auto handle = nt_handle_from_fd(c.fds_in[0].get());
  if (!handle) return STATUS_INVALID_HANDLE;
  // A keyed mutex is shared only inside a resource's NT object (the
  // resource, keyed mutex and sync object shape): that object's mutex opens.
  const auto& object = *handle->object;
  if (object.type != NtObject::Type::Resource || !object.mutex) return STATUS_OBJECT_TYPE_MISMATCH;
  if (options_.access_checks && (handle->access & STANDARD_RIGHTS_READ) == 0) return STATUS_ACCESS_DENIED;
  return open_keyed_mutex(c, object.mutex, req);
}

void Kernel::finish_ticket(AcquireTicket* ticket, int32_t result) {
  auto& queue = ticket->mutex->waiting;
  queue.erase(std::remove(queue.begin(), queue.end(), ticket), queue.end());
  ticket->result = result;
  signal_event(ticket->event.get(), 1);
}

void Kernel::grant(KeyedMutex& mutex) {
  if (mutex.owner != nullptr || mutex.abandoned) return;
  for (AcquireTicket* t : mutex.waiting) {
    if (t->key != mutex.key) continue;
    // One waiter for the key gets it; the others go on waiting (spec §7).
    mutex.owner = t->owner;
    mutex.owner_handle = t->handle;
    t->fence_value = mutex.fence_value;
    t->runtime_data.assign(mutex.runtime_data.begin(),
                           mutex.runtime_data.begin() +
                               static_cast<long>(std::min<size_t>(t->data_size, mutex.runtime_data.size())));
    finish_ticket(t, STATUS_SUCCESS);
    return;
  }
}

void Kernel::abandon(KeyedMutex& mutex) {
  mutex.abandoned = true;
  mutex.owner = nullptr;
  mutex.owner_handle = 0;
  while (!mutex.waiting.empty()) finish_ticket(mutex.waiting.front(), STATUS_ABANDONED);
}

int32_t Kernel::op_acquire_keyed_mutex(Ctx& c) {
  wire::AcquireKeyedMutexReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* ref = lookup<MutexRef>(c.proc, req.handle);
  if (ref == nullptr) return STATUS_INVALID_PARAMETER;
  KeyedMutex& m = *ref->mutex;
  wire::AcquireKeyedMutexRep rep;
  // Abandoned, timed out: FenceValue comes back as 0 (Windows).
  if (m.abandoned) {
    c.out(rep);
    return STATUS_ABANDONED;
  }
  if (m.owner == nullptr && m.key == req.key) {
    m.owner = &c.proc;
    m.owner_handle = req.handle;
    rep.fence_value = m.fence_value;
    rep.runtime_data.assign(m.runtime_data.begin(),
                            m.runtime_data.begin() +
                                static_cast<long>(std::min<size_t>(req.runtime_data_size, m.runtime_data.size())));
    c.out(rep);
    return STATUS_SUCCESS;
  }
  if (req.poll) {
    c.out(rep);
    return STATUS_TIMEOUT;
  }
  if (c.fds_in.size() != 1 || !is_eventfd(c.fds_in[0].get())) return STATUS_INVALID_HANDLE;
  auto ticket = std::make_unique<AcquireTicket>();
  ticket->id = next_ticket_++;
  ticket->mutex = ref->mutex;
  ticket->owner = &c.proc;
  ticket->handle = req.handle;
  ticket->key = req.key;
  ticket->data_size = req.runtime_data_size;
  ticket->event = std::move(c.fds_in[0]);
  ticket->result = STATUS_PENDING;
  m.waiting.push_back(ticket.get());
  rep.ticket = ticket->id;
  c.proc.tickets.emplace(ticket->id, std::move(ticket));
  c.out(rep);
  return STATUS_PENDING;
}

int32_t Kernel::op_acquire_keyed_mutex_finish(Ctx& c) {
  wire::AcquireFinishReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto it = c.proc.tickets.find(req.ticket);
  if (it == c.proc.tickets.end()) return STATUS_INVALID_PARAMETER;
  AcquireTicket& t = *it->second;
  wire::AcquireKeyedMutexRep rep;
  rep.ticket = t.id;
  int32_t status = t.result;
  if (status == STATUS_PENDING) {
    if (!req.cancel) {
      c.out(rep);
      return STATUS_PENDING;  // not decided yet: wait on
    }
    // The timeout passed before anything was decided.
    auto& queue = t.mutex->waiting;
    queue.erase(std::remove(queue.begin(), queue.end(), &t), queue.end());
    status = STATUS_TIMEOUT;
  } else if (status == STATUS_SUCCESS) {
    rep.fence_value = t.fence_value;
    rep.runtime_data = std::move(t.runtime_data);
  }
  c.proc.tickets.erase(it);
  c.out(rep);
  return status;
}

int32_t Kernel::op_release_keyed_mutex(Ctx& c) {
  wire::ReleaseKeyedMutexReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* ref = lookup<MutexRef>(c.proc, req.handle);
  if (ref == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.runtime_data.size() > limits::kMaxPrivateData) return STATUS_INVALID_PARAMETER;
  KeyedMutex& m = *ref->mutex;
  if (m.abandoned) return STATUS_ABANDONED;
  // Only the owner releases: ownership is per local handle (spec §7, [I]).
  if (m.owner != &c.proc || m.owner_handle != req.handle) return STATUS_INVALID_PARAMETER;
  m.key = req.key;
  m.fence_value = req.fence_value;
  if (req.set_data) m.runtime_data = req.runtime_data;
  m.owner = nullptr;
  m.owner_handle = 0;
  grant(m);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_destroy_keyed_mutex(Ctx& c) {
  wire::HandleReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<MutexRef>(c.proc, req.handle) == nullptr) return STATUS_INVALID_PARAMETER;
  remove_handle(c.proc, req.handle);
  return STATUS_SUCCESS;
}

}  // namespace kmtsim::kernel
