#include "kmtsim/kernel/kernel.h"

#include "event.h"
#include "kmtsim/escape.h"
#include "kmtsim/hw/regs.h"
#include "kmtsim/util/clock.h"
#include "objects.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cwctype>
#include <new>
#include <stdexcept>

namespace kmtsim::kernel {

namespace reg = hw::reg;
namespace field = hw::field;
using wire::Op;

namespace {

// Flag bits of the D3DDDI/D3DKMT unions, as masks.
constexpr uint32_t kSyncShared = 0x1;
constexpr uint32_t kSyncNtSecuritySharing = 0x2;
constexpr uint32_t kSyncNoSignal = 0x10;
constexpr uint32_t kSyncNoWait = 0x20;
constexpr uint32_t kSyncNoSignalMaxValueOnTdr = 0x40;
constexpr uint32_t kSyncSignalByKmd = 0x100;
constexpr uint32_t kSyncUnused = 0x200;
constexpr uint32_t kSyncUnwaitOnlyOnDestroy = 0x400;
constexpr uint32_t kSyncKnownFlags = 0x7FF & ~kSyncUnused;

constexpr uint32_t kSignalAtSubmission = 0x1;
constexpr uint32_t kSignalEnqueueCpuEvent = 0x2;
constexpr uint32_t kSignalAllowFenceRewind = 0x4;
constexpr uint32_t kWaitAny = 0x1;
constexpr uint32_t kCreateDeviceKnownFlags = 0xF;  // LegacyMode, RequestVSync, DisableGpuTimeout, TestDevice

constexpr uint32_t kMaxObjectsPerCall = 32;  // D3DDDI_MAX_OBJECT_WAITED_ON / _SIGNALED; spec §10.5
constexpr uint32_t kNumNodes = 1;
constexpr uint32_t kEnumAdaptersMax = 32;             // engines with a command queue
constexpr size_t kMaxPrivateData = 64 * 1024;
constexpr size_t kMaxNameUnits = 32767;        // UNICODE_STRING.Length is a USHORT of bytes

// Waiter completion codes written to the wake event (the library reads them).
constexpr uint64_t kWakeSatisfied = 1;
constexpr uint64_t kWakeObjectDestroyed = 2;
constexpr uint64_t kWakeDeviceRemoved = 3;

constexpr uint64_t kGpuVaBase = 0x0000'0001'0000'0000ull;  // fence pages in the GPU VA space

uint32_t map_sync_generic(uint32_t access) {
  if (access & GENERIC_READ) access |= STANDARD_RIGHTS_READ | D3DDDI_SYNC_OBJECT_WAIT;
  if (access & GENERIC_WRITE) access |= STANDARD_RIGHTS_WRITE | D3DDDI_SYNC_OBJECT_SIGNAL;
  if (access & GENERIC_EXECUTE) access |= STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE;
  if (access & GENERIC_ALL) access |= D3DDDI_SYNC_OBJECT_ALL_ACCESS;
  return access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
}

std::u32string fold_name(const std::vector<uint32_t>& units) {
  std::u32string out;
  out.reserve(units.size());
  for (uint32_t u : units) out.push_back(static_cast<char32_t>(std::towlower(static_cast<wint_t>(u))));
  return out;
}

template <typename T>
T* lookup(Process& p, uint32_t handle) {
  auto it = p.handles.find(handle);
  if (it == p.handles.end()) return nullptr;
  return std::get_if<T>(&it->second);
}

}  // namespace

// One call in progress: its process, its decoded input and its output.
struct Kernel::Ctx {
  Process& proc;
  wire::Reader in;
  wire::Writer& out;
  std::vector<UniqueFd>& fds_in;
  std::vector<UniqueFd>& fds_out;
  uint64_t received_host_ns;

  // Decodes the whole request; false when it is malformed.
  template <typename T>
  bool read(T& request) {
    request.io(in);
    return in.finish();
  }
};

const Kernel::Handler Kernel::kHandlers[] = {
    nullptr,
    &Kernel::op_hello,
    &Kernel::op_enum_adapters2,
    &Kernel::op_open_adapter_from_luid,
    &Kernel::op_close_adapter,
    &Kernel::op_create_device,
    &Kernel::op_destroy_device,
    &Kernel::op_create_context_virtual,
    &Kernel::op_destroy_context,
    &Kernel::op_create_sync_object2,
    &Kernel::op_open_sync_from_nt,
    &Kernel::op_open_sync_from_nt2,
    &Kernel::op_destroy_sync_object,
    &Kernel::op_share_objects,
    &Kernel::op_signal_from_cpu,
    &Kernel::op_wait_from_cpu,
    &Kernel::op_signal_from_gpu,
    &Kernel::op_escape,
};

Kernel::Kernel(DeviceAccess& hw, Reactor& reactor, const KernelOptions& options)
    : hw_(hw), reactor_(reactor), options_(options), rng_(options.seed != 0 ? options.seed : std::random_device{}()) {
  adapter_ = std::make_shared<Adapter>(Adapter{options.luid_low, options.luid_high});
}

Kernel::~Kernel() {
  for (auto& [key, handle] : nt_by_inode_) reactor_.unwatch(handle->write_end.get());
  nt_by_inode_.clear();
  waiters_.clear();
  processes_.clear();
}

void Kernel::start() {
  hw_.run_until_idle();  // the fence table clears after reset
  if (hw_.read32(reg::ID) != hw::kIdMagic) throw std::runtime_error("no kmtsim device answers at the register window");
  const uint32_t caps = hw_.read32(reg::CAPS);
  num_fences_ = field::CAPS_NUM_FENCES.get(caps);
  cp_queue_depth_ = field::CAPS_CP_FIFO_DEPTH.get(caps);
  slots_.assign(num_fences_, nullptr);
  free_slots_.clear();
  for (unsigned k = 0; k < num_fences_; ++k) free_slots_.push_back(static_cast<int>(k));
  hw_.write32(reg::IRQ_ENABLE, field::IRQ_ENABLE_FENCE.mask() | field::IRQ_ENABLE_OVERFLOW.mask() |
                                   field::IRQ_ENABLE_CP_ERROR.mask());
}

// --- Processes and handles ---------------------------------------------------

Process* Kernel::attach(pid_t pid, uid_t uid) {
  auto p = std::make_unique<Process>();
  p->id = next_process_id_++;
  p->pid = pid;
  p->uid = uid;
  // Handles grow by 0x40 from a per-process random start, so that a handle
  // value copied from another process almost never names an object here.
  p->next_index = 1 + static_cast<uint32_t>(rng_() % (1u << 20));
  Process* raw = p.get();
  processes_.emplace(raw->id, std::move(p));
  return raw;
}

void Kernel::detach(Process* process) {
  if (process == nullptr) return;
  auto it = processes_.find(process->id);
  if (it == processes_.end()) return;
  for (Waiter* w : std::set<Waiter*>(process->waiters)) cancel_waiter(w);
  process->handles.clear();  // releases the references; objects nobody else holds retire
  processes_.erase(it);
}

uint32_t Kernel::new_handle(Process& process) {
  // Local handles: bits 31:30 not both zero, bits 5:0 zero, each new one the
  // previous plus 0x40 whatever its type (spec §1.4).
  if (process.next_index >= (1u << 23)) process.next_index = 1;
  return 0x4000'0000u | (process.next_index++ << 6);
}

void Kernel::remove_handle(Process& process, uint32_t handle) {
  auto it = process.handles.find(handle);
  if (it == process.handles.end()) return;
  // CPU waiters through this handle wake when it is destroyed, unless the
  // object was made to release them only when it is finally destroyed.
  for (Waiter* w : std::set<Waiter*>(process.waiters)) {
    if (std::find(w->handles.begin(), w->handles.end(), handle) == w->handles.end()) continue;
    const auto* ref = std::get_if<SyncRef>(&it->second);
    if (ref != nullptr && (ref->object->flags & kSyncUnwaitOnlyOnDestroy) != 0) continue;
    complete(w, kWakeObjectDestroyed);
  }
  // Out of the table first, then released: releasing may retire the object.
  auto node = process.handles.extract(it);
}

// --- Sync objects --------------------------------------------------------------

std::shared_ptr<SyncObject> Kernel::new_sync_object(uint32_t type, uint32_t flags, uint64_t initial) {
  if (free_slots_.empty()) return nullptr;
  auto page = FencePage::create(initial);
  if (!page) return nullptr;
  const int slot = free_slots_.front();
  free_slots_.pop_front();
  std::shared_ptr<SyncObject> object(new SyncObject, [this](SyncObject* o) { retire_sync_object(o); });
  object->id = next_object_id_++;
  object->type = type;
  object->flags = flags;
  object->slot = slot;
  object->gpu_va = kGpuVaBase + static_cast<uint64_t>(slot) * FencePage::kSize;
  object->value = initial;
  object->page.emplace(std::move(*page));
  slots_[static_cast<size_t>(slot)] = object.get();
  ++live_syncs_;
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
  if (object->global_handle != 0) globals_.erase(object->global_handle);
  --live_syncs_;
  delete object;
}

// --- NT handles ----------------------------------------------------------------

int32_t Kernel::new_nt_handle(const std::shared_ptr<NtObject>& object, uint32_t access, UniqueFd& read_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return STATUS_NO_MEMORY;
  UniqueFd r(fds[0]), w(fds[1]);
  struct stat st {};
  if (::fstat(r.get(), &st) != 0) return STATUS_NO_MEMORY;
  auto handle = std::make_shared<NtHandle>();
  handle->object = object;
  handle->access = access;
  handle->write_end = std::move(w);
  handle->dev = st.st_dev;
  handle->ino = st.st_ino;
  const auto key = std::make_pair(st.st_dev, st.st_ino);
  nt_by_inode_[key] = handle;
  reactor_.watch_pipe_readers(handle->write_end.get(), [this, key] { close_nt_handle(key); });
  read_end = std::move(r);
  return STATUS_SUCCESS;
}

void Kernel::close_nt_handle(const std::pair<dev_t, ino_t>& key) {
  auto it = nt_by_inode_.find(key);
  if (it == nt_by_inode_.end()) return;
  std::shared_ptr<NtHandle> handle = std::move(it->second);
  nt_by_inode_.erase(it);
  reactor_.unwatch(handle->write_end.get());
  // The name lives as long as some NT handle to the object is open.
  if (handle->object.use_count() == 1 && !handle->object->name.empty()) names_.erase(handle->object->name);
}

std::shared_ptr<NtHandle> Kernel::nt_handle_from_fd(int fd) {
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return nullptr;
  auto it = nt_by_inode_.find({st.st_dev, st.st_ino});
  return it == nt_by_inode_.end() ? nullptr : it->second;
}

// --- Requests --------------------------------------------------------------------

Kernel::Reply Kernel::handle(Process& process, Request&& request) {
  static_assert(std::size(kHandlers) == static_cast<size_t>(Op::Count_), "one handler per opcode");
  Reply reply;
  ++stats_.requests;
  const auto index = static_cast<size_t>(request.op);
  if (index == 0 || index >= std::size(kHandlers)) {
    reply.status = STATUS_NOT_IMPLEMENTED;
    return reply;
  }
  if (removed_ && request.op != Op::Hello) {
    reply.status = STATUS_DEVICE_REMOVED;
    return reply;
  }
  Ctx ctx{process, wire::Reader(request.payload), reply.body, request.fds, reply.fds, request.received_host_ns};
  try {
    reply.status = (this->*kHandlers[index])(ctx);
  } catch (const std::bad_alloc&) {
    reply.status = STATUS_NO_MEMORY;
  }
  if (!NT_SUCCESS(reply.status)) {
    reply.body = wire::Writer();
    reply.fds.clear();
  }
  return reply;
}

int32_t Kernel::op_hello(Ctx& c) {
  wire::HelloReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (req.client_version != wire::kVersion) return STATUS_NOT_SUPPORTED;
  wire::HelloRep rep;
  rep.backend = options_.backend_id;
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_enum_adapters2(Ctx& c) {
  wire::EnumAdapters2Req req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  wire::EnumAdapters2Rep rep;
  // Asked with no array, Windows answers with the most adapters it would
  // return (32 on Windows 10), not with how many there are.
  rep.count = req.query_only ? kEnumAdaptersMax : 1;
  if (!req.query_only) {
    if (req.capacity < 1) return STATUS_BUFFER_TOO_SMALL;
    const uint32_t h = new_handle(c.proc);
    c.proc.handles.emplace(h, adapter_);
    rep.adapters.push_back({h, adapter_->luid_low, adapter_->luid_high, 0, 0});
  }
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_open_adapter_from_luid(Ctx& c) {
  wire::OpenAdapterFromLuidReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (req.luid_low != adapter_->luid_low || req.luid_high != adapter_->luid_high) return STATUS_INVALID_PARAMETER;
  const uint32_t h = new_handle(c.proc);
  c.proc.handles.emplace(h, adapter_);
  c.out(wire::HandleRep{h});
  return STATUS_SUCCESS;
}

int32_t Kernel::op_close_adapter(Ctx& c) {
  wire::HandleReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<std::shared_ptr<Adapter>>(c.proc, req.handle) == nullptr) return STATUS_INVALID_PARAMETER;
  remove_handle(c.proc, req.handle);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_create_device(Ctx& c) {
  wire::CreateDeviceReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* adapter = lookup<std::shared_ptr<Adapter>>(c.proc, req.adapter);
  if (adapter == nullptr || (req.flags & ~kCreateDeviceKnownFlags) != 0) return STATUS_INVALID_PARAMETER;
  auto device = std::make_shared<DeviceObj>(DeviceObj{*adapter, req.flags});
  const uint32_t h = new_handle(c.proc);
  c.proc.handles.emplace(h, std::move(device));
  c.out(wire::HandleRep{h});
  return STATUS_SUCCESS;
}

int32_t Kernel::op_destroy_device(Ctx& c) {
  wire::HandleReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* device = lookup<std::shared_ptr<DeviceObj>>(c.proc, req.handle);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  const DeviceObj* dev = device->get();
  // The device's contexts and the sync objects created or opened on it go with it.
  std::vector<uint32_t> children;
  for (const auto& [h, obj] : c.proc.handles) {
    if (const auto* ctx = std::get_if<std::shared_ptr<ContextObj>>(&obj); ctx && (*ctx)->device.get() == dev)
      children.push_back(h);
    if (const auto* ref = std::get_if<SyncRef>(&obj); ref && ref->device.get() == dev) children.push_back(h);
  }
  for (uint32_t h : children) remove_handle(c.proc, h);
  remove_handle(c.proc, req.handle);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_create_context_virtual(Ctx& c) {
  wire::CreateContextVirtualReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* device = lookup<std::shared_ptr<DeviceObj>>(c.proc, req.device);
  if (device == nullptr || req.node_ordinal >= kNumNodes || req.private_data.size() > kMaxPrivateData)
    return STATUS_INVALID_PARAMETER;
  auto context = std::make_shared<ContextObj>(ContextObj{*device, req.node_ordinal});
  const uint32_t h = new_handle(c.proc);
  c.proc.handles.emplace(h, std::move(context));
  c.out(wire::HandleRep{h});
  return STATUS_SUCCESS;
}

int32_t Kernel::op_destroy_context(Ctx& c) {
  wire::HandleReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<std::shared_ptr<ContextObj>>(c.proc, req.handle) == nullptr) return STATUS_INVALID_PARAMETER;
  remove_handle(c.proc, req.handle);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_create_sync_object2(Ctx& c) {
  wire::CreateSyncObject2Req req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* device = lookup<std::shared_ptr<DeviceObj>>(c.proc, req.device);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  if ((req.flags & ~kSyncKnownFlags) != 0) return STATUS_INVALID_PARAMETER;
  if ((req.flags & kSyncNtSecuritySharing) != 0 && (req.flags & kSyncShared) == 0) return STATUS_INVALID_PARAMETER;
  if ((req.flags & kSyncNoSignal) != 0 && (req.flags & kSyncNoWait) != 0) return STATUS_INVALID_PARAMETER;
  switch (req.type) {
    case D3DDDI_MONITORED_FENCE: break;
    case D3DDDI_SYNCHRONIZATION_MUTEX:
    case D3DDDI_SEMAPHORE:
    case D3DDDI_FENCE:
    case D3DDDI_CPU_NOTIFICATION:
    case D3DDDI_PERIODIC_MONITORED_FENCE: return STATUS_NOT_SUPPORTED;
    default: return STATUS_INVALID_PARAMETER;
  }
  if ((req.flags & kSyncSignalByKmd) != 0) return STATUS_INVALID_PARAMETER;  // CPU_NOTIFICATION only
  // Monitored fence: [InitialFenceValue, EngineAffinity].
  if (req.info.size() != 2) return STATUS_INVALID_PARAMETER;
  auto object = new_sync_object(req.type, req.flags, req.info[0]);
  if (!object) return STATUS_NO_MEMORY;
  object->nt_shareable = (req.flags & kSyncNtSecuritySharing) != 0;
  wire::SyncObjectRep rep;
  if ((req.flags & kSyncShared) != 0 && (req.flags & kSyncNtSecuritySharing) == 0) {
    // A legacy global handle: index << 6 | 0x40000000 | 2 (spec §1.4).
    object->global_handle = 0x4000'0002u | (next_global_index_++ << 6);
    globals_[object->global_handle] = object;
    rep.shared_handle = object->global_handle;
  }
  UniqueFd page(::fcntl(object->page->fd(), F_DUPFD_CLOEXEC, 0));
  if (!page) return STATUS_NO_MEMORY;
  rep.handle = new_handle(c.proc);
  rep.gpu_va = object->gpu_va;
  c.proc.handles.emplace(rep.handle, SyncRef{object, *device, D3DDDI_SYNC_OBJECT_ALL_ACCESS, req.flags});
  c.fds_out.push_back(std::move(page));
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_open_sync_from_nt(Ctx& c) { return open_sync_from_nt(c, false); }
int32_t Kernel::op_open_sync_from_nt2(Ctx& c) { return open_sync_from_nt(c, true); }

int32_t Kernel::open_sync_from_nt(Ctx& c, bool v2) {
  wire::OpenSyncObjectFromNtHandle2Req req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (v2 && req.device == 0) return STATUS_INVALID_PARAMETER;  // checked before the NT handle (spec §5.4)
  if (c.fds_in.size() != 1) return STATUS_INVALID_HANDLE;
  auto handle = nt_handle_from_fd(c.fds_in[0].get());
  if (!handle) return STATUS_INVALID_HANDLE;
  if (handle->object->type != NtObject::Type::Sync) return STATUS_OBJECT_TYPE_MISMATCH;
  std::shared_ptr<DeviceObj> device;
  if (v2) {
    auto* d = lookup<std::shared_ptr<DeviceObj>>(c.proc, req.device);
    if (d == nullptr) return STATUS_INVALID_PARAMETER;
    device = *d;
    if ((req.flags & ~kSyncKnownFlags) != 0) return STATUS_INVALID_PARAMETER;
    if ((req.flags & kSyncNoSignal) != 0 && (req.flags & kSyncNoWait) != 0) return STATUS_INVALID_PARAMETER;
  }
  if (options_.access_checks && (handle->access & STANDARD_RIGHTS_READ) == 0) return STATUS_ACCESS_DENIED;
  const auto& object = handle->object->sync;
  wire::SyncObjectRep rep;
  if (v2 && object->page) {
    UniqueFd page(::fcntl(object->page->fd(), F_DUPFD_CLOEXEC, 0));
    if (!page) return STATUS_NO_MEMORY;
    c.fds_out.push_back(std::move(page));
    rep.gpu_va = object->gpu_va;
  }
  rep.handle = new_handle(c.proc);
  c.proc.handles.emplace(rep.handle, SyncRef{object, device, handle->access, v2 ? req.flags : 0u});
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

int32_t Kernel::op_share_objects(Ctx& c) {
  wire::ShareObjectsReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  // Allowed shapes (spec §2.1): a resource; a resource, a keyed mutex and a
  // sync object, in that order; a sync object. Each shareable by NT handle.
  if (req.handles.size() != 1 && req.handles.size() != 3) return STATUS_INVALID_PARAMETER;
  if (req.handles.size() == 3) return STATUS_INVALID_PARAMETER;  // no resources exist yet
  auto* ref = lookup<SyncRef>(c.proc, req.handles[0]);
  if (ref == nullptr || !ref->object->nt_shareable) return STATUS_INVALID_PARAMETER;
  if (req.attributes_status != STATUS_SUCCESS) {
    // Only failures the library found in OBJECT_ATTRIBUTES are accepted here.
    if (NT_SUCCESS(req.attributes_status)) return STATUS_INVALID_PARAMETER;
    return req.attributes_status;
  }
  if (req.has_name && (req.name.empty() || req.name.size() > kMaxNameUnits)) return STATUS_OBJECT_NAME_INVALID;

  const uint32_t access = map_sync_generic(req.desired_access) | STANDARD_RIGHTS_ALL;
  std::shared_ptr<NtObject> object;
  int32_t status = STATUS_SUCCESS;
  std::u32string name = req.has_name ? fold_name(req.name) : std::u32string();
  if (!name.empty()) {
    if (auto it = names_.find(name); it != names_.end()) {
      if (auto existing = it->second.lock()) {
        if ((req.attributes & OBJ_OPENIF) == 0) return STATUS_OBJECT_NAME_COLLISION;
        if (existing->type != NtObject::Type::Sync) return STATUS_OBJECT_TYPE_MISMATCH;
        object = existing;
        status = STATUS_OBJECT_NAME_EXISTS;
      }
    }
  }
  if (!object) {
    object = std::make_shared<NtObject>();
    object->type = NtObject::Type::Sync;
    object->sync = ref->object;
    object->name = name;
  }
  UniqueFd read_end;
  if (const int32_t s = new_nt_handle(object, access, read_end); s != STATUS_SUCCESS) return s;
  if (!name.empty()) names_[name] = object;
  c.fds_out.push_back(std::move(read_end));
  c.out(wire::EmptyRep{});
  return status;
}

int32_t Kernel::op_signal_from_cpu(Ctx& c) {
  wire::SignalFromCpuReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<std::shared_ptr<DeviceObj>>(c.proc, req.device) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.handles.empty() || req.handles.size() > kMaxObjectsPerCall || req.values.size() != req.handles.size())
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
    o.pending_cpu.push_back(hop);
  }
  // The new values are visible to every reader when the call returns.
  hw_.run_until_idle();
  return STATUS_SUCCESS;
}

int32_t Kernel::op_wait_from_cpu(Ctx& c) {
  wire::WaitFromCpuReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<std::shared_ptr<DeviceObj>>(c.proc, req.device) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.handles.empty() || req.handles.size() > kMaxObjectsPerCall || req.values.size() != req.handles.size())
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

int32_t Kernel::op_signal_from_gpu(Ctx& c) {
  wire::SignalFromGpuReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<std::shared_ptr<ContextObj>>(c.proc, req.context) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.handles.empty() || req.handles.size() > kMaxObjectsPerCall || req.values.size() != req.handles.size())
    return STATUS_INVALID_PARAMETER;
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
    const uint32_t words[3] = {(uint32_t{static_cast<uint8_t>(hw::CpOpcode::SIGNAL)} << 24) |
                                   static_cast<uint32_t>(o.slot),
                               static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
    push_command(words);
    Hop hop;
    hop.value = v;
    hop.from_gpu = 1;
    hop.submit_host_ns = c.received_host_ns;
    hop.submit_sim_ps = hw_.now_ps();
    o.pending_gpu.push_back(hop);
  }
  // The GPU work runs after the reply: the caller does not wait for it.
  return STATUS_SUCCESS;
}

void Kernel::push_command(std::span<const uint32_t> words) {
  for (int attempt = 0;; ++attempt) {
    const uint32_t status = hw_.read32(reg::CP_STATUS);
    const uint32_t level = field::CP_STATUS_LEVEL.get(status);
    if (!field::CP_STATUS_HALTED.get(status) && level + words.size() <= cp_queue_depth_) break;
    if (attempt > 0 && field::CP_STATUS_HALTED.get(status)) hw_.write32(reg::CP_CONTROL, 1);
    hw_.run_until_idle();  // the queue drains; a halt is reported and resumed by the interrupt handler
  }
  for (uint32_t w : words) hw_.write32(reg::CP_PUSH, w);
}

int32_t Kernel::op_escape(Ctx& c) {
  wire::EscapeReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup<std::shared_ptr<Adapter>>(c.proc, req.adapter) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.type != D3DKMT_ESCAPE_DRIVERPRIVATE || req.data.size() < sizeof(KMTSIM_ESCAPE_HEADER))
    return STATUS_INVALID_PARAMETER;
  KMTSIM_ESCAPE_HEADER header;
  std::memcpy(&header, req.data.data(), sizeof(header));
  if (header.Magic != KMTSIM_ESCAPE_MAGIC) return STATUS_INVALID_PARAMETER;
  wire::EscapeRep rep;
  switch (header.Code) {
    case KMTSIM_ESCAPE_FENCE_HOPS: {
      if (req.data.size() != sizeof(KMTSIM_ESCAPE_FENCE_HOPS_DATA)) return STATUS_INVALID_PARAMETER;
      auto data = std::make_unique<KMTSIM_ESCAPE_FENCE_HOPS_DATA>();
      std::memcpy(data.get(), req.data.data(), sizeof(*data));
      auto* ref = lookup<SyncRef>(c.proc, data->hSyncObject);
      if (ref == nullptr || data->MaxCount > KMTSIM_MAX_HOPS_PER_ESCAPE) return STATUS_INVALID_PARAMETER;
      data->Count = 0;
      for (const Hop& h : ref->object->hops) {
        if (data->Count == data->MaxCount) break;
        if (h.value < data->FirstValue) continue;
        KMTSIM_FENCE_HOP& out = data->Hops[data->Count++];
        out = KMTSIM_FENCE_HOP{h.value,      h.delivered,  h.submit_host_ns, h.submit_sim_ps, h.irq_sim_ps,
                               h.isr_sim_ps, h.dpc_host_ns, h.woken,          h.from_gpu};
      }
      rep.data.resize(sizeof(*data));
      std::memcpy(rep.data.data(), data.get(), sizeof(*data));
      break;
    }
    case KMTSIM_ESCAPE_DEVICE_INFO: {
      if (req.data.size() != sizeof(KMTSIM_ESCAPE_DEVICE_INFO_DATA)) return STATUS_INVALID_PARAMETER;
      KMTSIM_ESCAPE_DEVICE_INFO_DATA data{};
      data.Header = header;
      data.Backend = options_.backend_id;
      data.NumFences = num_fences_;
      data.SimTimePs = hw_.now_ps();
      data.Interrupts = stats_.interrupts;
      data.Records = stats_.records;
      rep.data.resize(sizeof(data));
      std::memcpy(rep.data.data(), &data, sizeof(data));
      break;
    }
    default: return STATUS_INVALID_PARAMETER;
  }
  c.out(rep);
  return STATUS_SUCCESS;
}

// --- Interrupts -------------------------------------------------------------------

void Kernel::interrupt(uint64_t irq_raised_ps) {
  ++stats_.interrupts;
  struct Record {
    uint32_t slot;
    uint64_t value;
    bool from_gpu;
    uint64_t isr_ps;
  };
  // ISR: drain the record FIFO and acknowledge the sticky causes.
  std::vector<Record> records;
  const uint32_t status = hw_.read32(reg::IRQ_STATUS);
  for (;;) {
    const uint32_t info = hw_.read32(reg::IRQ_REC_INFO);
    if (!field::IRQ_REC_INFO_VALID.get(info)) break;
    const uint64_t lo = hw_.read32(reg::IRQ_REC_VALUE_LO);
    const uint64_t hi = hw_.read32(reg::IRQ_REC_VALUE_HI);
    hw_.write32(reg::IRQ_REC_POP, 1);
    records.push_back({field::IRQ_REC_INFO_FENCE.get(info), lo | (hi << 32),
                       field::IRQ_REC_INFO_SOURCE.get(info) != 0, hw_.now_ps()});
  }
  const bool overflow = field::IRQ_STATUS_OVERFLOW.get(status) != 0;
  const bool cp_error = field::IRQ_STATUS_CP_ERROR.get(status) != 0;
  if (cp_error) {
    const uint32_t cp = hw_.read32(reg::CP_STATUS);
    std::fprintf(stderr, "kmtsimd: command processor halted: %s (opcode 0x%02x); resuming\n",
                 hw::to_string(static_cast<hw::CpError>(field::CP_STATUS_ERROR.get(cp))),
                 field::CP_STATUS_ERROR_OPCODE.get(cp));
    ++stats_.cp_errors;
    hw_.write32(reg::CP_CONTROL, field::CP_CONTROL_RESUME.put(1));
  }
  const uint32_t sticky = status & (field::IRQ_STATUS_OVERFLOW.mask() | field::IRQ_STATUS_CP_ERROR.mask());
  if (sticky != 0) hw_.write32(reg::IRQ_STATUS, sticky);
  stats_.records += records.size();

  // DPC: deliver each value, in the device's order.
  for (const Record& r : records) {
    if (r.slot >= slots_.size() || slots_[r.slot] == nullptr) continue;
    deliver(*slots_[r.slot], r.value, r.from_gpu, irq_raised_ps, r.isr_ps);
  }
  if (overflow) {
    // Records were dropped; the fence table still has every value.
    ++stats_.resyncs;
    for (size_t slot = 0; slot < slots_.size(); ++slot) {
      SyncObject* o = slots_[slot];
      if (o == nullptr) continue;
      hw_.write32(reg::FENCE_SEL, static_cast<uint32_t>(slot));
      const uint64_t lo = hw_.read32(reg::FENCE_VALUE_LO);
      const uint64_t value = lo | (uint64_t{hw_.read32(reg::FENCE_VALUE_HI)} << 32);
      o->pending_cpu.clear();
      o->pending_gpu.clear();
      deliver(*o, value, false, irq_raised_ps, hw_.now_ps());
    }
  }
}

void Kernel::deliver(SyncObject& object, uint64_t value, bool from_gpu, uint64_t irq_ps, uint64_t isr_ps) {
  object.value = value;
  object.page->store(value);
  Hop hop;
  auto& pending = from_gpu ? object.pending_gpu : object.pending_cpu;
  const bool traced = !pending.empty();
  if (traced) {
    hop = pending.front();
    pending.pop_front();
  }
  uint32_t woken = 0;
  for (Waiter* w : std::set<Waiter*>(object.waiters)) {
    if (!satisfied(*w)) continue;
    complete(w, kWakeSatisfied);
    ++woken;
  }
  if (!traced) return;
  hop.delivered = value;
  hop.irq_sim_ps = irq_ps;
  hop.isr_sim_ps = isr_ps;
  hop.dpc_host_ns = host_now_ns();
  hop.woken = woken;
  object.hops.push_back(hop);
  if (object.hops.size() > options_.hop_log_depth) object.hops.pop_front();
}

bool Kernel::satisfied(const Waiter& waiter) const {
  auto reached = [](const std::pair<SyncObject*, uint64_t>& c) { return c.first->value >= c.second; };
  return waiter.wait_any ? std::any_of(waiter.conditions.begin(), waiter.conditions.end(), reached)
                         : std::all_of(waiter.conditions.begin(), waiter.conditions.end(), reached);
}

void Kernel::complete(Waiter* waiter, uint64_t code) {
  signal_event(waiter->event.get(), code);
  ++stats_.waits_woken;
  cancel_waiter(waiter);
}

void Kernel::cancel_waiter(Waiter* waiter) {
  for (auto& [object, value] : waiter->conditions) object->waiters.erase(waiter);
  if (waiter->owner != nullptr) waiter->owner->waiters.erase(waiter);
  waiters_.erase(waiter->id);
}

void Kernel::remove_device() {
  if (removed_) return;
  removed_ = true;
  for (SyncObject* o : slots_) {
    if (o == nullptr || (o->flags & kSyncNoSignalMaxValueOnTdr) != 0) continue;
    o->value = UINT64_MAX;
    o->page->store(UINT64_MAX);
  }
  std::vector<Waiter*> all;
  for (auto& [id, w] : waiters_) all.push_back(w.get());
  for (Waiter* w : all) complete(w, kWakeDeviceRemoved);
}

}  // namespace kmtsim::kernel
