// Sync objects: creation (v1 and v2), legacy global opens, destruction, and
// CPU and GPU signals and waits. Monitored fences live in the device's fence
// engine; every GPU operation is a command through its command processor.
#include "event.h"
#include "internal.h"
#include "kmtsim/hw/regs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace kmtsim::kernel {

namespace reg = hw::reg;
namespace field = hw::field;

std::shared_ptr<SyncObject> Kernel::new_sync_object(uint32_t type, uint32_t flags, uint64_t initial) {
  std::shared_ptr<SyncObject> object(new SyncObject, [this](SyncObject* o) { retire_sync_object(o); });
  object->id = next_object_id_++;
  object->type = type;
  object->flags = flags;
  object->value = initial;
  object->initial = initial;
  ++live_syncs_;
  if (type != D3DDDI_MONITORED_FENCE) return object;
  // Run ring work may still name destroyed fences: letting go of it frees their slots.
  if (free_slots_.empty())
    for (auto& r : rings_) reap(*r);
  if (free_slots_.empty()) return nullptr;
  const int slot = free_slots_.front();
  // The page lies over the fence's write-back page: the device writes it.
  const uint64_t va = wb_base_ + static_cast<uint64_t>(slot) * FencePage::kSize;
  auto page = FencePage::create(initial, vram_->at(va));
  if (!page) return nullptr;
  free_slots_.pop_front();
  object->slot = slot;
  object->gpu_va = va;
  object->page.emplace(std::move(*page));
  slots_[static_cast<size_t>(slot)] = object.get();
  // The device's fence holds the value; a CPU signal (store) sets it.
  hw_.write32(reg::FENCE_WDATA_LO, static_cast<uint32_t>(initial));
  hw_.write32(reg::FENCE_WDATA_HI, static_cast<uint32_t>(initial >> 32));
  hw_.write32(reg::FENCE_SIGNAL, static_cast<uint32_t>(slot));
  hw_.run_until_idle();
  return object;
}

void Kernel::retire_sync_object(SyncObject* object) {
  for (Waiter* w : std::set<Waiter*>(object->waiters)) complete(w, kWakeObjectDestroyed);
  if (object->slot >= 0) {
    slots_[static_cast<size_t>(object->slot)] = nullptr;
    free_slots_.push_back(object->slot);
  }
  if (object->global_handle != 0) global_syncs_.erase(object->global_handle);
  --live_syncs_;
  delete object;
}

int32_t Kernel::op_create_sync_object(Ctx& c) {
  wire::CreateSyncObject2Req req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  // v1 knows mutexes and semaphores only, and shares them through a global
  // handle it does not return.
  if (req.type != D3DDDI_SYNCHRONIZATION_MUTEX && req.type != D3DDDI_SEMAPHORE) return STATUS_INVALID_PARAMETER;
  req.v1 = 1;
  req.flags = 0;
  return create_sync_object(c, req);
}

int32_t Kernel::op_create_sync_object2(Ctx& c) {
  wire::CreateSyncObject2Req req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  req.v1 = 0;
  return create_sync_object(c, req);
}

int32_t Kernel::create_sync_object(Ctx& c, const wire::CreateSyncObject2Req& req) {
  using namespace flags;
  auto* device = lookup_device(c.proc, req.device);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  if ((req.flags & ~kSyncKnown) != 0) return STATUS_INVALID_PARAMETER;
  if ((req.flags & kSyncNtSecuritySharing) != 0 && (req.flags & kSyncShared) == 0) return STATUS_INVALID_PARAMETER;
  if ((req.flags & kSyncNoSignal) != 0 && (req.flags & kSyncNoWait) != 0) return STATUS_INVALID_PARAMETER;
  size_t info_words = 0;
  switch (req.type) {
    case D3DDDI_MONITORED_FENCE: info_words = 2; break;
    case D3DDDI_SYNCHRONIZATION_MUTEX: info_words = 1; break;
    case D3DDDI_SEMAPHORE: info_words = 2; break;
    case D3DDDI_FENCE: info_words = 1; break;
    case D3DDDI_CPU_NOTIFICATION: info_words = 0; break;
    case D3DDDI_PERIODIC_MONITORED_FENCE: return STATUS_NOT_SUPPORTED;  // needs a display (VidPn target)
    default: return STATUS_INVALID_PARAMETER;
  }
  if (req.info.size() != info_words) return STATUS_INVALID_PARAMETER;
  if ((req.flags & kSyncSignalByKmd) != 0 && req.type != D3DDDI_CPU_NOTIFICATION) return STATUS_INVALID_PARAMETER;
  UniqueFd event;
  if (req.type == D3DDDI_CPU_NOTIFICATION) {
    if (c.fds_in.size() != 1 || !is_eventfd(c.fds_in[0].get())) return STATUS_INVALID_HANDLE;
    event = std::move(c.fds_in[0]);
  } else if (!c.fds_in.empty()) {
    return STATUS_INVALID_PARAMETER;
  }
  if (req.type == D3DDDI_SEMAPHORE && req.info[1] > req.info[0]) return STATUS_INVALID_PARAMETER;

  const uint64_t initial = req.type == D3DDDI_MONITORED_FENCE || req.type == D3DDDI_FENCE ? req.info[0] : 0;
  auto object = new_sync_object(req.type, req.flags, initial);
  if (!object) return STATUS_NO_MEMORY;
  object->event = std::move(event);
  object->nt_shareable = (req.flags & kSyncNtSecuritySharing) != 0;
  wire::SyncObjectRep rep;
  if (req.v1 || ((req.flags & kSyncShared) != 0 && (req.flags & kSyncNtSecuritySharing) == 0)) {
    object->global_handle = new_global_handle();
    global_syncs_[object->global_handle] = object;
    if (!req.v1) rep.shared_handle = object->global_handle;
  }
  if (object->page) {
    UniqueFd page(::fcntl(object->page->fd(), F_DUPFD_CLOEXEC, 0));
    if (!page) return STATUS_NO_MEMORY;
    c.fds_out.push_back(std::move(page));
    rep.gpu_va = object->gpu_va;
  }
  rep.handle = add_sync_ref(c.proc, SyncRef{object, *device, D3DDDI_SYNC_OBJECT_ALL_ACCESS, req.flags});
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_open_sync_object(Ctx& c) {
  wire::GlobalReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto it = global_syncs_.find(req.global);
  std::shared_ptr<SyncObject> object = it == global_syncs_.end() ? nullptr : it->second.lock();
  if (!object) return STATUS_INVALID_PARAMETER;
  wire::SyncObjectRep rep;
  rep.handle = add_sync_ref(c.proc, SyncRef{object, nullptr, D3DDDI_SYNC_OBJECT_ALL_ACCESS, 0});
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_destroy_sync_object(Ctx& c) {
  wire::HandleReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<SyncRef>(c.proc, req.handle) == nullptr) return STATUS_INVALID_PARAMETER;
  remove_handle(c.proc, req.handle);
  return STATUS_SUCCESS;
}

// --- CPU signal and wait ------------------------------------------------------------

int32_t Kernel::op_signal_from_cpu(Ctx& c) {
  using namespace flags;
  wire::SignalFromCpuReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup_device(c.proc, req.device) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.handles.empty() || req.handles.size() > limits::kMaxObjectsPerCall || req.values.size() != req.handles.size())
    return STATUS_INVALID_PARAMETER;
  if ((req.flags & ~(kSignalAtSubmission | kSignalAllowFenceRewind)) != 0) return STATUS_INVALID_PARAMETER;
  std::vector<SyncObject*> objects;
  bool denied = false;
  for (uint32_t h : req.handles) {
    auto* ref = lookup<SyncRef>(c.proc, h);
    if (ref == nullptr || ref->object->type != D3DDDI_MONITORED_FENCE || (ref->flags & kSyncNoSignal) != 0)
      return STATUS_INVALID_PARAMETER;
    denied |= options_.access_checks && (ref->access & D3DDDI_SYNC_OBJECT_SIGNAL) == 0;
    objects.push_back(ref->object.get());
  }
  if (denied) return STATUS_ACCESS_DENIED;
  for (size_t k = 0; k < objects.size(); ++k) {
    SyncObject& o = *objects[k];
    const uint64_t v = req.values[k];
    hw_.write32(reg::FENCE_WDATA_LO, static_cast<uint32_t>(v));
    hw_.write32(reg::FENCE_WDATA_HI, static_cast<uint32_t>(v >> 32));
    hw_.write32(reg::FENCE_SIGNAL, static_cast<uint32_t>(o.slot));
    Hop hop;
    hop.value = v;
    hop.submit_host_ns = c.received_host_ns;
    hop.submit_sim_ps = hw_.now_ps();
    if (options_.record_hops) o.pending_cpu.push_back(hop);
  }
  // The new values are visible to every reader when the call returns.
  hw_.run_until_idle();
  return STATUS_SUCCESS;
}

int32_t Kernel::op_wait_from_cpu(Ctx& c) {
  using namespace flags;
  wire::WaitFromCpuReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup_device(c.proc, req.device) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.handles.empty() || req.handles.size() > limits::kMaxObjectsPerCall || req.values.size() != req.handles.size())
    return STATUS_INVALID_PARAMETER;
  if ((req.flags & ~kWaitAny) != 0) return STATUS_INVALID_PARAMETER;
  auto waiter = std::make_unique<Waiter>();
  bool denied = false;
  for (size_t k = 0; k < req.handles.size(); ++k) {
    auto* ref = lookup<SyncRef>(c.proc, req.handles[k]);
    if (ref == nullptr || ref->object->type != D3DDDI_MONITORED_FENCE || (ref->flags & kSyncNoWait) != 0)
      return STATUS_INVALID_PARAMETER;
    denied |= options_.access_checks && (ref->access & D3DDDI_SYNC_OBJECT_WAIT) == 0;
    waiter->conditions.emplace_back(ref->object.get(), req.values[k]);
    waiter->handles.push_back(req.handles[k]);
  }
  if (denied) return STATUS_ACCESS_DENIED;
  if (c.fds_in.size() != 1 || !is_eventfd(c.fds_in[0].get())) return STATUS_INVALID_HANDLE;
  waiter->wait_any = (req.flags & kWaitAny) != 0;
  waiter->owner = &c.proc;
  waiter->event = std::move(c.fds_in[0]);
  if (satisfied(*waiter)) {
    // A blocking caller returns at once; an async event is signalled now.
    if (!req.blocking) signal_event(waiter->event.get(), kWakeSatisfied);
    c.out(wire::WaitFromCpuRep{1});
    return STATUS_SUCCESS;
  }
  waiter->id = next_waiter_id_++;
  Waiter* w = waiter.get();
  for (auto& [object, value] : w->conditions) object->waiters.insert(w);
  c.proc.waiters.insert(w);
  waiters_.emplace(w->id, std::move(waiter));
  c.out(wire::WaitFromCpuRep{0});
  return STATUS_SUCCESS;
}

// --- GPU signal and wait ------------------------------------------------------------

namespace {

// Checks the objects of a GPU signal or wait: monitored fences this process
// may signal (or wait on). Returns the status and fills `objects`.
int32_t gpu_objects(Process& proc, const std::vector<uint32_t>& handles, bool signal, bool access_checks,
                    std::vector<std::shared_ptr<SyncObject>>& objects) {
  bool denied = false;
  for (uint32_t h : handles) {
    auto* ref = lookup<SyncRef>(proc, h);
    if (ref == nullptr) return STATUS_INVALID_PARAMETER;
    if (ref->object->type != D3DDDI_MONITORED_FENCE) return STATUS_NOT_SUPPORTED;
    if ((ref->flags & (signal ? flags::kSyncNoSignal : flags::kSyncNoWait)) != 0) return STATUS_INVALID_PARAMETER;
    const uint32_t right = signal ? D3DDDI_SYNC_OBJECT_SIGNAL : D3DDDI_SYNC_OBJECT_WAIT;
    denied |= access_checks && (ref->access & right) == 0;
    objects.push_back(ref->object);
  }
  return denied ? STATUS_ACCESS_DENIED : STATUS_SUCCESS;
}

}  // namespace

int32_t Kernel::op_signal_from_gpu(Ctx& c) {
  wire::SignalFromGpuReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<std::shared_ptr<ContextObj>>(c.proc, req.context) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.handles.empty() || req.handles.size() > limits::kMaxObjectsPerCall || req.values.size() != req.handles.size())
    return STATUS_INVALID_PARAMETER;
  std::vector<std::shared_ptr<SyncObject>> objects;
  if (const int32_t s = gpu_objects(c.proc, req.handles, true, options_.access_checks, objects); s != STATUS_SUCCESS)
    return s;
  // The GPU work runs after the call returns: the caller does not wait for it.
  ContextObj* context = lookup<std::shared_ptr<ContextObj>>(c.proc, req.context)->get();
  std::vector<std::pair<std::shared_ptr<SyncObject>, uint64_t>> signals;
  for (size_t k = 0; k < objects.size(); ++k) signals.emplace_back(objects[k], req.values[k]);
  return signal_after({context}, signals, c.received_host_ns);
}

int32_t Kernel::op_signal_from_gpu2(Ctx& c) {
  using namespace flags;
  wire::SignalFromGpu2Req req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (req.contexts.empty() || req.contexts.size() > limits::kMaxBroadcastContexts) return STATUS_INVALID_PARAMETER;
  for (uint32_t h : req.contexts)
    if (lookup<std::shared_ptr<ContextObj>>(c.proc, h) == nullptr) return STATUS_INVALID_PARAMETER;
  if ((req.flags & ~(kSignalAtSubmission | kSignalEnqueueCpuEvent | kSignalAllowFenceRewind)) != 0)
    return STATUS_INVALID_PARAMETER;
  if ((req.flags & kSignalEnqueueCpuEvent) != 0) {
    // A CPU event set once the contexts have processed everything before it:
    // an internal fence signalled through the command queue, then a waiter.
    if (!req.handles.empty() || !req.values.empty()) return STATUS_INVALID_PARAMETER;
    if (c.fds_in.size() != 1 || !is_eventfd(c.fds_in[0].get())) return STATUS_INVALID_HANDLE;
    if (!event_fence_) {
      event_fence_ = new_sync_object(D3DDDI_MONITORED_FENCE, 0, 0);
      if (!event_fence_) return STATUS_NO_MEMORY;
    }
    const uint64_t target = ++event_fence_target_;
    auto waiter = std::make_unique<Waiter>();
    waiter->id = next_waiter_id_++;
    waiter->owner = &c.proc;
    waiter->conditions.emplace_back(event_fence_.get(), target);
    waiter->event = std::move(c.fds_in[0]);
    Waiter* w = waiter.get();
    event_fence_->waiters.insert(w);
    c.proc.waiters.insert(w);
    waiters_.emplace(w->id, std::move(waiter));
    return signal_after(contexts_of(c.proc, req.contexts), {{event_fence_, target}}, c.received_host_ns);
  }
  if (req.handles.empty() || req.handles.size() > limits::kMaxObjectsPerCall || req.values.size() != req.handles.size())
    return STATUS_INVALID_PARAMETER;
  std::vector<std::shared_ptr<SyncObject>> objects;
  if (const int32_t s = gpu_objects(c.proc, req.handles, true, options_.access_checks, objects); s != STATUS_SUCCESS)
    return s;
  // The broadcast: the signals follow the work every context queued before.
  std::vector<std::pair<std::shared_ptr<SyncObject>, uint64_t>> signals;
  for (size_t k = 0; k < objects.size(); ++k) signals.emplace_back(objects[k], req.values[k]);
  return signal_after(contexts_of(c.proc, req.contexts), signals, c.received_host_ns);
}

int32_t Kernel::op_wait_from_gpu(Ctx& c) {
  wire::WaitFromGpuReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<std::shared_ptr<ContextObj>>(c.proc, req.context) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.handles.empty() || req.handles.size() > limits::kMaxObjectsPerCall || req.values.size() != req.handles.size())
    return STATUS_INVALID_PARAMETER;
  std::vector<std::shared_ptr<SyncObject>> objects;
  if (const int32_t s = gpu_objects(c.proc, req.handles, false, options_.access_checks, objects); s != STATUS_SUCCESS)
    return s;
  // Work queued after this waits until every object reaches its value.
  Packet p;
  for (size_t k = 0; k < objects.size(); ++k) {
    const uint64_t v = req.values[k];
    p.words.push_back((uint32_t{static_cast<uint8_t>(hw::CpOpcode::WAIT)} << 24) | static_cast<uint32_t>(objects[k]->slot));
    p.words.push_back(static_cast<uint32_t>(v));
    p.words.push_back(static_cast<uint32_t>(v >> 32));
    p.refs.push_back(objects[k]);
  }
  submit(*lookup<std::shared_ptr<ContextObj>>(c.proc, req.context)->get(), std::move(p));
  return STATUS_SUCCESS;
}

int32_t Kernel::op_submit_command(Ctx& c) {
  wire::SubmitCommandReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (req.contexts.empty() || req.contexts.size() > limits::kMaxBroadcastContexts) return STATUS_INVALID_PARAMETER;
  for (uint32_t h : req.contexts)
    if (lookup<std::shared_ptr<ContextObj>>(c.proc, h) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.private_data.size() > limits::kMaxPrivateData) return STATUS_INVALID_PARAMETER;
  if ((req.flags & ~flags::kSubmitKnown) != 0) return STATUS_INVALID_PARAMETER;
  // A broadcast goes to contexts of one device (spec §9).
  const auto contexts = contexts_of(c.proc, req.contexts);
  for (const ContextObj* ctx : contexts)
    if (ctx->device != contexts.front()->device) return STATUS_INVALID_PARAMETER;
  // The command buffer: whole commands in an allocation the caller holds.
  if (req.command_length == 0 || req.command_length % 4 != 0 || req.command_length > limits::kMaxCommandBytes ||
      req.command_buffer % 4 != 0 || reach(c.proc, req.command_buffer, req.command_length, false) != STATUS_SUCCESS)
    return STATUS_INVALID_PARAMETER;
  // Taken at submission: what the process writes there later does not matter.
  Packet p;
  p.words.resize(req.command_length / 4);
  std::memcpy(p.words.data(), vram_->at(req.command_buffer), req.command_length);
  if (const int32_t s = validate_commands(c.proc, p.words); s != STATUS_SUCCESS) return s;
  for (size_t k = 0; k + 1 < contexts.size(); ++k) submit(*contexts[k], Packet(p));
  submit(*contexts.back(), std::move(p));
  return STATUS_SUCCESS;
}

}  // namespace kmtsim::kernel
