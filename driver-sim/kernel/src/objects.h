// The kernel's objects. Underlying objects (adapter, device, context,
// monitored fence) are reference counted; a process's handle table maps
// local D3DKMT handles to references; an NT object (what ShareObjects makes)
// references underlying objects and lives while any NT handle to it does.
#pragma once

#include "fence_page.h"
#include "kmtsim/util/unique_fd.h"

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <memory>
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

struct ContextObj {
  std::shared_ptr<DeviceObj> device;
  uint32_t node = 0;
};

// The hops of one fence signal, from submission to the DPC that delivered it.
struct Hop {
  uint64_t value = 0;          // the value the signal asked for
  uint64_t delivered = 0;      // the fence value it produced
  uint64_t submit_host_ns = 0;
  uint64_t submit_sim_ps = 0;  // the signal reached the device
  uint64_t irq_sim_ps = 0;     // the interrupt for it was raised
  uint64_t isr_sim_ps = 0;     // the ISR read its record
  uint64_t dpc_host_ns = 0;    // the DPC delivered it and woke the waiters
  uint32_t woken = 0;
  uint8_t from_gpu = 0;
};

struct Waiter;

struct SyncObject {
  uint64_t id = 0;
  uint32_t type = 0;
  uint32_t flags = 0;          // creation flags
  uint32_t global_handle = 0;  // legacy sharing (Shared without NtSecuritySharing)
  bool nt_shareable = false;   // created with NtSecuritySharing or opened from an NT handle
  int slot = -1;               // hardware fence
  uint64_t gpu_va = 0;
  uint64_t value = 0;          // last value the interrupt handler delivered
  std::optional<FencePage> page;
  std::set<Waiter*> waiters;
  std::deque<Hop> pending_cpu, pending_gpu;  // submitted, not yet delivered, in order
  std::deque<Hop> hops;                      // delivered, newest last, bounded
};

// A process's reference to a sync object, with what it may do through it.
struct SyncRef {
  std::shared_ptr<SyncObject> object;
  std::shared_ptr<DeviceObj> device;  // null for a device-less open (v1)
  uint32_t access = 0;
  uint32_t flags = 0;                 // this opener's flags (NoSignal, NoWait, ...)
};

using Object = std::variant<std::shared_ptr<Adapter>, std::shared_ptr<DeviceObj>, std::shared_ptr<ContextObj>, SyncRef>;

// What ShareObjects creates: a "DxgkSharedSyncObject" or "DxgkSharedResource".
// It lives while any NT handle to it is open; its name lives as long.
struct NtObject {
  enum class Type { Sync, Resource };
  Type type = Type::Sync;
  std::shared_ptr<SyncObject> sync;
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

// A CPU wait that has not been satisfied yet.
// It holds no reference: retiring a sync object completes its waiters first.
struct Waiter {
  uint64_t id = 0;
  Process* owner = nullptr;
  std::vector<std::pair<SyncObject*, uint64_t>> conditions;
  std::vector<uint32_t> handles;  // the local handles it waits through
  bool wait_any = false;
  UniqueFd event;
};

struct Process {
  uint64_t id = 0;
  pid_t pid = 0;
  uid_t uid = 0;
  std::map<uint32_t, Object> handles;
  uint32_t next_index = 0;
  std::set<Waiter*> waiters;
};

}  // namespace kmtsim::kernel
