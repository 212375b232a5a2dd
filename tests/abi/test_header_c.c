/* The D3DKMT headers from C: d3dkmthk.h compiles as C11 and its structs can
 * be filled the way Windows C code fills them (anonymous unions included).
 * Exit status 0 means every check matched. */
#include "d3dkmthk.h"
#include "kmtsim/allocation.h"
#include "kmtsim/escape.h"
#include "kmtsim/gpu_commands.h"

#include <stdio.h>
#include <string.h>

/* A few layouts, the same numbers as test_header_abi.cpp checks from C++. */
_Static_assert(sizeof(D3DKMT_CREATESYNCHRONIZATIONOBJECT2) == 96, "CREATESYNCHRONIZATIONOBJECT2");
_Static_assert(offsetof(D3DKMT_CREATESYNCHRONIZATIONOBJECT2, Info.MonitoredFence.FenceValueCPUVirtualAddress) == 24,
               "MonitoredFence.FenceValueCPUVirtualAddress");
_Static_assert(sizeof(D3DKMT_CREATEALLOCATION) == 72, "CREATEALLOCATION");
_Static_assert(offsetof(D3DKMT_CREATEALLOCATION, pAllocationInfo2) == 48, "pAllocationInfo2");
_Static_assert(sizeof(D3DKMT_OPENRESOURCEFROMNTHANDLE) == 104, "OPENRESOURCEFROMNTHANDLE");
_Static_assert(sizeof(D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU) == 40, "WAITFORSYNCHRONIZATIONOBJECTFROMCPU");
_Static_assert(sizeof(D3DKMT_SUBMITCOMMAND) == 384, "SUBMITCOMMAND");
_Static_assert(sizeof(OBJECT_ATTRIBUTES) == 48, "OBJECT_ATTRIBUTES");

static int failures;

static void expect(const char *what, unsigned long long got, unsigned long long want)
{
    if (got != want)
    {
        ++failures;
        printf("FAIL %s: got 0x%llX, want 0x%llX\n", what, got, want);
    }
}

int main(void)
{
    D3DKMT_CREATESYNCHRONIZATIONOBJECT2 create;
    D3DKMT_CREATEALLOCATION alloc;
    D3DKMT_CREATESTANDARDALLOCATION standard;
    D3DDDI_ALLOCATIONINFO2 info;
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU signal;
    D3DKMT_ACQUIREKEYEDMUTEX2 acquire;
    D3DKMT_HANDLE objects[1] = { 0x40000040u };
    UINT64 values[1] = { 42 };
    LARGE_INTEGER timeout;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attr;
    UINT32 raw;

    /* A shareable monitored fence, as a D3D12 runtime asks for one. */
    memset(&create, 0, sizeof(create));
    create.hDevice = 0x40000080u;
    create.Info.Type = D3DDDI_MONITORED_FENCE;
    create.Info.Flags.Shared = 1;
    create.Info.Flags.NtSecuritySharing = 1;
    create.Info.MonitoredFence.InitialFenceValue = 7;
    expect("Info.Flags.Value", create.Info.Flags.Value, 0x3u);
    expect("Info.Type", (unsigned long long)create.Info.Type, 5);

    /* A shareable standard allocation over existing memory. */
    memset(&standard, 0, sizeof(standard));
    standard.Type = D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP;
    standard.ExistingHeapData.Size = 0x1000;
    memset(&info, 0, sizeof(info));
    info.pSystemMem = &standard;
    memset(&alloc, 0, sizeof(alloc));
    alloc.pStandardAllocation = &standard;
    alloc.NumAllocations = 1;
    alloc.pAllocationInfo2 = &info;
    alloc.Flags.CreateResource = 1;
    alloc.Flags.CreateShared = 1;
    alloc.Flags.NtSecuritySharing = 1;
    alloc.Flags.ExistingSysMem = 1;
    alloc.Flags.StandardAllocation = 1;
    memcpy(&raw, &alloc.Flags, sizeof(raw));
    expect("CREATEALLOCATIONFLAGS", raw, 0x10063u);

    memset(&signal, 0, sizeof(signal));
    signal.ObjectCount = 1;
    signal.ObjectHandleArray = objects;
    signal.FenceValueArray = values;
    signal.Flags.Value = 0;

    timeout.QuadPart = -10000000LL;   /* one second, relative */
    memset(&acquire, 0, sizeof(acquire));
    acquire.Key = 1;
    acquire.pTimeout = &timeout;

    RtlInitUnicodeString(&name, L"\\BaseNamedObjects\\kmtsim");
    InitializeObjectAttributes(&attr, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    expect("OBJECT_ATTRIBUTES.Length", attr.Length, sizeof(OBJECT_ATTRIBUTES));
    expect("UNICODE_STRING.Length", name.Length, 24 * sizeof(WCHAR));

    expect("STATUS_INVALID_PARAMETER", (UINT32)STATUS_INVALID_PARAMETER, 0xC000000Du);
    expect("NT_SUCCESS(STATUS_TIMEOUT)", NT_SUCCESS(STATUS_TIMEOUT), 1);
    expect("D3DDDI_SYNC_OBJECT_ALL_ACCESS", D3DDDI_SYNC_OBJECT_ALL_ACCESS, 0x001F0003u);

    {
        /* Command buffers: the device's encoding, from C. */
        UINT words[8];
        expect("kmtsim_cmd_copy words", kmtsim_cmd_copy(words, 0x123456789ull, 0x40ull, 256), KMTSIM_CMD_COPY_WORDS);
        expect("COPY header", words[0], 0x04000000u);
        expect("COPY destination high", words[2], 0x1u);
        expect("COPY bytes", words[5], 256);
        expect("kmtsim_cmd_nop words", kmtsim_cmd_nop(words, 3), 1);
        expect("NOP header", words[0], 0x01000003u);
    }

    printf("%s\n", failures ? "C header check failed" : "C header check passed");
    return failures ? 1 : 0;
}
