/*
 * kmtsim's private escapes: D3DKMTEscape with Type = D3DKMT_ESCAPE_DRIVERPRIVATE
 * and pPrivateDriverData pointing at one of these structs, which begin with
 * KMTSIM_ESCAPE_HEADER. The driver writes its answer into the same buffer.
 */
#ifndef KMTSIM_ESCAPE_H
#define KMTSIM_ESCAPE_H

#include "d3dkmthk.h"

#define KMTSIM_ESCAPE_MAGIC 0x4553454Bu /* "KESE" */

typedef enum _KMTSIM_ESCAPE_CODE {
    KMTSIM_ESCAPE_FENCE_HOPS = 1,      /* KMTSIM_ESCAPE_FENCE_HOPS_DATA */
    KMTSIM_ESCAPE_DEVICE_INFO = 2,     /* KMTSIM_ESCAPE_DEVICE_INFO_DATA */
    KMTSIM_ESCAPE_FENCE_CRITICAL = 3   /* KMTSIM_ESCAPE_FENCE_CRITICAL_DATA */
} KMTSIM_ESCAPE_CODE;

typedef struct _KMTSIM_ESCAPE_HEADER {
    UINT Magic;   /* KMTSIM_ESCAPE_MAGIC */
    UINT Code;    /* KMTSIM_ESCAPE_CODE */
} KMTSIM_ESCAPE_HEADER;

/* The hops of one delivered fence signal. Simulated times are picoseconds of
 * simulated time; host times are CLOCK_MONOTONIC nanoseconds. */
typedef struct _KMTSIM_FENCE_HOP {
    UINT64 Value;          /* the value the signal asked for */
    UINT64 Delivered;      /* the fence value it produced */
    UINT64 SubmitHostNs;   /* the driver received the signal */
    UINT64 SubmitSimPs;    /* the signal reached the device (register write or doorbell) */
    UINT64 FetchSimPs;     /* a ring parsed its SIGNAL (GPU signals; 0 for CPU signals) */
    UINT64 UpdateSimPs;    /* the fence table took the value */
    UINT64 WriteBackSimPs; /* the CPU-visible value (the fence's page) was written */
    UINT64 RecordSimPs;    /* its interrupt record was queued */
    UINT64 IrqSimPs;       /* the device raised the interrupt for it */
    UINT64 IsrSimPs;       /* the interrupt handler read its record */
    UINT64 IsrHostNs;      /* the interrupt handler started (host time) */
    UINT64 DpcHostNs;      /* the DPC started delivering it (then woke the waiters) */
    UINT   Woken;          /* CPU waiters it released */
    UINT   FromGpu;        /* 1: signalled by the command processor */
} KMTSIM_FENCE_HOP;

#define KMTSIM_MAX_HOPS_PER_ESCAPE 1024

/* In: hSyncObject (a handle of the calling process), FirstValue, MaxCount.
 * Out: Count hops of that fence whose Value >= FirstValue, oldest first. */
typedef struct _KMTSIM_ESCAPE_FENCE_HOPS_DATA {
    KMTSIM_ESCAPE_HEADER Header;
    D3DKMT_HANDLE hSyncObject;
    UINT   MaxCount;
    UINT64 FirstValue;
    UINT   Count;
    UINT   Reserved;
    KMTSIM_FENCE_HOP Hops[KMTSIM_MAX_HOPS_PER_ESCAPE];
} KMTSIM_ESCAPE_FENCE_HOPS_DATA;

/* The daemon's state: for tools, and for tests that look for leaks. */
typedef struct _KMTSIM_ESCAPE_DEVICE_INFO_DATA {
    KMTSIM_ESCAPE_HEADER Header;
    UINT   Backend;        /* 0 model, 1 rtl */
    UINT   NumFences;      /* hardware fences */
    UINT64 SimTimePs;      /* simulated time now */
    UINT64 Interrupts;
    UINT64 Records;        /* interrupt records handled */
    UINT   Processes;      /* connected client processes */
    UINT   SyncObjects;    /* live sync objects */
    UINT   FreeFences;     /* hardware fences not in use */
    UINT   NtHandles;      /* open NT handles (shared objects' handles) */
    UINT   CpuWaiters;     /* pending CPU waits */
    UINT   NumRings;       /* the device's command rings */
    UINT64 VramBytes;      /* VRAM */
    UINT64 VramFreeBytes;  /* VRAM not allocated */
    UINT64 Packets;        /* GPU work packets submitted */
    UINT64 Preemptions;    /* rings taken back from a context stalled on a WAIT */
    UINT64 RingErrors;     /* rings halted on a bad command */
} KMTSIM_ESCAPE_DEVICE_INFO_DATA;

/* Marks a monitored fence latency-critical (its interrupts bypass
 * coalescing) or clears the mark. In: hSyncObject (a handle of the calling
 * process), Critical (0 or 1). */
typedef struct _KMTSIM_ESCAPE_FENCE_CRITICAL_DATA {
    KMTSIM_ESCAPE_HEADER Header;
    D3DKMT_HANDLE hSyncObject;
    UINT   Critical;
} KMTSIM_ESCAPE_FENCE_CRITICAL_DATA;

#endif /* KMTSIM_ESCAPE_H */
