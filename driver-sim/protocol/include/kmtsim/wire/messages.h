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
  CreateSyncObject,
  OpenSyncObject,
  CreateAllocation,
  DestroyAllocation,
  Lock2,
  Unlock2,
  QueryResourceInfo,
  OpenResource,
  OpenNtHandleFromName,
  CreateKeyedMutex,
  OpenKeyedMutex,
  OpenKeyedMutexFromNtHandle,
  AcquireKeyedMutex,
  AcquireKeyedMutexFinish,
  ReleaseKeyedMutex,
  DestroyKeyedMutex,
  SignalFromGpu2,
  WaitFromGpu,
  SubmitCommand,
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

// The type-specific part of the Info union, as numbers (CPU addresses in it
// are never sent): monitored fence [InitialFenceValue, EngineAffinity];
// mutex [InitialState]; semaphore [MaxCount, InitialCount]; fence
// [FenceValue]; a CPU notification's event travels as a descriptor.
// CreateSyncObject (v1) uses the same request with v1 = 1 and no flags.
struct CreateSyncObject2Req {
  uint32_t device = 0;
  uint32_t type = 0;
  uint32_t flags = 0;
  std::vector<uint64_t> info;
  uint8_t v1 = 0;
  KMT_WIRE_FIELDS(device, type, flags, info, v1)
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

// A legacy global handle to open (OpenSynchronizationObject, OpenKeyedMutex).
struct GlobalReq {
  uint32_t global = 0;
  KMT_WIRE_FIELDS(global)
};

// --- Allocations and resources ----------------------------------------------

struct AllocationInfoIn {
  uint64_t sysmem = 0;               // pSystemMem, as a number (standard allocations)
  std::vector<uint8_t> driver_data;  // pPrivateDriverData
  uint32_t vidpn_source = 0;
  uint32_t flags = 0;
  KMT_WIRE_FIELDS(sysmem, driver_data, vidpn_source, flags)
};
struct CreateAllocationReq {
  uint32_t device = 0;
  uint32_t resource = 0;             // must be 0 on input
  uint32_t flags = 0;                // D3DKMT_CREATEALLOCATIONFLAGS
  uint8_t has_standard = 0;          // pStandardAllocation given
  uint32_t standard_type = 0;
  uint64_t standard_size = 0;
  uint32_t standard_flags = 0;
  std::vector<uint8_t> runtime_data;        // pPrivateRuntimeData
  std::vector<uint8_t> resource_driver_data;  // pPrivateDriverData (top level)
  std::vector<AllocationInfoIn> allocations;
  KMT_WIRE_FIELDS(device, resource, flags, has_standard, standard_type, standard_size, standard_flags, runtime_data,
                  resource_driver_data, allocations)
};
struct CreateAllocationRep {
  uint32_t global_share = 0;
  uint32_t resource = 0;
  std::vector<uint32_t> allocations;
  std::vector<uint64_t> gpu_vas;
  KMT_WIRE_FIELDS(global_share, resource, allocations, gpu_vas)
};

struct DestroyAllocationReq {
  uint32_t device = 0;
  uint32_t resource = 0;
  std::vector<uint32_t> allocations;
  uint32_t flags = 0;
  KMT_WIRE_FIELDS(device, resource, allocations, flags)
};

struct LockReq {
  uint32_t device = 0;
  uint32_t allocation = 0;
  uint32_t flags = 0;
  KMT_WIRE_FIELDS(device, allocation, flags)
};
// Either the creator's own address (a standard allocation) or a descriptor of
// the allocation's memory to map (video memory).
struct LockRep {
  uint8_t mapped = 0;
  uint64_t address = 0;
  uint64_t size = 0;
  KMT_WIRE_FIELDS(mapped, address, size)
};

// QueryResourceInfo (global handle) or ...FromNtHandle (the NT handle as a descriptor).
struct QueryResourceReq {
  uint32_t device = 0;
  uint32_t global = 0;
  uint8_t from_nt = 0;
  KMT_WIRE_FIELDS(device, global, from_nt)
};
struct QueryResourceRep {
  uint32_t runtime_data_size = 0;
  uint32_t total_driver_data_size = 0;
  uint32_t resource_driver_data_size = 0;
  uint32_t num_allocations = 0;
  KMT_WIRE_FIELDS(runtime_data_size, total_driver_data_size, resource_driver_data_size, num_allocations)
};

// OpenResource / OpenResource2 (global handle) or OpenResourceFromNtHandle.
struct OpenResourceReq {
  uint32_t device = 0;
  uint32_t global = 0;
  uint8_t from_nt = 0;
  uint32_t num_allocations = 0;
  uint32_t runtime_data_size = 0;
  uint32_t resource_driver_data_size = 0;
  uint32_t total_buffer_size = 0;
  std::vector<uint8_t> mutex_runtime_data;  // pKeyedMutexPrivateRuntimeData
  KMT_WIRE_FIELDS(device, global, from_nt, num_allocations, runtime_data_size, resource_driver_data_size,
                  total_buffer_size, mutex_runtime_data)
};
struct OpenedAllocation {
  uint32_t handle = 0;
  uint64_t gpu_va = 0;
  uint32_t driver_data_offset = 0;  // into the total buffer
  uint32_t driver_data_size = 0;
  KMT_WIRE_FIELDS(handle, gpu_va, driver_data_offset, driver_data_size)
};
struct OpenResourceRep {
  uint32_t resource = 0;
  std::vector<OpenedAllocation> allocations;
  std::vector<uint8_t> runtime_data;
  std::vector<uint8_t> resource_driver_data;
  std::vector<uint8_t> total_driver_data;
  uint32_t keyed_mutex = 0;
  uint32_t mutex_runtime_data_size = 0;
  uint32_t sync_object = 0;
  KMT_WIRE_FIELDS(resource, allocations, runtime_data, resource_driver_data, total_driver_data, keyed_mutex,
                  mutex_runtime_data_size, sync_object)
};

// OpenNtHandleFromName (resources) and OpenSyncObjectNtHandleFromName.
struct OpenByNameReq {
  uint32_t desired_access = 0;
  int32_t attributes_status = 0;
  uint32_t attributes = 0;
  std::vector<uint32_t> name;
  uint8_t sync = 0;
  KMT_WIRE_FIELDS(desired_access, attributes_status, attributes, name, sync)
};

// --- Keyed mutexes -------------------------------------------------------------

struct CreateKeyedMutexReq {
  uint64_t initial_key = 0;
  uint32_t flags = 0;
  std::vector<uint8_t> runtime_data;
  uint8_t v2 = 0;
  KMT_WIRE_FIELDS(initial_key, flags, runtime_data, v2)
};
struct KeyedMutexRep {
  uint32_t handle = 0;
  uint32_t global = 0;
  uint32_t runtime_data_size = 0;
  KMT_WIRE_FIELDS(handle, global, runtime_data_size)
};

// OpenKeyedMutex(2) by global handle, or OpenKeyedMutexFromNtHandle.
struct OpenKeyedMutexReq {
  uint32_t global = 0;
  uint8_t from_nt = 0;
  uint8_t v2 = 0;
  uint32_t runtime_data_size = 0;  // the caller's buffer size
  uint8_t has_buffer = 0;
  KMT_WIRE_FIELDS(global, from_nt, v2, runtime_data_size, has_buffer)
};

// An acquire comes with an eventfd. When it cannot be granted at once the
// reply is STATUS_PENDING with a ticket; the event fires when the ticket is
// decided, and AcquireKeyedMutexFinish collects (or, with cancel, withdraws) it.
struct AcquireKeyedMutexReq {
  uint32_t handle = 0;
  uint64_t key = 0;
  uint8_t poll = 0;                 // a zero timeout: never wait
  uint32_t runtime_data_size = 0;   // Acquire2: the caller's buffer
  KMT_WIRE_FIELDS(handle, key, poll, runtime_data_size)
};
struct AcquireKeyedMutexRep {
  uint64_t ticket = 0;
  uint64_t fence_value = 0;
  std::vector<uint8_t> runtime_data;
  KMT_WIRE_FIELDS(ticket, fence_value, runtime_data)
};
struct AcquireFinishReq {
  uint64_t ticket = 0;
  uint8_t cancel = 0;
  uint32_t runtime_data_size = 0;
  KMT_WIRE_FIELDS(ticket, cancel, runtime_data_size)
};

struct ReleaseKeyedMutexReq {
  uint32_t handle = 0;
  uint64_t key = 0;
  uint64_t fence_value = 0;
  uint8_t set_data = 0;  // Release2: replace the private data
  std::vector<uint8_t> runtime_data;
  KMT_WIRE_FIELDS(handle, key, fence_value, set_data, runtime_data)
};

// --- GPU work ----------------------------------------------------------------------

struct SignalFromGpu2Req {
  std::vector<uint32_t> handles;
  uint32_t flags = 0;
  std::vector<uint32_t> contexts;
  std::vector<uint64_t> values;
  KMT_WIRE_FIELDS(handles, flags, contexts, values)
};

struct WaitFromGpuReq {
  uint32_t context = 0;
  std::vector<uint32_t> handles;
  std::vector<uint64_t> values;
  KMT_WIRE_FIELDS(context, handles, values)
};

struct SubmitCommandReq {
  uint64_t command_buffer = 0;  // GPU VA
  uint32_t command_length = 0;  // bytes
  uint32_t flags = 0;
  std::vector<uint32_t> contexts;
  std::vector<uint8_t> private_data;
  KMT_WIRE_FIELDS(command_buffer, command_length, flags, contexts, private_data)
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
