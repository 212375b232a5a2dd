/*
 * A program written against d3dkmthk.h, as on Windows: it opens the adapter,
 * creates a shareable monitored fence, shares it as an NT handle, opens the
 * handle again (as another process would), signals through one handle and
 * waits through the other. Build it with find_package(kmtsim) or pkg-config
 * d3dkmt; run it with KMTSIM_SOCKET naming a running kmtsimd.
 */
#include <d3dkmthk.h>

#include <stdio.h>
#include <unistd.h>

#define CHECK(call)                                                          \
    do {                                                                     \
        NTSTATUS s_ = (call);                                                \
        if (!NT_SUCCESS(s_)) {                                               \
            fprintf(stderr, "%s failed: 0x%08x\n", #call, (unsigned)s_);     \
            return 1;                                                        \
        }                                                                    \
    } while (0)

int main(void)
{
    D3DKMT_ADAPTERINFO adapters[4] = {0};
    D3DKMT_ENUMADAPTERS2 enumerate = {4, adapters};
    CHECK(D3DKMTEnumAdapters2(&enumerate));

    D3DKMT_CREATEDEVICE device = {0};
    device.hAdapter = adapters[0].hAdapter;
    CHECK(D3DKMTCreateDevice(&device));

    D3DKMT_CREATESYNCHRONIZATIONOBJECT2 fence = {0};
    fence.hDevice = device.hDevice;
    fence.Info.Type = D3DDDI_MONITORED_FENCE;
    fence.Info.Flags.Shared = 1;
    fence.Info.Flags.NtSecuritySharing = 1;
    CHECK(D3DKMTCreateSynchronizationObject2(&fence));

    HANDLE nt = NULL;
    CHECK(D3DKMTShareObjects(1, &fence.hSyncObject, NULL, D3DDDI_SYNC_OBJECT_ALL_ACCESS, &nt));

    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 open = {0};
    open.hNtHandle = nt;
    open.hDevice = device.hDevice;
    CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&open));
    close((int)(intptr_t)nt);

    UINT64 value = 42;
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU signal = {0};
    signal.hDevice = device.hDevice;
    signal.ObjectCount = 1;
    signal.ObjectHandleArray = &fence.hSyncObject;
    signal.FenceValueArray = &value;
    CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&signal));

    D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU wait = {0};
    wait.hDevice = device.hDevice;
    wait.ObjectCount = 1;
    wait.ObjectHandleArray = &open.hSyncObject;
    wait.FenceValueArray = &value;
    CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(&wait));

    const volatile UINT64 *seen = (const volatile UINT64 *)open.MonitoredFence.FenceValueCPUVirtualAddress;
    printf("fence-share: the opened fence reads %llu\n", (unsigned long long)*seen);
    return *seen == 42 ? 0 : 1;
}
