// Video-memory allocations for driver tests: a resource of CPU-visible
// allocations (KMTSIM_ALLOCATION_DESC each), and CPU access to them.
#pragma once

#include "driver_fixture.h"
#include "kmtsim/allocation.h"

#include <cstring>
#include <vector>

namespace kmtsim::test {

inline constexpr UINT kCreateResource = 1u << 0;
inline constexpr UINT kCreateShared = 1u << 1;
inline constexpr UINT kExistingSysMem = 1u << 5;
inline constexpr UINT kNtSecuritySharing = 1u << 6;
inline constexpr UINT kStandardAllocation = 1u << 16;

inline D3DKMT_CREATEALLOCATIONFLAGS flags_of(UINT v) {
  D3DKMT_CREATEALLOCATIONFLAGS f;
  std::memcpy(&f, &v, sizeof(v));
  return f;
}

// A resource of video-memory allocations, CPU-visible.
struct Video {
  std::vector<KMTSIM_ALLOCATION_DESC> descs;
  std::vector<D3DDDI_ALLOCATIONINFO2> infos;
  D3DKMT_CREATEALLOCATION create{};
  unsigned char runtime[5] = {1, 2, 3, 4, 5};

  Video(D3DKMT_HANDLE device, UINT flags, std::vector<UINT64> sizes) {
    for (UINT64 s : sizes) descs.push_back({KMTSIM_ALLOCATION_MAGIC, KMTSIM_ALLOCATION_VERSION, s, KMTSIM_ALLOCATION_CPU_VISIBLE, 0});
    infos.resize(sizes.size());
    for (size_t k = 0; k < sizes.size(); ++k) {
      infos[k].pPrivateDriverData = &descs[k];
      infos[k].PrivateDriverDataSize = sizeof(KMTSIM_ALLOCATION_DESC);
    }
    create.hDevice = device;
    create.Flags = flags_of(kCreateResource | flags);
    create.NumAllocations = static_cast<UINT>(sizes.size());
    create.pAllocationInfo2 = infos.data();
    create.pPrivateRuntimeData = runtime;
    create.PrivateRuntimeDataSize = sizeof(runtime);
  }
  NTSTATUS run() { return D3DKMTCreateAllocation2(&create); }
};

inline void* lock(D3DKMT_HANDLE device, D3DKMT_HANDLE allocation, NTSTATUS* status = nullptr) {
  D3DKMT_LOCK2 l{};
  l.hDevice = device;
  l.hAllocation = allocation;
  const NTSTATUS s = D3DKMTLock2(&l);
  if (status != nullptr) *status = s;
  return s == STATUS_SUCCESS ? l.pData : nullptr;
}

// D3DKMTOpenResourceFromNtHandle of a resource of one allocation, with room
// for 5 bytes of runtime data and 256 of driver data.
struct OpenOne {
  unsigned char runtime[5] = {}, driver[256] = {};
  D3DDDI_OPENALLOCATIONINFO2 oa{};
  D3DKMT_OPENRESOURCEFROMNTHANDLE o{};

  OpenOne(D3DKMT_HANDLE device, HANDLE nt) {
    o.hDevice = device;
    o.hNtHandle = nt;
    o.NumAllocations = 1;
    o.pOpenAllocationInfo2 = &oa;
    o.pPrivateRuntimeData = runtime;
    o.PrivateRuntimeDataSize = sizeof(runtime);
    o.pTotalPrivateDriverDataBuffer = driver;
    o.TotalPrivateDriverDataBufferSize = sizeof(driver);
  }
  NTSTATUS run() { return D3DKMTOpenResourceFromNtHandle(&o); }
};

inline NTSTATUS unlock(D3DKMT_HANDLE device, D3DKMT_HANDLE allocation) {
  D3DKMT_UNLOCK2 u{device, allocation};
  return D3DKMTUnlock2(&u);
}

}  // namespace kmtsim::test
