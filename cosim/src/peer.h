// A peer process of the co-simulation tools: an adapter, a device and a
// context of its own, and the D3DKMT calls the tools make, each of which ends
// the process with an "error WHAT failed with STATUS" line on stdout (the
// orchestrator reads it) when it fails.
#pragma once

#include "d3dkmthk.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace kmtsim::cosim {

[[noreturn]] inline void fail(const char* what, NTSTATUS status) {
  std::printf("error %s failed with 0x%08x\n", what, static_cast<unsigned>(status));
  std::fflush(stdout);
  std::exit(1);
}

inline void check(const char* what, NTSTATUS status) {
  if (!NT_SUCCESS(status)) fail(what, status);
}

struct Peer {
  D3DKMT_HANDLE adapter = 0, device = 0, context = 0;

  Peer() {
    D3DKMT_ADAPTERINFO info[1] = {};
    D3DKMT_ENUMADAPTERS2 e{1, info};
    check("D3DKMTEnumAdapters2", D3DKMTEnumAdapters2(&e));
    adapter = info[0].hAdapter;
    D3DKMT_CREATEDEVICE cd{};
    cd.hAdapter = adapter;
    check("D3DKMTCreateDevice", D3DKMTCreateDevice(&cd));
    device = cd.hDevice;
    D3DKMT_CREATECONTEXTVIRTUAL ctx{};
    ctx.hDevice = device;
    check("D3DKMTCreateContextVirtual", D3DKMTCreateContextVirtual(&ctx));
    context = ctx.hContext;
  }
  D3DKMT_HANDLE open(HANDLE nt) const {
    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o{};
    o.hNtHandle = nt;
    o.hDevice = device;
    check("D3DKMTOpenSyncObjectFromNtHandle2", D3DKMTOpenSyncObjectFromNtHandle2(&o));
    ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));
    return o.hSyncObject;
  }
  // Opens the shared resource and maps its one allocation.
  uint64_t* open_buffer(HANDLE nt) const {
    unsigned char runtime[1], driver[256];
    D3DDDI_OPENALLOCATIONINFO2 oa{};
    D3DKMT_OPENRESOURCEFROMNTHANDLE o{};
    o.hDevice = device;
    o.hNtHandle = nt;
    o.NumAllocations = 1;
    o.pOpenAllocationInfo2 = &oa;
    o.pPrivateRuntimeData = runtime;
    o.PrivateRuntimeDataSize = 0;
    o.pTotalPrivateDriverDataBuffer = driver;
    o.TotalPrivateDriverDataBufferSize = sizeof(driver);
    check("D3DKMTOpenResourceFromNtHandle", D3DKMTOpenResourceFromNtHandle(&o));
    ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));
    D3DKMT_LOCK2 l{};
    l.hDevice = device;
    l.hAllocation = oa.hAllocation;
    check("D3DKMTLock2", D3DKMTLock2(&l));
    return static_cast<uint64_t*>(l.pData);
  }
  void signal_cpu(D3DKMT_HANDLE f, UINT64 v) const {
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU s{};
    s.hDevice = device;
    s.ObjectCount = 1;
    s.ObjectHandleArray = &f;
    s.FenceValueArray = &v;
    check("D3DKMTSignalSynchronizationObjectFromCpu", D3DKMTSignalSynchronizationObjectFromCpu(&s));
  }
  void signal_gpu(D3DKMT_HANDLE f, UINT64 v) const {
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU s{};
    s.hContext = context;
    s.ObjectCount = 1;
    s.ObjectHandleArray = &f;
    s.MonitoredFenceValueArray = &v;
    check("D3DKMTSignalSynchronizationObjectFromGpu", D3DKMTSignalSynchronizationObjectFromGpu(&s));
  }
  void wait_gpu(D3DKMT_HANDLE f, UINT64 v) const {
    D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU w{};
    w.hContext = context;
    w.ObjectCount = 1;
    w.ObjectHandleArray = &f;
    w.MonitoredFenceValueArray = &v;
    check("D3DKMTWaitForSynchronizationObjectFromGpu", D3DKMTWaitForSynchronizationObjectFromGpu(&w));
  }
  void wait_cpu(const std::vector<D3DKMT_HANDLE>& f, UINT64 v, HANDLE event) const {
    std::vector<UINT64> values(f.size(), v);
    D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
    w.hDevice = device;
    w.ObjectCount = static_cast<UINT>(f.size());
    w.ObjectHandleArray = f.data();
    w.FenceValueArray = values.data();
    w.hAsyncEvent = event;
    check("D3DKMTWaitForSynchronizationObjectFromCpu", D3DKMTWaitForSynchronizationObjectFromCpu(&w));
  }
};

}  // namespace kmtsim::cosim
