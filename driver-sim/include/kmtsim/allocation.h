/*
 * Video-memory allocations. D3DKMTCreateAllocation(2) without
 * StandardAllocation/ExistingSysMem creates allocations in the device's video
 * memory; each D3DDDI_ALLOCATIONINFO(2).pPrivateDriverData must point at a
 * KMTSIM_ALLOCATION_DESC (PrivateDriverDataSize = its size). The top-level
 * pPrivateDriverData, if any, is the resource's private driver data, stored
 * and handed back to openers as it is.
 *
 * A CPU-visible allocation can be locked (D3DKMTLock2) in every process that
 * holds it: each maps the same memory. Opening a shared resource without
 * SHARED_ALLOCATION_WRITE gives handles that cannot be locked (write access).
 */
#ifndef KMTSIM_ALLOCATION_H
#define KMTSIM_ALLOCATION_H

#include "kmtsim/wintypes.h"

#define KMTSIM_ALLOCATION_MAGIC   0x4B4D4141u /* "AAMK" */
#define KMTSIM_ALLOCATION_VERSION 1u

/* KMTSIM_ALLOCATION_DESC.Flags */
#define KMTSIM_ALLOCATION_CPU_VISIBLE 0x1u  /* D3DKMTLock2 may map it */
#define KMTSIM_ALLOCATION_STANDARD    0x2u  /* set by the driver: a standard allocation over system memory */

typedef struct _KMTSIM_ALLOCATION_DESC {
    UINT   Magic;    /* KMTSIM_ALLOCATION_MAGIC */
    UINT   Version;  /* KMTSIM_ALLOCATION_VERSION */
    UINT64 Size;     /* bytes, 1 .. 4 GiB; rounded up to whole 4 KiB pages */
    UINT   Flags;    /* KMTSIM_ALLOCATION_* */
    UINT   Reserved; /* 0 */
} KMTSIM_ALLOCATION_DESC;

#endif /* KMTSIM_ALLOCATION_H */
