/*
 * d3dkmthk.h - the D3DKMT user-mode API of kmtsim: Windows' D3DKMTxxx calls
 * with Windows' struct names, field names, field order, union shapes, flag
 * bits and NTSTATUS values, so code written against Windows' d3dkmthk.h
 * compiles unchanged. Layouts follow the Windows x64 ABI (8-byte pointers and
 * HANDLEs, natural alignment), which x86-64 Linux shares.
 *
 * In kmtsim an NT handle (HANDLE) stands for a file descriptor, as in
 * Microsoft's Linux port of dxgkrnl.
 *
 * Where Windows' header depends on DXGKDDI_INTERFACE_VERSION, the newest
 * layout is declared.
 */
#ifndef KMTSIM_D3DKMTHK_H
#define KMTSIM_D3DKMTHK_H

#include "kmtsim/wintypes.h"
#include "ntstatus.h"
#include "d3dukmdt.h"

/* ---- Limits ------------------------------------------------------------ */

/* Objects one D3DKMTShareObjects call may bundle under one NT handle. */
#define D3DKMT_MAX_OBJECTS_PER_HANDLE          3
#define D3DKMT_MAX_BUNDLE_OBJECTS_PER_HANDLE   16

/* Limits of Microsoft's Linux port (UAPI names; the last is kmtsim's name for an ioctl check).
   Windows' header has none of these. */
#ifndef D3DKMT_CREATEALLOCATION_MAX
#  define D3DKMT_CREATEALLOCATION_MAX              1024   /* allocations per create/destroy call */
#endif
#ifndef D3DKMT_ADAPTERS_MAX
#  define D3DKMT_ADAPTERS_MAX                      64     /* adapters D3DKMTEnumAdapters2 reports */
#endif
#ifndef D3DKMT_SUBMITCOMMAND_MAX_HISTORY_BUFFERS
#  define D3DKMT_SUBMITCOMMAND_MAX_HISTORY_BUFFERS 1024   /* D3DKMT_SUBMITCOMMAND.NumHistoryBuffers */
#endif

/* ---- Adapters ----------------------------------------------------------- */

/* One adapter reported by D3DKMTEnumAdapters2. */
typedef struct _D3DKMT_ADAPTERINFO
{
    D3DKMT_HANDLE hAdapter;                          /* out: opened adapter handle */
    LUID          AdapterLuid;                       /* out */
    ULONG         NumOfSources;                      /* out: video present sources */
    BOOL          bPrecisePresentRegionsPreferred;   /* out; the 1809 WDK named it bPresentMoveRegionsPreferred */
} D3DKMT_ADAPTERINFO;

/* D3DKMTEnumAdapters2: NumAdapters in/out; with pAdapters NULL, returns the count. */
typedef struct _D3DKMT_ENUMADAPTERS2
{
    ULONG               NumAdapters;   /* in: capacity of pAdapters; out: adapters written */
    D3DKMT_ADAPTERINFO *pAdapters;     /* out */
} D3DKMT_ENUMADAPTERS2;

/* D3DKMTOpenAdapterFromLuid. */
typedef struct _D3DKMT_OPENADAPTERFROMLUID
{
    LUID          AdapterLuid;   /* in */
    D3DKMT_HANDLE hAdapter;      /* out */
} D3DKMT_OPENADAPTERFROMLUID;

/* D3DKMTCloseAdapter. */
typedef struct _D3DKMT_CLOSEADAPTER
{
    D3DKMT_HANDLE hAdapter;   /* in */
} D3DKMT_CLOSEADAPTER;

/* What D3DKMTQueryAdapterInfo returns (values from Windows' metadata). */
typedef enum _KMTQUERYADAPTERINFOTYPE
{
    KMTQAITYPE_UMDRIVERPRIVATE                          = 0,
    KMTQAITYPE_UMDRIVERNAME                             = 1,
    KMTQAITYPE_UMOPENGLINFO                             = 2,
    KMTQAITYPE_GETSEGMENTSIZE                           = 3,
    KMTQAITYPE_ADAPTERGUID                              = 4,
    KMTQAITYPE_FLIPQUEUEINFO                            = 5,
    KMTQAITYPE_ADAPTERADDRESS                           = 6,
    KMTQAITYPE_SETWORKINGSETINFO                        = 7,
    KMTQAITYPE_ADAPTERREGISTRYINFO                      = 8,
    KMTQAITYPE_CURRENTDISPLAYMODE                       = 9,
    KMTQAITYPE_MODELIST                                 = 10,
    KMTQAITYPE_CHECKDRIVERUPDATESTATUS                  = 11,
    KMTQAITYPE_VIRTUALADDRESSINFO                       = 12,
    KMTQAITYPE_DRIVERVERSION                            = 13,
    KMTQAITYPE_ADAPTERTYPE                              = 15,
    KMTQAITYPE_OUTPUTDUPLCONTEXTSCOUNT                  = 16,
    KMTQAITYPE_WDDM_1_2_CAPS                            = 17,
    KMTQAITYPE_UMD_DRIVER_VERSION                       = 18,
    KMTQAITYPE_DIRECTFLIP_SUPPORT                       = 19,
    KMTQAITYPE_MULTIPLANEOVERLAY_SUPPORT                = 20,
    KMTQAITYPE_DLIST_DRIVER_NAME                        = 21,
    KMTQAITYPE_WDDM_1_3_CAPS                            = 22,
    KMTQAITYPE_MULTIPLANEOVERLAY_HUD_SUPPORT            = 23,
    KMTQAITYPE_WDDM_2_0_CAPS                            = 24,
    KMTQAITYPE_NODEMETADATA                             = 25,
    KMTQAITYPE_CPDRIVERNAME                             = 26,
    KMTQAITYPE_XBOX                                     = 27,
    KMTQAITYPE_INDEPENDENTFLIP_SUPPORT                  = 28,
    KMTQAITYPE_MIRACASTCOMPANIONDRIVERNAME              = 29,
    KMTQAITYPE_PHYSICALADAPTERCOUNT                     = 30,
    KMTQAITYPE_PHYSICALADAPTERDEVICEIDS                 = 31,
    KMTQAITYPE_DRIVERCAPS_EXT                           = 32,
    KMTQAITYPE_QUERY_MIRACAST_DRIVER_TYPE               = 33,
    KMTQAITYPE_QUERY_GPUMMU_CAPS                        = 34,
    KMTQAITYPE_QUERY_MULTIPLANEOVERLAY_DECODE_SUPPORT   = 35,
    KMTQAITYPE_QUERY_HW_PROTECTION_TEARDOWN_COUNT       = 36,
    KMTQAITYPE_QUERY_ISBADDRIVERFORHWPROTECTIONDISABLED = 37,
    KMTQAITYPE_MULTIPLANEOVERLAY_SECONDARY_SUPPORT      = 38,
    KMTQAITYPE_INDEPENDENTFLIP_SECONDARY_SUPPORT        = 39,
    KMTQAITYPE_PANELFITTER_SUPPORT                      = 40,
    KMTQAITYPE_PHYSICALADAPTERPNPKEY                    = 41,
    KMTQAITYPE_GETSEGMENTGROUPSIZE                      = 42,
    KMTQAITYPE_MPO3DDI_SUPPORT                          = 43,
    KMTQAITYPE_HWDRM_SUPPORT                            = 44,
    KMTQAITYPE_MPOKERNELCAPS_SUPPORT                    = 45,
    KMTQAITYPE_MULTIPLANEOVERLAY_STRETCH_SUPPORT        = 46,
    KMTQAITYPE_GET_DEVICE_VIDPN_OWNERSHIP_INFO          = 47,
    KMTQAITYPE_QUERYREGISTRY                            = 48,
    KMTQAITYPE_KMD_DRIVER_VERSION                       = 49,
    KMTQAITYPE_BLOCKLIST_KERNEL                         = 50,
    KMTQAITYPE_BLOCKLIST_RUNTIME                        = 51,
    KMTQAITYPE_ADAPTERGUID_RENDER                       = 52,
    KMTQAITYPE_ADAPTERADDRESS_RENDER                    = 53,
    KMTQAITYPE_ADAPTERREGISTRYINFO_RENDER               = 54,
    KMTQAITYPE_CHECKDRIVERUPDATESTATUS_RENDER           = 55,
    KMTQAITYPE_DRIVERVERSION_RENDER                     = 56,
    KMTQAITYPE_ADAPTERTYPE_RENDER                       = 57,
    KMTQAITYPE_WDDM_1_2_CAPS_RENDER                     = 58,
    KMTQAITYPE_WDDM_1_3_CAPS_RENDER                     = 59,
    KMTQAITYPE_QUERY_ADAPTER_UNIQUE_GUID                = 60,
    KMTQAITYPE_NODEPERFDATA                             = 61,
    KMTQAITYPE_ADAPTERPERFDATA                          = 62,
    KMTQAITYPE_ADAPTERPERFDATA_CAPS                     = 63,
    KMTQUITYPE_GPUVERSION                               = 64,   /* sic: Windows spells it KMTQUITYPE */
    KMTQAITYPE_DRIVER_DESCRIPTION                       = 65,
    KMTQAITYPE_DRIVER_DESCRIPTION_RENDER                = 66,
    KMTQAITYPE_SCANOUT_CAPS                             = 67,
    KMTQAITYPE_PARAVIRTUALIZATION_RENDER                = 68,
    KMTQAITYPE_SERVICENAME                              = 69,
    KMTQAITYPE_WDDM_2_7_CAPS                            = 70,
    KMTQAITYPE_DISPLAY_UMDRIVERNAME                     = 71,
    KMTQAITYPE_TRACKEDWORKLOAD_SUPPORT                  = 72,
    KMTQAITYPE_HYBRID_DLIST_DLL_SUPPORT                 = 73,
    KMTQAITYPE_DISPLAY_CAPS                             = 74,
    KMTQAITYPE_WDDM_2_9_CAPS                            = 75,
    KMTQAITYPE_CROSSADAPTERRESOURCE_SUPPORT             = 76,
    KMTQAITYPE_WDDM_3_0_CAPS                            = 77,
    KMTQAITYPE_WSAUMDIMAGENAME                          = 78,
    KMTQAITYPE_VGPUINTERFACEID                          = 79,
    KMTQAITYPE_WDDM_3_1_CAPS                            = 80,
    KMTQAITYPE_HYBRID_DLIST_DLL_MUX_SUPPORT             = 81
} KMTQUERYADAPTERINFOTYPE;

/* D3DKMTQueryAdapterInfo: Type selects what is written to pPrivateDriverData. */
typedef struct _D3DKMT_QUERYADAPTERINFO
{
    D3DKMT_HANDLE           hAdapter;                /* in */
    KMTQUERYADAPTERINFOTYPE Type;                    /* in */
    VOID                   *pPrivateDriverData;      /* in/out */
    UINT                    PrivateDriverDataSize;   /* in */
} D3DKMT_QUERYADAPTERINFO;

/* ---- Devices ------------------------------------------------------------ */

/* D3DKMT_CREATEDEVICE.Flags. */
typedef struct _D3DKMT_CREATEDEVICEFLAGS
{
    UINT LegacyMode        : 1;    /* 0x00000001 */
    UINT RequestVSync      : 1;    /* 0x00000002 */
    UINT DisableGpuTimeout : 1;    /* 0x00000004 */
    UINT TestDevice        : 1;    /* 0x00000008 (WDDM 3.1) */
    UINT Reserved          : 28;   /* 0xFFFFFFF0 */
} D3DKMT_CREATEDEVICEFLAGS;

/* D3DKMTCreateDevice. The command-buffer outputs are NULL/0 on WDDM 2. */
typedef struct _D3DKMT_CREATEDEVICE
{
    KMTSIM_EXTENSION union
    {
        D3DKMT_HANDLE hAdapter;                  /* in: user-mode creation */
        VOID         *pAdapter;                  /* in: kernel-mode creation */
    };
    D3DKMT_CREATEDEVICEFLAGS  Flags;             /* in */
    D3DKMT_HANDLE             hDevice;           /* out */
    VOID                     *pCommandBuffer;    /* out */
    UINT                      CommandBufferSize; /* out */
    D3DDDI_ALLOCATIONLIST    *pAllocationList;   /* out */
    UINT                      AllocationListSize;     /* out */
    D3DDDI_PATCHLOCATIONLIST *pPatchLocationList;     /* out */
    UINT                      PatchLocationListSize;  /* out */
} D3DKMT_CREATEDEVICE;

/* D3DKMTDestroyDevice. */
typedef struct _D3DKMT_DESTROYDEVICE
{
    D3DKMT_HANDLE hDevice;   /* in */
} D3DKMT_DESTROYDEVICE;

/* ---- Contexts and submission ------------------------------------------ */

/* Which API runtime creates a context. */
typedef enum _D3DKMT_CLIENTHINT
{
    D3DKMT_CLIENTHINT_UNKNOWN        = 0,
    D3DKMT_CLIENTHINT_OPENGL         = 1,
    D3DKMT_CLIENTHINT_CDD            = 2,
    D3DKMT_CLIENTHINT_OPENCL         = 3,
    D3DKMT_CLIENTHINT_VULKAN         = 4,
    D3DKMT_CLIENTHINT_CUDA           = 5,
    D3DKMT_CLIENTHINT_RESERVED       = 6,
    D3DKMT_CLIENTHINT_DX7            = 7,
    D3DKMT_CLIENTHINT_DX8            = 8,
    D3DKMT_CLIENTHINT_DX9            = 9,
    D3DKMT_CLIENTHINT_DX10           = 10,
    D3DKMT_CLIENTHINT_DX11           = 11,
    D3DKMT_CLIENTHINT_DX12           = 12,
    D3DKMT_CLIENTHINT_9ON12          = 13,
    D3DKMT_CLIENTHINT_11ON12         = 14,
    D3DKMT_CLIENTHINT_MFT_ENCODE     = 15,
    D3DKMT_CLIENTHINT_GLON12         = 16,
    D3DKMT_CLIENTHINT_CLON12         = 17,
    D3DKMT_CLIENTHINT_DML_TENSORFLOW = 18,
    D3DKMT_CLIENTHINT_ONEAPI_LEVEL0  = 19,
    D3DKMT_CLIENTHINT_DML_PYTORCH    = 20,
    D3DKMT_CLIENTHINT_MAX
} D3DKMT_CLIENTHINT;

/* D3DKMTCreateContext (legacy command-buffer model). */
typedef struct _D3DKMT_CREATECONTEXT
{
    D3DKMT_HANDLE             hDevice;                /* in */
    UINT                      NodeOrdinal;            /* in: engine node */
    UINT                      EngineAffinity;         /* in */
    D3DDDI_CREATECONTEXTFLAGS Flags;                  /* in */
    VOID                     *pPrivateDriverData;     /* in */
    UINT                      PrivateDriverDataSize;  /* in */
    D3DKMT_CLIENTHINT         ClientHint;             /* in */
    D3DKMT_HANDLE             hContext;               /* out */
    VOID                     *pCommandBuffer;         /* out */
    UINT                      CommandBufferSize;      /* out */
    D3DDDI_ALLOCATIONLIST    *pAllocationList;        /* out */
    UINT                      AllocationListSize;     /* out */
    D3DDDI_PATCHLOCATIONLIST *pPatchLocationList;     /* out */
    UINT                      PatchLocationListSize;  /* out */
    D3DGPU_VIRTUAL_ADDRESS    CommandBuffer;          /* out */
} D3DKMT_CREATECONTEXT;

/* D3DKMTCreateContextVirtual (GPU virtual addressing model). */
typedef struct _D3DKMT_CREATECONTEXTVIRTUAL
{
    D3DKMT_HANDLE             hDevice;                /* in */
    UINT                      NodeOrdinal;            /* in: engine node */
    UINT                      EngineAffinity;         /* in */
    D3DDDI_CREATECONTEXTFLAGS Flags;                  /* in */
    VOID                     *pPrivateDriverData;     /* in */
    UINT                      PrivateDriverDataSize;  /* in */
    D3DKMT_CLIENTHINT         ClientHint;             /* in */
    D3DKMT_HANDLE             hContext;               /* out */
} D3DKMT_CREATECONTEXTVIRTUAL;

/* D3DKMTDestroyContext. */
typedef struct _D3DKMT_DESTROYCONTEXT
{
    D3DKMT_HANDLE hContext;   /* in */
} D3DKMT_DESTROYCONTEXT;

/* D3DKMT_SUBMITCOMMAND.Flags. */
typedef struct _D3DKMT_SUBMITCOMMANDFLAGS
{
    UINT NullRendering     : 1;    /* 0x00000001 */
    UINT PresentRedirected : 1;    /* 0x00000002 */
    UINT NoKmdAccess       : 1;    /* 0x00000004 */
    UINT Reserved          : 29;   /* 0xFFFFFFF8 */
} D3DKMT_SUBMITCOMMANDFLAGS;

/* D3DKMTSubmitCommand: a command buffer (by GPU VA) to one or more contexts. */
typedef struct _D3DKMT_SUBMITCOMMAND
{
    D3DGPU_VIRTUAL_ADDRESS    Commands;                 /* in: GPU VA of the commands */
    UINT                      CommandLength;            /* in: bytes */
    D3DKMT_SUBMITCOMMANDFLAGS Flags;                    /* in */
    ULONGLONG                 PresentHistoryToken;      /* in: for redirected presents */
    UINT                      BroadcastContextCount;    /* in: 1..D3DDDI_MAX_BROADCAST_CONTEXT */
    D3DKMT_HANDLE             BroadcastContext[D3DDDI_MAX_BROADCAST_CONTEXT];   /* in */
    VOID                     *pPrivateDriverData;       /* in */
    UINT                      PrivateDriverDataSize;    /* in */
    UINT                      NumPrimaries;             /* in */
    D3DKMT_HANDLE             WrittenPrimaries[D3DDDI_MAX_WRITTEN_PRIMARIES];   /* in */
    UINT                      NumHistoryBuffers;        /* in */
    D3DKMT_HANDLE            *HistoryBufferArray;       /* in */
} D3DKMT_SUBMITCOMMAND;

/* ---- Allocations and resources ----------------------------------------- */

/* The kind of a standard (driver-independent) allocation. */
typedef enum _D3DKMT_STANDARDALLOCATIONTYPE
{
    D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP         = 1,   /* wraps existing system memory */
    D3DKMT_STANDARDALLOCATIONTYPE_INTERNALBACKINGSTORE = 2,
    D3DKMT_STANDARDALLOCATIONTYPE_MAX
} D3DKMT_STANDARDALLOCATIONTYPE;

/* Parameters of an EXISTINGHEAP standard allocation. */
typedef struct _D3DKMT_STANDARDALLOCATION_EXISTINGHEAP
{
    SIZE_T Size;   /* in: bytes, page-aligned */
} D3DKMT_STANDARDALLOCATION_EXISTINGHEAP;

/* D3DKMT_CREATESTANDARDALLOCATION.Flags: none defined yet. */
typedef struct _D3DKMT_CREATESTANDARDALLOCATIONFLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT Reserved : 32;
        };
        UINT Value;
    };
} D3DKMT_CREATESTANDARDALLOCATIONFLAGS;

/* A standard allocation (D3DKMT_CREATEALLOCATION.pStandardAllocation). */
typedef struct _D3DKMT_CREATESTANDARDALLOCATION
{
    D3DKMT_STANDARDALLOCATIONTYPE Type;
    KMTSIM_EXTENSION union
    {
        D3DKMT_STANDARDALLOCATION_EXISTINGHEAP ExistingHeapData;
    };
    D3DKMT_CREATESTANDARDALLOCATIONFLAGS Flags;
} D3DKMT_CREATESTANDARDALLOCATION;

/* D3DKMT_CREATEALLOCATION.Flags (a plain bit-field struct, as in Windows). */
typedef struct _D3DKMT_CREATEALLOCATIONFLAGS
{
    UINT CreateResource            : 1;   /* 0x00000001 */
    UINT CreateShared              : 1;   /* 0x00000002 */
    UINT NonSecure                 : 1;   /* 0x00000004 */
    UINT CreateProtected           : 1;   /* 0x00000008 */
    UINT RestrictSharedAccess      : 1;   /* 0x00000010 */
    UINT ExistingSysMem            : 1;   /* 0x00000020 */
    UINT NtSecuritySharing         : 1;   /* 0x00000040 */
    UINT ReadOnly                  : 1;   /* 0x00000080 */
    UINT CreateWriteCombined       : 1;   /* 0x00000100 */
    UINT CreateCached              : 1;   /* 0x00000200 */
    UINT SwapChainBackBuffer       : 1;   /* 0x00000400 */
    UINT CrossAdapter              : 1;   /* 0x00000800 */
    UINT OpenCrossAdapter          : 1;   /* 0x00001000 */
    UINT PartialSharedCreation     : 1;   /* 0x00002000 */
    UINT Zeroed                    : 1;   /* 0x00004000 */
    UINT WriteWatch                : 1;   /* 0x00008000 */
    UINT StandardAllocation        : 1;   /* 0x00010000 */
    UINT ExistingSection           : 1;   /* 0x00020000 */
    UINT AllowNotZeroed            : 1;   /* 0x00040000 */
    UINT PhysicallyContiguous      : 1;   /* 0x00080000 */
    UINT NoKmdAccess               : 1;   /* 0x00100000 */
    UINT SharedDisplayable         : 1;   /* 0x00200000 */
    UINT NoImplicitSynchronization : 1;   /* 0x00400000 */
    UINT Reserved                  : 9;   /* 0xFF800000 */
} D3DKMT_CREATEALLOCATIONFLAGS;

/* D3DKMTCreateAllocation and D3DKMTCreateAllocation2. */
typedef struct _D3DKMT_CREATEALLOCATION
{
    D3DKMT_HANDLE hDevice;                   /* in */
    D3DKMT_HANDLE hResource;                 /* in/out: 0 on input; out with CreateResource */
    D3DKMT_HANDLE hGlobalShare;              /* out: global handle with CreateShared, not NtSecuritySharing */
    const VOID   *pPrivateRuntimeData;       /* in */
    UINT          PrivateRuntimeDataSize;    /* in */
    KMTSIM_EXTENSION union
    {
        D3DKMT_CREATESTANDARDALLOCATION *pStandardAllocation;   /* in, with Flags.StandardAllocation */
        const VOID                      *pPrivateDriverData;    /* in */
    };
    UINT          PrivateDriverDataSize;     /* in */
    UINT          NumAllocations;            /* in */
    KMTSIM_EXTENSION union
    {
        D3DDDI_ALLOCATIONINFO  *pAllocationInfo;    /* in/out: D3DKMTCreateAllocation */
        D3DDDI_ALLOCATIONINFO2 *pAllocationInfo2;   /* in/out: D3DKMTCreateAllocation2 */
    };
    D3DKMT_CREATEALLOCATIONFLAGS Flags;      /* in */
    HANDLE        hPrivateRuntimeResourceHandle;   /* in: opaque, never modified */
} D3DKMT_CREATEALLOCATION;

/* D3DKMTDestroyAllocation: allocations, or a resource with all its allocations. */
typedef struct _D3DKMT_DESTROYALLOCATION
{
    D3DKMT_HANDLE        hDevice;            /* in */
    D3DKMT_HANDLE        hResource;          /* in */
    const D3DKMT_HANDLE *phAllocationList;   /* in */
    UINT                 AllocationCount;    /* in */
} D3DKMT_DESTROYALLOCATION;

/* D3DKMTDestroyAllocation2. */
typedef struct _D3DKMT_DESTROYALLOCATION2
{
    D3DKMT_HANDLE                    hDevice;            /* in */
    D3DKMT_HANDLE                    hResource;          /* in */
    const D3DKMT_HANDLE             *phAllocationList;   /* in */
    UINT                             AllocationCount;    /* in */
    D3DDDICB_DESTROYALLOCATION2FLAGS Flags;              /* in */
} D3DKMT_DESTROYALLOCATION2;

/* D3DKMTLock2: map an allocation for the CPU. */
typedef struct _D3DKMT_LOCK2
{
    D3DKMT_HANDLE       hDevice;       /* in */
    D3DKMT_HANDLE       hAllocation;   /* in */
    D3DDDICB_LOCK2FLAGS Flags;         /* in */
    PVOID               pData;         /* out: CPU address of the allocation */
} D3DKMT_LOCK2;

/* D3DKMTUnlock2. */
typedef struct _D3DKMT_UNLOCK2
{
    D3DKMT_HANDLE hDevice;       /* in */
    D3DKMT_HANDLE hAllocation;   /* in */
} D3DKMT_UNLOCK2;

/* D3DKMTOpenResource / D3DKMTOpenResource2: open a resource by its global handle. */
typedef struct _D3DKMT_OPENRESOURCE
{
    D3DKMT_HANDLE hDevice;                        /* in */
    D3DKMT_HANDLE hGlobalShare;                   /* in */
    UINT          NumAllocations;                 /* in */
    KMTSIM_EXTENSION union
    {
        D3DDDI_OPENALLOCATIONINFO  *pOpenAllocationInfo;    /* in/out: D3DKMTOpenResource */
        D3DDDI_OPENALLOCATIONINFO2 *pOpenAllocationInfo2;   /* in/out: D3DKMTOpenResource2 */
    };
    VOID         *pPrivateRuntimeData;            /* in: receives the runtime data */
    UINT          PrivateRuntimeDataSize;         /* in */
    VOID         *pResourcePrivateDriverData;     /* in: receives the resource driver data */
    UINT          ResourcePrivateDriverDataSize;  /* in */
    VOID         *pTotalPrivateDriverDataBuffer;  /* in: receives all allocation driver data */
    UINT          TotalPrivateDriverDataBufferSize;   /* in/out: bytes available / written */
    D3DKMT_HANDLE hResource;                      /* out */
} D3DKMT_OPENRESOURCE;

/* D3DKMTOpenResourceFromNtHandle: open a shared resource (and its mutex/sync). */
typedef struct _D3DKMT_OPENRESOURCEFROMNTHANDLE
{
    D3DKMT_HANDLE               hDevice;                          /* in */
    HANDLE                      hNtHandle;                        /* in */
    UINT                        NumAllocations;                   /* in */
    D3DDDI_OPENALLOCATIONINFO2 *pOpenAllocationInfo2;             /* in/out */
    UINT                        PrivateRuntimeDataSize;           /* in */
    VOID                       *pPrivateRuntimeData;              /* in: receives the runtime data */
    UINT                        ResourcePrivateDriverDataSize;    /* in */
    VOID                       *pResourcePrivateDriverData;       /* in */
    UINT                        TotalPrivateDriverDataBufferSize; /* in/out: bytes available / written */
    VOID                       *pTotalPrivateDriverDataBuffer;    /* in */
    D3DKMT_HANDLE               hResource;                        /* out */
    D3DKMT_HANDLE               hKeyedMutex;                      /* out: 0 if none was shared */
    VOID                       *pKeyedMutexPrivateRuntimeData;    /* in: copied only if the mutex has none */
    UINT                        KeyedMutexPrivateRuntimeDataSize; /* in/out */
    D3DKMT_HANDLE               hSyncObject;                      /* out: 0 if none was shared */
} D3DKMT_OPENRESOURCEFROMNTHANDLE;

/* D3DKMTQueryResourceInfo: sizes needed to open a resource by global handle. */
typedef struct _D3DKMT_QUERYRESOURCEINFO
{
    D3DKMT_HANDLE hDevice;                        /* in */
    D3DKMT_HANDLE hGlobalShare;                   /* in */
    VOID         *pPrivateRuntimeData;            /* in */
    UINT          PrivateRuntimeDataSize;         /* in/out */
    UINT          TotalPrivateDriverDataSize;     /* out */
    UINT          ResourcePrivateDriverDataSize;  /* out */
    UINT          NumAllocations;                 /* out */
} D3DKMT_QUERYRESOURCEINFO;

/* D3DKMTQueryResourceInfoFromNtHandle: sizes needed to open a shared resource. */
typedef struct _D3DKMT_QUERYRESOURCEINFOFROMNTHANDLE
{
    D3DKMT_HANDLE hDevice;                        /* in */
    HANDLE        hNtHandle;                      /* in */
    VOID         *pPrivateRuntimeData;            /* in */
    UINT          PrivateRuntimeDataSize;         /* in/out */
    UINT          TotalPrivateDriverDataSize;     /* out */
    UINT          ResourcePrivateDriverDataSize;  /* out */
    UINT          NumAllocations;                 /* out */
} D3DKMT_QUERYRESOURCEINFOFROMNTHANDLE;

/* D3DKMTOpenNtHandleFromName: a new NT handle to a named shared resource. */
typedef struct _D3DKMT_OPENNTHANDLEFROMNAME
{
    DWORD              dwDesiredAccess;   /* in */
    OBJECT_ATTRIBUTES *pObjAttrib;        /* in: the name */
    HANDLE             hNtHandle;         /* out */
} D3DKMT_OPENNTHANDLEFROMNAME;

/* Access rights of a shared resource. */
#define SHARED_ALLOCATION_WRITE       0x1
#define SHARED_ALLOCATION_ALL_ACCESS  (STANDARD_RIGHTS_REQUIRED | SHARED_ALLOCATION_WRITE)

/* ---- Keyed mutexes ------------------------------------------------------ */

/* D3DKMTCreateKeyedMutex. */
typedef struct _D3DKMT_CREATEKEYEDMUTEX
{
    UINT64        InitialValue;    /* in: initial key */
    D3DKMT_HANDLE hSharedHandle;   /* out: global handle */
    D3DKMT_HANDLE hKeyedMutex;     /* out */
} D3DKMT_CREATEKEYEDMUTEX;

/* D3DKMT_CREATEKEYEDMUTEX2.Flags. */
typedef struct _D3DKMT_CREATEKEYEDMUTEX2_FLAGS
{
    KMTSIM_EXTENSION union
    {
        KMTSIM_EXTENSION struct
        {
            UINT NtSecuritySharing : 1;    /* 0x00000001 */
            UINT Reserved          : 31;   /* 0xFFFFFFFE */
        };
        UINT Value;
    };
} D3DKMT_CREATEKEYEDMUTEX2_FLAGS;

/* D3DKMTCreateKeyedMutex2. */
typedef struct _D3DKMT_CREATEKEYEDMUTEX2
{
    UINT64                         InitialValue;            /* in: initial key */
    D3DKMT_HANDLE                  hSharedHandle;           /* out: global handle, 0 with NtSecuritySharing */
    D3DKMT_HANDLE                  hKeyedMutex;             /* out */
    VOID                          *pPrivateRuntimeData;     /* in */
    UINT                           PrivateRuntimeDataSize;  /* in */
    D3DKMT_CREATEKEYEDMUTEX2_FLAGS Flags;                   /* in */
} D3DKMT_CREATEKEYEDMUTEX2;

/* D3DKMTOpenKeyedMutex: open by global handle. */
typedef struct _D3DKMT_OPENKEYEDMUTEX
{
    D3DKMT_HANDLE hSharedHandle;   /* in */
    D3DKMT_HANDLE hKeyedMutex;     /* out */
} D3DKMT_OPENKEYEDMUTEX;

/* D3DKMTOpenKeyedMutex2: open by global handle, with private data. */
typedef struct _D3DKMT_OPENKEYEDMUTEX2
{
    D3DKMT_HANDLE hSharedHandle;            /* in */
    D3DKMT_HANDLE hKeyedMutex;              /* out */
    VOID         *pPrivateRuntimeData;      /* in */
    UINT          PrivateRuntimeDataSize;   /* in/out */
} D3DKMT_OPENKEYEDMUTEX2;

/* D3DKMTOpenKeyedMutexFromNtHandle. */
typedef struct _D3DKMT_OPENKEYEDMUTEXFROMNTHANDLE
{
    HANDLE        hNtHandle;                /* in */
    D3DKMT_HANDLE hKeyedMutex;              /* out */
    VOID         *pPrivateRuntimeData;      /* in */
    UINT          PrivateRuntimeDataSize;   /* in/out */
} D3DKMT_OPENKEYEDMUTEXFROMNTHANDLE;

/* D3DKMTDestroyKeyedMutex. */
typedef struct _D3DKMT_DESTROYKEYEDMUTEX
{
    D3DKMT_HANDLE hKeyedMutex;   /* in */
} D3DKMT_DESTROYKEYEDMUTEX;

/* D3DKMTAcquireKeyedMutex. */
typedef struct _D3DKMT_ACQUIREKEYEDMUTEX
{
    D3DKMT_HANDLE  hKeyedMutex;   /* in */
    UINT64         Key;           /* in: key to acquire */
    PLARGE_INTEGER pTimeout;      /* in: NT timeout, NULL = infinite */
    UINT64         FenceValue;    /* out: fence value of the GPU sync object */
} D3DKMT_ACQUIREKEYEDMUTEX;

/* D3DKMTAcquireKeyedMutex2. */
typedef struct _D3DKMT_ACQUIREKEYEDMUTEX2
{
    D3DKMT_HANDLE  hKeyedMutex;              /* in */
    UINT64         Key;                      /* in: key to acquire */
    PLARGE_INTEGER pTimeout;                 /* in: NT timeout, NULL = infinite */
    UINT64         FenceValue;               /* out: fence value of the GPU sync object */
    VOID          *pPrivateRuntimeData;      /* out; if NULL, PrivateRuntimeDataSize must be 0 */
    UINT           PrivateRuntimeDataSize;   /* in */
} D3DKMT_ACQUIREKEYEDMUTEX2;

/* D3DKMTReleaseKeyedMutex. */
typedef struct _D3DKMT_RELEASEKEYEDMUTEX
{
    D3DKMT_HANDLE hKeyedMutex;   /* in */
    UINT64        Key;           /* in: key to release to */
    UINT64        FenceValue;    /* in: new fence value of the GPU sync object */
} D3DKMT_RELEASEKEYEDMUTEX;

/* D3DKMTReleaseKeyedMutex2. */
typedef struct _D3DKMT_RELEASEKEYEDMUTEX2
{
    D3DKMT_HANDLE hKeyedMutex;              /* in */
    UINT64        Key;                      /* in: key to release to */
    UINT64        FenceValue;               /* in: new fence value of the GPU sync object */
    VOID         *pPrivateRuntimeData;      /* in: new private data; if NULL, size must be 0 */
    UINT          PrivateRuntimeDataSize;   /* in */
} D3DKMT_RELEASEKEYEDMUTEX2;

/* ---- Synchronization objects ------------------------------------------ */

/* D3DKMTCreateSynchronizationObject (mutex, semaphore). */
typedef struct _D3DKMT_CREATESYNCHRONIZATIONOBJECT
{
    D3DKMT_HANDLE                    hDevice;       /* in */
    D3DDDI_SYNCHRONIZATIONOBJECTINFO Info;          /* in */
    D3DKMT_HANDLE                    hSyncObject;   /* out */
} D3DKMT_CREATESYNCHRONIZATIONOBJECT;

/* D3DKMTCreateSynchronizationObject2 (all types, monitored fences included). */
typedef struct _D3DKMT_CREATESYNCHRONIZATIONOBJECT2
{
    D3DKMT_HANDLE                     hDevice;       /* in */
    D3DDDI_SYNCHRONIZATIONOBJECTINFO2 Info;          /* in/out */
    D3DKMT_HANDLE                     hSyncObject;   /* out */
} D3DKMT_CREATESYNCHRONIZATIONOBJECT2;

/* D3DKMTOpenSynchronizationObject: open by global handle. */
typedef struct _D3DKMT_OPENSYNCHRONIZATIONOBJECT
{
    D3DKMT_HANDLE hSharedHandle;   /* in */
    D3DKMT_HANDLE hSyncObject;     /* out */
    UINT64        Reserved[8];
} D3DKMT_OPENSYNCHRONIZATIONOBJECT;

/* D3DKMTOpenSyncObjectFromNtHandle. */
typedef struct _D3DKMT_OPENSYNCOBJECTFROMNTHANDLE
{
    HANDLE        hNtHandle;     /* in */
    D3DKMT_HANDLE hSyncObject;   /* out */
} D3DKMT_OPENSYNCOBJECTFROMNTHANDLE;

/* D3DKMTOpenSyncObjectFromNtHandle2: open on a device, mapping a monitored fence. */
typedef struct _D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2
{
    HANDLE                             hNtHandle;     /* in */
    D3DKMT_HANDLE                      hDevice;       /* in */
    D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS Flags;         /* in: behaviour on this device */
    D3DKMT_HANDLE                      hSyncObject;   /* out */
    KMTSIM_EXTENSION union
    {
        struct
        {
            VOID                  *FenceValueCPUVirtualAddress;   /* out: read-only CPU mapping */
            D3DGPU_VIRTUAL_ADDRESS FenceValueGPUVirtualAddress;   /* out: read/write GPU mapping */
            UINT                   EngineAffinity;                /* in */
        } MonitoredFence;
        UINT64 Reserved[8];
    };
} D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2;

/* D3DKMTOpenSyncObjectNtHandleFromName: a new NT handle to a named sync object. */
typedef struct _D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME
{
    DWORD              dwDesiredAccess;   /* in */
    OBJECT_ATTRIBUTES *pObjAttrib;        /* in: the name */
    HANDLE             hNtHandle;         /* out */
} D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME;

/* D3DKMTDestroySynchronizationObject. */
typedef struct _D3DKMT_DESTROYSYNCHRONIZATIONOBJECT
{
    D3DKMT_HANDLE hSyncObject;   /* in */
} D3DKMT_DESTROYSYNCHRONIZATIONOBJECT;

/* D3DKMTWaitForSynchronizationObjectFromCpu: wait for fence values (no timeout field). */
typedef struct _D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU
{
    D3DKMT_HANDLE        hDevice;             /* in */
    UINT                 ObjectCount;         /* in */
    const D3DKMT_HANDLE *ObjectHandleArray;   /* in */
    const UINT64        *FenceValueArray;     /* in */
    HANDLE               hAsyncEvent;         /* in: NULL = block until satisfied */
    D3DDDI_WAITFORSYNCHRONIZATIONOBJECTFROMCPU_FLAGS Flags;   /* in */
} D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU;

/* D3DKMTSignalSynchronizationObjectFromCpu. */
typedef struct _D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU
{
    D3DKMT_HANDLE        hDevice;             /* in */
    UINT                 ObjectCount;         /* in */
    const D3DKMT_HANDLE *ObjectHandleArray;   /* in */
    const UINT64        *FenceValueArray;     /* in */
    D3DDDICB_SIGNALFLAGS Flags;               /* in */
} D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU;

/* D3DKMTWaitForSynchronizationObjectFromGpu: queue a wait on a context. */
typedef struct _D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU
{
    D3DKMT_HANDLE        hContext;            /* in */
    UINT                 ObjectCount;         /* in */
    const D3DKMT_HANDLE *ObjectHandleArray;   /* in */
    KMTSIM_EXTENSION union
    {
        const UINT64    *MonitoredFenceValueArray;   /* in: monitored fences */
        UINT64           FenceValue;                 /* in: legacy fences */
        UINT64           Reserved[8];
    };
} D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU;

/* D3DKMTSignalSynchronizationObjectFromGpu: queue a signal on a context. */
typedef struct _D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU
{
    D3DKMT_HANDLE        hContext;            /* in */
    UINT                 ObjectCount;         /* in */
    const D3DKMT_HANDLE *ObjectHandleArray;   /* in */
    KMTSIM_EXTENSION union
    {
        const UINT64    *MonitoredFenceValueArray;   /* in */
        UINT64           Reserved[8];
    };
} D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU;

/* D3DKMTSignalSynchronizationObjectFromGpu2: queue a signal on several contexts. */
typedef struct _D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2
{
    UINT                 ObjectCount;             /* in: 0 with Flags.EnqueueCpuEvent */
    const D3DKMT_HANDLE *ObjectHandleArray;       /* in */
    D3DDDICB_SIGNALFLAGS Flags;                   /* in */
    ULONG                BroadcastContextCount;   /* in */
    const D3DKMT_HANDLE *BroadcastContextArray;   /* in */
    KMTSIM_EXTENSION union
    {
        UINT64           FenceValue;                 /* in: legacy fences */
        HANDLE           CpuEventHandle;             /* in: with Flags.EnqueueCpuEvent */
        const UINT64    *MonitoredFenceValueArray;   /* in: monitored fences */
        UINT64           Reserved[8];
    };
} D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2;

/* ---- Escapes ------------------------------------------------------------ */

/* What a D3DKMTEscape call is addressed to. */
typedef enum _D3DKMT_ESCAPETYPE
{
    D3DKMT_ESCAPE_DRIVERPRIVATE                     = 0,
    D3DKMT_ESCAPE_VIDMM                             = 1,
    D3DKMT_ESCAPE_TDRDBGCTRL                        = 2,
    D3DKMT_ESCAPE_VIDSCH                            = 3,
    D3DKMT_ESCAPE_DEVICE                            = 4,
    D3DKMT_ESCAPE_DMM                               = 5,
    D3DKMT_ESCAPE_DEBUG_SNAPSHOT                    = 6,
    D3DKMT_ESCAPE_DRT_TEST                          = 8,
    D3DKMT_ESCAPE_DIAGNOSTICS                       = 9,
    D3DKMT_ESCAPE_OUTPUTDUPL_SNAPSHOT               = 10,
    D3DKMT_ESCAPE_OUTPUTDUPL_DIAGNOSTICS            = 11,
    D3DKMT_ESCAPE_BDD_PNP                           = 12,
    D3DKMT_ESCAPE_BDD_FALLBACK                      = 13,
    D3DKMT_ESCAPE_ACTIVATE_SPECIFIC_DIAG            = 14,
    D3DKMT_ESCAPE_MODES_PRUNED_OUT                  = 15,
    D3DKMT_ESCAPE_WHQL_INFO                         = 16,
    D3DKMT_ESCAPE_BRIGHTNESS                        = 17,
    D3DKMT_ESCAPE_EDID_CACHE                        = 18,
    D3DKMT_ESCAPE_GENERIC_ADAPTER_DIAG_INFO         = 19,
    D3DKMT_ESCAPE_MIRACAST_DISPLAY_REQUEST          = 20,
    D3DKMT_ESCAPE_HISTORY_BUFFER_STATUS             = 21,
    D3DKMT_ESCAPE_MIRACAST_ADAPTER_DIAG_INFO        = 23,
    D3DKMT_ESCAPE_FORCE_BDDFALLBACK_HEADLESS        = 24,
    D3DKMT_ESCAPE_REQUEST_MACHINE_CRASH             = 25,
    D3DKMT_ESCAPE_SOFTGPU_ENABLE_DISABLE_HMD        = 27,
    D3DKMT_ESCAPE_PROCESS_VERIFIER_OPTION           = 28,
    D3DKMT_ESCAPE_ADAPTER_VERIFIER_OPTION           = 29,
    D3DKMT_ESCAPE_IDD_REQUEST                       = 30,
    D3DKMT_ESCAPE_DOD_SET_DIRTYRECT_MODE            = 31,
    D3DKMT_ESCAPE_LOG_CODEPOINT_PACKET              = 32,
    D3DKMT_ESCAPE_LOG_USERMODE_DAIG_PACKET          = 33,   /* sic */
    D3DKMT_ESCAPE_GET_EXTERNAL_DIAGNOSTICS          = 34,
    D3DKMT_ESCAPE_GET_DISPLAY_CONFIGURATIONS        = 36,
    D3DKMT_ESCAPE_QUERY_IOMMU_STATUS                = 37,
    D3DKMT_ESCAPE_CCD_DATABASE                      = 38,
    D3DKMT_ESCAPE_QUERY_DMA_REMAPPING_STATUS        = 39,
    D3DKMT_ESCAPE_WIN32K_START                      = 1024,
    D3DKMT_ESCAPE_WIN32K_HIP_DEVICE_INFO            = 1024,
    D3DKMT_ESCAPE_WIN32K_QUERY_CD_ROTATION_BLOCK    = 1025,
    D3DKMT_ESCAPE_WIN32K_DPI_INFO                   = 1026,
    D3DKMT_ESCAPE_WIN32K_PRESENTER_VIEW_INFO        = 1027,
    D3DKMT_ESCAPE_WIN32K_SYSTEM_DPI                 = 1028,
    D3DKMT_ESCAPE_WIN32K_BDD_FALLBACK               = 1029,
    D3DKMT_ESCAPE_WIN32K_DDA_TEST_CTL               = 1030,
    D3DKMT_ESCAPE_WIN32K_USER_DETECTED_BLACK_SCREEN = 1031,
    D3DKMT_ESCAPE_WIN32K_HMD_ENUM                   = 1032,
    D3DKMT_ESCAPE_WIN32K_HMD_CONTROL                = 1033,
    D3DKMT_ESCAPE_WIN32K_LPMDISPLAY_CONTROL         = 1034,
    D3DKMT_ESCAPE_WIN32K_DISPBROKER_TEST            = 1035,
    D3DKMT_ESCAPE_WIN32K_COLOR_PROFILE_INFO         = 1036,
    D3DKMT_ESCAPE_WIN32K_SET_DIMMED_STATE           = 1037,
    D3DKMT_ESCAPE_WIN32K_SPECIALIZED_DISPLAY_TEST   = 1038
} D3DKMT_ESCAPETYPE;

/* D3DKMTEscape: pass private data to the driver. */
typedef struct _D3DKMT_ESCAPE
{
    D3DKMT_HANDLE      hAdapter;                /* in */
    D3DKMT_HANDLE      hDevice;                 /* in: optional */
    D3DKMT_ESCAPETYPE  Type;                    /* in */
    D3DDDI_ESCAPEFLAGS Flags;                   /* in */
    VOID              *pPrivateDriverData;      /* in/out */
    UINT               PrivateDriverDataSize;   /* in */
    D3DKMT_HANDLE      hContext;                /* in: optional */
} D3DKMT_ESCAPE;

/* ---- Function pointer types -------------------------------------------- */

typedef NTSTATUS (APIENTRY *PFND3DKMT_ENUMADAPTERS2)(_Inout_ CONST D3DKMT_ENUMADAPTERS2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENADAPTERFROMLUID)(_Inout_ CONST D3DKMT_OPENADAPTERFROMLUID *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CLOSEADAPTER)(_In_ CONST D3DKMT_CLOSEADAPTER *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_QUERYADAPTERINFO)(_Inout_ CONST D3DKMT_QUERYADAPTERINFO *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATEDEVICE)(_Inout_ D3DKMT_CREATEDEVICE *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_DESTROYDEVICE)(_In_ CONST D3DKMT_DESTROYDEVICE *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATECONTEXT)(_Inout_ D3DKMT_CREATECONTEXT *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATECONTEXTVIRTUAL)(_In_ D3DKMT_CREATECONTEXTVIRTUAL *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_DESTROYCONTEXT)(_In_ CONST D3DKMT_DESTROYCONTEXT *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_SUBMITCOMMAND)(_In_ CONST D3DKMT_SUBMITCOMMAND *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATEALLOCATION)(_Inout_ D3DKMT_CREATEALLOCATION *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATEALLOCATION2)(_Inout_ D3DKMT_CREATEALLOCATION *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_DESTROYALLOCATION)(_In_ CONST D3DKMT_DESTROYALLOCATION *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_DESTROYALLOCATION2)(_In_ CONST D3DKMT_DESTROYALLOCATION2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_LOCK2)(_Inout_ D3DKMT_LOCK2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_UNLOCK2)(_In_ CONST D3DKMT_UNLOCK2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATEKEYEDMUTEX)(_Inout_ D3DKMT_CREATEKEYEDMUTEX *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATEKEYEDMUTEX2)(_Inout_ D3DKMT_CREATEKEYEDMUTEX2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENKEYEDMUTEX)(_Inout_ D3DKMT_OPENKEYEDMUTEX *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENKEYEDMUTEX2)(_Inout_ D3DKMT_OPENKEYEDMUTEX2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENKEYEDMUTEXFROMNTHANDLE)(_Inout_ D3DKMT_OPENKEYEDMUTEXFROMNTHANDLE *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_ACQUIREKEYEDMUTEX)(_Inout_ D3DKMT_ACQUIREKEYEDMUTEX *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_ACQUIREKEYEDMUTEX2)(_Inout_ D3DKMT_ACQUIREKEYEDMUTEX2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_RELEASEKEYEDMUTEX)(_Inout_ D3DKMT_RELEASEKEYEDMUTEX *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_RELEASEKEYEDMUTEX2)(_Inout_ D3DKMT_RELEASEKEYEDMUTEX2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_DESTROYKEYEDMUTEX)(_In_ CONST D3DKMT_DESTROYKEYEDMUTEX *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATESYNCHRONIZATIONOBJECT)(_Inout_ D3DKMT_CREATESYNCHRONIZATIONOBJECT *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_CREATESYNCHRONIZATIONOBJECT2)(_Inout_ D3DKMT_CREATESYNCHRONIZATIONOBJECT2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENSYNCHRONIZATIONOBJECT)(_Inout_ D3DKMT_OPENSYNCHRONIZATIONOBJECT *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENSYNCOBJECTFROMNTHANDLE)(_Inout_ D3DKMT_OPENSYNCOBJECTFROMNTHANDLE *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENSYNCOBJECTFROMNTHANDLE2)(_Inout_ D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_DESTROYSYNCHRONIZATIONOBJECT)(_In_ CONST D3DKMT_DESTROYSYNCHRONIZATIONOBJECT *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_SHAREOBJECTS)(
    _In_range_(1, D3DKMT_MAX_OBJECTS_PER_HANDLE) UINT cObjects,
    _In_reads_(cObjects) CONST D3DKMT_HANDLE *hObjects,
    _In_ POBJECT_ATTRIBUTES pObjectAttributes,
    _In_ DWORD dwDesiredAccess,
    _Out_ HANDLE *phSharedNtHandle);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENRESOURCE)(_Inout_ D3DKMT_OPENRESOURCE *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENRESOURCE2)(_Inout_ D3DKMT_OPENRESOURCE *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_QUERYRESOURCEINFO)(_Inout_ D3DKMT_QUERYRESOURCEINFO *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENRESOURCEFROMNTHANDLE)(_Inout_ D3DKMT_OPENRESOURCEFROMNTHANDLE *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_QUERYRESOURCEINFOFROMNTHANDLE)(_Inout_ D3DKMT_QUERYRESOURCEINFOFROMNTHANDLE *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENNTHANDLEFROMNAME)(_Inout_ D3DKMT_OPENNTHANDLEFROMNAME *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME)(_Inout_ D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU)(_In_ CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU)(_In_ CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2)(_In_ CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2 *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU)(_In_ CONST D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU)(_In_ CONST D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU *);
typedef NTSTATUS (APIENTRY *PFND3DKMT_ESCAPE)(_In_ CONST D3DKMT_ESCAPE *);

/* ---- Functions ------------------------------------------------------------ */

#ifdef __cplusplus
extern "C" {
#endif

/* Adapters and devices. Windows declares the Inout adapter arguments const; kept as is. */
NTSTATUS APIENTRY D3DKMTEnumAdapters2(_Inout_ CONST D3DKMT_ENUMADAPTERS2 *pData);
NTSTATUS APIENTRY D3DKMTOpenAdapterFromLuid(_Inout_ CONST D3DKMT_OPENADAPTERFROMLUID *pData);
NTSTATUS APIENTRY D3DKMTCloseAdapter(_In_ CONST D3DKMT_CLOSEADAPTER *pData);
NTSTATUS APIENTRY D3DKMTQueryAdapterInfo(_Inout_ CONST D3DKMT_QUERYADAPTERINFO *pData);
NTSTATUS APIENTRY D3DKMTCreateDevice(_Inout_ D3DKMT_CREATEDEVICE *pData);
NTSTATUS APIENTRY D3DKMTDestroyDevice(_In_ CONST D3DKMT_DESTROYDEVICE *pData);

/* Contexts and submission. */
NTSTATUS APIENTRY D3DKMTCreateContext(_Inout_ D3DKMT_CREATECONTEXT *pData);
NTSTATUS APIENTRY D3DKMTCreateContextVirtual(_In_ D3DKMT_CREATECONTEXTVIRTUAL *pData);
NTSTATUS APIENTRY D3DKMTDestroyContext(_In_ CONST D3DKMT_DESTROYCONTEXT *pData);
NTSTATUS APIENTRY D3DKMTSubmitCommand(_In_ CONST D3DKMT_SUBMITCOMMAND *pData);

/* Allocations. */
NTSTATUS APIENTRY D3DKMTCreateAllocation(_Inout_ D3DKMT_CREATEALLOCATION *pData);
NTSTATUS APIENTRY D3DKMTCreateAllocation2(_Inout_ D3DKMT_CREATEALLOCATION *pData);
NTSTATUS APIENTRY D3DKMTDestroyAllocation(_In_ CONST D3DKMT_DESTROYALLOCATION *pData);
NTSTATUS APIENTRY D3DKMTDestroyAllocation2(_In_ CONST D3DKMT_DESTROYALLOCATION2 *pData);
NTSTATUS APIENTRY D3DKMTLock2(_Inout_ D3DKMT_LOCK2 *pData);
NTSTATUS APIENTRY D3DKMTUnlock2(_In_ CONST D3DKMT_UNLOCK2 *pData);

/* Keyed mutexes. */
NTSTATUS APIENTRY D3DKMTCreateKeyedMutex(_Inout_ D3DKMT_CREATEKEYEDMUTEX *pData);
NTSTATUS APIENTRY D3DKMTCreateKeyedMutex2(_Inout_ D3DKMT_CREATEKEYEDMUTEX2 *pData);
NTSTATUS APIENTRY D3DKMTOpenKeyedMutex(_Inout_ D3DKMT_OPENKEYEDMUTEX *pData);
NTSTATUS APIENTRY D3DKMTOpenKeyedMutex2(_Inout_ D3DKMT_OPENKEYEDMUTEX2 *pData);
NTSTATUS APIENTRY D3DKMTOpenKeyedMutexFromNtHandle(_Inout_ D3DKMT_OPENKEYEDMUTEXFROMNTHANDLE *pData);
NTSTATUS APIENTRY D3DKMTAcquireKeyedMutex(_Inout_ D3DKMT_ACQUIREKEYEDMUTEX *pData);
NTSTATUS APIENTRY D3DKMTAcquireKeyedMutex2(_Inout_ D3DKMT_ACQUIREKEYEDMUTEX2 *pData);
NTSTATUS APIENTRY D3DKMTReleaseKeyedMutex(_Inout_ D3DKMT_RELEASEKEYEDMUTEX *pData);
NTSTATUS APIENTRY D3DKMTReleaseKeyedMutex2(_Inout_ D3DKMT_RELEASEKEYEDMUTEX2 *pData);
NTSTATUS APIENTRY D3DKMTDestroyKeyedMutex(_In_ CONST D3DKMT_DESTROYKEYEDMUTEX *pData);

/* Synchronization objects. */
NTSTATUS APIENTRY D3DKMTCreateSynchronizationObject(_Inout_ D3DKMT_CREATESYNCHRONIZATIONOBJECT *pData);
NTSTATUS APIENTRY D3DKMTCreateSynchronizationObject2(_Inout_ D3DKMT_CREATESYNCHRONIZATIONOBJECT2 *pData);
NTSTATUS APIENTRY D3DKMTOpenSynchronizationObject(_Inout_ D3DKMT_OPENSYNCHRONIZATIONOBJECT *pData);
NTSTATUS APIENTRY D3DKMTOpenSyncObjectFromNtHandle(_Inout_ D3DKMT_OPENSYNCOBJECTFROMNTHANDLE *pData);
NTSTATUS APIENTRY D3DKMTOpenSyncObjectFromNtHandle2(_Inout_ D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 *pData);
NTSTATUS APIENTRY D3DKMTDestroySynchronizationObject(_In_ CONST D3DKMT_DESTROYSYNCHRONIZATIONOBJECT *pData);
NTSTATUS APIENTRY D3DKMTSignalSynchronizationObjectFromCpu(_In_ CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU *pData);
NTSTATUS APIENTRY D3DKMTSignalSynchronizationObjectFromGpu(_In_ CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU *pData);
NTSTATUS APIENTRY D3DKMTSignalSynchronizationObjectFromGpu2(_In_ CONST D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2 *pData);
NTSTATUS APIENTRY D3DKMTWaitForSynchronizationObjectFromCpu(_In_ CONST D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU *pData);
NTSTATUS APIENTRY D3DKMTWaitForSynchronizationObjectFromGpu(_In_ CONST D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU *pData);

/* Sharing: NT handles, names, legacy global handles. */
NTSTATUS APIENTRY D3DKMTShareObjects(
    _In_range_(1, D3DKMT_MAX_OBJECTS_PER_HANDLE) UINT cObjects,
    _In_reads_(cObjects) CONST D3DKMT_HANDLE *hObjects,
    _In_ POBJECT_ATTRIBUTES pObjectAttributes,
    _In_ DWORD dwDesiredAccess,
    _Out_ HANDLE *phSharedNtHandle);
NTSTATUS APIENTRY D3DKMTOpenResource(_Inout_ D3DKMT_OPENRESOURCE *pData);
NTSTATUS APIENTRY D3DKMTOpenResource2(_Inout_ D3DKMT_OPENRESOURCE *pData);
NTSTATUS APIENTRY D3DKMTQueryResourceInfo(_Inout_ D3DKMT_QUERYRESOURCEINFO *pData);
NTSTATUS APIENTRY D3DKMTOpenResourceFromNtHandle(_Inout_ D3DKMT_OPENRESOURCEFROMNTHANDLE *pData);
NTSTATUS APIENTRY D3DKMTQueryResourceInfoFromNtHandle(_Inout_ D3DKMT_QUERYRESOURCEINFOFROMNTHANDLE *pData);
NTSTATUS APIENTRY D3DKMTOpenNtHandleFromName(_Inout_ D3DKMT_OPENNTHANDLEFROMNAME *pData);
NTSTATUS APIENTRY D3DKMTOpenSyncObjectNtHandleFromName(_Inout_ D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME *pData);

/* Escapes. */
NTSTATUS APIENTRY D3DKMTEscape(_In_ CONST D3DKMT_ESCAPE *pData);

#ifdef __cplusplus
}
#endif

#endif /* KMTSIM_D3DKMTHK_H */
