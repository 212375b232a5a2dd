// The kernel's core: processes and handle tables, dispatch, adapters,
// devices and contexts, escapes, and the interrupt handler.
#include "event.h"
#include "internal.h"
#include "kmtsim/escape.h"
#include "kmtsim/hw/regs.h"
#include "kmtsim/util/clock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>

namespace kmtsim::kernel {

namespace reg = hw::reg;
namespace field = hw::field;
using wire::Op;

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
    &Kernel::op_create_sync_object,
    &Kernel::op_open_sync_object,
    &Kernel::op_create_allocation,
    &Kernel::op_destroy_allocation,
    &Kernel::op_lock2,
    &Kernel::op_unlock2,
    &Kernel::op_query_resource_info,
    &Kernel::op_open_resource,
    &Kernel::op_open_nt_handle_from_name,
    &Kernel::op_create_keyed_mutex,
    &Kernel::op_open_keyed_mutex,
    &Kernel::op_open_keyed_mutex_from_nt,
    &Kernel::op_acquire_keyed_mutex,
    &Kernel::op_acquire_keyed_mutex_finish,
    &Kernel::op_release_keyed_mutex,
    &Kernel::op_destroy_keyed_mutex,
    &Kernel::op_signal_from_gpu2,
    &Kernel::op_wait_from_gpu,
    &Kernel::op_submit_command,
};

Kernel::Kernel(DeviceAccess& hw, Reactor& reactor, const KernelOptions& options)
    : hw_(hw), reactor_(reactor), options_(options), rng_(options.seed != 0 ? options.seed : std::random_device{}()) {
  adapter_ = std::make_shared<Adapter>(Adapter{options.luid_low, options.luid_high});
}

Kernel::~Kernel() {
  hw_.set_probe_handler(nullptr);
  // Everything that holds objects goes while the tables their retirement
  // touches are still here.
  for (auto& r : rings_) {
    r->in_flight.clear();
    r->progress.reset();
  }
  event_fence_.reset();
  for (auto& [key, handle] : nt_by_inode_) reactor_.unwatch(handle->write_end.get());
  nt_by_inode_.clear();
  names_.clear();
  for (auto& [id, p] : processes_) {
    p->tickets.clear();
    p->waiters.clear();
  }
  waiters_.clear();
  processes_.clear();
}

void Kernel::start() {
  hw_.run_until_idle();  // the fence table clears after reset
  if (hw_.read32(reg::ID) != hw::kIdMagic) throw std::runtime_error("no kmtsim device answers at the register window");
  if (field::VERSION_MAJOR.get(hw_.read32(reg::VERSION)) != (hw::kVersion >> 8))
    throw std::runtime_error("the device's register map is not version 2");
  const uint32_t caps = hw_.read32(reg::CAPS);
  num_fences_ = field::CAPS_NUM_FENCES.get(caps);
  const unsigned num_rings = field::CAPS_NUM_RINGS.get(caps);
  const uint64_t vram_bytes = uint64_t{1} << field::MEM_CAPS_VRAM_LOG2.get(hw_.read32(reg::MEM_CAPS));
  if (vram_bytes != hw_.vram_size())
    throw std::runtime_error("the device has " + std::to_string(vram_bytes) + " bytes of VRAM, the window " +
                             std::to_string(hw_.vram_size()));
  // VRAM: the first MiB left unused (no GPU address 0), the fence pages,
  // then the rings and the heap.
  vram_ = std::make_unique<Vram>(hw_.vram(), hw_.vram_size());
  wb_base_ = 1 << 20;
  if (!vram_->reserve(0, wb_base_ + uint64_t{num_fences_} * FencePage::kSize))
    throw std::runtime_error("VRAM is too small for the fence pages");
  slots_.assign(num_fences_, nullptr);
  free_slots_.clear();
  for (unsigned k = 0; k < num_fences_; ++k) free_slots_.push_back(static_cast<int>(k));
  if (options_.record_hops) hw_.set_probe_handler([this](const DeviceProbe& p) { on_probe(p); });
  hw_.write32(reg::FENCE_WB_BASE_LO, static_cast<uint32_t>(wb_base_));
  hw_.write32(reg::FENCE_WB_BASE_HI, static_cast<uint32_t>(wb_base_ >> 32));
  hw_.write32(reg::FENCE_WB_CONTROL, field::FENCE_WB_CONTROL_ENABLE.put(1));
  hw_.write32(reg::IRQ_COALESCE, field::IRQ_COALESCE_COUNT.put(options_.coalesce_count) |
                                     field::IRQ_COALESCE_TIME.put(options_.coalesce_cycles));
  for (unsigned k = 0; k < num_rings; ++k) {
    auto r = std::make_unique<HwRing>();
    r->index = k;
    r->size = limits::kRingBytes;
    const auto base = vram_->allocate(r->size, r->size);
    if (!base) throw std::runtime_error("VRAM is too small for the rings");
    r->base = *base;
    r->progress = new_sync_object(D3DDDI_MONITORED_FENCE, 0, 0);
    if (!r->progress) throw std::runtime_error("no fence left for the rings");
    hw_.write32(reg::RING_BASE_LO_AT(k), static_cast<uint32_t>(r->base));
    hw_.write32(reg::RING_BASE_HI_AT(k), static_cast<uint32_t>(r->base >> 32));
    hw_.write32(reg::RING_SIZE_AT(k), static_cast<uint32_t>(std::countr_zero(r->size)));
    hw_.write32(reg::RING_CONTROL_AT(k), field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
    rings_.push_back(std::move(r));
  }
  if (rings_.empty()) throw std::runtime_error("the device has no command ring");
  hw_.write32(reg::IRQ_ENABLE, field::IRQ_ENABLE_FENCE.mask() | field::IRQ_ENABLE_OVERFLOW.mask() |
                                   field::IRQ_ENABLE_RING_ERROR.mask());
  hw_.run_until_idle();
}

// --- Processes and handles -----------------------------------------------------------

Process* Kernel::attach(pid_t pid, uid_t uid) {
  auto p = std::make_unique<Process>();
  p->id = next_process_id_++;
  p->pid = pid;
  p->uid = uid;
  // Handles grow by 0x40 from a per-process random start, so that a handle
  // value copied from another process almost never names an object here.
  p->next_index = options_.first_handle_index != 0 ? options_.first_handle_index
                                                   : 1 + static_cast<uint32_t>(rng_() % (1u << 20));
  Process* raw = p.get();
  processes_.emplace(raw->id, std::move(p));
  return raw;
}

void Kernel::detach(Process* process) {
  if (process == nullptr) return;
  auto it = processes_.find(process->id);
  if (it == processes_.end()) return;
  for (Waiter* w : std::set<Waiter*>(process->waiters)) cancel_waiter(w);
  // Pending acquires first (their mutexes must not grant to a process that
  // is going), then every handle, so keyed mutexes it owned are abandoned.
  for (auto& [id, t] : process->tickets) {
    auto& queue = t->mutex->waiting;
    queue.erase(std::remove(queue.begin(), queue.end(), t.get()), queue.end());
  }
  process->tickets.clear();
  while (!process->handles.empty()) remove_handle(*process, process->handles.begin()->first);
  processes_.erase(it);
  // Work the rings have run lets go of the objects it names (its fences and
  // their slots), and its contexts' stalled work goes: that may be all that
  // kept the process's objects alive.
  for (auto& r : rings_) reap(*r);
  if (!removed_) drop_orphans();
}

uint32_t Kernel::new_handle(Process& process) {
  // Local handles: bits 31:30 not both zero, bits 5:0 zero, each new one the
  // previous plus 0x40 whatever its type (spec §1.4).
  if (process.next_index >= (1u << 23)) process.next_index = 1;
  return 0x4000'0000u | (process.next_index++ << 6);
}

uint32_t Kernel::new_global_handle() {
  // Legacy global handles: index << 6 | 0x40000000 | 2 (spec §1.4).
  if (next_global_index_ >= (1u << 23)) next_global_index_ = 1;
  return 0x4000'0002u | (next_global_index_++ << 6);
}

uint32_t Kernel::add_sync_ref(Process& process, SyncRef ref) {
  const uint32_t h = new_handle(process);
  process.handles.emplace(h, std::move(ref));
  return h;
}

void Kernel::remove_handle(Process& process, uint32_t handle) {
  auto it = process.handles.find(handle);
  if (it == process.handles.end()) return;
  // Out of the table first, then released: releasing may retire the object.
  auto node = process.handles.extract(it);
  Object& object = node.mapped();
  if (auto* ref = std::get_if<SyncRef>(&object)) {
    // CPU waiters through this handle wake when it is destroyed, unless the
    // object was made to release them only when it is finally destroyed.
    if ((ref->object->flags & flags::kSyncUnwaitOnlyOnDestroy) == 0) {
      for (Waiter* w : std::set<Waiter*>(process.waiters)) {
        if (std::find(w->handles.begin(), w->handles.end(), handle) != w->handles.end())
          complete(w, kWakeObjectDestroyed);
      }
    }
  } else if (auto* res = std::get_if<ResourceRef>(&object)) {
    for (uint32_t a : res->allocation_handles) process.handles.erase(a);
  } else if (auto* alloc = std::get_if<AllocationRef>(&object)) {
    if (auto* owner = lookup<ResourceRef>(process, alloc->resource_handle)) {
      auto& list = owner->allocation_handles;
      list.erase(std::remove(list.begin(), list.end(), handle), list.end());
    }
  } else if (auto* m = std::get_if<MutexRef>(&object)) {
    KeyedMutex& mutex = *m->mutex;
    std::vector<AcquireTicket*> through;
    for (AcquireTicket* t : mutex.waiting)
      if (t->owner == &process && t->handle == handle) through.push_back(t);
    for (AcquireTicket* t : through) finish_ticket(t, STATUS_INVALID_PARAMETER);
    // Destroying the handle that owns the mutex abandons it (Windows; spec §10.3).
    if (mutex.owner == &process && mutex.owner_handle == handle) abandon(mutex);
  }
}

// --- Requests ----------------------------------------------------------------------

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
  // A failed call answers with its status alone (STATUS_PENDING carries a ticket).
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
  rep.count = req.query_only ? limits::kEnumAdaptersMax : 1;
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
  if (adapter == nullptr || (req.flags & ~flags::kCreateDeviceKnown) != 0) return STATUS_INVALID_PARAMETER;
  auto device = std::make_shared<DeviceObj>(DeviceObj{*adapter, req.flags});
  const uint32_t h = new_handle(c.proc);
  c.proc.handles.emplace(h, std::move(device));
  c.out(wire::HandleRep{h});
  return STATUS_SUCCESS;
}

int32_t Kernel::op_destroy_device(Ctx& c) {
  wire::HandleReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* device = lookup_device(c.proc, req.handle);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  const DeviceObj* dev = device->get();
  // What was created or opened on the device goes with it: contexts, sync
  // objects, resources and allocations.
  std::vector<uint32_t> children;
  for (const auto& [h, obj] : c.proc.handles) {
    const DeviceObj* owner = std::visit(
        [](const auto& o) -> const DeviceObj* {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, std::shared_ptr<ContextObj>>) return o->device.get();
          else if constexpr (std::is_same_v<T, SyncRef> || std::is_same_v<T, ResourceRef> ||
                             std::is_same_v<T, AllocationRef>)
            return o.device.get();
          else return nullptr;
        },
        obj);
    if (owner == dev) children.push_back(h);
  }
  for (uint32_t h : children) remove_handle(c.proc, h);
  remove_handle(c.proc, req.handle);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_create_context_virtual(Ctx& c) {
  wire::CreateContextVirtualReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* device = lookup_device(c.proc, req.device);
  if (device == nullptr || req.node_ordinal >= limits::kNumNodes || req.private_data.size() > limits::kMaxPrivateData)
    return STATUS_INVALID_PARAMETER;
  auto context = new_context(*device, req.node_ordinal);
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
        out = KMTSIM_FENCE_HOP{h.value,         h.delivered,    h.submit_host_ns, h.submit_sim_ps, h.fetch_sim_ps,
                               h.update_sim_ps, h.wb_sim_ps,    h.record_sim_ps,  h.irq_sim_ps,    h.isr_sim_ps,
                               h.isr_host_ns,   h.dpc_host_ns,  h.woken,          h.from_gpu};
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
      data.Processes = static_cast<UINT>(processes_.size());
      data.SyncObjects = static_cast<UINT>(live_syncs_);
      data.FreeFences = static_cast<UINT>(free_slots_.size());
      data.NtHandles = static_cast<UINT>(nt_by_inode_.size());
      data.CpuWaiters = static_cast<UINT>(waiters_.size());
      data.NumRings = static_cast<UINT>(rings_.size());
      data.VramBytes = vram_ ? vram_->size() : 0;
      data.VramFreeBytes = vram_ ? vram_->free_bytes() : 0;
      data.Packets = stats_.packets;
      data.Preemptions = stats_.preemptions;
      data.RingErrors = stats_.ring_errors;
      rep.data.resize(sizeof(data));
      std::memcpy(rep.data.data(), &data, sizeof(data));
      break;
    }
    case KMTSIM_ESCAPE_FENCE_CRITICAL: {
      if (req.data.size() != sizeof(KMTSIM_ESCAPE_FENCE_CRITICAL_DATA)) return STATUS_INVALID_PARAMETER;
      KMTSIM_ESCAPE_FENCE_CRITICAL_DATA data;
      std::memcpy(&data, req.data.data(), sizeof(data));
      auto* ref = lookup<SyncRef>(c.proc, data.hSyncObject);
      if (ref == nullptr || ref->object->slot < 0 || data.Critical > 1) return STATUS_INVALID_PARAMETER;
      hw_.write32(reg::FENCE_CRITICAL, field::FENCE_CRITICAL_INDEX.put(static_cast<uint32_t>(ref->object->slot)) |
                                           field::FENCE_CRITICAL_SET.put(data.Critical));
      rep.data = req.data;
      break;
    }
    default: return STATUS_INVALID_PARAMETER;
  }
  c.out(rep);
  return STATUS_SUCCESS;
}

// --- Interrupts ---------------------------------------------------------------------

void Kernel::interrupt(uint64_t irq_raised_ps) {
  isr_host_ns_ = host_now_ns();
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
  const uint32_t sticky = status & (field::IRQ_STATUS_OVERFLOW.mask() | field::IRQ_STATUS_RING_ERROR.mask());
  if (sticky != 0) hw_.write32(reg::IRQ_STATUS, sticky);
  if (field::IRQ_STATUS_RING_ERROR.get(status) != 0) {
    for (auto& r : rings_) {
      const uint32_t state = field::RING_STATUS_STATE.get(hw_.read32(reg::RING_STATUS_AT(r->index)));
      if (state == static_cast<uint32_t>(hw::RingState::HALTED)) ring_fault(*r);
    }
  }
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
      o->synced = true;  // the table is the truth
      deliver(*o, value, false, irq_raised_ps, hw_.now_ps());
    }
  }
  // Rings that drained, or contexts that wait for one: the scheduler's turn.
  bool work = !ring_waiters_.empty() || !quarantine_.empty();
  for (auto& r : rings_) work = work || (r->owner != nullptr && !r->owner->queue.empty());
  if (work) schedule();
}

void Kernel::on_probe(const DeviceProbe& p) {
  if (p.fence >= slots_.size() || slots_[p.fence] == nullptr) return;
  SyncObject& o = *slots_[p.fence];
  auto& pending = p.ring < 0 ? o.pending_cpu : o.pending_gpu;
  uint64_t Hop::*stage = nullptr;
  switch (p.kind) {
    case DeviceProbe::CommandFetched: stage = &Hop::fetch_sim_ps; break;
    case DeviceProbe::FenceUpdated: stage = &Hop::update_sim_ps; break;
    case DeviceProbe::WrittenBack: stage = &Hop::wb_sim_ps; break;
    case DeviceProbe::RecordQueued: stage = &Hop::record_sim_ps; break;
  }
  // The oldest signal of this source that has not passed this stage yet.
  for (Hop& h : pending) {
    if (h.*stage != 0) continue;
    h.*stage = p.time_ps;
    break;
  }
}

void Kernel::deliver(SyncObject& object, uint64_t value, bool from_gpu, uint64_t irq_ps, uint64_t isr_ps) {
  // The device wrote the value to the fence's page (write-back) before it
  // queued the record: the CPU-visible value is already there, and a newer
  // one may be too, so the page is left alone.
  if (!object.synced) {
    if (from_gpu || value != object.initial) return;  // a previous fence's record
    object.synced = true;
  }
  object.value = value;
  for (auto& r : rings_)
    if (r->progress.get() == &object) r->kicked = false;
  Hop hop;
  auto& pending = from_gpu ? object.pending_gpu : object.pending_cpu;
  const bool traced = !pending.empty();
  if (traced) {
    hop = pending.front();
    pending.pop_front();
  }
  const uint64_t dpc_ns = traced ? host_now_ns() : 0;  // before the wakes: they may run at once, elsewhere
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
  hop.isr_host_ns = isr_host_ns_;
  hop.dpc_host_ns = dpc_ns;
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
  // Fences go to UINT64_MAX unless created or opened with
  // NoSignalMaxValueOnTdr (spec §10.7). The value page is one for all its
  // holders: a fence someone holds that way keeps its page, and the library
  // shows UINT64_MAX to the holders that did not ask for that.
  std::set<const SyncObject*> exempt;
  for (auto& [id, p] : processes_) {
    for (auto& [h, obj] : p->handles) {
      const auto* ref = std::get_if<SyncRef>(&obj);
      if (ref != nullptr && (ref->flags & flags::kSyncNoSignalMaxValueOnTdr) != 0) exempt.insert(ref->object.get());
    }
  }
  for (SyncObject* o : slots_) {
    if (o == nullptr || (o->flags & flags::kSyncNoSignalMaxValueOnTdr) != 0 || exempt.count(o) != 0) continue;
    o->value = UINT64_MAX;
    o->page->store(UINT64_MAX);
  }
  std::vector<Waiter*> all;
  for (auto& [id, w] : waiters_) all.push_back(w.get());
  for (Waiter* w : all) complete(w, kWakeDeviceRemoved);
  // Pending keyed-mutex acquires return STATUS_DEVICE_REMOVED (spec §10.7).
  for (auto& [id, p] : processes_) {
    std::vector<AcquireTicket*> pending;
    for (auto& [tid, t] : p->tickets)
      if (t->result == STATUS_PENDING) pending.push_back(t.get());
    for (AcquireTicket* t : pending) finish_ticket(t, STATUS_DEVICE_REMOVED);
  }
}

}  // namespace kmtsim::kernel
