/*
 * d3dukmdt.h - the D3DDDI_* types shared by the user-mode and kernel-mode
 * D3D interfaces, with Windows' names, field order, union shapes and flag-bit
 * layouts (Windows x64 ABI: 8-byte pointers and HANDLEs, natural alignment).
 *
 * Where Windows' header depends on DXGKDDI_INTERFACE_VERSION, the newest
 * layout is declared (every later bit was carved out of Reserved, so sizes
 * never change).
 */
#ifndef KMTSIM_D3DUKMDT_H
#define KMTSIM_D3DUKMDT_H

#include "kmtsim/wintypes.h"

/* ---- Layout helpers of the newest WDK (no-ops on x64) ----------------- */

#ifndef D3DKMT_ALIGN64
#  define D3DKMT_ALIGN64
#endif
#ifndef D3DKMT_PTR
#  define D3DKMT_PTR(Type, Name) Type Name
#endif
#ifndef D3DKMT_PTR_HELPER
#  define D3DKMT_PTR_HELPER(Name)
#endif
#ifndef D3DKMT_PTR_INIT
#  define D3DKMT_PTR_INIT(x) (x)
#endif

/* ---- Handles, addresses, ids ------------------------------------------ */

/* A per-process (or legacy global) handle to a kernel-mode object: 32-bit. */
typedef UINT D3DKMT_HANDLE;

/* An address in a GPU virtual address space, and a size in it. */
typedef ULONGLONG D3DGPU_VIRTUAL_ADDRESS;
typedef ULONGLONG D3DGPU_SIZE_T;
#ifndef D3DGPU_NULL
#  define D3DGPU_NULL 0
#endif

/* Ids of a video present source (scan-out) and target (output). */
typedef UINT D3DDDI_VIDEO_PRESENT_SOURCE_ID;
typedef UINT D3DDDI_VIDEO_PRESENT_TARGET_ID;

/* Special source/target id values. */
#define D3DDDI_ID_UNINITIALIZED  (~0u)
#define D3DDDI_ID_NOTAPPLICABLE  (0u)
#define D3DDDI_ID_ANY            (~1u)
#define D3DDDI_ID_ALL            (~2u)

/* ---- Limits ------------------------------------------------------------ */

#define D3DDDI_MAX_WRITTEN_PRIMARIES   16   /* D3DKMT_SUBMITCOMMAND.WrittenPrimaries */
#define D3DDDI_MAX_OBJECT_WAITED_ON    32   /* objects in one wait */
#define D3DDDI_MAX_OBJECT_SIGNALED     32   /* objects in one signal */
#define D3DDDI_MAX_BROADCAST_CONTEXT   64   /* contexts one submission or signal reaches */

/* ---- Access rights of a shared synchronization object ----------------- */

#define D3DDDI_SYNC_OBJECT_WAIT        0x1
#define D3DDDI_SYNC_OBJECT_SIGNAL      0x2
#define D3DDDI_SYNC_OBJECT_ALL_ACCESS  (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | \
                                        D3DDDI_SYNC_OBJECT_WAIT | D3DDDI_SYNC_OBJECT_SIGNAL)

/* ---- Allocations -------------------------------------------------------- */

/* One allocation of a D3DKMTCreateAllocation call (pAllocationInfo). */
typedef struct _D3DDDI_ALLOCATIONINFO
{
    D3DKMT_HANDLE                  hAllocation;            /* out */
    const VOID                    *pSystemMem;             /* in: existing system memory, or NULL */
    VOID                          *pPrivateDriverData;     /* in */
    UINT                           PrivateDriverDataSize;  /* in */
    D3DDDI_VIDEO_PRESENT_SOURCE_ID VidPnSourceId;          /* in: for a primary */
    union
    {
        KMTSIM_EXTENSION struct
        {
            UINT Primary  : 1;   /* 0x00000001 */
            UINT Stereo   : 1;   /* 0x00000002 */
            UINT Reserved : 30;  /* 0xFFFFFFFC */
        };
        UINT Value;
    } Flags;
} D3DDDI_ALLOCATIONINFO;

/* One allocation of a D3DKMTCreateAllocation2 call (pAllocationInfo2). */
typedef struct _D3DDDI_ALLOCATIONINFO2
{
    D3DKMT_HANDLE                  hAllocation;            /* out */
    KMTSIM_EXTENSION union
    {
        HANDLE                     hSection;               /* in: a section object */
        const VOID                *pSystemMem;             /* in: existing system memory */
    };
    VOID                          *pPrivateDriverData;     /* in */
    UINT                           PrivateDriverDataSize;  /* in */
    D3DDDI_VIDEO_PRESENT_SOURCE_ID VidPnSourceId;          /* in: for a primary */
    union
    {
        KMTSIM_EXTENSION struct
        {
            UINT Primary          : 1;   /* 0x00000001 */
            UINT Stereo           : 1;   /* 0x00000002 */
            UINT OverridePriority : 1;   /* 0x00000004 */
            UINT Reserved         : 29;  /* 0xFFFFFFF8 */
        };
        UINT Value;
    } Flags;
    D3DGPU_VIRTUAL_ADDRESS         GpuVirtualAddress;      /* out */
    KMTSIM_EXTENSION union
    {
        UINT                       Priority;               /* in, with Flags.OverridePriority */
        ULONG_PTR                  Unused;
    };
    ULONG_PTR                      Reserved[5];
} D3DDDI_ALLOCATIONINFO2;

/* One allocation of a legacy D3DKMTOpenResource call. */
typedef struct _D3DDDI_OPENALLOCATIONINFO
{
    D3DKMT_HANDLE hAllocation;            /* out: handle in this process */
    const VOID   *pPrivateDriverData;     /* out: driver data of the allocation */
    UINT          PrivateDriverDataSize;  /* out */
} D3DDDI_OPENALLOCATIONINFO;

/* One allocation of D3DKMTOpenResource2 / D3DKMTOpenResourceFromNtHandle. */
typedef struct _D3DDDI_OPENALLOCATIONINFO2
{
    D3DKMT_HANDLE          hAllocation;            /* out: handle in this process */
    const VOID            *pPrivateDriverData;     /* out: driver data of the allocation */
    UINT                   PrivateDriverDataSize;  /* in/out */
    D3DGPU_VIRTUAL_ADDRESS GpuVirtualAddress;      /* out */
    ULONG_PTR              Reserved[6];
} D3DDDI_OPENALLOCATIONINFO2;

/* How hard the memory manager should try to keep an offered allocation. */
typedef enum _D3DDDI_OFFER_PRIORITY
{
    D3DDDI_OFFER_PRIORITY_NONE   = 0,
    D3DDDI_OFFER_PRIORITY_LOW    = 1,
    D3DDDI_OFFER_PRIORITY_NORMAL = 2,
    D3DDDI_OFFER_PRIORITY_HIGH   = 3,
    D3DDDI_OFFER_PRIORITY_AUTO   = 4
} D3DDDI_OFFER_PRIORITY;

/* An allocation a command buffer references (legacy command-buffer model). */
typedef struct _D3DDDI_ALLOCATIONLIST
{
    D3DKMT_HANDLE hAllocation;
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT WriteOperation      : 1;   /* 0x00000001 */
            UINT DoNotRetireInstance : 1;   /* 0x00000002 */
            UINT OfferPriority       : 3;   /* 0x0000001C, a D3DDDI_OFFER_PRIORITY */
            UINT Reserved            : 27;  /* 0xFFFFFFE0 */
        };
        UINT Value;
    };
} D3DDDI_ALLOCATIONLIST;

/* A location in a command buffer to patch with an allocation's address. */
typedef struct _D3DDDI_PATCHLOCATIONLIST
{
    UINT AllocationIndex;
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT SlotId   : 24;  /* 0x00FFFFFF */
            UINT Reserved : 8;   /* 0xFF000000 */
        };
        UINT Value;
    };
    UINT DriverId;
    UINT AllocationOffset;
    UINT PatchOffset;
    UINT SplitOffset;
} D3DDDI_PATCHLOCATIONLIST;

/* D3DKMT_LOCK2.Flags: none defined yet. */
typedef struct _D3DDDICB_LOCK2FLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT Reserved : 32;
        };
        UINT Value;
    };
} D3DDDICB_LOCK2FLAGS;

/* D3DKMT_DESTROYALLOCATION2.Flags. */
typedef struct _D3DDDICB_DESTROYALLOCATION2FLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT AssumeNotInUse     : 1;   /* 0x00000001 */
            UINT SynchronousDestroy : 1;   /* 0x00000002 */
            UINT Reserved           : 29;  /* 0x7FFFFFFC */
            UINT SystemUseOnly      : 1;   /* 0x80000000: not for user mode */
        };
        UINT Value;
    };
} D3DDDICB_DESTROYALLOCATION2FLAGS;

/* ---- Escapes and contexts --------------------------------------------- */

/* D3DKMT_ESCAPE.Flags. */
typedef struct _D3DDDI_ESCAPEFLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT HardwareAccess           : 1;   /* 0x00000001 */
            UINT DeviceStatusQuery        : 1;   /* 0x00000002 */
            UINT ChangeFrameLatency       : 1;   /* 0x00000004 */
            UINT NoAdapterSynchronization : 1;   /* 0x00000008 */
            UINT Reserved                 : 1;   /* 0x00000010 */
            UINT VirtualMachineData       : 1;   /* 0x00000020 */
            UINT DriverKnownEscape        : 1;   /* 0x00000040 */
            UINT DriverCommonEscape       : 1;   /* 0x00000080 */
            UINT Reserved2                : 24;  /* 0xFFFFFF00 */
        };
        UINT Value;
    };
} D3DDDI_ESCAPEFLAGS;

/* D3DKMT_CREATECONTEXT(VIRTUAL).Flags. */
typedef struct _D3DDDI_CREATECONTEXTFLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT NullRendering       : 1;   /* 0x00000001 */
            UINT InitialData         : 1;   /* 0x00000002 */
            UINT DisableGpuTimeout   : 1;   /* 0x00000004 */
            UINT SynchronizationOnly : 1;   /* 0x00000008 */
            UINT HwQueueSupported    : 1;   /* 0x00000010 */
            UINT NoKmdAccess         : 1;   /* 0x00000020 */
            UINT TestContext         : 1;   /* 0x00000040 */
            UINT Reserved            : 25;  /* 0xFFFFFF80 */
        };
        UINT Value;
    };
} D3DDDI_CREATECONTEXTFLAGS;

/* ---- Synchronization objects ------------------------------------------ */

/* Signal behaviour (D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU/GPU2.Flags). */
typedef struct _D3DDDICB_SIGNALFLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT SignalAtSubmission         : 1;   /* 0x00000001: at submission, not completion */
            UINT EnqueueCpuEvent            : 1;   /* 0x00000002: signal CpuEventHandle; ObjectCount 0 */
            UINT AllowFenceRewind           : 1;   /* 0x00000004: a lower value may be signaled */
            UINT Reserved                   : 28;  /* 0x7FFFFFF8 */
            UINT DXGK_SIGNAL_FLAG_INTERNAL0 : 1;   /* 0x80000000 */
        };
        UINT Value;
    };
} D3DDDICB_SIGNALFLAGS;

/* The kind of a synchronization object. */
typedef enum _D3DDDI_SYNCHRONIZATIONOBJECT_TYPE
{
    D3DDDI_SYNCHRONIZATION_MUTEX      = 1,
    D3DDDI_SEMAPHORE                  = 2,
    D3DDDI_FENCE                      = 3,
    D3DDDI_CPU_NOTIFICATION           = 4,
    D3DDDI_MONITORED_FENCE            = 5,
    D3DDDI_PERIODIC_MONITORED_FENCE   = 6,
    D3DDDI_NATIVE_FENCE               = 7,   /* WDDM 3.1 WDK; not created through these calls */
    D3DDDI_SYNCHRONIZATION_TYPE_LIMIT
} D3DDDI_SYNCHRONIZATIONOBJECT_TYPE;

/* Windows names the top bit through this macro. */
#ifndef D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS_EXT
#  define D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS_EXT
#  define D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS_RESERVED0 Reserved0
#endif

/* Attributes of a synchronization object, at creation or per opening device. */
typedef struct _D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT Shared                        : 1;   /* 0x00000001 */
            UINT NtSecuritySharing             : 1;   /* 0x00000002: shared by NT handle (needs Shared) */
            UINT CrossAdapter                  : 1;   /* 0x00000004 */
            UINT TopOfPipeline                 : 1;   /* 0x00000008: signal once copied to the pipe */
            UINT NoSignal                      : 1;   /* 0x00000010: this device may only wait */
            UINT NoWait                        : 1;   /* 0x00000020: this device may only signal */
            UINT NoSignalMaxValueOnTdr         : 1;   /* 0x00000040: not set to UINT64_MAX on reset */
            UINT NoGPUAccess                   : 1;   /* 0x00000080: no GPU VA, packets only */
            UINT SignalByKmd                   : 1;   /* 0x00000100: CPU_NOTIFICATION only */
            UINT Unused                        : 1;   /* 0x00000200 */
            UINT UnwaitCpuWaitersOnlyOnDestroy : 1;   /* 0x00000400 */
            UINT Reserved                      : 20;  /* 0x7FFFF800 */
            UINT D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS_RESERVED0 : 1;  /* 0x80000000 */
        };
        UINT Value;
    };
} D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS;

/* Creation parameters of D3DKMTCreateSynchronizationObject (mutex, semaphore). */
typedef struct _D3DDDI_SYNCHRONIZATIONOBJECTINFO
{
    D3DDDI_SYNCHRONIZATIONOBJECT_TYPE Type;   /* in */
    KMTSIM_EXTENSION union
    {
        struct
        {
            BOOL InitialState;                /* in: initially owned */
        } SynchronizationMutex;
        struct
        {
            UINT MaxCount;                    /* in */
            UINT InitialCount;                /* in */
        } Semaphore;
        struct
        {
            UINT Reserved[16];
        } Reserved;
    };
} D3DDDI_SYNCHRONIZATIONOBJECTINFO;

/* Creation parameters and results of D3DKMTCreateSynchronizationObject2. */
typedef struct _D3DDDI_SYNCHRONIZATIONOBJECTINFO2
{
    D3DDDI_SYNCHRONIZATIONOBJECT_TYPE  Type;    /* in */
    D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS Flags;   /* in */
    KMTSIM_EXTENSION union
    {
        struct
        {
            BOOL InitialState;                  /* in: initially owned */
        } SynchronizationMutex;
        struct
        {
            UINT MaxCount;                      /* in */
            UINT InitialCount;                  /* in */
        } Semaphore;
        struct
        {
            UINT64 FenceValue;                  /* in: initial value */
        } Fence;
        struct
        {
            HANDLE Event;                       /* in: the event to signal */
        } CPUNotification;
        struct
        {
            UINT64                 InitialFenceValue;            /* in */
            VOID                  *FenceValueCPUVirtualAddress;  /* out: read-only CPU mapping of the value */
            D3DGPU_VIRTUAL_ADDRESS FenceValueGPUVirtualAddress;  /* out: read/write GPU mapping */
            UINT                   EngineAffinity;               /* in: physical-adapter mask, 0 = all */
            UINT                   Padding;
        } MonitoredFence;
        struct
        {
            D3DKMT_HANDLE                  hAdapter;                     /* in */
            D3DDDI_VIDEO_PRESENT_TARGET_ID VidPnTargetId;                /* in */
            UINT64                         Time;                         /* in: offset before VSync, 100 ns */
            VOID                          *FenceValueCPUVirtualAddress;  /* out */
            D3DGPU_VIRTUAL_ADDRESS         FenceValueGPUVirtualAddress;  /* out */
            UINT                           EngineAffinity;               /* in */
            UINT                           Padding;
        } PeriodicMonitoredFence;
        struct
        {
            UINT64 Reserved[8];
        } Reserved;
    };
    D3DKMT_HANDLE SharedHandle;   /* out: global handle when Shared and not NtSecuritySharing */
} D3DDDI_SYNCHRONIZATIONOBJECTINFO2;

/* D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU.Flags. */
typedef struct _D3DDDI_WAITFORSYNCHRONIZATIONOBJECTFROMCPU_FLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT WaitAny  : 1;    /* 0x00000001: any object, not all */
            UINT Reserved : 31;   /* 0xFFFFFFFE */
        };
        UINT Value;
    };
} D3DDDI_WAITFORSYNCHRONIZATIONOBJECTFROMCPU_FLAGS;

#endif /* KMTSIM_D3DUKMDT_H */
