// What the kernel's source files share: the call context, flag masks and
// limits, and small helpers.
#pragma once

#include "d3dkmthk.h"
#include "kmtsim/kernel/kernel.h"
#include "objects.h"
#include "vram.h"

#include <cstdint>
#include <cwctype>
#include <string>
#include <vector>

namespace kmtsim::kernel {

// One call in progress: its process, its decoded input and its output.
struct Kernel::Ctx {
  Process& proc;
  wire::Reader in;
  wire::Writer& out;
  std::vector<UniqueFd>& fds_in;
  std::vector<UniqueFd>& fds_out;
  uint64_t received_host_ns;

  // Decodes the whole request; false when it is malformed.
  template <typename T>
  bool read(T& request) {
    request.io(in);
    return in.finish();
  }
};

// One of the device's command rings, as the scheduler sees it. Positions
// count bytes written since the ring was last reset (they never wrap); the
// device's pointers are these modulo the ring's size.
struct Kernel::HwRing {
  unsigned index = 0;
  uint64_t base = 0;  // VRAM address of the buffer
  uint32_t size = 0;  // bytes
  uint64_t wpos = 0;  // written (the doorbell's value, unwrapped)
  uint64_t rpos = 0;  // consumed, as last read from RING_RPTR
  ContextObj* owner = nullptr;
  struct InFlight {
    uint64_t start = 0, end = 0;
    ContextObj* context = nullptr;  // null once the context is gone
    Packet packet;
  };
  std::deque<InFlight> in_flight;
  std::shared_ptr<SyncObject> progress;  // signalled at the end of a kicked batch
  uint64_t progress_value = 0;
  bool kicked = false;  // a progress SIGNAL is queued and not yet delivered
  uint32_t free_bytes() const { return size - 4 - static_cast<uint32_t>(wpos - rpos); }
};

namespace flags {
// D3DDDI_SYNCHRONIZATIONOBJECT_FLAGS
constexpr uint32_t kSyncShared = 0x1;
constexpr uint32_t kSyncNtSecuritySharing = 0x2;
constexpr uint32_t kSyncNoSignal = 0x10;
constexpr uint32_t kSyncNoWait = 0x20;
constexpr uint32_t kSyncNoSignalMaxValueOnTdr = 0x40;
constexpr uint32_t kSyncSignalByKmd = 0x100;
constexpr uint32_t kSyncUnused = 0x200;
constexpr uint32_t kSyncUnwaitOnlyOnDestroy = 0x400;
constexpr uint32_t kSyncKnown = 0x7FF & ~kSyncUnused;
// D3DDDICB_SIGNALFLAGS
constexpr uint32_t kSignalAtSubmission = 0x1;
constexpr uint32_t kSignalEnqueueCpuEvent = 0x2;
constexpr uint32_t kSignalAllowFenceRewind = 0x4;
// D3DDDI_WAITFORSYNCHRONIZATIONOBJECTFROMCPU_FLAGS
constexpr uint32_t kWaitAny = 0x1;
// D3DKMT_CREATEDEVICEFLAGS: LegacyMode, RequestVSync, DisableGpuTimeout, TestDevice
constexpr uint32_t kCreateDeviceKnown = 0xF;
// D3DKMT_CREATEALLOCATIONFLAGS
constexpr uint32_t kAllocCreateResource = 1u << 0;
constexpr uint32_t kAllocCreateShared = 1u << 1;
constexpr uint32_t kAllocExistingSysMem = 1u << 5;
constexpr uint32_t kAllocNtSecuritySharing = 1u << 6;
constexpr uint32_t kAllocStandardAllocation = 1u << 16;
constexpr uint32_t kAllocKnown = (1u << 23) - 1;
// D3DKMT_CREATEKEYEDMUTEX2_FLAGS
constexpr uint32_t kMutexNtSecuritySharing = 0x1;
// D3DKMT_SUBMITCOMMANDFLAGS: NullRendering, PresentRedirected, NoKmdAccess
constexpr uint32_t kSubmitKnown = 0x7;
}  // namespace flags

namespace limits {
constexpr uint32_t kMaxObjectsPerCall = 32;  // D3DDDI_MAX_OBJECT_WAITED_ON / _SIGNALED; spec §10.5
constexpr uint32_t kMaxBroadcastContexts = 64;  // D3DDDI_MAX_BROADCAST_CONTEXT
constexpr uint32_t kNumNodes = 1;              // engines with a command queue
constexpr uint32_t kEnumAdaptersMax = 32;      // EnumAdapters2 with no array (Windows 10)
constexpr size_t kMaxPrivateData = 64 * 1024;
constexpr size_t kMaxNameUnits = 32767;        // UNICODE_STRING.Length is a USHORT of bytes
constexpr uint32_t kMaxAllocations = 1024;     // D3DKMT_CREATEALLOCATION_MAX
constexpr uint32_t kRingBytes = 64 * 1024;     // each hardware ring's buffer
constexpr uint32_t kMaxCommandBytes = 1 << 20; // SubmitCommand's command_length
constexpr uint64_t kMaxAllocationSize = 1ull << 32;
constexpr uint64_t kPage = 4096;
}  // namespace limits

// Waiter completion codes written to a wake event (the library reads them).
constexpr uint64_t kWakeSatisfied = 1;
constexpr uint64_t kWakeObjectDestroyed = 2;
constexpr uint64_t kWakeDeviceRemoved = 3;

template <typename T>
T* lookup(Process& p, uint32_t handle) {
  auto it = p.handles.find(handle);
  if (it == p.handles.end()) return nullptr;
  return std::get_if<T>(&it->second);
}

inline std::shared_ptr<DeviceObj>* lookup_device(Process& p, uint32_t handle) {
  return lookup<std::shared_ptr<DeviceObj>>(p, handle);
}

// The contexts behind handles already checked to be contexts of `p`.
inline std::vector<ContextObj*> contexts_of(Process& p, const std::vector<uint32_t>& handles) {
  std::vector<ContextObj*> out;
  for (uint32_t h : handles) out.push_back(lookup<std::shared_ptr<ContextObj>>(p, h)->get());
  return out;
}

// Generic rights mapped for each object type (spec §1.2).
inline uint32_t map_sync_generic(uint32_t access) {
  if (access & GENERIC_READ) access |= STANDARD_RIGHTS_READ | D3DDDI_SYNC_OBJECT_WAIT;
  if (access & GENERIC_WRITE) access |= STANDARD_RIGHTS_WRITE | D3DDDI_SYNC_OBJECT_SIGNAL;
  if (access & GENERIC_EXECUTE) access |= STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE;
  if (access & GENERIC_ALL) access |= D3DDDI_SYNC_OBJECT_ALL_ACCESS;
  return access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
}

inline uint32_t map_resource_generic(uint32_t access) {
  if (access & GENERIC_READ) access |= STANDARD_RIGHTS_READ;
  if (access & GENERIC_WRITE) access |= STANDARD_RIGHTS_WRITE | SHARED_ALLOCATION_WRITE;
  if (access & GENERIC_EXECUTE) access |= STANDARD_RIGHTS_EXECUTE;
  if (access & GENERIC_ALL) access |= SHARED_ALLOCATION_ALL_ACCESS;
  return access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
}

// NT names compare case-insensitively (Windows does so even without
// OBJ_CASE_INSENSITIVE).
inline std::u32string fold_name(const std::vector<uint32_t>& units) {
  std::u32string out;
  out.reserve(units.size());
  for (uint32_t u : units) out.push_back(static_cast<char32_t>(std::towlower(static_cast<wint_t>(u))));
  return out;
}

// Where a shared object's name may live: \BaseNamedObjects\leaf, or
// \Sessions\N\BaseNamedObjects\leaf (the directories every session has).
// Returns STATUS_SUCCESS or what is wrong with the (folded) name.
int32_t check_object_path(const std::u32string& name);

}  // namespace kmtsim::kernel
