/*
 * kmtsim/wintypes.h - the Windows base types that d3dkmthk.h, d3dukmdt.h and
 * ntstatus.h need, defined for Linux x86-64 with the sizes Windows x64 (LLP64)
 * gives them: LONG/ULONG/DWORD are 32-bit, pointers and HANDLE are 64-bit.
 *
 * Every definition is guarded so that this header can sit next to other
 * Windows-compatibility headers:
 *   - a macro is defined only if it is not defined yet (#ifndef NAME);
 *   - a type or type group is wrapped in #ifndef KMTSIM_<NAME>_DEFINED: a
 *     header that already provides it defines that macro first.
 *
 * WCHAR is wchar_t, so Windows code with L"..." literals compiles unchanged.
 * On Linux wchar_t is 4 bytes (UTF-32), not 2: byte counts such as
 * UNICODE_STRING.Length are in units of sizeof(WCHAR) == 4 here.
 *
 * Plain C (C99 with GNU extensions, C11) and C++.
 */
#ifndef KMTSIM_WINTYPES_H
#define KMTSIM_WINTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* The layouts reproduce Windows x64, which only a 64-bit target can match. */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ != 8
#  error "kmtsim/wintypes.h: a 64-bit target is required (Windows x64 layouts)"
#endif

/* ---- Language glue --------------------------------------------------- */

/* Marks an anonymous struct/union member (a C11 feature, an extension in C99 and C++). */
#ifndef KMTSIM_EXTENSION
#  if defined(__GNUC__) || defined(__clang__)
#    define KMTSIM_EXTENSION __extension__
#  else
#    define KMTSIM_EXTENSION
#  endif
#endif

/* A value conversion that is clean under C++'s -Wold-style-cast. */
#ifndef KMTSIM_CAST
#  ifdef __cplusplus
#    define KMTSIM_CAST(type, value) (static_cast<type>(value))
#  else
#    define KMTSIM_CAST(type, value) ((type)(value))
#  endif
#endif

/* Linkage for declarations shared by C and C++. */
#ifndef EXTERN_C
#  ifdef __cplusplus
#    define EXTERN_C extern "C"
#  else
#    define EXTERN_C extern
#  endif
#endif

/* Calling conventions: the x86-64 System V convention is the only one. */
#ifndef APIENTRY
#  define APIENTRY
#endif
#ifndef WINAPI
#  define WINAPI
#endif
#ifndef NTAPI
#  define NTAPI
#endif

#ifndef CONST
#  define CONST const
#endif
#ifndef VOID
#  define VOID void
#endif
#ifndef TRUE
#  define TRUE 1
#endif
#ifndef FALSE
#  define FALSE 0
#endif

/* Parameter annotations (SAL): documentation only, empty here. */
#ifndef _In_
#  define _In_
#endif
#ifndef _Out_
#  define _Out_
#endif
#ifndef _Inout_
#  define _Inout_
#endif
#ifndef _In_opt_
#  define _In_opt_
#endif
#ifndef _Out_opt_
#  define _Out_opt_
#endif
#ifndef _Inout_opt_
#  define _Inout_opt_
#endif
#ifndef _Check_return_
#  define _Check_return_
#endif
#ifndef _In_range_
#  define _In_range_(lo, hi)
#endif
#ifndef _In_reads_
#  define _In_reads_(n)
#endif
#ifndef _In_reads_bytes_opt_
#  define _In_reads_bytes_opt_(n)
#endif
#ifndef _Out_writes_bytes_all_opt_
#  define _Out_writes_bytes_all_opt_(n)
#endif
#ifndef _Field_size_
#  define _Field_size_(n)
#endif
#ifndef _Field_size_bytes_
#  define _Field_size_bytes_(n)
#endif

/* ---- Integer types (Windows x64 sizes) ------------------------------- */

#ifndef KMTSIM_BASETYPES_DEFINED
#define KMTSIM_BASETYPES_DEFINED
typedef uint8_t            BYTE;
typedef uint8_t            UCHAR;
typedef char               CHAR;
typedef uint8_t            BOOLEAN;       /* 1 byte, TRUE/FALSE */
typedef int                BOOL;          /* 4 bytes, TRUE/FALSE */
typedef int16_t            SHORT;
typedef uint16_t           USHORT;
typedef uint16_t           WORD;
typedef int32_t            INT;
typedef uint32_t           UINT;
typedef int32_t            LONG;          /* 32-bit, as on Windows (never C long) */
typedef uint32_t           ULONG;         /* 32-bit, as on Windows (never C long) */
typedef uint32_t           DWORD;
typedef float              FLOAT;
typedef int8_t             INT8;
typedef uint8_t            UINT8;
typedef int16_t            INT16;
typedef uint16_t           UINT16;
typedef int32_t            INT32;
typedef uint32_t           UINT32;
typedef int32_t            LONG32;
typedef uint32_t           ULONG32;
/* 64-bit types are (unsigned) long long, like Windows' __int64. */
typedef long long          INT64;
typedef unsigned long long UINT64;
typedef long long          LONG64;
typedef unsigned long long ULONG64;
typedef long long          LONGLONG;
typedef unsigned long long ULONGLONG;
typedef unsigned long long DWORD64;
/* Pointer-sized integers use the platform's own types (8 bytes on x86-64). */
typedef intptr_t           INT_PTR;
typedef uintptr_t          UINT_PTR;
typedef intptr_t           LONG_PTR;
typedef uintptr_t          ULONG_PTR;
typedef uintptr_t          DWORD_PTR;
typedef size_t             SIZE_T;
typedef intptr_t           SSIZE_T;

typedef BYTE      *PBYTE;
typedef UCHAR     *PUCHAR;
typedef BOOLEAN   *PBOOLEAN;
typedef BOOL      *PBOOL;
typedef USHORT    *PUSHORT;
typedef INT       *PINT;
typedef UINT      *PUINT;
typedef LONG      *PLONG;
typedef ULONG     *PULONG;
typedef DWORD     *PDWORD;
typedef UINT64    *PUINT64;
typedef ULONGLONG *PULONGLONG;
typedef SIZE_T    *PSIZE_T;
typedef ULONG_PTR *PULONG_PTR;
#endif /* KMTSIM_BASETYPES_DEFINED */

/* ---- Pointers, handles and strings ----------------------------------- */

#ifndef KMTSIM_PVOID_DEFINED
#define KMTSIM_PVOID_DEFINED
typedef void       *PVOID;
typedef void       *LPVOID;
typedef const void *PCVOID;
typedef const void *LPCVOID;
#endif

/* An opaque kernel-object handle (an NT handle); 8 bytes. */
#ifndef KMTSIM_HANDLE_DEFINED
#define KMTSIM_HANDLE_DEFINED
typedef void   *HANDLE;
typedef HANDLE *PHANDLE;
#endif

/* A wide character: wchar_t, so L"..." literals work (4 bytes on Linux). */
#ifndef KMTSIM_WCHAR_DEFINED
#define KMTSIM_WCHAR_DEFINED
typedef wchar_t        WCHAR;
typedef WCHAR         *PWCHAR;
typedef WCHAR         *PWSTR;
typedef WCHAR         *LPWSTR;
typedef const WCHAR   *PCWSTR;
typedef const WCHAR   *LPCWSTR;
typedef CHAR          *PSTR;
typedef const CHAR    *PCSTR;
#endif

/* ---- NTSTATUS --------------------------------------------------------- */

/* An NT status code: negative means failure (values in ntstatus.h). */
#ifndef KMTSIM_NTSTATUS_DEFINED
#define KMTSIM_NTSTATUS_DEFINED
typedef int32_t  NTSTATUS;
typedef NTSTATUS *PNTSTATUS;
#endif

#ifndef NT_SUCCESS
#  define NT_SUCCESS(Status) (KMTSIM_CAST(NTSTATUS, Status) >= 0)
#endif
#ifndef NT_INFORMATION
#  define NT_INFORMATION(Status) ((KMTSIM_CAST(ULONG, Status) >> 30) == 1)
#endif
#ifndef NT_WARNING
#  define NT_WARNING(Status) ((KMTSIM_CAST(ULONG, Status) >> 30) == 2)
#endif
#ifndef NT_ERROR
#  define NT_ERROR(Status) ((KMTSIM_CAST(ULONG, Status) >> 30) == 3)
#endif

/* ---- LUID and LARGE_INTEGER ------------------------------------------ */

/* A locally unique identifier (adapter LUIDs); 8 bytes, 4-aligned. */
#ifndef KMTSIM_LUID_DEFINED
#define KMTSIM_LUID_DEFINED
typedef struct _LUID
{
    ULONG LowPart;
    LONG  HighPart;
} LUID, *PLUID;
#endif

/* A signed 64-bit value with 32-bit halves (NT timeouts: <0 relative, 100 ns units). */
#ifndef KMTSIM_LARGE_INTEGER_DEFINED
#define KMTSIM_LARGE_INTEGER_DEFINED
typedef union _LARGE_INTEGER
{
    KMTSIM_EXTENSION struct
    {
        ULONG LowPart;
        LONG  HighPart;
    };
    struct
    {
        ULONG LowPart;
        LONG  HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

/* The unsigned counterpart of LARGE_INTEGER. */
typedef union _ULARGE_INTEGER
{
    KMTSIM_EXTENSION struct
    {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct
    {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;
#endif

/* ---- UNICODE_STRING and OBJECT_ATTRIBUTES ---------------------------- */

/* A counted wide string; Length/MaximumLength are in bytes, without a terminator. */
#ifndef KMTSIM_UNICODE_STRING_DEFINED
#define KMTSIM_UNICODE_STRING_DEFINED
typedef struct _UNICODE_STRING
{
    USHORT Length;
    USHORT MaximumLength;
    PWSTR  Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;
#endif

/* Names an object in the NT namespace (named sharing, open-by-name). */
#ifndef KMTSIM_OBJECT_ATTRIBUTES_DEFINED
#define KMTSIM_OBJECT_ATTRIBUTES_DEFINED
typedef struct _OBJECT_ATTRIBUTES
{
    ULONG           Length;                   /* sizeof(OBJECT_ATTRIBUTES) */
    HANDLE          RootDirectory;
    PUNICODE_STRING ObjectName;
    ULONG           Attributes;               /* OBJ_* */
    PVOID           SecurityDescriptor;
    PVOID           SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef const OBJECT_ATTRIBUTES *PCOBJECT_ATTRIBUTES;
#endif

/* OBJECT_ATTRIBUTES.Attributes flags. */
#ifndef OBJ_INHERIT
#  define OBJ_INHERIT                      0x00000002u
#endif
#ifndef OBJ_PERMANENT
#  define OBJ_PERMANENT                    0x00000010u
#endif
#ifndef OBJ_EXCLUSIVE
#  define OBJ_EXCLUSIVE                    0x00000020u
#endif
#ifndef OBJ_CASE_INSENSITIVE
#  define OBJ_CASE_INSENSITIVE             0x00000040u
#endif
#ifndef OBJ_OPENIF
#  define OBJ_OPENIF                       0x00000080u
#endif
#ifndef OBJ_OPENLINK
#  define OBJ_OPENLINK                     0x00000100u
#endif
#ifndef OBJ_KERNEL_HANDLE
#  define OBJ_KERNEL_HANDLE                0x00000200u
#endif
#ifndef OBJ_FORCE_ACCESS_CHECK
#  define OBJ_FORCE_ACCESS_CHECK           0x00000400u
#endif
#ifndef OBJ_IGNORE_IMPERSONATED_DEVICEMAP
#  define OBJ_IGNORE_IMPERSONATED_DEVICEMAP 0x00000800u
#endif
#ifndef OBJ_DONT_REPARSE
#  define OBJ_DONT_REPARSE                 0x00001000u
#endif
#ifndef OBJ_VALID_ATTRIBUTES
#  define OBJ_VALID_ATTRIBUTES             0x00001FF2u
#endif

/* Fills an OBJECT_ATTRIBUTES, as the Windows macro does. */
#ifndef InitializeObjectAttributes
#  define InitializeObjectAttributes(p, n, a, r, s)                   \
    do {                                                             \
        (p)->Length = KMTSIM_CAST(ULONG, sizeof(OBJECT_ATTRIBUTES)); \
        (p)->RootDirectory = (r);                                    \
        (p)->Attributes = KMTSIM_CAST(ULONG, a);                     \
        (p)->ObjectName = (n);                                       \
        (p)->SecurityDescriptor = (s);                               \
        (p)->SecurityQualityOfService = NULL;                        \
    } while (0)
#endif

/* Points a UNICODE_STRING at a NUL-terminated wide string (no copy). */
#ifndef KMTSIM_RTLINITUNICODESTRING_DEFINED
#define KMTSIM_RTLINITUNICODESTRING_DEFINED
static inline void RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    /* Largest byte count below 0xFFFF that is a whole number of WCHARs, less the terminator. */
    const size_t max_bytes = (0xFFFFu / sizeof(WCHAR) - 1u) * sizeof(WCHAR);
    size_t bytes = 0;

    /* Buffer is not const in UNICODE_STRING; Windows drops the qualifier too. */
#ifdef __cplusplus
    DestinationString->Buffer = const_cast<PWSTR>(SourceString);
#else
    DestinationString->Buffer = (PWSTR)(uintptr_t)SourceString;
#endif
    DestinationString->Length = 0;
    DestinationString->MaximumLength = 0;
    if (SourceString)
    {
        bytes = wcslen(SourceString) * sizeof(WCHAR);
        if (bytes > max_bytes)
            bytes = max_bytes;
        DestinationString->Length = KMTSIM_CAST(USHORT, bytes);
        DestinationString->MaximumLength = KMTSIM_CAST(USHORT, bytes + sizeof(WCHAR));
    }
}
#endif

/* ---- Access rights ---------------------------------------------------- */

/* A set of access rights granted on or requested for an object. */
#ifndef KMTSIM_ACCESS_MASK_DEFINED
#define KMTSIM_ACCESS_MASK_DEFINED
typedef ULONG        ACCESS_MASK;
typedef ACCESS_MASK *PACCESS_MASK;
#endif

/* Standard rights. */
#ifndef DELETE
#  define DELETE                   0x00010000u
#endif
#ifndef READ_CONTROL
#  define READ_CONTROL             0x00020000u
#endif
#ifndef WRITE_DAC
#  define WRITE_DAC                0x00040000u
#endif
#ifndef WRITE_OWNER
#  define WRITE_OWNER              0x00080000u
#endif
#ifndef SYNCHRONIZE
#  define SYNCHRONIZE              0x00100000u
#endif
#ifndef STANDARD_RIGHTS_REQUIRED
#  define STANDARD_RIGHTS_REQUIRED 0x000F0000u
#endif
#ifndef STANDARD_RIGHTS_READ
#  define STANDARD_RIGHTS_READ     READ_CONTROL
#endif
#ifndef STANDARD_RIGHTS_WRITE
#  define STANDARD_RIGHTS_WRITE    READ_CONTROL
#endif
#ifndef STANDARD_RIGHTS_EXECUTE
#  define STANDARD_RIGHTS_EXECUTE  READ_CONTROL
#endif
#ifndef STANDARD_RIGHTS_ALL
#  define STANDARD_RIGHTS_ALL      0x001F0000u
#endif
#ifndef SPECIFIC_RIGHTS_ALL
#  define SPECIFIC_RIGHTS_ALL      0x0000FFFFu
#endif
#ifndef ACCESS_SYSTEM_SECURITY
#  define ACCESS_SYSTEM_SECURITY   0x01000000u
#endif
#ifndef MAXIMUM_ALLOWED
#  define MAXIMUM_ALLOWED          0x02000000u
#endif

/* Generic rights, mapped per object type. */
#ifndef GENERIC_READ
#  define GENERIC_READ             0x80000000u
#endif
#ifndef GENERIC_WRITE
#  define GENERIC_WRITE            0x40000000u
#endif
#ifndef GENERIC_EXECUTE
#  define GENERIC_EXECUTE          0x20000000u
#endif
#ifndef GENERIC_ALL
#  define GENERIC_ALL              0x10000000u
#endif

#endif /* KMTSIM_WINTYPES_H */
