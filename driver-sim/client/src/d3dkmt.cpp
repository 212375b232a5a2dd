// The D3DKMT entry points of the client library. Each one checks what only
// the caller's address space can check (pointers, array sizes, descriptors),
// sends one request to kmtsimd and copies the answer out. NT handles are file
// descriptors of this process.
#include "d3dkmthk.h"

#include "connection.h"
#include "kmtsim/nthandle.h"
#include "kmtsim/wire/messages.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

using kmtsim::UniqueFd;
using kmtsim::client::Connection;
namespace wire = kmtsim::wire;
using wire::Op;

namespace {

constexpr UINT kMaxObjectsPerCall = 32;
constexpr size_t kPage = 4096;
constexpr size_t kMaxPrivateData = 64 * 1024;
constexpr size_t kMaxEscapeData = 128 * 1024;
// Wake codes kmtsimd writes to a blocking wait's event.
constexpr uint64_t kWakeDeviceRemoved = 3;

template <typename T>
uint32_t bits_of(const T& flags) {
  static_assert(sizeof(T) == sizeof(uint32_t));
  uint32_t v;
  std::memcpy(&v, &flags, sizeof(v));
  return v;
}

Connection& conn() { return Connection::instance(); }

int fd_of(HANDLE h) { return static_cast<int>(reinterpret_cast<intptr_t>(h)); }

bool is_open_fd(HANDLE h) {
  const intptr_t v = reinterpret_cast<intptr_t>(h);
  return v > 0 && v <= INT32_MAX && ::fcntl(static_cast<int>(v), F_GETFD) != -1;
}

HANDLE handle_of(UniqueFd fd) {
  // Keep NT handles off the standard streams' numbers.
  int moved = fd.get() >= 3 ? fd.release() : ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  return reinterpret_cast<HANDLE>(static_cast<intptr_t>(moved));
}

void* map_fence_page(const UniqueFd& fd) {
  void* p = ::mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd.get(), 0);
  return p == MAP_FAILED ? nullptr : p;
}

// Copies `count` items of a caller's array; false when it is missing.
template <typename T, typename U>
bool copy_array(const T* array, UINT count, std::vector<U>& out) {
  if (count != 0 && array == nullptr) return false;
  out.assign(array, array + count);
  return true;
}

}  // namespace

// --- Adapters, devices, contexts ---------------------------------------------------

NTSTATUS APIENTRY D3DKMTEnumAdapters2(CONST D3DKMT_ENUMADAPTERS2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  auto* out = const_cast<D3DKMT_ENUMADAPTERS2*>(pData);  // Windows declares it const, and writes it
  wire::EnumAdapters2Req req{pData->NumAdapters, static_cast<uint8_t>(pData->pAdapters == nullptr)};
  wire::EnumAdapters2Rep rep;
  const NTSTATUS status = conn().call(Op::EnumAdapters2, req, &rep);
  if (!NT_SUCCESS(status)) return status;
  if (pData->pAdapters != nullptr) {
    if (rep.adapters.size() > pData->NumAdapters) return STATUS_BUFFER_TOO_SMALL;
    for (size_t k = 0; k < rep.adapters.size(); ++k) {
      D3DKMT_ADAPTERINFO& a = out->pAdapters[k];
      a.hAdapter = rep.adapters[k].handle;
      a.AdapterLuid.LowPart = rep.adapters[k].luid_low;
      a.AdapterLuid.HighPart = rep.adapters[k].luid_high;
      a.NumOfSources = rep.adapters[k].num_sources;
      a.bPrecisePresentRegionsPreferred = static_cast<BOOL>(rep.adapters[k].precise_present_regions);
    }
  }
  out->NumAdapters = rep.count;
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenAdapterFromLuid(CONST D3DKMT_OPENADAPTERFROMLUID* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::HandleRep rep;
  const NTSTATUS status = conn().call(
      Op::OpenAdapterFromLuid, wire::OpenAdapterFromLuidReq{pData->AdapterLuid.LowPart, pData->AdapterLuid.HighPart},
      &rep);
  if (NT_SUCCESS(status)) const_cast<D3DKMT_OPENADAPTERFROMLUID*>(pData)->hAdapter = rep.handle;
  return status;
}

NTSTATUS APIENTRY D3DKMTCloseAdapter(CONST D3DKMT_CLOSEADAPTER* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return conn().call(Op::CloseAdapter, wire::HandleReq{pData->hAdapter}, static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTCreateDevice(D3DKMT_CREATEDEVICE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::HandleRep rep;
  const NTSTATUS status = conn().call(Op::CreateDevice, wire::CreateDeviceReq{pData->hAdapter, bits_of(pData->Flags)}, &rep);
  if (!NT_SUCCESS(status)) return status;
  pData->hDevice = rep.handle;
  // WDDM 2 devices have no DMA buffers of their own.
  pData->pCommandBuffer = nullptr;
  pData->CommandBufferSize = 0;
  pData->pAllocationList = nullptr;
  pData->AllocationListSize = 0;
  pData->pPatchLocationList = nullptr;
  pData->PatchLocationListSize = 0;
  return status;
}

NTSTATUS APIENTRY D3DKMTDestroyDevice(CONST D3DKMT_DESTROYDEVICE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  const NTSTATUS status =
      conn().call(Op::DestroyDevice, wire::HandleReq{pData->hDevice}, static_cast<wire::EmptyRep*>(nullptr));
  if (NT_SUCCESS(status)) conn().remove_device_mappings(pData->hDevice);
  return status;
}

NTSTATUS APIENTRY D3DKMTCreateContextVirtual(D3DKMT_CREATECONTEXTVIRTUAL* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->PrivateDriverDataSize > kMaxPrivateData) return STATUS_INVALID_PARAMETER;
  wire::CreateContextVirtualReq req;
  req.device = pData->hDevice;
  req.node_ordinal = pData->NodeOrdinal;
  req.engine_affinity = pData->EngineAffinity;
  req.flags = bits_of(pData->Flags);
  req.client_hint = static_cast<uint32_t>(pData->ClientHint);
  const auto* priv = static_cast<const uint8_t*>(pData->pPrivateDriverData);
  if (!copy_array(priv, pData->PrivateDriverDataSize, req.private_data)) return STATUS_INVALID_PARAMETER;
  wire::HandleRep rep;
  const NTSTATUS status = conn().call(Op::CreateContextVirtual, req, &rep);
  if (NT_SUCCESS(status)) pData->hContext = rep.handle;
  return status;
}

NTSTATUS APIENTRY D3DKMTDestroyContext(CONST D3DKMT_DESTROYCONTEXT* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return conn().call(Op::DestroyContext, wire::HandleReq{pData->hContext}, static_cast<wire::EmptyRep*>(nullptr));
}

// --- Synchronization objects -------------------------------------------------------

NTSTATUS APIENTRY D3DKMTCreateSynchronizationObject2(D3DKMT_CREATESYNCHRONIZATIONOBJECT2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::CreateSyncObject2Req req;
  req.device = pData->hDevice;
  req.type = static_cast<uint32_t>(pData->Info.Type);
  req.flags = pData->Info.Flags.Value;
  if (pData->Info.Type == D3DDDI_MONITORED_FENCE)
    req.info = {pData->Info.MonitoredFence.InitialFenceValue, pData->Info.MonitoredFence.EngineAffinity};
  wire::SyncObjectRep rep;
  std::vector<UniqueFd> fds;
  const NTSTATUS status = conn().call(Op::CreateSyncObject2, req, &rep, {}, &fds);
  if (!NT_SUCCESS(status)) return status;
  if (pData->Info.Type == D3DDDI_MONITORED_FENCE) {
    void* page = fds.size() == 1 ? map_fence_page(fds[0]) : nullptr;
    if (page == nullptr) {
      D3DKMT_DESTROYSYNCHRONIZATIONOBJECT destroy{rep.handle};
      D3DKMTDestroySynchronizationObject(&destroy);
      return STATUS_NO_MEMORY;
    }
    conn().add_mapping(rep.handle, pData->hDevice, page);
    pData->Info.MonitoredFence.FenceValueCPUVirtualAddress = static_cast<char*>(page) + rep.page_offset;
    pData->Info.MonitoredFence.FenceValueGPUVirtualAddress = rep.gpu_va;
  }
  pData->Info.SharedHandle = rep.shared_handle;
  pData->hSyncObject = rep.handle;
  return status;
}

static NTSTATUS open_sync_from_nt(HANDLE nt, const wire::OpenSyncObjectFromNtHandle2Req& req, wire::SyncObjectRep& rep,
                                  void** page_out) {
  if (!is_open_fd(nt)) return STATUS_INVALID_HANDLE;
  const int fd = fd_of(nt);
  std::vector<UniqueFd> fds;
  const Op op = req.v1 ? Op::OpenSyncObjectFromNtHandle : Op::OpenSyncObjectFromNtHandle2;
  const NTSTATUS status = conn().call(op, req, &rep, std::span<const int>(&fd, 1), &fds);
  if (!NT_SUCCESS(status)) return status;
  *page_out = nullptr;
  if (fds.size() == 1) {
    *page_out = map_fence_page(fds[0]);
    if (*page_out == nullptr) {
      D3DKMT_DESTROYSYNCHRONIZATIONOBJECT destroy{rep.handle};
      D3DKMTDestroySynchronizationObject(&destroy);
      return STATUS_NO_MEMORY;
    }
    conn().add_mapping(rep.handle, req.device, *page_out);
  }
  return status;
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

NTSTATUS APIENTRY D3DKMTShareObjects(UINT cObjects, CONST D3DKMT_HANDLE* hObjects, POBJECT_ATTRIBUTES pObjectAttributes,
                                     DWORD dwDesiredAccess, HANDLE* phSharedNtHandle) {
  if (hObjects == nullptr || phSharedNtHandle == nullptr) return STATUS_INVALID_PARAMETER;
  if (cObjects == 0 || cObjects > D3DKMT_MAX_OBJECTS_PER_HANDLE) return STATUS_INVALID_PARAMETER;
  wire::ShareObjectsReq req;
  req.handles.assign(hObjects, hObjects + cObjects);
  req.desired_access = dwDesiredAccess;
  if (pObjectAttributes != nullptr) {
    // Checked here because only this process can read its buffers; the
    // daemon reports these after it has checked the handles (spec §2.2).
    const OBJECT_ATTRIBUTES& a = *pObjectAttributes;
    const UNICODE_STRING* name = a.ObjectName;
    if (a.Length != sizeof(OBJECT_ATTRIBUTES)) {
      req.attributes_status = STATUS_INVALID_PARAMETER;
    } else if (name == nullptr) {
      if (a.RootDirectory != nullptr) req.attributes_status = STATUS_OBJECT_NAME_INVALID;
    } else if (reinterpret_cast<uintptr_t>(name->Buffer) % alignof(WCHAR) != 0) {
      req.attributes_status = STATUS_DATATYPE_MISALIGNMENT;
    } else if (name->Length % sizeof(WCHAR) != 0 || (name->Length != 0 && name->Buffer == nullptr)) {
      req.attributes_status = STATUS_OBJECT_NAME_INVALID;
    } else if (name->Length != 0) {
      req.has_name = 1;
      req.attributes = a.Attributes;
      for (size_t k = 0; k < name->Length / sizeof(WCHAR); ++k) req.name.push_back(static_cast<uint32_t>(name->Buffer[k]));
    }
  }
  std::vector<UniqueFd> fds;
  const NTSTATUS status = conn().call(Op::ShareObjects, req, static_cast<wire::EmptyRep*>(nullptr), {}, &fds);
  if (!NT_SUCCESS(status)) return status;
  if (fds.size() != 1) return STATUS_UNSUCCESSFUL;
  *phSharedNtHandle = handle_of(std::move(fds[0]));
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
  // Blocking: an event of our own, and the daemon's socket to notice it going away.
  UniqueFd event(::eventfd(0, EFD_CLOEXEC));
  if (!event) return STATUS_NO_MEMORY;
  req.blocking = 1;
  const int fd = event.get();
  NTSTATUS status = conn().call(Op::WaitFromCpu, req, &rep, std::span<const int>(&fd, 1));
  if (!NT_SUCCESS(status) || rep.satisfied) return status;
  const int sock = conn().socket_fd();
  for (;;) {
    pollfd fds[2] = {{event.get(), POLLIN, 0}, {sock, 0, 0}};
    const int n = ::poll(fds, sock >= 0 ? 2 : 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return STATUS_UNSUCCESSFUL;
    if ((fds[0].revents & POLLIN) != 0) {
      uint64_t code = 0;
      if (::read(event.get(), &code, sizeof(code)) != sizeof(code)) continue;
      return code >= kWakeDeviceRemoved ? STATUS_DEVICE_REMOVED : STATUS_SUCCESS;
    }
    if ((fds[1].revents & (POLLHUP | POLLERR)) != 0) {
      conn().mark_removed();
      return STATUS_DEVICE_REMOVED;
    }
  }
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

// --- Escapes -------------------------------------------------------------------------

NTSTATUS APIENTRY D3DKMTEscape(CONST D3DKMT_ESCAPE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->PrivateDriverDataSize > kMaxEscapeData) return STATUS_INVALID_PARAMETER;
  wire::EscapeReq req;
  req.adapter = pData->hAdapter;
  req.device = pData->hDevice;
  req.context = pData->hContext;
  req.type = static_cast<uint32_t>(pData->Type);
  req.flags = pData->Flags.Value;
  const auto* data = static_cast<const uint8_t*>(pData->pPrivateDriverData);
  if (!copy_array(data, pData->PrivateDriverDataSize, req.data)) return STATUS_INVALID_PARAMETER;
  wire::EscapeRep rep;
  const NTSTATUS status = conn().call(Op::Escape, req, &rep);
  if (!NT_SUCCESS(status)) return status;
  if (rep.data.size() > pData->PrivateDriverDataSize) return STATUS_BUFFER_TOO_SMALL;
  if (!rep.data.empty()) std::memcpy(pData->pPrivateDriverData, rep.data.data(), rep.data.size());
  return status;
}
