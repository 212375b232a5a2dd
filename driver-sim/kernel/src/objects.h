// The kernel's objects. Underlying objects (adapter, device, context, sync
// object, keyed mutex, resource and its allocations) are reference counted; a
// process's handle table maps local D3DKMT handles to references; an NT
// object (what ShareObjects makes) references underlying objects and lives
// while any NT handle to it does; a legacy global handle names an object
// system-wide for as long as the object lives.
#pragma once

#include "fence_page.h"
#include "kmtsim/util/unique_fd.h"

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace kmtsim::kernel {

struct Adapter {
  uint32_t luid_low = 0;
  int32_t luid_high = 0;
};

struct DeviceObj {
  std::shared_ptr<Adapter> adapter;
  uint32_t flags = 0;
};

// GPU work of one context: whole commands, and the fences its SIGNALs update
// (for the hop log).
struct Hop;
struct SyncObject;

// The hops of one fence signal, from submission to the DPC that delivered it.
struct Hop {
  uint64_t value = 0;          // the value the signal asked for
  uint64_t delivered = 0;      // the fence value it produced
  uint64_t submit_host_ns = 0;
  uint64_t submit_sim_ps = 0;  // the signal reached the device (doorbell or register write)
  uint64_t fetch_sim_ps = 0;   // a ring parsed the SIGNAL (GPU signals)
  uint64_t update_sim_ps = 0;  // the fence table took the value
  uint64_t wb_sim_ps = 0;      // the write-back of the value was acknowledged
  uint64_t record_sim_ps = 0;  // its interrupt record was queued
  uint64_t irq_sim_ps = 0;     // the interrupt for it was raised
  uint64_t isr_sim_ps = 0;     // the ISR read its record
  uint64_t isr_host_ns = 0;    // the ISR started
  uint64_t dpc_host_ns = 0;    // the DPC started delivering it (then woke the waiters)
  uint32_t woken = 0;
  uint8_t from_gpu = 0;
};

struct SignalNote {
  size_t word = 0;  // where its SIGNAL command starts in the packet
  std::shared_ptr<SyncObject> fence;
  Hop hop;
  bool logged = false;  // its hop is in the fence's pending list
};

struct Packet {
  std::vector<uint32_t> words;
  std::vector<SignalNote> signals;
  std::vector<std::shared_ptr<SyncObject>> refs;  // fences its WAITs name: kept alive while it may run
};

struct ContextObj {
  std::shared_ptr<DeviceObj> device;
  uint32_t node = 0;
  uint64_t id = 0;
  std::deque<Packet> queue;  // not yet on a ring
  int ring = -1;             // the hardware ring it runs on (-1: none bound)
  bool waiting_for_ring = false;
  std::shared_ptr<SyncObject> join;  // SignalFromGpu2 across contexts: this one's progress
  uint64_t join_value = 0;
};


struct Waiter;

struct SyncObject {
  uint64_t id = 0;
  uint32_t type = 0;
  uint32_t flags = 0;          // creation flags
  uint32_t global_handle = 0;  // legacy sharing (Shared without NtSecuritySharing, or a v1 object)
  bool nt_shareable = false;   // created with NtSecuritySharing or opened from an NT handle
  int slot = -1;               // hardware fence (monitored fences)
  uint64_t gpu_va = 0;
  uint64_t value = 0;          // last value the interrupt handler delivered
  uint64_t initial = 0;        // InitialFenceValue
  // The record of its initial value (or a resync) has come: the records of
  // its slot before that were a destroyed fence's, and are not its.
  bool synced = false;
  std::optional<FencePage> page;
  UniqueFd event;              // CPU_NOTIFICATION: the event to signal
  std::set<Waiter*> waiters;
  std::deque<Hop> pending_cpu, pending_gpu;  // submitted, not yet delivered, in order
  std::deque<Hop> hops;                      // delivered, newest last, bounded
};

// One allocation: memory the GPU can address. A standard allocation lies
// over memory of the process that made it; a video-memory allocation is
// backed by a shared memory object every opener can map.
struct Allocation {
  uint64_t size = 0;
  bool standard = false;
  uint64_t sysmem_address = 0;      // standard: the creator's pSystemMem
  uint64_t creator_process = 0;     // standard: only the creator can lock it
  uint32_t desc_flags = 0;          // video memory: KMTSIM_ALLOCATION_* flags
  uint64_t gpu_va = 0;               // video memory: its VRAM address
  std::vector<uint8_t> driver_data;  // what the driver reports as the allocation's private data
  UniqueFd memory;                   // video memory: the backing memfd, mapped over VRAM at gpu_va
};

struct Resource {
  std::vector<std::shared_ptr<Allocation>> allocations;
  std::vector<uint8_t> runtime_data;  // pPrivateRuntimeData at creation
  std::vector<uint8_t> driver_data;   // resource private driver data (0 bytes for standard allocations)
  uint32_t global_handle = 0;
  bool nt_shareable = false;
  bool sealed = false;  // shared or opened: no more allocations
};

struct KeyedMutex;

// A process's reference to a sync object, with what it may do through it.
struct SyncRef {
  std::shared_ptr<SyncObject> object;
  std::shared_ptr<DeviceObj> device;  // null for a device-less open (v1, global)
  uint32_t access = 0;
  uint32_t flags = 0;                 // this opener's flags (NoSignal, NoWait, ...)
};

struct ResourceRef {
  std::shared_ptr<Resource> resource;
  std::shared_ptr<DeviceObj> device;
  uint32_t access = 0;
  std::vector<uint32_t> allocation_handles;  // destroyed with the resource
};

struct AllocationRef {
  std::shared_ptr<Allocation> allocation;
  std::shared_ptr<DeviceObj> device;
  uint32_t resource_handle = 0;  // 0 for an allocation without a resource
  uint32_t access = 0;
};

struct MutexRef {
  std::shared_ptr<KeyedMutex> mutex;
};

using Object = std::variant<std::shared_ptr<Adapter>, std::shared_ptr<DeviceObj>, std::shared_ptr<ContextObj>, SyncRef,
                            ResourceRef, AllocationRef, MutexRef>;

// What ShareObjects creates: a "DxgkSharedSyncObject" (a sync object alone)
// or a "DxgkSharedResource" (a resource, optionally with a keyed mutex and a
// sync object). It lives while any NT handle to it is open; its name as long.
struct NtObject {
  enum class Type { Sync, Resource };
  Type type = Type::Sync;
  std::shared_ptr<SyncObject> sync;
  std::shared_ptr<Resource> resource;
  std::shared_ptr<KeyedMutex> mutex;
  std::u32string name;  // folded to lower case; empty when unnamed
};

// One NT handle: the read end of a pipe, in any number of processes; the
// kernel keeps the write end and learns from it when the last copy closes.
// Passing the descriptor on passes the same handle, with the same access.
struct NtHandle {
  std::shared_ptr<NtObject> object;
  uint32_t access = 0;
  UniqueFd write_end;
  dev_t dev = 0;
  ino_t ino = 0;
};

struct Process;

// A CPU wait that has not been satisfied yet. It holds no reference:
// retiring a sync object completes its waiters first.
struct Waiter {
  uint64_t id = 0;
  Process* owner = nullptr;
  std::vector<std::pair<SyncObject*, uint64_t>> conditions;
  std::vector<uint32_t> handles;  // the local handles it waits through
  bool wait_any = false;
  UniqueFd event;
};

// An acquire that could not be granted at once: decided (granted, abandoned,
// ...) by the kernel, then collected or withdrawn by the library.
struct AcquireTicket {
  uint64_t id = 0;
  std::shared_ptr<KeyedMutex> mutex;
  Process* owner = nullptr;
  uint32_t handle = 0;  // the local handle it acquires through
  uint64_t key = 0;
  uint32_t data_size = 0;  // Acquire2: the caller's buffer for the private data
  UniqueFd event;
  int32_t result = 0;   // NTSTATUS once decided; STATUS_PENDING until then
  uint64_t fence_value = 0;           // when granted
  std::vector<uint8_t> runtime_data;  // when granted
};

struct KeyedMutex {
  uint64_t key = 0;             // the last released key (InitialValue at first)
  uint64_t fence_value = 0;     // the last released fence value
  std::vector<uint8_t> runtime_data;
  Process* owner = nullptr;     // owned through (owner, owner_handle)
  uint32_t owner_handle = 0;
  bool abandoned = false;
  uint32_t global_handle = 0;
  bool nt_shareable = false;
  std::deque<AcquireTicket*> waiting;  // in arrival order
};


struct Process {
  uint64_t id = 0;
  pid_t pid = 0;
  uid_t uid = 0;
  std::map<uint32_t, Object> handles;
  uint32_t next_index = 0;
  std::set<Waiter*> waiters;
  std::map<uint64_t, std::unique_ptr<AcquireTicket>> tickets;
};

}  // namespace kmtsim::kernel
