// D3DKMT entry points for sync objects: creation, opening, destruction, and
// CPU and GPU signals and waits. A monitored fence's value page is mapped
// read-only into every process that holds the fence.
#include "client.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace kmtsim::client;
using kmtsim::UniqueFd;
namespace wire = kmtsim::wire;
using wire::Op;

namespace {

constexpr uint32_t kSyncNoSignalMaxValueOnTdr = 0x40;  // D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS

void* map_fence_page(const UniqueFd& fd) {
  void* p = ::mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd.get(), 0);
  return p == MAP_FAILED ? nullptr : p;
}

// Maps the fence page that came with a reply; on failure the new handle is
// destroyed again. Returns the mapping, or nullptr when there was no page.
NTSTATUS take_page(const std::vector<UniqueFd>& fds, D3DKMT_HANDLE sync, D3DKMT_HANDLE device, uint32_t flags,
                   void** page) {
  *page = nullptr;
  if (fds.size() != 1) return STATUS_SUCCESS;
  *page = map_fence_page(fds[0]);
  if (*page == nullptr) {
    D3DKMT_DESTROYSYNCHRONIZATIONOBJECT destroy{sync};
    D3DKMTDestroySynchronizationObject(&destroy);
    return STATUS_NO_MEMORY;
  }
  conn().add_mapping(sync, device, *page, kPage, true, (flags & kSyncNoSignalMaxValueOnTdr) != 0);
  return STATUS_SUCCESS;
}

NTSTATUS create(D3DKMT_HANDLE device, D3DDDI_SYNCHRONIZATIONOBJECT_TYPE type, uint32_t flags,
                std::vector<uint64_t> info, HANDLE event, bool v1, wire::SyncObjectRep& rep, void** page) {
  wire::CreateSyncObject2Req req;
  req.device = device;
  req.type = static_cast<uint32_t>(type);
  req.flags = flags;
  req.info = std::move(info);
  req.v1 = v1;
  std::vector<UniqueFd> fds;
  int fd = -1;
  if (type == D3DDDI_CPU_NOTIFICATION) {
    // The event to signal; it must be an open handle (an eventfd).
    if (event == nullptr || !is_open_fd(event)) return STATUS_INVALID_HANDLE;
    fd = fd_of(event);
  }
  const NTSTATUS status = conn().call(v1 ? Op::CreateSyncObject : Op::CreateSyncObject2, req, &rep,
                                      fd >= 0 ? std::span<const int>(&fd, 1) : std::span<const int>(), &fds);
  if (!NT_SUCCESS(status)) return status;
  return take_page(fds, rep.handle, device, flags, page);
}

}  // namespace

NTSTATUS APIENTRY D3DKMTCreateSynchronizationObject(D3DKMT_CREATESYNCHRONIZATIONOBJECT* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  std::vector<uint64_t> info;
  if (pData->Info.Type == D3DDDI_SYNCHRONIZATION_MUTEX) info = {static_cast<uint64_t>(pData->Info.SynchronizationMutex.InitialState)};
  else if (pData->Info.Type == D3DDDI_SEMAPHORE) info = {pData->Info.Semaphore.MaxCount, pData->Info.Semaphore.InitialCount};
  wire::SyncObjectRep rep;
  void* page = nullptr;
  const NTSTATUS status = create(pData->hDevice, pData->Info.Type, 0, std::move(info), nullptr, true, rep, &page);
  if (NT_SUCCESS(status)) pData->hSyncObject = rep.handle;
  return status;
}

NTSTATUS APIENTRY D3DKMTCreateSynchronizationObject2(D3DKMT_CREATESYNCHRONIZATIONOBJECT2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  auto& info = pData->Info;
  std::vector<uint64_t> words;
  HANDLE event = nullptr;
  switch (info.Type) {
    case D3DDDI_MONITORED_FENCE: words = {info.MonitoredFence.InitialFenceValue, info.MonitoredFence.EngineAffinity}; break;
    case D3DDDI_SYNCHRONIZATION_MUTEX: words = {static_cast<uint64_t>(info.SynchronizationMutex.InitialState)}; break;
    case D3DDDI_SEMAPHORE: words = {info.Semaphore.MaxCount, info.Semaphore.InitialCount}; break;
    case D3DDDI_FENCE: words = {info.Fence.FenceValue}; break;
    case D3DDDI_CPU_NOTIFICATION: event = info.CPUNotification.Event; break;
    default: break;
  }
  wire::SyncObjectRep rep;
  void* page = nullptr;
  const NTSTATUS status = create(pData->hDevice, info.Type, info.Flags.Value, std::move(words), event, false, rep, &page);
  if (!NT_SUCCESS(status)) return status;
  if (info.Type == D3DDDI_MONITORED_FENCE) {
    info.MonitoredFence.FenceValueCPUVirtualAddress = static_cast<char*>(page) + rep.page_offset;
    info.MonitoredFence.FenceValueGPUVirtualAddress = rep.gpu_va;
  }
  info.SharedHandle = rep.shared_handle;
  pData->hSyncObject = rep.handle;
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenSynchronizationObject(D3DKMT_OPENSYNCHRONIZATIONOBJECT* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::SyncObjectRep rep;
  const NTSTATUS status = conn().call(Op::OpenSyncObject, wire::GlobalReq{pData->hSharedHandle}, &rep);
  if (NT_SUCCESS(status)) pData->hSyncObject = rep.handle;
  return status;
}

static NTSTATUS open_sync_from_nt(HANDLE nt, const wire::OpenSyncObjectFromNtHandle2Req& req, wire::SyncObjectRep& rep,
                                  void** page) {
  if (!is_open_fd(nt)) return STATUS_INVALID_HANDLE;
  const int fd = fd_of(nt);
  std::vector<UniqueFd> fds;
  const Op op = req.v1 ? Op::OpenSyncObjectFromNtHandle : Op::OpenSyncObjectFromNtHandle2;
  const NTSTATUS status = conn().call(op, req, &rep, std::span<const int>(&fd, 1), &fds);
  if (!NT_SUCCESS(status)) return status;
  return take_page(fds, rep.handle, req.device, req.flags, page);
}

NTSTATUS APIENTRY D3DKMTOpenSyncObjectFromNtHandle(D3DKMT_OPENSYNCOBJECTFROMNTHANDLE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::OpenSyncObjectFromNtHandle2Req req;
  req.v1 = 1;
  wire::SyncObjectRep rep;
  void* page = nullptr;
  const NTSTATUS status = open_sync_from_nt(pData->hNtHandle, req, rep, &page);
  if (NT_SUCCESS(status)) pData->hSyncObject = rep.handle;
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenSyncObjectFromNtHandle2(D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->hDevice == 0) return STATUS_INVALID_PARAMETER;  // before the NT handle (spec §5.4)
  wire::OpenSyncObjectFromNtHandle2Req req;
  req.device = pData->hDevice;
  req.flags = pData->Flags.Value;
  req.engine_affinity = pData->MonitoredFence.EngineAffinity;
  wire::SyncObjectRep rep;
  void* page = nullptr;
  const NTSTATUS status = open_sync_from_nt(pData->hNtHandle, req, rep, &page);
  if (!NT_SUCCESS(status)) return status;
  pData->hSyncObject = rep.handle;
  if (page != nullptr) {
    pData->MonitoredFence.FenceValueCPUVirtualAddress = static_cast<char*>(page) + rep.page_offset;
    pData->MonitoredFence.FenceValueGPUVirtualAddress = rep.gpu_va;
  }
  return status;
}

NTSTATUS APIENTRY D3DKMTDestroySynchronizationObject(CONST D3DKMT_DESTROYSYNCHRONIZATIONOBJECT* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  const NTSTATUS status =
      conn().call(Op::DestroySyncObject, wire::HandleReq{pData->hSyncObject}, static_cast<wire::EmptyRep*>(nullptr));
  if (NT_SUCCESS(status)) conn().remove_mapping(pData->hSyncObject);
  return status;
}

NTSTATUS APIENTRY D3DKMTSignalSynchronizationObjectFromCpu(CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->ObjectCount == 0 || pData->ObjectCount > kMaxObjectsPerCall) return STATUS_INVALID_PARAMETER;
  wire::SignalFromCpuReq req;
  req.device = pData->hDevice;
  req.flags = pData->Flags.Value;
  if (!copy_array(pData->ObjectHandleArray, pData->ObjectCount, req.handles) ||
      !copy_array(pData->FenceValueArray, pData->ObjectCount, req.values))
    return STATUS_INVALID_PARAMETER;
  return conn().call(Op::SignalFromCpu, req, static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTWaitForSynchronizationObjectFromCpu(CONST D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->ObjectCount == 0 || pData->ObjectCount > kMaxObjectsPerCall) return STATUS_INVALID_PARAMETER;
  wire::WaitFromCpuReq req;
  req.device = pData->hDevice;
  req.flags = pData->Flags.Value;
  if (!copy_array(pData->ObjectHandleArray, pData->ObjectCount, req.handles) ||
      !copy_array(pData->FenceValueArray, pData->ObjectCount, req.values))
    return STATUS_INVALID_PARAMETER;
  wire::WaitFromCpuRep rep;
  if (pData->hAsyncEvent != nullptr) {
    // The caller's event (an eventfd) is signalled when the wait is satisfied.
    if (!is_open_fd(pData->hAsyncEvent)) return STATUS_INVALID_HANDLE;
    const int fd = fd_of(pData->hAsyncEvent);
    return conn().call(Op::WaitFromCpu, req, &rep, std::span<const int>(&fd, 1));
  }
  // Blocking: an event of our own; the daemon's socket tells if it goes away.
  UniqueFd event(::eventfd(0, EFD_CLOEXEC));
  if (!event) return STATUS_NO_MEMORY;
  req.blocking = 1;
  const int fd = event.get();
  const NTSTATUS status = conn().call(Op::WaitFromCpu, req, &rep, std::span<const int>(&fd, 1));
  if (!NT_SUCCESS(status) || rep.satisfied) return status;
  const auto code = wait_event(event.get(), -1);
  if (!code || *code >= kWakeDeviceRemoved) return STATUS_DEVICE_REMOVED;
  return STATUS_SUCCESS;
}

NTSTATUS APIENTRY D3DKMTSignalSynchronizationObjectFromGpu(CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->ObjectCount == 0 || pData->ObjectCount > kMaxObjectsPerCall) return STATUS_INVALID_PARAMETER;
  wire::SignalFromGpuReq req;
  req.context = pData->hContext;
  if (!copy_array(pData->ObjectHandleArray, pData->ObjectCount, req.handles) ||
      !copy_array(pData->MonitoredFenceValueArray, pData->ObjectCount, req.values))
    return STATUS_INVALID_PARAMETER;
  return conn().call(Op::SignalFromGpu, req, static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTSignalSynchronizationObjectFromGpu2(CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->ObjectCount > kMaxObjectsPerCall || pData->BroadcastContextCount == 0 ||
      pData->BroadcastContextCount > D3DDDI_MAX_BROADCAST_CONTEXT)
    return STATUS_INVALID_PARAMETER;
  wire::SignalFromGpu2Req req;
  req.flags = pData->Flags.Value;
  if (!copy_array(pData->ObjectHandleArray, pData->ObjectCount, req.handles) ||
      !copy_array(pData->BroadcastContextArray, pData->BroadcastContextCount, req.contexts))
    return STATUS_INVALID_PARAMETER;
  if (pData->Flags.EnqueueCpuEvent) {
    if (!is_open_fd(pData->CpuEventHandle)) return STATUS_INVALID_HANDLE;
    const int fd = fd_of(pData->CpuEventHandle);
    return conn().call(Op::SignalFromGpu2, req, static_cast<wire::EmptyRep*>(nullptr), std::span<const int>(&fd, 1));
  }
  if (!copy_array(pData->MonitoredFenceValueArray, pData->ObjectCount, req.values)) return STATUS_INVALID_PARAMETER;
  return conn().call(Op::SignalFromGpu2, req, static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTWaitForSynchronizationObjectFromGpu(CONST D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->ObjectCount == 0 || pData->ObjectCount > kMaxObjectsPerCall) return STATUS_INVALID_PARAMETER;
  wire::WaitFromGpuReq req;
  req.context = pData->hContext;
  if (!copy_array(pData->ObjectHandleArray, pData->ObjectCount, req.handles) ||
      !copy_array(pData->MonitoredFenceValueArray, pData->ObjectCount, req.values))
    return STATUS_INVALID_PARAMETER;
  return conn().call(Op::WaitFromGpu, req, static_cast<wire::EmptyRep*>(nullptr));
}
