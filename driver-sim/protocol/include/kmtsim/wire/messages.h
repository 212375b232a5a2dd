// The client ↔ kmtsimd protocol: one message per SOCK_SEQPACKET packet, a
// fixed header then the fields of the request or reply type of its opcode.
// File descriptors (NT handles, fence pages, events) travel as SCM_RIGHTS
// with the packet that needs them. A reply carries the request's opcode and
// sequence number, then an NTSTATUS, then the reply fields.
#pragma once

#include "kmtsim/wire/codec.h"

#include <cstdint>

namespace kmtsim::wire {

inline constexpr uint32_t kMagic = 0x574B4D54;  // "TMKW"
inline constexpr uint16_t kVersion = 1;
// Largest packet either side sends or accepts; longer ones are refused.
inline constexpr size_t kMaxMessageBytes = 256 * 1024;
// Most descriptors one packet carries.
inline constexpr size_t kMaxFds = 4;

enum class Op : uint16_t {
  Hello = 1,
  EnumAdapters2,
  OpenAdapterFromLuid,
  CloseAdapter,
  CreateDevice,
  DestroyDevice,
  CreateContextVirtual,
  DestroyContext,
  CreateSyncObject2,
  OpenSyncObjectFromNtHandle,
  OpenSyncObjectFromNtHandle2,
  DestroySyncObject,
  ShareObjects,
  SignalFromCpu,
  WaitFromCpu,
  SignalFromGpu,
  Escape,
  Count_,
};

struct Header {
  uint32_t magic = kMagic;
  uint16_t version = kVersion;
  uint16_t op = 0;
  uint32_t seq = 0;
  KMT_WIRE_FIELDS(magic, version, op, seq)
};
inline constexpr size_t kHeaderBytes = 12;

// --- Requests and replies ---------------------------------------------------

struct HelloReq {
  uint32_t client_version = kVersion;
  KMT_WIRE_FIELDS(client_version)
};
struct HelloRep {
  uint32_t server_version = kVersion;
  uint32_t backend = 0;  // 0 model, 1 rtl
  KMT_WIRE_FIELDS(server_version, backend)
};

struct AdapterInfo {
  uint32_t handle = 0;
  uint32_t luid_low = 0;
  int32_t luid_high = 0;
  uint32_t num_sources = 0;
  uint32_t precise_present_regions = 0;
  KMT_WIRE_FIELDS(handle, luid_low, luid_high, num_sources, precise_present_regions)
};
struct EnumAdapters2Req {
  uint32_t capacity = 0;    // NumAdapters on input
  uint8_t query_only = 0;   // pAdapters was NULL
  KMT_WIRE_FIELDS(capacity, query_only)
};
struct EnumAdapters2Rep {
  uint32_t count = 0;
  std::vector<AdapterInfo> adapters;
  KMT_WIRE_FIELDS(count, adapters)
};

struct OpenAdapterFromLuidReq {
  uint32_t luid_low = 0;
  int32_t luid_high = 0;
  KMT_WIRE_FIELDS(luid_low, luid_high)
};
struct HandleRep {
  uint32_t handle = 0;
  KMT_WIRE_FIELDS(handle)
};
struct HandleReq {
  uint32_t handle = 0;
  KMT_WIRE_FIELDS(handle)
};
struct EmptyRep {
  KMT_WIRE_FIELDS()
};

struct CreateDeviceReq {
  uint32_t adapter = 0;
  uint32_t flags = 0;
  KMT_WIRE_FIELDS(adapter, flags)
};

struct CreateContextVirtualReq {
  uint32_t device = 0;
  uint32_t node_ordinal = 0;
  uint32_t engine_affinity = 0;
  uint32_t flags = 0;
  uint32_t client_hint = 0;
  std::vector<uint8_t> private_data;
  KMT_WIRE_FIELDS(device, node_ordinal, engine_affinity, flags, client_hint, private_data)
};

// The Info union of D3DDDI_SYNCHRONIZATIONOBJECTINFO2 travels as its eight
// 64-bit words; pointers in it (CPU addresses) are never sent.
struct CreateSyncObject2Req {
  uint32_t device = 0;
  uint32_t type = 0;
  uint32_t flags = 0;
  std::vector<uint64_t> info;
  KMT_WIRE_FIELDS(device, type, flags, info)
};
// The fence page, when there is one, comes as a descriptor to map read-only.
struct SyncObjectRep {
  uint32_t handle = 0;
  uint32_t shared_handle = 0;
  uint64_t gpu_va = 0;
  uint32_t page_offset = 0;  // of the 64-bit value within the page
  KMT_WIRE_FIELDS(handle, shared_handle, gpu_va, page_offset)
};

// The NT handle comes as a descriptor.
struct OpenSyncObjectFromNtHandle2Req {
  uint32_t device = 0;
  uint32_t flags = 0;
  uint32_t engine_affinity = 0;
  uint8_t v1 = 0;  // D3DKMTOpenSyncObjectFromNtHandle: no device, no mapping
  KMT_WIRE_FIELDS(device, flags, engine_affinity, v1)
};

// The library checks OBJECT_ATTRIBUTES (only it can read them) and sends the
// verdict; the kernel reports it after checking the handles (spec §2.2).
struct ShareObjectsReq {
  std::vector<uint32_t> handles;
  int32_t attributes_status = 0;  // NTSTATUS of the OBJECT_ATTRIBUTES checks
  uint8_t has_name = 0;
  uint32_t attributes = 0;        // OBJ_* of OBJECT_ATTRIBUTES
  std::vector<uint32_t> name;     // WCHAR code units, no terminator
  uint32_t desired_access = 0;
  KMT_WIRE_FIELDS(handles, attributes_status, has_name, attributes, name, desired_access)
};

struct SignalFromCpuReq {
  uint32_t device = 0;
  std::vector<uint32_t> handles;
  std::vector<uint64_t> values;
  uint32_t flags = 0;
  KMT_WIRE_FIELDS(device, handles, values, flags)
};

// The wake event (an eventfd) comes as a descriptor. `blocking` says that the
// event is the library's own for a blocking wait, not the caller's hAsyncEvent.
struct WaitFromCpuReq {
  uint32_t device = 0;
  std::vector<uint32_t> handles;
  std::vector<uint64_t> values;
  uint32_t flags = 0;
  uint8_t blocking = 0;
  KMT_WIRE_FIELDS(device, handles, values, flags, blocking)
};
struct WaitFromCpuRep {
  uint8_t satisfied = 0;  // already satisfied: the event was not kept
  KMT_WIRE_FIELDS(satisfied)
};

struct SignalFromGpuReq {
  uint32_t context = 0;
  std::vector<uint32_t> handles;
  std::vector<uint64_t> values;
  KMT_WIRE_FIELDS(context, handles, values)
};

struct EscapeReq {
  uint32_t adapter = 0;
  uint32_t device = 0;
  uint32_t context = 0;
  uint32_t type = 0;
  uint32_t flags = 0;
  std::vector<uint8_t> data;
  KMT_WIRE_FIELDS(adapter, device, context, type, flags, data)
};
struct EscapeRep {
  std::vector<uint8_t> data;
  KMT_WIRE_FIELDS(data)
};

}  // namespace kmtsim::wire
