/*
 * ntstatus.h - the NTSTATUS values the D3DKMT API returns, with Windows'
 * numeric values. Each value is an NTSTATUS (int32_t) constant expression:
 * an unsigned literal converted with a cast that stays quiet under
 * -Wall -Wextra in C and C++ (and -Wold-style-cast in C++).
 */
#ifndef KMTSIM_NTSTATUS_H
#define KMTSIM_NTSTATUS_H

#include "kmtsim/wintypes.h"

/* ---- Success (severity 0) -------------------------------------------- */

#ifndef STATUS_SUCCESS
#  define STATUS_SUCCESS                     KMTSIM_CAST(NTSTATUS, 0x00000000u)
#endif
#ifndef STATUS_WAIT_0
#  define STATUS_WAIT_0                      KMTSIM_CAST(NTSTATUS, 0x00000000u)
#endif
/* A keyed mutex whose owner died: every later Acquire/Release returns this. */
#ifndef STATUS_ABANDONED
#  define STATUS_ABANDONED                   KMTSIM_CAST(NTSTATUS, 0x00000080u)
#endif
#ifndef STATUS_ABANDONED_WAIT_0
#  define STATUS_ABANDONED_WAIT_0            KMTSIM_CAST(NTSTATUS, 0x00000080u)
#endif
#ifndef STATUS_TIMEOUT
#  define STATUS_TIMEOUT                     KMTSIM_CAST(NTSTATUS, 0x00000102u)
#endif
#ifndef STATUS_PENDING
#  define STATUS_PENDING                     KMTSIM_CAST(NTSTATUS, 0x00000103u)
#endif

/* ---- Informational (severity 1) -------------------------------------- */

/* A named create with OBJ_OPENIF found an existing object of the same type. */
#ifndef STATUS_OBJECT_NAME_EXISTS
#  define STATUS_OBJECT_NAME_EXISTS          KMTSIM_CAST(NTSTATUS, 0x40000000u)
#endif

/* ---- Warnings (severity 2) ------------------------------------------- */

#ifndef STATUS_DATATYPE_MISALIGNMENT
#  define STATUS_DATATYPE_MISALIGNMENT       KMTSIM_CAST(NTSTATUS, 0x80000002u)
#endif
#ifndef STATUS_BUFFER_OVERFLOW
#  define STATUS_BUFFER_OVERFLOW             KMTSIM_CAST(NTSTATUS, 0x80000005u)
#endif

/* ---- Errors (severity 3) --------------------------------------------- */

#ifndef STATUS_UNSUCCESSFUL
#  define STATUS_UNSUCCESSFUL                KMTSIM_CAST(NTSTATUS, 0xC0000001u)
#endif
#ifndef STATUS_NOT_IMPLEMENTED
#  define STATUS_NOT_IMPLEMENTED             KMTSIM_CAST(NTSTATUS, 0xC0000002u)
#endif
#ifndef STATUS_ACCESS_VIOLATION
#  define STATUS_ACCESS_VIOLATION            KMTSIM_CAST(NTSTATUS, 0xC0000005u)
#endif
#ifndef STATUS_INVALID_HANDLE
#  define STATUS_INVALID_HANDLE              KMTSIM_CAST(NTSTATUS, 0xC0000008u)
#endif
#ifndef STATUS_INVALID_PARAMETER
#  define STATUS_INVALID_PARAMETER           KMTSIM_CAST(NTSTATUS, 0xC000000Du)
#endif
#ifndef STATUS_NO_SUCH_FILE
#  define STATUS_NO_SUCH_FILE                KMTSIM_CAST(NTSTATUS, 0xC000000Fu)
#endif
#ifndef STATUS_INVALID_DEVICE_REQUEST
#  define STATUS_INVALID_DEVICE_REQUEST      KMTSIM_CAST(NTSTATUS, 0xC0000010u)
#endif
#ifndef STATUS_NO_MEMORY
#  define STATUS_NO_MEMORY                   KMTSIM_CAST(NTSTATUS, 0xC0000017u)
#endif
#ifndef STATUS_ILLEGAL_INSTRUCTION
#  define STATUS_ILLEGAL_INSTRUCTION         KMTSIM_CAST(NTSTATUS, 0xC000001Du)
#endif
#ifndef STATUS_ACCESS_DENIED
#  define STATUS_ACCESS_DENIED               KMTSIM_CAST(NTSTATUS, 0xC0000022u)
#endif
#ifndef STATUS_BUFFER_TOO_SMALL
#  define STATUS_BUFFER_TOO_SMALL            KMTSIM_CAST(NTSTATUS, 0xC0000023u)
#endif
#ifndef STATUS_OBJECT_TYPE_MISMATCH
#  define STATUS_OBJECT_TYPE_MISMATCH        KMTSIM_CAST(NTSTATUS, 0xC0000024u)
#endif
#ifndef STATUS_OBJECT_NAME_INVALID
#  define STATUS_OBJECT_NAME_INVALID         KMTSIM_CAST(NTSTATUS, 0xC0000033u)
#endif
#ifndef STATUS_OBJECT_NAME_NOT_FOUND
#  define STATUS_OBJECT_NAME_NOT_FOUND       KMTSIM_CAST(NTSTATUS, 0xC0000034u)
#endif
#ifndef STATUS_OBJECT_NAME_COLLISION
#  define STATUS_OBJECT_NAME_COLLISION       KMTSIM_CAST(NTSTATUS, 0xC0000035u)
#endif
#ifndef STATUS_OBJECT_PATH_NOT_FOUND
#  define STATUS_OBJECT_PATH_NOT_FOUND       KMTSIM_CAST(NTSTATUS, 0xC000003Au)
#endif
#ifndef STATUS_OBJECT_PATH_SYNTAX_BAD
#  define STATUS_OBJECT_PATH_SYNTAX_BAD      KMTSIM_CAST(NTSTATUS, 0xC000003Bu)
#endif
#ifndef STATUS_PROCEDURE_NOT_FOUND
#  define STATUS_PROCEDURE_NOT_FOUND         KMTSIM_CAST(NTSTATUS, 0xC000007Au)
#endif
#ifndef STATUS_INSUFFICIENT_RESOURCES
#  define STATUS_INSUFFICIENT_RESOURCES      KMTSIM_CAST(NTSTATUS, 0xC000009Au)
#endif
#ifndef STATUS_NOT_SUPPORTED
#  define STATUS_NOT_SUPPORTED               KMTSIM_CAST(NTSTATUS, 0xC00000BBu)
#endif
#ifndef STATUS_INTERNAL_ERROR
#  define STATUS_INTERNAL_ERROR              KMTSIM_CAST(NTSTATUS, 0xC00000E5u)
#endif
#ifndef STATUS_DEVICE_REMOVED
#  define STATUS_DEVICE_REMOVED              KMTSIM_CAST(NTSTATUS, 0xC00002B6u)
#endif

/* ---- Graphics (facility 0x1E) ---------------------------------------- */

#ifndef STATUS_GRAPHICS_PRESENT_OCCLUDED
#  define STATUS_GRAPHICS_PRESENT_OCCLUDED   KMTSIM_CAST(NTSTATUS, 0xC01E0006u)
#endif
#ifndef STATUS_GRAPHICS_PRESENT_UNOCCLUDED
#  define STATUS_GRAPHICS_PRESENT_UNOCCLUDED KMTSIM_CAST(NTSTATUS, 0xC01E000Cu)
#endif
#ifndef STATUS_GRAPHICS_ALLOCATION_BUSY
#  define STATUS_GRAPHICS_ALLOCATION_BUSY    KMTSIM_CAST(NTSTATUS, 0xC01E0102u)
#endif
#ifndef STATUS_GRAPHICS_VIDPN_SOURCE_IN_USE
#  define STATUS_GRAPHICS_VIDPN_SOURCE_IN_USE KMTSIM_CAST(NTSTATUS, 0xC01E0342u)
#endif

#endif /* KMTSIM_NTSTATUS_H */
