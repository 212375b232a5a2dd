// GPU work: command buffers through D3DKMTSubmitCommand (kmtsim/gpu_commands.h),
// their validation, fences between contexts (GPU to GPU), more contexts than
// the device has rings, and the latency-critical mark.
#define CATCH_CONFIG_MAIN
#include "alloc_fixture.h"
#include "kmtsim/escape.h"
#include "kmtsim/gpu_commands.h"

#include <sys/wait.h>

#include <cstring>
#include <functional>
#include <vector>

using namespace kmtsim::test;

namespace {

// Waits for sync >= value through the async-event form, for at most 20 s.
bool wait_for(Device& d, D3DKMT_HANDLE sync, UINT64 value) {
  const int fd = ::eventfd(0, EFD_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(d.wait(sync, value, handle_of_fd(fd)) == STATUS_SUCCESS);
  pollfd p{fd, POLLIN, 0};
  const bool done = ::poll(&p, 1, 20000) == 1;
  ::close(fd);
  return done;
}

NTSTATUS submit(D3DKMT_HANDLE context, UINT64 commands, UINT bytes, UINT flags = 0) {
  D3DKMT_SUBMITCOMMAND s{};
  s.Commands = commands;
  s.CommandLength = bytes;
  std::memcpy(&s.Flags, &flags, sizeof(flags));
  s.BroadcastContextCount = 1;
  s.BroadcastContext[0] = context;
  return D3DKMTSubmitCommand(&s);
}

NTSTATUS mark_critical(D3DKMT_HANDLE adapter, D3DKMT_HANDLE sync, UINT critical) {
  KMTSIM_ESCAPE_FENCE_CRITICAL_DATA data{};
  data.Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_FENCE_CRITICAL};
  data.hSyncObject = sync;
  data.Critical = critical;
  D3DKMT_ESCAPE e{};
  e.hAdapter = adapter;
  e.Type = D3DKMT_ESCAPE_DRIVERPRIVATE;
  e.pPrivateDriverData = &data;
  e.PrivateDriverDataSize = sizeof(data);
  return D3DKMTEscape(&e);
}

// A command buffer, a source and a destination, each a CPU-visible
// video-memory allocation locked for the test's whole run.
struct Buffers {
  static constexpr UINT64 kCmdBytes = 8192, kBytes = 65536;
  Video video;
  UINT* cmd = nullptr;
  uint32_t* src = nullptr;
  uint32_t* dst = nullptr;

  explicit Buffers(D3DKMT_HANDLE device, UINT flags = 0) : video(device, flags, {kCmdBytes, kBytes, kBytes}) {
    REQUIRE(video.run() == STATUS_SUCCESS);
    cmd = static_cast<UINT*>(lock(device, video.infos[0].hAllocation));
    src = static_cast<uint32_t*>(lock(device, video.infos[1].hAllocation));
    dst = static_cast<uint32_t*>(lock(device, video.infos[2].hAllocation));
    REQUIRE(cmd != nullptr);
    REQUIRE(src != nullptr);
    REQUIRE(dst != nullptr);
  }
  UINT64 cmd_va() const { return video.infos[0].GpuVirtualAddress; }
  UINT64 src_va() const { return video.infos[1].GpuVirtualAddress; }
  UINT64 dst_va() const { return video.infos[2].GpuVirtualAddress; }
};

}  // namespace

TEST_CASE("FILL COPY and TIMESTAMP reach memory before the fence signalled after them", "[driver][gpu][rtl]") {
  Device d;
  Buffers b(d.device);
  for (UINT k = 0; k < Buffers::kBytes / 4; ++k) {
    b.src[k] = 0x01000000u + k;
    b.dst[k] = 0xEEEEEEEEu;
  }
  UINT* p = b.cmd;
  p += kmtsim_cmd_fill(p, b.src_va() + 4096, 8192, 0x12345678u);
  p += kmtsim_cmd_nop(p, 2);
  p += 2;  // the NOP's padding: never looked at
  p += kmtsim_cmd_copy(p, b.dst_va() + 256, b.src_va(), 16384);
  p += kmtsim_cmd_timestamp(p, b.cmd_va() + 2048);
  p += kmtsim_cmd_fill(p, b.dst_va() + 65532, 4, 0xCAFEF00Du);
  p += kmtsim_cmd_timestamp(p, b.cmd_va() + 2056);
  const UINT bytes = static_cast<UINT>((p - b.cmd) * 4);
  b.cmd[512] = b.cmd[513] = b.cmd[514] = b.cmd[515] = 0;
  const volatile UINT64* value = nullptr;
  const D3DKMT_HANDLE fence = d.fence(0, false, &value);
  const D3DKMT_HANDLE ctx = d.context();

  REQUIRE(submit(ctx, b.cmd_va(), bytes) == STATUS_SUCCESS);
  REQUIRE(d.signal_gpu(ctx, fence, 7) == STATUS_SUCCESS);
  REQUIRE(wait_for(d, fence, 7));
  CHECK(*value == 7);

  for (UINT k = 0; k < Buffers::kBytes / 4; ++k) {
    const uint32_t want_src = k >= 1024 && k < 3072 ? 0x12345678u : 0x01000000u + k;
    if (b.src[k] != want_src) FAIL("src word " << k << ": " << b.src[k]);
  }
  for (UINT k = 0; k < Buffers::kBytes / 4; ++k) {
    uint32_t want = 0xEEEEEEEEu;
    if (k >= 64 && k < 64 + 4096) want = (k - 64) >= 1024 && (k - 64) < 3072 ? 0x12345678u : 0x01000000u + (k - 64);
    if (k == Buffers::kBytes / 4 - 1) want = 0xCAFEF00Du;
    if (b.dst[k] != want) FAIL("dst word " << k << ": " << b.dst[k] << " want " << want);
  }
  UINT64 t0 = 0, t1 = 0;
  std::memcpy(&t0, &b.cmd[512], 8);
  std::memcpy(&t1, &b.cmd[514], 8);
  CHECK(t0 != 0);
  CHECK(t1 > t0);
}

TEST_CASE("A malformed command buffer is refused whole and nothing of it runs", "[driver][gpu]") {
  Device d;
  Buffers b(d.device);
  std::memset(b.dst, 0x11, Buffers::kBytes);
  const D3DKMT_HANDLE ctx = d.context();
  const D3DKMT_HANDLE fence = d.fence(0, false);
  const UINT64 src = b.src_va(), dst = b.dst_va();
  // Each case writes a buffer that starts with a valid FILL over dst, then the fault.
  struct Case {
    const char* what;
    std::function<UINT(UINT*)> write;  // words written
    UINT64 offset = 0;                 // added to the command buffer's address
    int length_delta = 0;              // added to the length in bytes
  };
  const std::vector<Case> cases = {
      {"an empty buffer", [](UINT*) { return 0u; }},
      {"a length not a multiple of 4", [&](UINT* p) { return kmtsim_cmd_fill(p, dst, 64, 1); }, 0, 2},
      {"an unaligned buffer address", [&](UINT* p) { return kmtsim_cmd_fill(p, dst, 64, 1); }, 2},
      {"a buffer running past its allocation", [&](UINT* p) { return kmtsim_cmd_fill(p, dst, 64, 1); }, Buffers::kCmdBytes - 8},
      {"an unknown opcode", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); p[n] = 0x7Fu << 24; return n + 1; }},
      {"a SIGNAL", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_signal(p + n, 0, 1); }},
      {"a WAIT", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_wait(p + n, 0, 1); }},
      {"a COPY cut short", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_copy(p + n, dst, src, 64) - 2; }},
      {"a FILL of no bytes", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_fill(p + n, dst, 0, 1); }},
      {"a FILL of 6 bytes", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_fill(p + n, dst, 6, 1); }},
      {"an unaligned FILL", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_fill(p + n, dst + 2, 4, 1); }},
      {"a FILL past its allocation", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_fill(p + n, dst + Buffers::kBytes - 4, 8, 1); }},
      {"a FILL over no allocation", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_fill(p + n, 0x1000, 4, 1); }},
      {"a COPY from no allocation", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_copy(p + n, dst, 0x2000, 4); }},
      {"a COPY spanning two allocations", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_copy(p + n, dst, src + Buffers::kBytes - 4, 8); }},
      {"an unaligned TIMESTAMP", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_timestamp(p + n, dst + 4); }},
      {"a NOP skipping too far", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); n += kmtsim_cmd_nop(p + n, 1025); std::memset(p + n, 0, 1025 * 4); return n + 1025; }},
      {"a NOP skipping past the end", [&](UINT* p) { UINT n = kmtsim_cmd_fill(p, dst, 64, 1); return n + kmtsim_cmd_nop(p + n, 4); }},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    std::memset(b.cmd, 0, Buffers::kCmdBytes);
    const UINT words = c.write(b.cmd);
    const auto bytes = static_cast<UINT>(static_cast<int>(words * 4) + c.length_delta);
    CHECK(submit(ctx, b.cmd_va() + c.offset, bytes) == STATUS_INVALID_PARAMETER);
  }
  // Bad submissions, not bad commands.
  std::memset(b.cmd, 0, Buffers::kCmdBytes);
  const UINT words = kmtsim_cmd_fill(b.cmd, dst, 64, 1);
  CHECK(submit(ctx, b.cmd_va(), words * 4, 1u << 3) == STATUS_INVALID_PARAMETER);  // a reserved flag
  CHECK(submit(ctx + 64, b.cmd_va(), words * 4) == STATUS_INVALID_PARAMETER);       // no such context
  CHECK(submit(ctx, b.cmd_va(), 2u << 20) == STATUS_INVALID_PARAMETER);             // beyond the limit
  D3DKMT_SUBMITCOMMAND none{};
  none.Commands = b.cmd_va();
  none.CommandLength = words * 4;
  CHECK(D3DKMTSubmitCommand(&none) == STATUS_INVALID_PARAMETER);  // no context
  CHECK(D3DKMTSubmitCommand(nullptr) == STATUS_INVALID_PARAMETER);

  // Nothing ran: the fence that follows finds dst as it was.
  REQUIRE(d.signal_gpu(ctx, fence, 1) == STATUS_SUCCESS);
  REQUIRE(wait_for(d, fence, 1));
  for (UINT k = 0; k < Buffers::kBytes / 4; ++k)
    if (b.dst[k] != 0x11111111u) FAIL("dst word " << k << " was written: " << b.dst[k]);

  // And the context still works.
  REQUIRE(submit(ctx, b.cmd_va(), words * 4) == STATUS_SUCCESS);
  REQUIRE(d.signal_gpu(ctx, fence, 2) == STATUS_SUCCESS);
  REQUIRE(wait_for(d, fence, 2));
  CHECK(b.dst[0] == 1u);
  CHECK(b.dst[15] == 1u);
  CHECK(b.dst[16] == 0x11111111u);
}

TEST_CASE("Commands reach only the caller's allocations and write only where it may", "[driver][gpu][access]") {
  Device d;
  Video theirs(d.device, kCreateShared | kNtSecuritySharing, {4096});
  REQUIRE(theirs.run() == STATUS_SUCCESS);
  auto* bytes = static_cast<uint32_t*>(lock(d.device, theirs.infos[0].hAllocation));
  REQUIRE(bytes != nullptr);
  for (UINT k = 0; k < 1024; ++k) bytes[k] = 0xBEEF0000u + k;
  REQUIRE(unlock(d.device, theirs.infos[0].hAllocation) == STATUS_SUCCESS);
  const UINT64 their_va = theirs.infos[0].GpuVirtualAddress;
  HANDLE read_only = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &theirs.create.hResource, nullptr, STANDARD_RIGHTS_READ, &read_only) == STATUS_SUCCESS);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    // Another process with its own buffers: the parent's allocation is not
    // its own until it opens it, and then only to read.
    int step = 10;
    try {
      const D3DKMT_HANDLE device = child_device();
      if (device == 0) ::_exit(2);
      D3DKMT_CREATECONTEXTVIRTUAL cc{};
      cc.hDevice = device;
      if (D3DKMTCreateContextVirtual(&cc) != STATUS_SUCCESS) ::_exit(3);
      Video mine(device, 0, {4096, 8192});
      if (mine.run() != STATUS_SUCCESS) ::_exit(4);
      auto* cmd = static_cast<UINT*>(lock(device, mine.infos[0].hAllocation));
      auto* out = static_cast<uint32_t*>(lock(device, mine.infos[1].hAllocation));
      if (cmd == nullptr || out == nullptr) ::_exit(5);
      const UINT64 cmd_va = mine.infos[0].GpuVirtualAddress, out_va = mine.infos[1].GpuVirtualAddress;
      UINT n = kmtsim_cmd_fill(cmd, their_va, 64, 0);
      if (submit(cc.hContext, cmd_va, n * 4) != STATUS_INVALID_PARAMETER) ::_exit(6);
      n = kmtsim_cmd_copy(cmd, out_va, their_va, 64);
      if (submit(cc.hContext, cmd_va, n * 4) != STATUS_INVALID_PARAMETER) ::_exit(7);
      OpenOne open(device, read_only);
      if (open.run() != STATUS_SUCCESS) ::_exit(8);
      if (open.oa.GpuVirtualAddress != their_va) ::_exit(9);
      // Opened without SHARED_ALLOCATION_WRITE: no GPU write (spec §10.1).
      n = kmtsim_cmd_fill(cmd, their_va, 64, 0);
      if (submit(cc.hContext, cmd_va, n * 4) != STATUS_ACCESS_DENIED) ::_exit(10);
      n = kmtsim_cmd_copy(cmd, their_va, out_va, 64);
      if (submit(cc.hContext, cmd_va, n * 4) != STATUS_ACCESS_DENIED) ::_exit(16);
      n = kmtsim_cmd_timestamp(cmd, their_va);
      if (submit(cc.hContext, cmd_va, n * 4) != STATUS_ACCESS_DENIED) ::_exit(17);
      n = kmtsim_cmd_copy(cmd, out_va + 4096, their_va, 4096);
      if (submit(cc.hContext, cmd_va, n * 4) != STATUS_SUCCESS) ::_exit(11);
      D3DKMT_CREATESYNCHRONIZATIONOBJECT2 cs{};
      cs.hDevice = device;
      cs.Info.Type = D3DDDI_MONITORED_FENCE;
      if (D3DKMTCreateSynchronizationObject2(&cs) != STATUS_SUCCESS) ::_exit(12);
      UINT64 one = 1;
      D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU sg{};
      sg.hContext = cc.hContext;
      sg.ObjectCount = 1;
      sg.ObjectHandleArray = &cs.hSyncObject;
      sg.MonitoredFenceValueArray = &one;
      if (D3DKMTSignalSynchronizationObjectFromGpu(&sg) != STATUS_SUCCESS) ::_exit(13);
      D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
      w.hDevice = device;
      w.ObjectCount = 1;
      w.ObjectHandleArray = &cs.hSyncObject;
      w.FenceValueArray = &one;
      if (D3DKMTWaitForSynchronizationObjectFromCpu(&w) != STATUS_SUCCESS) ::_exit(14);
      for (UINT k = 0; k < 1024; ++k)
        if (out[1024 + k] != 0xBEEF0000u + k || out[k] != 0) ::_exit(15);
      step = 0;
    } catch (...) {
      step = 99;
    }
    ::_exit(step);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  bytes = static_cast<uint32_t*>(lock(d.device, theirs.infos[0].hAllocation));
  REQUIRE(bytes != nullptr);
  for (UINT k = 0; k < 1024; ++k)
    if (bytes[k] != 0xBEEF0000u + k) FAIL("word " << k << " was written: " << bytes[k]);
  ::close(fd_of(read_only));
}

TEST_CASE("A fence signalled by one context releases another context's wait and its copy", "[driver][gpu][rtl]") {
  Device d;
  Buffers b(d.device);
  std::memset(b.dst, 0, Buffers::kBytes);
  const D3DKMT_HANDLE producer = d.context(), consumer = d.context();
  const D3DKMT_HANDLE rendered = d.fence(0, false), copied = d.fence(0, false);
  // The consumer queues first: it waits on the GPU for the producer's frame.
  UINT* p = b.cmd + 512;
  const UINT copy_words = kmtsim_cmd_copy(p, b.dst_va(), b.src_va(), 4096);
  REQUIRE(d.wait_gpu(consumer, rendered, 3) == STATUS_SUCCESS);
  REQUIRE(submit(consumer, b.cmd_va() + 2048, copy_words * 4) == STATUS_SUCCESS);
  REQUIRE(d.signal_gpu(consumer, copied, 1) == STATUS_SUCCESS);
  const UINT fill_words = kmtsim_cmd_fill(b.cmd, b.src_va(), 4096, 0x5A5A5A5Au);
  REQUIRE(submit(producer, b.cmd_va(), fill_words * 4) == STATUS_SUCCESS);
  REQUIRE(d.signal_gpu(producer, rendered, 3) == STATUS_SUCCESS);
  REQUIRE(wait_for(d, copied, 1));
  for (UINT k = 0; k < 1024; ++k)
    if (b.dst[k] != 0x5A5A5A5Au) FAIL("word " << k << ": " << b.dst[k]);
  CHECK(b.dst[1024] == 0u);
}

TEST_CASE("More contexts than rings all finish whatever order their waits are released in", "[driver][gpu][rtl]") {
  Device d;
  const auto before = device_info(d.adapter);
  REQUIRE(before.NumRings >= 1);
  const UINT n = before.NumRings * 2 + 1;
  std::vector<D3DKMT_HANDLE> contexts, gates, done;
  for (UINT k = 0; k < n; ++k) {
    contexts.push_back(d.context());
    gates.push_back(d.fence(0, false));
    done.push_back(d.fence(0, false));
    REQUIRE(d.wait_gpu(contexts[k], gates[k], 1) == STATUS_SUCCESS);
    REQUIRE(d.signal_gpu(contexts[k], done[k], 1) == STATUS_SUCCESS);
  }
  // Released last queued first: the contexts holding rings wait longest.
  for (UINT k = n; k-- > 0;) {
    REQUIRE(d.signal(gates[k], 1) == STATUS_SUCCESS);
    INFO("context " << k);
    REQUIRE(wait_for(d, done[k], 1));
  }
  const auto after = device_info(d.adapter);
  CHECK(after.Preemptions > before.Preemptions);
  CHECK(after.RingErrors == before.RingErrors);
}

TEST_CASE("The latency-critical mark is set and cleared on the caller's fences only", "[driver][gpu]") {
  Device d;
  const D3DKMT_HANDLE fence = d.fence(0, false);
  const D3DKMT_HANDLE ctx = d.context();
  CHECK(mark_critical(d.adapter, fence, 1) == STATUS_SUCCESS);
  REQUIRE(d.signal_gpu(ctx, fence, 4) == STATUS_SUCCESS);
  REQUIRE(wait_for(d, fence, 4));
  CHECK(mark_critical(d.adapter, fence, 0) == STATUS_SUCCESS);
  CHECK(mark_critical(d.adapter, fence, 2) == STATUS_INVALID_PARAMETER);
  CHECK(mark_critical(d.adapter, fence + 64, 1) == STATUS_INVALID_PARAMETER);
  CHECK(mark_critical(d.adapter, ctx, 1) == STATUS_INVALID_PARAMETER);
  REQUIRE(d.signal_gpu(ctx, fence, 5) == STATUS_SUCCESS);
  REQUIRE(wait_for(d, fence, 5));
}

TEST_CASE("A broadcast submission takes 1 to 64 contexts of one device", "[driver][gpu]") {
  Device d;
  Buffers b(d.device);
  const UINT words = kmtsim_cmd_nop(b.cmd, 0);
  D3DKMT_SUBMITCOMMAND s{};
  s.Commands = b.cmd_va();
  s.CommandLength = words * 4;
  s.BroadcastContextCount = 2;
  s.BroadcastContext[0] = d.context();
  s.BroadcastContext[1] = d.context();
  CHECK(D3DKMTSubmitCommand(&s) == STATUS_SUCCESS);
  D3DKMT_CREATEDEVICE other{};
  other.hAdapter = d.adapter;
  REQUIRE(D3DKMTCreateDevice(&other) == STATUS_SUCCESS);
  D3DKMT_CREATECONTEXTVIRTUAL cc{};
  cc.hDevice = other.hDevice;
  REQUIRE(D3DKMTCreateContextVirtual(&cc) == STATUS_SUCCESS);
  s.BroadcastContext[1] = cc.hContext;  // another device's context
  CHECK(D3DKMTSubmitCommand(&s) == STATUS_INVALID_PARAMETER);
  s.BroadcastContext[1] = s.BroadcastContext[0];
  s.BroadcastContextCount = D3DDDI_MAX_BROADCAST_CONTEXT + 1;
  CHECK(D3DKMTSubmitCommand(&s) == STATUS_INVALID_PARAMETER);
  s.BroadcastContextCount = 1;
  s.NumHistoryBuffers = D3DKMT_SUBMITCOMMAND_MAX_HISTORY_BUFFERS + 1;
  CHECK(D3DKMTSubmitCommand(&s) == STATUS_INVALID_PARAMETER);
  s.NumHistoryBuffers = 0;
  s.NumPrimaries = D3DDDI_MAX_WRITTEN_PRIMARIES + 1;
  CHECK(D3DKMTSubmitCommand(&s) == STATUS_INVALID_PARAMETER);
  s.NumPrimaries = 0;
  CHECK(D3DKMTSubmitCommand(&s) == STATUS_SUCCESS);
}
