// Allocations and resources: creation (standard allocations over a process's
// own memory, and video-memory allocations backed by shared memory),
// destruction, CPU access (Lock2/Unlock2), and opening shared resources by
// global handle or NT handle (spec §4, §5.4).
#include "internal.h"
#include "kmtsim/allocation.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace kmtsim::kernel {

namespace {

constexpr uint64_t kSysmemVaBase = 0x0000'8000'0000'0000ull;  // standard allocations: not GPU-reachable here
constexpr uint32_t kDestroyAllocation2Known = 0x3 | 0x80000000u;  // AssumeNotInUse, SynchronousDestroy, SystemUseOnly

std::vector<uint8_t> desc_bytes(uint64_t size, uint32_t flags) {
  KMTSIM_ALLOCATION_DESC d{KMTSIM_ALLOCATION_MAGIC, KMTSIM_ALLOCATION_VERSION, size, flags, 0};
  std::vector<uint8_t> out(sizeof(d));
  std::memcpy(out.data(), &d, sizeof(d));
  return out;
}

uint32_t total_driver_data(const Resource& r) {
  size_t total = 0;
  for (const auto& a : r.allocations) total += a->driver_data.size();
  return static_cast<uint32_t>(total);
}

}  // namespace

std::shared_ptr<Resource> Kernel::new_resource() {
  std::shared_ptr<Resource> r(new Resource, [this](Resource* p) {
    if (p->global_handle != 0) global_resources_.erase(p->global_handle);
    delete p;
  });
  return r;
}

int32_t Kernel::op_create_allocation(Ctx& c) {
  using namespace flags;
  wire::CreateAllocationReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* device = lookup_device(c.proc, req.device);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  // hResource must be 0 on input (spec §4).
  if (req.resource != 0) {
    return lookup<ResourceRef>(c.proc, req.resource) != nullptr && (req.flags & kAllocCreateResource) == 0
               ? STATUS_INVALID_PARAMETER  // no allocations join an existing resource
               : STATUS_INVALID_HANDLE;
  }
  if ((req.flags & ~kAllocKnown) != 0) return STATUS_INVALID_PARAMETER;
  const bool create_resource = (req.flags & kAllocCreateResource) != 0;
  const bool shared = (req.flags & kAllocCreateShared) != 0;
  const bool nt = (req.flags & kAllocNtSecuritySharing) != 0;
  if (req.allocations.empty() || req.allocations.size() > limits::kMaxAllocations) return STATUS_INVALID_PARAMETER;
  if ((shared && !create_resource) || (nt && !shared)) return STATUS_INVALID_PARAMETER;
  if (req.runtime_data.size() > limits::kMaxPrivateData || req.resource_driver_data.size() > limits::kMaxPrivateData)
    return STATUS_INVALID_PARAMETER;

  const bool standard = (req.flags & kAllocStandardAllocation) != 0;
  const bool existing = (req.flags & kAllocExistingSysMem) != 0;
  if (standard != existing) return STATUS_INVALID_PARAMETER;
  std::vector<std::shared_ptr<Allocation>> made;
  if (standard) {
    // A standard allocation over the caller's memory (D3DKMT_STANDARDALLOCATION_EXISTINGHEAP).
    if (!req.has_standard || req.standard_type != D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP ||
        req.standard_flags != 0 || req.standard_size == 0 || req.standard_size % limits::kPage != 0 ||
        req.standard_size > limits::kMaxAllocationSize || req.allocations.size() != 1 ||
        req.allocations[0].sysmem == 0 || !req.resource_driver_data.empty())
      return STATUS_INVALID_PARAMETER;
    auto a = new_allocation();
    a->size = req.standard_size;
    a->standard = true;
    a->sysmem_address = req.allocations[0].sysmem;
    a->creator_process = c.proc.id;
    a->driver_data = desc_bytes(a->size, KMTSIM_ALLOCATION_STANDARD);
    made.push_back(std::move(a));
  } else {
    // Video memory, each allocation described by a KMTSIM_ALLOCATION_DESC.
    for (const auto& info : req.allocations) {
      KMTSIM_ALLOCATION_DESC d{};
      if (info.driver_data.size() != sizeof(d)) return STATUS_INVALID_PARAMETER;
      std::memcpy(&d, info.driver_data.data(), sizeof(d));
      if (d.Magic != KMTSIM_ALLOCATION_MAGIC || d.Version != KMTSIM_ALLOCATION_VERSION || d.Size == 0 ||
          d.Size > limits::kMaxAllocationSize || (d.Flags & ~KMTSIM_ALLOCATION_CPU_VISIBLE) != 0 || d.Reserved != 0)
        return STATUS_INVALID_PARAMETER;
      auto a = new_allocation();
      a->size = (d.Size + limits::kPage - 1) / limits::kPage * limits::kPage;
      a->desc_flags = d.Flags;
      a->driver_data = desc_bytes(a->size, d.Flags);
      made.push_back(std::move(a));
    }
    // Back them (after every check, so a failure leaves nothing behind):
    // a shared memory object, placed in VRAM, its GPU address its place.
    for (auto& a : made) {
      a->memory.reset(::memfd_create("kmtsim-allocation", MFD_CLOEXEC));
      if (!a->memory || ::ftruncate(a->memory.get(), static_cast<off_t>(a->size)) != 0) return STATUS_NO_MEMORY;
      const auto addr = vram_->allocate(a->size);
      if (!addr) {
        a->memory.reset();  // nothing to give back for this one
        return STATUS_NO_MEMORY;
      }
      a->gpu_va = *addr;
      if (!vram_->map(a->gpu_va, a->memory.get(), a->size)) {
        vram_->release(a->gpu_va, a->size);
        a->memory.reset();
        return STATUS_NO_MEMORY;
      }
    }
  }
  for (auto& a : made) {
    if (!a->standard) continue;
    // System memory: outside VRAM, where no GPU command can name it.
    a->gpu_va = kSysmemVaBase + next_sysmem_va_;
    next_sysmem_va_ += a->size + limits::kPage;  // a guard page between allocations
  }

  wire::CreateAllocationRep rep;
  ResourceRef resource_ref;
  if (create_resource) {
    auto r = new_resource();
    r->allocations = made;
    r->runtime_data = req.runtime_data;
    r->driver_data = req.resource_driver_data;
    r->nt_shareable = nt;
    if (shared && !nt) {
      r->global_handle = new_global_handle();
      global_resources_[r->global_handle] = r;
      rep.global_share = r->global_handle;
    }
    resource_ref = ResourceRef{r, *device, SHARED_ALLOCATION_ALL_ACCESS | STANDARD_RIGHTS_ALL, {}};
    rep.resource = new_handle(c.proc);  // before the allocations' handles (spec §4)
  }
  for (auto& a : made) {
    const uint32_t h = new_handle(c.proc);
    c.proc.handles.emplace(h, AllocationRef{a, *device, rep.resource, SHARED_ALLOCATION_ALL_ACCESS | STANDARD_RIGHTS_ALL});
    rep.allocations.push_back(h);
    rep.gpu_vas.push_back(a->gpu_va);
    resource_ref.allocation_handles.push_back(h);
  }
  if (create_resource) c.proc.handles.emplace(rep.resource, std::move(resource_ref));
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_destroy_allocation(Ctx& c) {
  wire::DestroyAllocationReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup_device(c.proc, req.device) == nullptr) return STATUS_INVALID_PARAMETER;
  if (req.allocations.size() > limits::kMaxAllocations || (req.flags & ~kDestroyAllocation2Known) != 0)
    return STATUS_INVALID_PARAMETER;
  if (req.resource != 0 && lookup<ResourceRef>(c.proc, req.resource) == nullptr) return STATUS_INVALID_PARAMETER;
  for (uint32_t h : req.allocations) {
    auto* a = lookup<AllocationRef>(c.proc, h);
    if (a == nullptr || (req.resource != 0 && a->resource_handle != req.resource)) return STATUS_INVALID_PARAMETER;
  }
  for (uint32_t h : req.allocations) remove_handle(c.proc, h);
  if (req.resource != 0) remove_handle(c.proc, req.resource);  // with the allocations it still has
  return STATUS_SUCCESS;
}

int32_t Kernel::op_lock2(Ctx& c) {
  wire::LockReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup_device(c.proc, req.device) == nullptr || req.flags != 0) return STATUS_INVALID_PARAMETER;
  auto* ref = lookup<AllocationRef>(c.proc, req.allocation);
  if (ref == nullptr) return STATUS_INVALID_PARAMETER;
  const Allocation& a = *ref->allocation;
  wire::LockRep rep;
  rep.size = a.size;
  if (a.standard) {
    // The memory is the creator's: only there does the address mean anything.
    if (a.creator_process != c.proc.id) return STATUS_NOT_SUPPORTED;
    rep.address = a.sysmem_address;
    c.out(rep);
    return STATUS_SUCCESS;
  }
  if ((a.desc_flags & KMTSIM_ALLOCATION_CPU_VISIBLE) == 0) return STATUS_INVALID_PARAMETER;
  // A lock is a write access (spec §10.1).
  if (options_.access_checks && (ref->access & SHARED_ALLOCATION_WRITE) == 0) return STATUS_ACCESS_DENIED;
  UniqueFd memory(::fcntl(a.memory.get(), F_DUPFD_CLOEXEC, 0));
  if (!memory) return STATUS_NO_MEMORY;
  rep.mapped = 1;
  c.fds_out.push_back(std::move(memory));
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_unlock2(Ctx& c) {
  wire::LockReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup_device(c.proc, req.device) == nullptr) return STATUS_INVALID_PARAMETER;
  if (lookup<AllocationRef>(c.proc, req.allocation) == nullptr) return STATUS_INVALID_PARAMETER;
  return STATUS_SUCCESS;
}

int32_t Kernel::op_query_resource_info(Ctx& c) {
  wire::QueryResourceReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (lookup_device(c.proc, req.device) == nullptr) return STATUS_INVALID_PARAMETER;
  std::shared_ptr<Resource> r;
  if (req.from_nt) {
    if (c.fds_in.size() != 1) return STATUS_INVALID_HANDLE;
    auto handle = nt_handle_from_fd(c.fds_in[0].get());
    if (!handle) return STATUS_INVALID_HANDLE;
    if (handle->object->type != NtObject::Type::Resource) return STATUS_OBJECT_TYPE_MISMATCH;
    r = handle->object->resource;
  } else {
    // A global handle; a local resource handle is not one.
    auto it = global_resources_.find(req.global);
    r = it == global_resources_.end() ? nullptr : it->second.lock();
    if (!r) return STATUS_INVALID_PARAMETER;
  }
  wire::QueryResourceRep rep;
  rep.runtime_data_size = static_cast<uint32_t>(r->runtime_data.size());
  rep.total_driver_data_size = total_driver_data(*r);
  rep.resource_driver_data_size = static_cast<uint32_t>(r->driver_data.size());
  rep.num_allocations = static_cast<uint32_t>(r->allocations.size());
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_open_resource(Ctx& c) {
  wire::OpenResourceReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  auto* device = lookup_device(c.proc, req.device);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  std::shared_ptr<NtObject> shared;
  std::shared_ptr<Resource> r;
  uint32_t access = SHARED_ALLOCATION_ALL_ACCESS | STANDARD_RIGHTS_ALL;
  if (req.from_nt) {
    if (c.fds_in.size() != 1) return STATUS_INVALID_HANDLE;
    auto handle = nt_handle_from_fd(c.fds_in[0].get());
    if (!handle) return STATUS_INVALID_HANDLE;
    if (handle->object->type != NtObject::Type::Resource) return STATUS_OBJECT_TYPE_MISMATCH;
    shared = handle->object;
    r = shared->resource;
    access = handle->access;
  } else {
    auto it = global_resources_.find(req.global);
    r = it == global_resources_.end() ? nullptr : it->second.lock();
    if (!r) return STATUS_INVALID_PARAMETER;
  }
  // Sizes must match what is stored exactly (spec §4, §5.4).
  if (req.num_allocations != r->allocations.size() || req.runtime_data_size != r->runtime_data.size() ||
      req.resource_driver_data_size != r->driver_data.size())
    return STATUS_INVALID_PARAMETER;
  const uint32_t total = total_driver_data(*r);
  if (req.total_buffer_size < total) return STATUS_NO_MEMORY;
  if (options_.access_checks && (access & STANDARD_RIGHTS_READ) == 0) return STATUS_ACCESS_DENIED;

  wire::OpenResourceRep rep;
  rep.resource = new_handle(c.proc);
  ResourceRef ref{r, *device, access, {}};
  uint32_t offset = 0;
  for (const auto& a : r->allocations) {
    const uint32_t h = new_handle(c.proc);
    c.proc.handles.emplace(h, AllocationRef{a, *device, rep.resource, access});
    ref.allocation_handles.push_back(h);
    rep.allocations.push_back({h, a->gpu_va, offset, static_cast<uint32_t>(a->driver_data.size())});
    rep.total_driver_data.insert(rep.total_driver_data.end(), a->driver_data.begin(), a->driver_data.end());
    offset += static_cast<uint32_t>(a->driver_data.size());
  }
  c.proc.handles.emplace(rep.resource, std::move(ref));
  rep.runtime_data = r->runtime_data;
  rep.resource_driver_data = r->driver_data;
  if (shared && shared->mutex) {
    KeyedMutex& m = *shared->mutex;
    // The caller's keyed-mutex data goes in only if the mutex has none yet.
    if (m.runtime_data.empty()) m.runtime_data = req.mutex_runtime_data;
    rep.mutex_runtime_data_size = static_cast<uint32_t>(m.runtime_data.size());
    rep.keyed_mutex = new_handle(c.proc);
    c.proc.handles.emplace(rep.keyed_mutex, MutexRef{shared->mutex});
  }
  if (shared && shared->sync) {
    // Whoever may open the resource may wait for and signal its sync object.
    rep.sync_object = add_sync_ref(c.proc, SyncRef{shared->sync, *device, D3DDDI_SYNC_OBJECT_ALL_ACCESS, 0});
  }
  r->sealed = true;
  c.out(rep);
  return STATUS_SUCCESS;
}

}  // namespace kmtsim::kernel
