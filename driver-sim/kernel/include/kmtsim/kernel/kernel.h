// The kernel side of the simulated driver: per-process handle tables,
// monitored fences backed by the device's fence engine, NT handles and names,
// CPU waits woken from the interrupt handler, GPU signals through the
// command processor.
//
// Every entry point takes one decoded request of the wire protocol (the
// driver's UAPI), validates all of it first, then acts: a failed call changes
// nothing. handle() never throws on client input.
#pragma once

#include "kmtsim/kernel/device_access.h"
#include "kmtsim/util/unique_fd.h"
#include "kmtsim/wire/messages.h"

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace kmtsim::kernel {

struct Process;
struct SyncObject;
struct NtObject;
struct NtHandle;
struct Waiter;
struct Hop;
struct KeyedMutex;
struct Resource;
struct AcquireTicket;
struct SyncRef;
struct Packet;
struct ContextObj;
struct Allocation;

struct KernelOptions {
  uint32_t luid_low = 0x4B4D5400;  // 'KMT\0'
  int32_t luid_high = 0;
  uint32_t backend_id = 0;         // reported by Hello: 0 model, 1 rtl
  bool access_checks = true;       // spec §10.1
  uint64_t seed = 0;               // handle numbering; 0 = random
  uint32_t first_handle_index = 0; // every process's first handle index; 0 = random per process
  size_t hop_log_depth = 1 << 16;  // delivered hops kept per fence
  bool record_hops = true;         // fence-signal instrumentation (hops, device probes)
  uint32_t coalesce_count = 0;     // IRQ_COALESCE: records per interrupt (0, 1: none)
  uint32_t coalesce_cycles = 0;    // ...or the longest a record waits (0: no limit)
};

struct KernelStats {
  uint64_t requests = 0;
  uint64_t interrupts = 0;
  uint64_t records = 0;
  uint64_t resyncs = 0;
  uint64_t ring_errors = 0;
  uint64_t waits_woken = 0;
  uint64_t packets = 0;
  uint64_t preemptions = 0;
};

class Kernel {
 public:
  Kernel(DeviceAccess& hw, Reactor& reactor, const KernelOptions& options);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Brings the device up: waits for the fence table to clear, reads its
  // capabilities, lays out VRAM (fence pages, rings, the heap), turns on
  // write-back and the rings, enables interrupts. Throws std::runtime_error
  // when the device is not usable.
  void start();
  // Device removal: every monitored fence goes to UINT64_MAX (unless made with
  // NoSignalMaxValueOnTdr) and every CPU waiter is released.
  void remove_device();

  Process* attach(pid_t pid, uid_t uid);
  // Releases everything the process owned.
  void detach(Process* process);

  struct Request {
    wire::Op op{};
    std::span<const std::byte> payload;
    std::vector<UniqueFd> fds;
    uint64_t received_host_ns = 0;
  };
  struct Reply {
    int32_t status = 0;  // NTSTATUS
    wire::Writer body;
    std::vector<UniqueFd> fds;
  };
  Reply handle(Process& process, Request&& request);

  // The interrupt handler: the ISR drains the record FIFO, the DPC delivers
  // the values and wakes the waiters they satisfy.
  void interrupt(uint64_t irq_raised_ps);
  // The device has gone idle (nothing left to simulate): the scheduler may
  // hand rings that stalled on a WAIT to contexts that can run.
  void device_idle();

  const KernelStats& stats() const { return stats_; }
  size_t process_count() const { return processes_.size(); }
  size_t nt_handle_count() const { return nt_by_inode_.size(); }
  size_t live_sync_objects() const { return live_syncs_; }
  size_t pending_waiters() const { return waiters_.size(); }

 private:
  struct Ctx;
  using Handler = int32_t (Kernel::*)(Ctx&);
  static const Handler kHandlers[];

  // Adapters, devices, contexts (kernel.cpp).
  int32_t op_hello(Ctx&);
  int32_t op_enum_adapters2(Ctx&);
  int32_t op_open_adapter_from_luid(Ctx&);
  int32_t op_close_adapter(Ctx&);
  int32_t op_create_device(Ctx&);
  int32_t op_destroy_device(Ctx&);
  int32_t op_create_context_virtual(Ctx&);
  int32_t op_destroy_context(Ctx&);
  int32_t op_escape(Ctx&);
  // Sync objects, signals and waits (sync.cpp).
  int32_t op_create_sync_object(Ctx&);
  int32_t op_create_sync_object2(Ctx&);
  int32_t create_sync_object(Ctx&, const struct wire::CreateSyncObject2Req& req);
  int32_t op_open_sync_object(Ctx&);
  int32_t op_destroy_sync_object(Ctx&);
  int32_t op_signal_from_cpu(Ctx&);
  int32_t op_wait_from_cpu(Ctx&);
  int32_t op_signal_from_gpu(Ctx&);
  int32_t op_signal_from_gpu2(Ctx&);
  int32_t op_wait_from_gpu(Ctx&);
  int32_t op_submit_command(Ctx&);
  // Sharing: NT handles, names (share.cpp).
  int32_t op_share_objects(Ctx&);
  int32_t op_open_sync_from_nt(Ctx&);
  int32_t op_open_sync_from_nt2(Ctx&);
  int32_t open_sync_from_nt(Ctx&, bool v2);
  int32_t op_open_nt_handle_from_name(Ctx&);
  // Allocations and resources (resource.cpp).
  int32_t op_create_allocation(Ctx&);
  int32_t op_destroy_allocation(Ctx&);
  int32_t op_lock2(Ctx&);
  int32_t op_unlock2(Ctx&);
  int32_t op_query_resource_info(Ctx&);
  int32_t op_open_resource(Ctx&);
  // Keyed mutexes (keyed_mutex.cpp).
  int32_t op_create_keyed_mutex(Ctx&);
  int32_t op_open_keyed_mutex(Ctx&);
  int32_t op_open_keyed_mutex_from_nt(Ctx&);
  int32_t open_keyed_mutex(Ctx&, const std::shared_ptr<KeyedMutex>& mutex, const struct wire::OpenKeyedMutexReq& req);
  int32_t op_acquire_keyed_mutex(Ctx&);
  int32_t op_acquire_keyed_mutex_finish(Ctx&);
  int32_t op_release_keyed_mutex(Ctx&);
  int32_t op_destroy_keyed_mutex(Ctx&);
  void grant(KeyedMutex& mutex);
  void abandon(KeyedMutex& mutex);
  void finish_ticket(AcquireTicket* ticket, int32_t result);

  // Handles and objects.
  uint32_t new_handle(Process& process);
  uint32_t new_global_handle();
  std::shared_ptr<SyncObject> new_sync_object(uint32_t type, uint32_t flags, uint64_t initial);
  void retire_sync_object(SyncObject* object);
  std::shared_ptr<Resource> new_resource();
  std::shared_ptr<KeyedMutex> new_keyed_mutex();
  std::shared_ptr<NtHandle> nt_handle_from_fd(int fd);
  // A new NT handle (pipe) to `object`; the read end goes to the caller.
  int32_t new_nt_handle(const std::shared_ptr<NtObject>& object, uint32_t access, UniqueFd& read_end);
  void close_nt_handle(const std::pair<dev_t, ino_t>& key);
  void remove_handle(Process& process, uint32_t handle);
  uint32_t add_sync_ref(Process& process, SyncRef ref);

  // Device work.
  void deliver(SyncObject& object, uint64_t value, bool from_gpu, uint64_t irq_ps, uint64_t isr_ps);
  void on_probe(const DeviceProbe& p);
  bool satisfied(const Waiter& waiter) const;
  void complete(Waiter* waiter, uint64_t code);
  void cancel_waiter(Waiter* waiter);

  // GPU work (gpu.cpp): each context queues packets of whole commands; the
  // scheduler binds contexts to the device's rings, writes their packets and
  // rings the doorbells, preempts a waiting ring when a context needs one.
  std::shared_ptr<ContextObj> new_context(std::shared_ptr<struct DeviceObj> device, uint32_t node);
  void context_gone(ContextObj* context);
  void submit(ContextObj& context, Packet&& packet);
  // SIGNALs of each (fence, value) after everything `contexts` queued before.
  int32_t signal_after(const std::vector<ContextObj*>& contexts,
                       const std::vector<std::pair<std::shared_ptr<SyncObject>, uint64_t>>& signals,
                       uint64_t received_host_ns);
  void schedule();
  void bind_waiting();
  bool ready(const ContextObj& c) const;  // its next command can run now
  struct HwRing;
  HwRing* free_ring();
  void reap(HwRing& ring);
  void preempt(HwRing& ring, bool skip_faulty);
  void drop_orphans();  // stalled work of destroyed contexts
  void forget_signals(const Packet& dropped);
  void kick(HwRing& ring);
  bool write_packets(HwRing& ring);
  void ring_fault(HwRing& ring);
  std::shared_ptr<Allocation> new_allocation();
  // Whether [va, va + bytes) lies in one allocation the process holds (for
  // a write: holds with SHARED_ALLOCATION_WRITE): SUCCESS, ACCESS_DENIED
  // (it holds it read-only) or INVALID_PARAMETER (it does not hold it).
  int32_t reach(Process& process, uint64_t va, uint64_t bytes, bool write);
  int32_t validate_commands(Process& process, std::span<const uint32_t> words);

  DeviceAccess& hw_;
  Reactor& reactor_;
  KernelOptions options_;
  std::mt19937_64 rng_;
  KernelStats stats_;

  std::shared_ptr<struct Adapter> adapter_;
  unsigned num_fences_ = 0;
  std::unique_ptr<class Vram> vram_;
  uint64_t wb_base_ = 0;        // fence i's page: wb_base_ + i * 4096
  std::vector<std::unique_ptr<HwRing>> rings_;
  uint64_t idle_checked_ps_ = UINT64_MAX;  // device time device_idle() last looked
  std::deque<ContextObj*> ring_waiters_;  // contexts with work and no ring, first come first served
  std::map<uint64_t, ContextObj*> contexts_;
  uint64_t next_context_id_ = 1;
  struct Quarantined {
    uint64_t addr, bytes;
    std::vector<uint64_t> positions;  // every ring's write position when it was freed
  };
  std::deque<Quarantined> quarantine_;  // freed VRAM the rings may still reach
  std::vector<SyncObject*> slots_;
  std::deque<int> free_slots_;  // least recently freed first
  uint64_t next_object_id_ = 1;
  uint32_t next_global_index_ = 1;
  size_t live_syncs_ = 0;
  bool removed_ = false;

  std::map<uint64_t, std::unique_ptr<Process>> processes_;
  uint64_t next_process_id_ = 1;
  std::map<std::pair<dev_t, ino_t>, std::shared_ptr<NtHandle>> nt_by_inode_;
  std::map<std::u32string, std::weak_ptr<NtObject>> names_;
  std::unordered_map<uint64_t, std::unique_ptr<Waiter>> waiters_;
  uint64_t next_waiter_id_ = 1;
  // Legacy global handles: system-wide names for objects, gone with them.
  std::map<uint32_t, std::weak_ptr<SyncObject>> global_syncs_;
  std::map<uint32_t, std::weak_ptr<Resource>> global_resources_;
  std::map<uint32_t, std::weak_ptr<KeyedMutex>> global_mutexes_;
  uint64_t next_ticket_ = 1;
  std::shared_ptr<SyncObject> event_fence_;  // SignalFromGpu2 with EnqueueCpuEvent
  uint64_t event_fence_target_ = 0;
  uint64_t isr_host_ns_ = 0;  // when the interrupt handler last started
  uint64_t next_sysmem_va_ = 0;
};

}  // namespace kmtsim::kernel
