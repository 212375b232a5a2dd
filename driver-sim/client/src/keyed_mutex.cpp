// D3DKMT entry points for keyed mutexes. An acquire that cannot be granted
// at once becomes a ticket in kmtsimd; the library waits on the ticket's
// event until the NT-style timeout passes (pTimeout: NULL waits for ever,
// negative is relative in 100 ns units, positive an absolute system time,
// 0 only tries), then collects the outcome or withdraws the ticket.
#include "client.h"

#include <sys/eventfd.h>
#include <time.h>

using namespace kmtsim::client;
using kmtsim::UniqueFd;
namespace wire = kmtsim::wire;
using wire::Op;

namespace {

// Windows' FILETIME epoch (1601) to the Unix epoch, in 100 ns units.
constexpr int64_t kFiletimeToUnix = 116444736000000000LL;

// Milliseconds to wait for an NT timeout; -1 for ever.
int64_t timeout_ms(const LARGE_INTEGER* timeout) {
  if (timeout == nullptr) return -1;
  const int64_t t = timeout->QuadPart;
  if (t <= 0) return (-t + 9999) / 10000;  // relative, rounded up
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const int64_t now_100ns = now.tv_sec * 10'000'000LL + now.tv_nsec / 100 + kFiletimeToUnix;
  return t <= now_100ns ? 0 : (t - now_100ns + 9999) / 10000;
}

NTSTATUS acquire(D3DKMT_HANDLE handle, UINT64 key, const LARGE_INTEGER* timeout, UINT64* fence_value,
                 void* data, UINT data_size) {
  if (data == nullptr && data_size != 0) return STATUS_INVALID_PARAMETER;
  const int64_t wait_ms = timeout_ms(timeout);
  UniqueFd event(::eventfd(0, EFD_CLOEXEC));
  if (!event) return STATUS_NO_MEMORY;
  wire::AcquireKeyedMutexReq req{handle, key, static_cast<uint8_t>(wait_ms == 0), data_size};
  wire::AcquireKeyedMutexRep rep;
  const int fd = event.get();
  NTSTATUS status = conn().call(Op::AcquireKeyedMutex, req, &rep, std::span<const int>(&fd, 1));
  if (status == STATUS_INVALID_PARAMETER || status == STATUS_DEVICE_REMOVED) return status;  // outputs untouched
  while (status == STATUS_PENDING) {
    const auto woke = wait_event(event.get(), wait_ms);
    if (!woke) return STATUS_DEVICE_REMOVED;
    // Decided (woke) or timed out: collect, or withdraw. A grant that raced
    // the timeout still wins.
    wire::AcquireFinishReq finish{rep.ticket, static_cast<uint8_t>(*woke == 0), data_size};
    status = conn().call(Op::AcquireKeyedMutexFinish, finish, &rep);
  }
  // FenceValue: the released value when acquired; 0 on timeout or abandonment.
  *fence_value = status == STATUS_SUCCESS ? rep.fence_value : 0;
  if (status == STATUS_SUCCESS && data != nullptr && !rep.runtime_data.empty())
    std::memcpy(data, rep.runtime_data.data(), std::min<size_t>(rep.runtime_data.size(), data_size));
  return status;
}

// An open's private data size comes back as what is stored, when a size was
// given and something is stored; the buffer is not written (Windows).
void report_stored_size(UINT& size, uint32_t stored) {
  if (size != 0 && stored != 0) size = stored;
}

}  // namespace

NTSTATUS APIENTRY D3DKMTCreateKeyedMutex(D3DKMT_CREATEKEYEDMUTEX* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::KeyedMutexRep rep;
  const NTSTATUS status = conn().call(Op::CreateKeyedMutex, wire::CreateKeyedMutexReq{pData->InitialValue, 0, {}, 0}, &rep);
  if (!NT_SUCCESS(status)) return status;
  pData->hKeyedMutex = rep.handle;
  pData->hSharedHandle = rep.global;
  return status;
}

NTSTATUS APIENTRY D3DKMTCreateKeyedMutex2(D3DKMT_CREATEKEYEDMUTEX2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->PrivateRuntimeDataSize > kMaxPrivateData) return STATUS_INVALID_PARAMETER;
  wire::CreateKeyedMutexReq req{pData->InitialValue, bits_of(pData->Flags), {}, 1};
  if (!copy_array(static_cast<const uint8_t*>(pData->pPrivateRuntimeData), pData->PrivateRuntimeDataSize, req.runtime_data))
    return STATUS_INVALID_PARAMETER;
  wire::KeyedMutexRep rep;
  const NTSTATUS status = conn().call(Op::CreateKeyedMutex, req, &rep);
  if (!NT_SUCCESS(status)) return status;
  pData->hKeyedMutex = rep.handle;
  pData->hSharedHandle = rep.global;  // 0 with NtSecuritySharing
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenKeyedMutex(D3DKMT_OPENKEYEDMUTEX* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::KeyedMutexRep rep;
  const NTSTATUS status = conn().call(Op::OpenKeyedMutex, wire::OpenKeyedMutexReq{pData->hSharedHandle, 0, 0, 0, 0}, &rep);
  if (NT_SUCCESS(status)) pData->hKeyedMutex = rep.handle;
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenKeyedMutex2(D3DKMT_OPENKEYEDMUTEX2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->PrivateRuntimeDataSize != 0 && pData->pPrivateRuntimeData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::OpenKeyedMutexReq req{pData->hSharedHandle, 0, 1, pData->PrivateRuntimeDataSize,
                              static_cast<uint8_t>(pData->pPrivateRuntimeData != nullptr)};
  wire::KeyedMutexRep rep;
  const NTSTATUS status = conn().call(Op::OpenKeyedMutex, req, &rep);
  if (!NT_SUCCESS(status)) return status;
  pData->hKeyedMutex = rep.handle;
  report_stored_size(pData->PrivateRuntimeDataSize, rep.runtime_data_size);
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenKeyedMutexFromNtHandle(D3DKMT_OPENKEYEDMUTEXFROMNTHANDLE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->PrivateRuntimeDataSize != 0 && pData->pPrivateRuntimeData == nullptr) return STATUS_INVALID_PARAMETER;
  if (!is_open_fd(pData->hNtHandle)) return STATUS_INVALID_HANDLE;
  const int fd = fd_of(pData->hNtHandle);
  wire::OpenKeyedMutexReq req{0, 1, 1, pData->PrivateRuntimeDataSize,
                              static_cast<uint8_t>(pData->pPrivateRuntimeData != nullptr)};
  wire::KeyedMutexRep rep;
  const NTSTATUS status = conn().call(Op::OpenKeyedMutexFromNtHandle, req, &rep, std::span<const int>(&fd, 1));
  if (!NT_SUCCESS(status)) return status;
  pData->hKeyedMutex = rep.handle;
  report_stored_size(pData->PrivateRuntimeDataSize, rep.runtime_data_size);
  return status;
}

NTSTATUS APIENTRY D3DKMTAcquireKeyedMutex(D3DKMT_ACQUIREKEYEDMUTEX* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return acquire(pData->hKeyedMutex, pData->Key, pData->pTimeout, &pData->FenceValue, nullptr, 0);
}

NTSTATUS APIENTRY D3DKMTAcquireKeyedMutex2(D3DKMT_ACQUIREKEYEDMUTEX2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return acquire(pData->hKeyedMutex, pData->Key, pData->pTimeout, &pData->FenceValue, pData->pPrivateRuntimeData,
                 pData->PrivateRuntimeDataSize);
}

NTSTATUS APIENTRY D3DKMTReleaseKeyedMutex(D3DKMT_RELEASEKEYEDMUTEX* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return conn().call(Op::ReleaseKeyedMutex, wire::ReleaseKeyedMutexReq{pData->hKeyedMutex, pData->Key, pData->FenceValue, 0, {}},
                     static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTReleaseKeyedMutex2(D3DKMT_RELEASEKEYEDMUTEX2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->PrivateRuntimeDataSize > kMaxPrivateData) return STATUS_INVALID_PARAMETER;
  wire::ReleaseKeyedMutexReq req{pData->hKeyedMutex, pData->Key, pData->FenceValue, 1, {}};
  if (!copy_array(static_cast<const uint8_t*>(pData->pPrivateRuntimeData), pData->PrivateRuntimeDataSize, req.runtime_data))
    return STATUS_INVALID_PARAMETER;
  return conn().call(Op::ReleaseKeyedMutex, req, static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTDestroyKeyedMutex(CONST D3DKMT_DESTROYKEYEDMUTEX* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return conn().call(Op::DestroyKeyedMutex, wire::HandleReq{pData->hKeyedMutex}, static_cast<wire::EmptyRep*>(nullptr));
}
