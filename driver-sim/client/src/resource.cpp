// D3DKMT entry points for allocations and resources: creation, destruction,
// CPU access (Lock2/Unlock2: video memory is mapped shared, so every process
// that locks an allocation sees the same bytes), and opening shared resources.
#include "client.h"

#include <sys/mman.h>

using namespace kmtsim::client;
using kmtsim::UniqueFd;
namespace wire = kmtsim::wire;
using wire::Op;

namespace {

constexpr uint32_t kFlagCreateResource = 1u << 0;
constexpr uint32_t kFlagStandardAllocation = 1u << 16;

// D3DDDI_ALLOCATIONINFO and ...INFO2 share the fields the driver reads.
template <typename Info>
NTSTATUS create_allocation(D3DKMT_CREATEALLOCATION* p, Info* infos) {
  if (p->NumAllocations > kMaxAllocations || (p->NumAllocations != 0 && infos == nullptr))
    return STATUS_INVALID_PARAMETER;
  if (p->PrivateRuntimeDataSize > kMaxPrivateData || p->PrivateDriverDataSize > kMaxPrivateData)
    return STATUS_INVALID_PARAMETER;
  wire::CreateAllocationReq req;
  req.device = p->hDevice;
  req.resource = p->hResource;
  req.flags = bits_of(p->Flags);
  const bool standard = (req.flags & kFlagStandardAllocation) != 0;
  if (standard) {
    // pStandardAllocation shares its storage with pPrivateDriverData: with a
    // standard allocation the (top-level) driver data size must be 0.
    if (p->PrivateDriverDataSize != 0) return STATUS_INVALID_PARAMETER;
    if (p->pStandardAllocation != nullptr) {
      req.has_standard = 1;
      req.standard_type = static_cast<uint32_t>(p->pStandardAllocation->Type);
      req.standard_size = p->pStandardAllocation->ExistingHeapData.Size;
      req.standard_flags = bits_of(p->pStandardAllocation->Flags);
    }
  } else if (!copy_array(static_cast<const uint8_t*>(p->pPrivateDriverData), p->PrivateDriverDataSize,
                         req.resource_driver_data)) {
    return STATUS_INVALID_PARAMETER;
  }
  if (!copy_array(static_cast<const uint8_t*>(p->pPrivateRuntimeData), p->PrivateRuntimeDataSize, req.runtime_data))
    return STATUS_INVALID_PARAMETER;
  for (UINT k = 0; k < p->NumAllocations; ++k) {
    const Info& info = infos[k];
    if (info.PrivateDriverDataSize > kMaxPrivateData) return STATUS_INVALID_PARAMETER;
    wire::AllocationInfoIn in;
    in.sysmem = reinterpret_cast<uintptr_t>(info.pSystemMem);
    in.vidpn_source = info.VidPnSourceId;
    in.flags = info.Flags.Value;
    if (!copy_array(static_cast<const uint8_t*>(info.pPrivateDriverData), info.PrivateDriverDataSize, in.driver_data))
      return STATUS_INVALID_PARAMETER;
    req.allocations.push_back(std::move(in));
  }
  wire::CreateAllocationRep rep;
  const NTSTATUS status = conn().call(Op::CreateAllocation, req, &rep);
  if (!NT_SUCCESS(status)) return status;
  if (rep.allocations.size() != p->NumAllocations) return STATUS_UNSUCCESSFUL;
  p->hGlobalShare = rep.global_share;
  if (req.flags & kFlagCreateResource) {
    p->hResource = rep.resource;
    conn().add_resource(rep.resource, rep.allocations);
  }
  for (UINT k = 0; k < p->NumAllocations; ++k) {
    infos[k].hAllocation = rep.allocations[k];
    if constexpr (std::is_same_v<Info, D3DDDI_ALLOCATIONINFO2>) infos[k].GpuVirtualAddress = rep.gpu_vas[k];
  }
  return status;
}

NTSTATUS destroy_allocation(D3DKMT_HANDLE device, D3DKMT_HANDLE resource, const D3DKMT_HANDLE* list, UINT count,
                            uint32_t flags) {
  if (count > kMaxAllocations) return STATUS_INVALID_PARAMETER;
  wire::DestroyAllocationReq req;
  req.device = device;
  req.resource = resource;
  req.flags = flags;
  if (!copy_array(list, count, req.allocations)) return STATUS_INVALID_PARAMETER;
  const NTSTATUS status = conn().call(Op::DestroyAllocation, req, static_cast<wire::EmptyRep*>(nullptr));
  if (!NT_SUCCESS(status)) return status;
  for (D3DKMT_HANDLE a : req.allocations) conn().remove_mapping(a);
  if (resource != 0) conn().forget_resource(resource);
  return status;
}

NTSTATUS query(D3DKMT_HANDLE device, D3DKMT_HANDLE global, HANDLE nt, bool from_nt, wire::QueryResourceRep& rep) {
  wire::QueryResourceReq req{device, global, static_cast<uint8_t>(from_nt)};
  if (!from_nt) return conn().call(Op::QueryResourceInfo, req, &rep);
  if (!is_open_fd(nt)) return STATUS_INVALID_HANDLE;
  const int fd = fd_of(nt);
  return conn().call(Op::QueryResourceInfo, req, &rep, std::span<const int>(&fd, 1));
}

// The common part of OpenResource(2) and OpenResourceFromNtHandle.
struct OpenArgs {
  D3DKMT_HANDLE device;
  D3DKMT_HANDLE global;
  HANDLE nt;
  bool from_nt;
  UINT num_allocations;
  void* runtime_data;
  UINT runtime_data_size;
  void* resource_data;
  UINT resource_data_size;
  void* total_buffer;
  UINT* total_buffer_size;
  const void* mutex_data;
  UINT mutex_data_size;
};

template <typename Info>
NTSTATUS open_resource(const OpenArgs& a, Info* infos, wire::OpenResourceRep& rep) {
  // Required, every one of them (spec §5.4).
  if (infos == nullptr || a.num_allocations == 0 || a.runtime_data == nullptr || a.total_buffer == nullptr ||
      (a.resource_data_size != 0 && a.resource_data == nullptr))
    return STATUS_INVALID_PARAMETER;
  // Keyed-mutex data is read only from a buffer that is there (a garbage size
  // with no buffer is ignored: Windows zeroes it when there is no mutex).
  if (a.mutex_data != nullptr && a.mutex_data_size > kMaxPrivateData) return STATUS_INVALID_PARAMETER;
  wire::OpenResourceReq req;
  req.device = a.device;
  req.global = a.global;
  req.from_nt = a.from_nt;
  req.num_allocations = a.num_allocations;
  req.runtime_data_size = a.runtime_data_size;
  req.resource_driver_data_size = a.resource_data_size;
  req.total_buffer_size = *a.total_buffer_size;
  if (a.mutex_data != nullptr) copy_array(static_cast<const uint8_t*>(a.mutex_data), a.mutex_data_size, req.mutex_runtime_data);
  NTSTATUS status;
  if (a.from_nt) {
    if (!is_open_fd(a.nt)) return STATUS_INVALID_HANDLE;
    const int fd = fd_of(a.nt);
    status = conn().call(Op::OpenResource, req, &rep, std::span<const int>(&fd, 1));
  } else {
    status = conn().call(Op::OpenResource, req, &rep);
  }
  if (!NT_SUCCESS(status)) return status;
  if (rep.allocations.size() != a.num_allocations || rep.runtime_data.size() != a.runtime_data_size ||
      rep.resource_driver_data.size() != a.resource_data_size || rep.total_driver_data.size() > *a.total_buffer_size)
    return STATUS_UNSUCCESSFUL;
  if (!rep.runtime_data.empty()) std::memcpy(a.runtime_data, rep.runtime_data.data(), rep.runtime_data.size());
  if (!rep.resource_driver_data.empty())
    std::memcpy(a.resource_data, rep.resource_driver_data.data(), rep.resource_driver_data.size());
  auto* total = static_cast<uint8_t*>(a.total_buffer);
  if (!rep.total_driver_data.empty()) std::memcpy(total, rep.total_driver_data.data(), rep.total_driver_data.size());
  *a.total_buffer_size = static_cast<UINT>(rep.total_driver_data.size());
  std::vector<uint32_t> handles;
  for (UINT k = 0; k < a.num_allocations; ++k) {
    const wire::OpenedAllocation& o = rep.allocations[k];
    infos[k].hAllocation = o.handle;
    // The allocation's driver data is where it landed in the total buffer.
    infos[k].pPrivateDriverData = total + o.driver_data_offset;
    infos[k].PrivateDriverDataSize = o.driver_data_size;
    if constexpr (std::is_same_v<Info, D3DDDI_OPENALLOCATIONINFO2>) infos[k].GpuVirtualAddress = o.gpu_va;
    handles.push_back(o.handle);
  }
  conn().add_resource(rep.resource, std::move(handles));
  return status;
}

}  // namespace

NTSTATUS APIENTRY D3DKMTCreateAllocation(D3DKMT_CREATEALLOCATION* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return create_allocation(pData, pData->pAllocationInfo);
}

NTSTATUS APIENTRY D3DKMTCreateAllocation2(D3DKMT_CREATEALLOCATION* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return create_allocation(pData, pData->pAllocationInfo2);
}

NTSTATUS APIENTRY D3DKMTDestroyAllocation(CONST D3DKMT_DESTROYALLOCATION* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return destroy_allocation(pData->hDevice, pData->hResource, pData->phAllocationList, pData->AllocationCount, 0);
}

NTSTATUS APIENTRY D3DKMTDestroyAllocation2(CONST D3DKMT_DESTROYALLOCATION2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return destroy_allocation(pData->hDevice, pData->hResource, pData->phAllocationList, pData->AllocationCount,
                            pData->Flags.Value);
}

NTSTATUS APIENTRY D3DKMTLock2(D3DKMT_LOCK2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::LockRep rep;
  std::vector<UniqueFd> fds;
  const NTSTATUS status =
      conn().call(Op::Lock2, wire::LockReq{pData->hDevice, pData->hAllocation, pData->Flags.Value}, &rep, {}, &fds);
  if (!NT_SUCCESS(status)) return status;
  if (!rep.mapped) {
    pData->pData = reinterpret_cast<void*>(static_cast<uintptr_t>(rep.address));
    return status;
  }
  if (void* mapped = conn().mapping(pData->hAllocation, true)) {
    pData->pData = mapped;  // locked again: the same mapping
    return status;
  }
  if (fds.size() != 1) return STATUS_UNSUCCESSFUL;
  void* p = ::mmap(nullptr, rep.size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0].get(), 0);
  if (p == MAP_FAILED) return STATUS_NO_MEMORY;
  conn().add_mapping(pData->hAllocation, pData->hDevice, p, rep.size, false);
  pData->pData = p;
  return status;
}

NTSTATUS APIENTRY D3DKMTUnlock2(CONST D3DKMT_UNLOCK2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  const NTSTATUS status =
      conn().call(Op::Unlock2, wire::LockReq{pData->hDevice, pData->hAllocation, 0}, static_cast<wire::EmptyRep*>(nullptr));
  if (NT_SUCCESS(status)) conn().remove_mapping(pData->hAllocation, true);
  return status;
}

NTSTATUS APIENTRY D3DKMTQueryResourceInfo(D3DKMT_QUERYRESOURCEINFO* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::QueryResourceRep rep;
  const NTSTATUS status = query(pData->hDevice, pData->hGlobalShare, nullptr, false, rep);
  if (!NT_SUCCESS(status)) return status;
  // The runtime data itself is never copied by a query (Windows).
  pData->PrivateRuntimeDataSize = rep.runtime_data_size;
  pData->TotalPrivateDriverDataSize = rep.total_driver_data_size;
  pData->ResourcePrivateDriverDataSize = rep.resource_driver_data_size;
  pData->NumAllocations = rep.num_allocations;
  return status;
}

NTSTATUS APIENTRY D3DKMTQueryResourceInfoFromNtHandle(D3DKMT_QUERYRESOURCEINFOFROMNTHANDLE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::QueryResourceRep rep;
  const NTSTATUS status = query(pData->hDevice, 0, pData->hNtHandle, true, rep);
  if (!NT_SUCCESS(status)) return status;
  pData->PrivateRuntimeDataSize = rep.runtime_data_size;
  pData->TotalPrivateDriverDataSize = rep.total_driver_data_size;
  pData->ResourcePrivateDriverDataSize = rep.resource_driver_data_size;
  pData->NumAllocations = rep.num_allocations;
  return status;
}

static NTSTATUS open_resource_global(D3DKMT_OPENRESOURCE* p, bool v2) {
  OpenArgs a{p->hDevice,
             p->hGlobalShare,
             nullptr,
             false,
             p->NumAllocations,
             p->pPrivateRuntimeData,
             p->PrivateRuntimeDataSize,
             p->pResourcePrivateDriverData,
             p->ResourcePrivateDriverDataSize,
             p->pTotalPrivateDriverDataBuffer,
             &p->TotalPrivateDriverDataBufferSize,
             nullptr,
             0};
  wire::OpenResourceRep rep;
  const NTSTATUS status = v2 ? open_resource(a, p->pOpenAllocationInfo2, rep) : open_resource(a, p->pOpenAllocationInfo, rep);
  if (NT_SUCCESS(status)) p->hResource = rep.resource;
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenResource(D3DKMT_OPENRESOURCE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return open_resource_global(pData, false);
}

NTSTATUS APIENTRY D3DKMTOpenResource2(D3DKMT_OPENRESOURCE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return open_resource_global(pData, true);
}

NTSTATUS APIENTRY D3DKMTOpenResourceFromNtHandle(D3DKMT_OPENRESOURCEFROMNTHANDLE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  OpenArgs a{pData->hDevice,
             0,
             pData->hNtHandle,
             true,
             pData->NumAllocations,
             pData->pPrivateRuntimeData,
             pData->PrivateRuntimeDataSize,
             pData->pResourcePrivateDriverData,
             pData->ResourcePrivateDriverDataSize,
             pData->pTotalPrivateDriverDataBuffer,
             &pData->TotalPrivateDriverDataBufferSize,
             pData->pKeyedMutexPrivateRuntimeData,
             pData->KeyedMutexPrivateRuntimeDataSize};
  wire::OpenResourceRep rep;
  const NTSTATUS status = open_resource(a, pData->pOpenAllocationInfo2, rep);
  if (!NT_SUCCESS(status)) return status;
  pData->hResource = rep.resource;
  pData->hKeyedMutex = rep.keyed_mutex;
  pData->KeyedMutexPrivateRuntimeDataSize = rep.mutex_runtime_data_size;
  pData->hSyncObject = rep.sync_object;
  return status;
}
