// The kernel side on the functional device (driver-sim/kernel/testing): no
// SystemC, no daemon. Fences through the device's fence engine and write-back
// pages, GPU signals and waits through its rings, SubmitCommand buffers, and
// a ring that halts. Plus the device's own ring errors, coalescing and FIFO
// overflow through its registers, as the model does them.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "functional_device.h"
#include "kmtsim/allocation.h"
#include "kmtsim/escape.h"
#include "kmtsim/hw/regs.h"
#include "kmtsim/kernel/kernel.h"
#include "kmtsim/wire/messages.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <vector>

using namespace kmtsim;
using kernel::FunctionalDevice;
namespace reg = hw::reg;
namespace field = hw::field;
using Op = hw::CpOpcode;

namespace {

constexpr int32_t kSuccess = 0;

class NullReactor final : public kernel::Reactor {
 public:
  void watch_pipe_readers(int, std::function<void()>) override {}
  void unwatch(int) override {}
};

uint32_t hdr(Op op, uint32_t low = 0) { return (uint32_t{static_cast<uint8_t>(op)} << 24) | low; }
std::vector<uint32_t> operator+(std::vector<uint32_t> a, const std::vector<uint32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A kernel on a functional device, one process, its adapter and device.
struct Rig {
  FunctionalDevice dev;
  NullReactor reactor;
  kernel::Kernel kernel{dev, reactor, kernel::KernelOptions{}};
  kernel::Process* proc = nullptr;
  uint32_t adapter = 0, device = 0;

  explicit Rig(const FunctionalDevice::Config& config = {}) : dev(config) {
    dev.set_interrupt_handler([this](uint64_t t) { kernel.interrupt(t); });
    kernel.start();
    proc = kernel.attach(1000, 1000);
    wire::EnumAdapters2Rep adapters;
    REQUIRE(call(wire::Op::EnumAdapters2, wire::EnumAdapters2Req{1, 0}, adapters) == kSuccess);
    wire::HandleRep d;
    REQUIRE(call(wire::Op::CreateDevice, wire::CreateDeviceReq{adapters.adapters.at(0).handle, 0}, d) == kSuccess);
    adapter = adapters.adapters.at(0).handle;
    device = d.handle;
  }
  ~Rig() {
    kernel.detach(proc);
    for (void* p : maps) ::munmap(p, 4096);
  }

  // One request, then the device runs until it is idle (as kmtsimd does).
  template <typename Req, typename Rep>
  int32_t call(wire::Op op, const Req& req, Rep& rep, std::vector<UniqueFd> fds = {},
               std::vector<UniqueFd>* fds_out = nullptr) {
    wire::Writer w;
    w(req);
    kernel::Kernel::Request r;
    r.op = op;
    r.payload = w.bytes();
    r.fds = std::move(fds);
    kernel::Kernel::Reply reply = kernel.handle(*proc, std::move(r));
    settle();
    if (reply.status == kSuccess) {
      wire::Reader in(reply.body.bytes());
      rep.io(in);
      CHECK(in.finish());
    }
    if (fds_out != nullptr) *fds_out = std::move(reply.fds);
    return reply.status;
  }
  // As kmtsimd does: the device runs until it is idle, then the kernel hears
  // that it is (which may give the device work again).
  void settle() {
    REQUIRE(dev.run_until_idle());
    for (int round = 0; round < 100; ++round) {
      const uint64_t before = dev.commands();
      kernel.device_idle();
      REQUIRE(dev.run_until_idle());
      if (dev.commands() == before) return;
    }
    FAIL("the kernel keeps giving the idle device work");
  }
  template <typename Req>
  int32_t call(wire::Op op, const Req& req) {
    wire::EmptyRep none;
    return call(op, req, none);
  }

  // A monitored fence: its handle and its CPU-visible page, mapped read-only.
  struct Fence {
    uint32_t handle = 0;
    uint64_t gpu_va = 0;
    const uint64_t* page = nullptr;
    uint64_t value() const { return __atomic_load_n(page, __ATOMIC_ACQUIRE); }
  };
  Fence fence(uint64_t initial) {
    wire::SyncObjectRep rep;
    std::vector<UniqueFd> fds;
    REQUIRE(call(wire::Op::CreateSyncObject2, wire::CreateSyncObject2Req{device, 5, 0, {initial, 0}}, rep, {}, &fds) ==
            kSuccess);
    REQUIRE(fds.size() == 1);
    void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fds[0].get(), 0);
    REQUIRE(p != MAP_FAILED);
    maps.push_back(p);
    return {rep.handle, rep.gpu_va, static_cast<const uint64_t*>(p) + rep.page_offset / 8};
  }
  uint32_t context() {
    wire::HandleRep rep;
    REQUIRE(call(wire::Op::CreateContextVirtual, wire::CreateContextVirtualReq{device, 0, 0, 0, 0, {}}, rep) ==
            kSuccess);
    return rep.handle;
  }
  uint64_t device_fence(uint32_t slot) {
    dev.write32(reg::FENCE_SEL, slot);
    const uint64_t lo = dev.read32(reg::FENCE_VALUE_LO);
    return lo | (uint64_t{dev.read32(reg::FENCE_VALUE_HI)} << 32);
  }
  // The hops of a fence's delivered signals (KMTSIM_ESCAPE_FENCE_HOPS).
  std::vector<KMTSIM_FENCE_HOP> hops(uint32_t fence) {
    auto data = std::make_unique<KMTSIM_ESCAPE_FENCE_HOPS_DATA>();
    *data = {};
    data->Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_FENCE_HOPS};
    data->hSyncObject = fence;
    data->MaxCount = KMTSIM_MAX_HOPS_PER_ESCAPE;
    std::vector<uint8_t> bytes(sizeof(*data));
    std::memcpy(bytes.data(), data.get(), sizeof(*data));
    wire::EscapeRep rep;
    REQUIRE(call(wire::Op::Escape, wire::EscapeReq{adapter, 0, 0, 0, 0, bytes}, rep) == kSuccess);
    REQUIRE(rep.data.size() == sizeof(*data));
    std::memcpy(data.get(), rep.data.data(), sizeof(*data));
    return {data->Hops, data->Hops + data->Count};
  }
  std::vector<void*> maps;
  Rig(const Rig&) = delete;
};

uint64_t eventfd_value(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1) return 0;
  uint64_t v = 0;
  return ::read(fd, &v, 8) == 8 ? v : 0;
}

uint32_t ring_state(FunctionalDevice& dev, unsigned r) {
  return field::RING_STATUS_STATE.get(dev.read32(reg::RING_STATUS_AT(r)));
}
constexpr uint32_t st(hw::RingState s) { return static_cast<uint32_t>(s); }

}  // namespace

TEST_CASE("Fences: CPU and GPU signals reach the page, waits wake, a GPU WAIT holds only its context",
          "[functional][driver]") {
  Rig rig;
  Rig::Fence a = rig.fence(5);
  CHECK(a.value() == 5);  // the device wrote the initial value back
  CHECK(rig.device_fence(static_cast<uint32_t>((a.gpu_va - 0x100000) / 4096)) == 5);

  REQUIRE(rig.call(wire::Op::SignalFromCpu, wire::SignalFromCpuReq{rig.device, {a.handle}, {7}, 0}) == kSuccess);
  CHECK(a.value() == 7);

  // A CPU wait that a GPU signal satisfies.
  std::vector<UniqueFd> fds;
  fds.emplace_back(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  const int event = fds[0].get();
  UniqueFd keep(::dup(event));
  wire::WaitFromCpuRep wait;
  REQUIRE(rig.call(wire::Op::WaitFromCpu, wire::WaitFromCpuReq{rig.device, {a.handle}, {9}, 0, 0}, wait,
                   std::move(fds)) == kSuccess);
  CHECK(wait.satisfied == 0);
  CHECK(rig.kernel.pending_waiters() == 1);
  const uint32_t ctx = rig.context();
  REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{ctx, {a.handle}, {9}}) == kSuccess);
  CHECK(a.value() == 9);
  CHECK(eventfd_value(keep.get()) == 1);  // woken: satisfied
  CHECK(rig.kernel.pending_waiters() == 0);
  // Rings never lower a fence.
  REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{ctx, {a.handle}, {8}}) == kSuccess);
  CHECK(a.value() == 9);

  // A GPU wait stalls the context's ring; another context's work goes on.
  Rig::Fence b = rig.fence(0);
  Rig::Fence c = rig.fence(0);
  REQUIRE(rig.call(wire::Op::WaitFromGpu, wire::WaitFromGpuReq{ctx, {a.handle}, {20}}) == kSuccess);
  REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{ctx, {b.handle}, {1}}) == kSuccess);
  const uint32_t other = rig.context();
  REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{other, {c.handle}, {3}}) == kSuccess);
  CHECK(b.value() == 0);
  CHECK(c.value() == 3);
  REQUIRE(rig.call(wire::Op::SignalFromCpu, wire::SignalFromCpuReq{rig.device, {a.handle}, {20}, 0}) == kSuccess);
  CHECK(b.value() == 1);
  CHECK(a.value() == 20);
  CHECK(rig.kernel.stats().ring_errors == 0);
  CHECK(rig.kernel.stats().interrupts > 0);

  // Every hop of every signal was probed, in order.
  const auto hops = rig.hops(a.handle);
  REQUIRE(hops.size() >= 4);
  for (const KMTSIM_FENCE_HOP& h : hops) {
    INFO("value " << h.Value << (h.FromGpu ? " from the GPU" : " from the CPU"));
    CHECK(h.SubmitSimPs != 0);
    if (h.FromGpu) {
      CHECK(h.FetchSimPs >= h.SubmitSimPs);
      CHECK(h.UpdateSimPs > h.FetchSimPs);
    } else {
      CHECK(h.FetchSimPs == 0);
      CHECK(h.UpdateSimPs >= h.SubmitSimPs);
    }
    CHECK(h.WriteBackSimPs > h.UpdateSimPs);
    CHECK(h.RecordSimPs > h.WriteBackSimPs);
    CHECK(h.IrqSimPs >= h.RecordSimPs);
    CHECK(h.IsrSimPs >= h.IrqSimPs);
  }
}

TEST_CASE("SubmitCommand runs FILL, COPY and TIMESTAMP in the caller's allocation and rejects what is not its",
          "[functional][driver]") {
  Rig rig;
  const KMTSIM_ALLOCATION_DESC desc{KMTSIM_ALLOCATION_MAGIC, KMTSIM_ALLOCATION_VERSION, 65536,
                                    KMTSIM_ALLOCATION_CPU_VISIBLE, 0};
  std::vector<uint8_t> d(sizeof(desc));
  std::memcpy(d.data(), &desc, sizeof(desc));
  wire::CreateAllocationRep alloc;
  REQUIRE(rig.call(wire::Op::CreateAllocation,
                   wire::CreateAllocationReq{rig.device, 0, 0, 0, 0, 0, 0, {}, {}, {wire::AllocationInfoIn{0, d, 0, 0}}},
                   alloc) == kSuccess);
  const uint64_t va = alloc.gpu_vas.at(0);
  uint8_t* mem = rig.dev.vram() + va;  // what the process sees when it locks the allocation
  const std::vector<uint32_t> cmds = {
      hdr(Op::NOP, 1), 0xDEADBEEF,
      hdr(Op::FILL), static_cast<uint32_t>(va + 0x1000), 0, 64, 0xA5A55A5A,
      hdr(Op::COPY), static_cast<uint32_t>(va + 0x2000), 0, static_cast<uint32_t>(va + 0x1000), 0, 64,
      hdr(Op::TIMESTAMP), static_cast<uint32_t>(va + 0x3000), 0};
  std::memcpy(mem, cmds.data(), 4 * cmds.size());
  const uint32_t ctx = rig.context();
  Rig::Fence done = rig.fence(0);
  REQUIRE(rig.call(wire::Op::SubmitCommand,
                   wire::SubmitCommandReq{va, static_cast<uint32_t>(4 * cmds.size()), 0, {ctx}, {}}) == kSuccess);
  REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{ctx, {done.handle}, {1}}) == kSuccess);
  CHECK(done.value() == 1);
  for (unsigned k = 0; k < 64; k += 4) {
    uint32_t filled, copied;
    std::memcpy(&filled, mem + 0x1000 + k, 4);
    std::memcpy(&copied, mem + 0x2000 + k, 4);
    CHECK(filled == 0xA5A55A5A);
    CHECK(copied == 0xA5A55A5A);
  }
  uint32_t after;
  std::memcpy(&after, mem + 0x1000 + 64, 4);
  CHECK(after == 0);
  uint64_t stamp;
  std::memcpy(&stamp, mem + 0x3000, 8);
  CHECK(stamp != 0);

  // Outside the allocation, malformed, or a SIGNAL: refused before any of it runs.
  const std::vector<std::vector<uint32_t>> bad = {
      {hdr(Op::FILL), static_cast<uint32_t>(va + 0xFFF0), 0, 32, 1},
      {hdr(Op::FILL), 0x100000, 0, 8, 1},  // a fence page
      {hdr(Op::COPY), static_cast<uint32_t>(va), 0, static_cast<uint32_t>(va + 2), 0, 8},
      {hdr(Op::SIGNAL), 0, 0},
      {0xEE000000u},
      {hdr(Op::FILL), static_cast<uint32_t>(va), 0},
  };
  for (const auto& b : bad) {
    std::memcpy(mem + 0x8000, b.data(), 4 * b.size());
    CHECK(rig.call(wire::Op::SubmitCommand,
                   wire::SubmitCommandReq{va + 0x8000, static_cast<uint32_t>(4 * b.size()), 0, {ctx}, {}}) != kSuccess);
  }
  CHECK(rig.kernel.stats().ring_errors == 0);
}

TEST_CASE("A ring that halts is reported, its command skipped, and the context goes on", "[functional][driver]") {
  Rig rig;
  Rig::Fence f = rig.fence(0);
  const uint32_t ctx = rig.context();
  REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{ctx, {f.handle}, {1}}) == kSuccess);
  REQUIRE(f.value() == 1);
  // A bad command slipped onto the ring the context ran on (ring 0).
  FunctionalDevice& dev = rig.dev;
  const uint64_t base = dev.read32(reg::RING_BASE_LO_AT(0)) | (uint64_t{dev.read32(reg::RING_BASE_HI_AT(0))} << 32);
  const uint32_t wptr = dev.read32(reg::RING_WPTR_AT(0));
  REQUIRE(wptr != 0);  // the context's signal went there
  const uint32_t bad = 0xEE000000u;
  std::memcpy(dev.vram() + base + wptr, &bad, 4);
  dev.write32(reg::RING_WPTR_AT(0), wptr + 4);
  REQUIRE(dev.run_until_idle());
  CHECK(rig.kernel.stats().ring_errors == 1);
  CHECK(ring_state(dev, 0) == st(hw::RingState::IDLE));  // reset by the kernel
  CHECK((dev.read32(reg::IRQ_STATUS) & field::IRQ_STATUS_RING_ERROR.mask()) == 0);
  REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{ctx, {f.handle}, {2}}) == kSuccess);
  CHECK(f.value() == 2);
}

TEST_CASE("Work of a destroyed context stalled on a WAIT is dropped, ring and objects freed", "[functional][driver]") {
  Rig rig;
  const size_t base = rig.kernel.live_sync_objects();
  Rig::Fence never = rig.fence(0);
  Rig::Fence after = rig.fence(0);
  // Two contexts stall both rings on a value nothing will signal.
  std::vector<uint32_t> stalled;
  for (int k = 0; k < 2; ++k) {
    stalled.push_back(rig.context());
    REQUIRE(rig.call(wire::Op::WaitFromGpu, wire::WaitFromGpuReq{stalled.back(), {never.handle}, {100}}) == kSuccess);
    REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{stalled.back(), {after.handle}, {1}}) == kSuccess);
  }
  REQUIRE(ring_state(rig.dev, 0) == st(hw::RingState::WAITING));
  REQUIRE(ring_state(rig.dev, 1) == st(hw::RingState::WAITING));
  // Destroyed, their contexts' work goes with them (the SIGNAL after the WAIT
  // never runs) and the rings serve others.
  for (uint32_t c : stalled) REQUIRE(rig.call(wire::Op::DestroyContext, wire::HandleReq{c}) == kSuccess);
  CHECK(ring_state(rig.dev, 0) == st(hw::RingState::IDLE));
  CHECK(ring_state(rig.dev, 1) == st(hw::RingState::IDLE));
  Rig::Fence f = rig.fence(0);
  const uint32_t ctx = rig.context();
  REQUIRE(rig.call(wire::Op::SignalFromGpu, wire::SignalFromGpuReq{ctx, {f.handle}, {1}}) == kSuccess);
  CHECK(f.value() == 1);
  CHECK(after.value() == 0);
  // The same when the process goes away with its contexts.
  const uint32_t c2 = rig.context();
  REQUIRE(rig.call(wire::Op::WaitFromGpu, wire::WaitFromGpuReq{c2, {never.handle}, {100}}) == kSuccess);
  rig.kernel.detach(rig.proc);
  CHECK(ring_state(rig.dev, 0) != st(hw::RingState::WAITING));
  CHECK(ring_state(rig.dev, 1) != st(hw::RingState::WAITING));
  CHECK(rig.kernel.live_sync_objects() == base);
  rig.proc = rig.kernel.attach(1001, 1000);
}

TEST_CASE("Fences that GPU work named are freed, slots and all, when their process goes away",
          "[functional][driver]") {
  FunctionalDevice::Config config;
  config.num_fences = 16;
  Rig rig(config);
  const size_t base = rig.kernel.live_sync_objects();
  const uint32_t ctx = rig.context();
  std::vector<uint32_t> handles;
  for (;;) {
    wire::SyncObjectRep rep;
    std::vector<UniqueFd> fds;
    if (rig.call(wire::Op::CreateSyncObject2, wire::CreateSyncObject2Req{rig.device, 5, 0, {0, 0}}, rep, {}, &fds) !=
        kSuccess)
      break;
    handles.push_back(rep.handle);
  }
  REQUIRE(handles.size() >= 8);
  REQUIRE(rig.call(wire::Op::SignalFromGpu,
                   wire::SignalFromGpuReq{ctx, handles, std::vector<uint64_t>(handles.size(), 1)}) == kSuccess);
  for (uint32_t h : handles) REQUIRE(rig.call(wire::Op::DestroySyncObject, wire::HandleReq{h}) == kSuccess);
  // Destroyed, but the SIGNALs on the ring still named them: a new fence
  // gets a slot all the same.
  Rig::Fence again = rig.fence(3);
  CHECK(again.value() == 3);
  rig.kernel.detach(rig.proc);
  rig.proc = rig.kernel.attach(1001, 1000);
  CHECK(rig.kernel.live_sync_objects() == base);
}

// --- The device alone, through its registers ----------------------------------------------

namespace {

struct Bare {
  FunctionalDevice dev{FunctionalDevice::Config{uint64_t{16} << 20, 64, 2, 16, "hbm2"}};
  uint32_t wptr[2] = {};
  void ring(unsigned r, uint64_t base) {
    dev.write32(reg::RING_BASE_LO_AT(r), static_cast<uint32_t>(base));
    dev.write32(reg::RING_SIZE_AT(r), 12);
    dev.write32(reg::RING_CONTROL_AT(r), field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
    wptr[r] = 0;
  }
  void submit(unsigned r, const std::vector<uint32_t>& words) {
    const uint64_t base = dev.read32(reg::RING_BASE_LO_AT(r));
    for (uint32_t w : words) {
      std::memcpy(dev.vram() + base + wptr[r], &w, 4);
      wptr[r] = (wptr[r] + 4) % 4096;
    }
    dev.write32(reg::RING_WPTR_AT(r), wptr[r]);
    REQUIRE(dev.run_until_idle());
  }
  uint64_t fence(uint32_t f) {
    dev.write32(reg::FENCE_SEL, f);
    const uint64_t lo = dev.read32(reg::FENCE_VALUE_LO);
    return lo | (uint64_t{dev.read32(reg::FENCE_VALUE_HI)} << 32);
  }
  void cpu_signal(uint32_t f, uint64_t v) {
    dev.write32(reg::FENCE_WDATA_LO, static_cast<uint32_t>(v));
    dev.write32(reg::FENCE_WDATA_HI, static_cast<uint32_t>(v >> 32));
    dev.write32(reg::FENCE_SIGNAL, f);
  }
  static std::vector<uint32_t> signal(uint32_t f, uint64_t v, Op op = Op::SIGNAL) {
    return {hdr(op, f), static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
  }
};

}  // namespace

TEST_CASE("Functional device: malformed commands halt the ring at the command, RESET recovers", "[functional]") {
  Bare b;
  b.ring(0, 0x10000);
  b.ring(1, 0x20000);
  const uint64_t end = b.dev.vram_size();
  using Err = hw::RingError;
  struct Case {
    std::vector<uint32_t> cmd;
    Err error;
  };
  const std::vector<Case> cases = {
      {{0xEE000000u}, Err::BAD_OPCODE},
      {Bare::signal(64, 1), Err::BAD_FENCE},
      {Bare::signal(1000, 1, Op::WAIT), Err::BAD_FENCE},
      {{hdr(Op::COPY), 0x400000, 0, 0x400040, 0, 0}, Err::BAD_LENGTH},
      {{hdr(Op::FILL), 0x400000, 0, 6, 1}, Err::BAD_LENGTH},
      {{hdr(Op::COPY), 0x400002, 0, 0x400040, 0, 8}, Err::BAD_ALIGN},
      {{hdr(Op::TIMESTAMP), 0x400004, 0}, Err::BAD_ALIGN},
      {{hdr(Op::FILL), static_cast<uint32_t>(end - 8), 0, 12, 1}, Err::BAD_ADDRESS},
      {{hdr(Op::COPY), 0x400000, 0, 0, 1, 4}, Err::BAD_ADDRESS},
      {{hdr(Op::TIMESTAMP), static_cast<uint32_t>(end), 0}, Err::BAD_ADDRESS},
  };
  uint64_t n = 0;
  for (const Case& c : cases) {
    INFO("command 0x" << std::hex << c.cmd[0]);
    ++n;
    const uint32_t at = b.wptr[0];
    b.submit(0, Bare::signal(20, n));
    b.submit(0, c.cmd);
    b.submit(0, Bare::signal(21, n));
    const uint32_t status = b.dev.read32(reg::RING_STATUS_AT(0));
    CHECK(field::RING_STATUS_STATE.get(status) == st(hw::RingState::HALTED));
    CHECK(field::RING_STATUS_ERROR.get(status) == static_cast<uint32_t>(c.error));
    CHECK(field::RING_STATUS_ERROR_OPCODE.get(status) == c.cmd[0] >> 24);
    CHECK(b.dev.read32(reg::RING_RPTR_AT(0)) == at + 12);
    CHECK(b.fence(20) == n);
    CHECK(b.fence(21) != n);
    CHECK(field::IRQ_STATUS_RING_ERROR.get(b.dev.read32(reg::IRQ_STATUS)) == 1);
    b.dev.write32(reg::IRQ_STATUS, field::IRQ_STATUS_RING_ERROR.mask());
    b.submit(1, Bare::signal(22, n));  // the other ring goes on
    CHECK(b.fence(22) == n);
    b.ring(0, 0x10000);
    CHECK(ring_state(b.dev, 0) == st(hw::RingState::IDLE));
  }
  // Bad pointers and placements.
  b.dev.write32(reg::RING_WPTR_AT(0), 6);
  CHECK(field::RING_STATUS_ERROR.get(b.dev.read32(reg::RING_STATUS_AT(0))) == static_cast<uint32_t>(Err::BAD_POINTER));
  b.dev.write32(reg::RING_CONTROL_AT(1), field::RING_CONTROL_RESET.put(1));
  b.dev.write32(reg::RING_SIZE_AT(1), 25);
  b.dev.write32(reg::RING_CONTROL_AT(1), field::RING_CONTROL_ENABLE.put(1));
  CHECK(field::RING_STATUS_ERROR.get(b.dev.read32(reg::RING_STATUS_AT(1))) == static_cast<uint32_t>(Err::BAD_RING));
}

TEST_CASE("Functional device: WAIT, write-back before the record, coalescing, overflow", "[functional]") {
  Bare b;
  std::vector<std::pair<uint32_t, uint64_t>> records;
  b.dev.set_interrupt_handler([&](uint64_t) {
    const uint32_t status = b.dev.read32(reg::IRQ_STATUS);
    for (;;) {
      const uint32_t info = b.dev.read32(reg::IRQ_REC_INFO);
      if (!field::IRQ_REC_INFO_VALID.get(info)) break;
      const uint32_t f = field::IRQ_REC_INFO_FENCE.get(info);
      const uint64_t v = b.dev.read32(reg::IRQ_REC_VALUE_LO) | (uint64_t{b.dev.read32(reg::IRQ_REC_VALUE_HI)} << 32);
      // Written back before the record was queued.
      uint64_t page;
      std::memcpy(&page, b.dev.vram() + 0x100000 + f * 4096, 8);
      CHECK(page >= v);
      records.emplace_back(f, v);
      b.dev.write32(reg::IRQ_REC_POP, 1);
    }
    b.dev.write32(reg::IRQ_STATUS, status & ~field::IRQ_STATUS_FENCE.mask());
  });
  b.dev.write32(reg::FENCE_WB_BASE_LO, 0x100000);
  b.dev.write32(reg::FENCE_WB_CONTROL, 1);
  b.dev.write32(reg::IRQ_ENABLE, 0x7);
  b.ring(0, 0x10000);
  b.ring(1, 0x20000);
  // A WAIT stalls ring 0 only.
  b.submit(0, Bare::signal(1, 5, Op::WAIT));
  b.submit(0, Bare::signal(2, 1));
  b.submit(1, Bare::signal(3, 1));
  CHECK(ring_state(b.dev, 0) == st(hw::RingState::WAITING));
  CHECK(b.dev.read32(reg::RING_WAIT_FENCE_AT(0)) == 1);
  CHECK(b.fence(2) == 0);
  CHECK(b.fence(3) == 1);
  b.submit(1, Bare::signal(1, 5));
  CHECK(b.fence(2) == 1);
  CHECK(ring_state(b.dev, 0) == st(hw::RingState::IDLE));
  CHECK(records == std::vector<std::pair<uint32_t, uint64_t>>{{3, 1}, {1, 5}, {2, 1}});
  // Coalescing: four records per interrupt, a critical fence at once, a time limit when idle.
  records.clear();
  b.dev.write32(reg::IRQ_COALESCE, field::IRQ_COALESCE_COUNT.put(4));
  b.submit(0, Bare::signal(4, 1) + Bare::signal(4, 2) + Bare::signal(4, 3));
  CHECK(records.empty());
  CHECK(field::IRQ_STATUS_FENCE.get(b.dev.read32(reg::IRQ_STATUS)) == 0);
  b.submit(0, Bare::signal(4, 4));
  CHECK(records.size() == 4);
  b.dev.write32(reg::FENCE_CRITICAL, field::FENCE_CRITICAL_INDEX.put(5) | field::FENCE_CRITICAL_SET.put(1));
  b.submit(0, Bare::signal(5, 1));
  CHECK(records.size() == 5);
  b.dev.write32(reg::IRQ_COALESCE, field::IRQ_COALESCE_COUNT.put(8) | field::IRQ_COALESCE_TIME.put(500));
  const uint64_t before = b.dev.now_ps();
  b.submit(0, Bare::signal(4, 5));
  CHECK(records.size() == 6);
  CHECK(b.dev.now_ps() - before >= 500 * 1000);  // hbm2: 1 ns a cycle
  // A full FIFO drops records and flags it; the values and pages are all there.
  b.dev.write32(reg::IRQ_COALESCE, 0);
  b.dev.write32(reg::IRQ_ENABLE, 0);
  for (uint32_t k = 0; k < 20; ++k) b.cpu_signal(10 + k, 1000 + k);
  CHECK(field::IRQ_STATUS_OVERFLOW.get(b.dev.read32(reg::IRQ_STATUS)) == 1);
  records.clear();
  b.dev.write32(reg::IRQ_ENABLE, 0x7);
  REQUIRE(b.dev.run_until_idle());
  CHECK(records.size() == 16);
  for (uint32_t k = 0; k < 20; ++k) {
    uint64_t page;
    std::memcpy(&page, b.dev.vram() + 0x100000 + (10 + k) * 4096, 8);
    CHECK(page == 1000 + k);
    CHECK(b.fence(10 + k) == 1000 + k);
  }
}

TEST_CASE("Functional device: identity, capabilities, host VRAM access, configuration checks", "[functional]") {
  Bare b;
  FunctionalDevice& d = b.dev;
  CHECK(d.read32(reg::ID) == hw::kIdMagic);
  CHECK(d.read32(reg::VERSION) == hw::kVersion);
  const uint32_t caps = d.read32(reg::CAPS);
  CHECK(field::CAPS_NUM_FENCES.get(caps) == 64);
  CHECK(field::CAPS_IRQ_FIFO_DEPTH.get(caps) == 16);
  CHECK(field::CAPS_NUM_RINGS.get(caps) == 2);
  const uint32_t mem = d.read32(reg::MEM_CAPS);
  CHECK(field::MEM_CAPS_VRAM_LOG2.get(mem) == 24);
  CHECK(field::MEM_CAPS_CHANNELS.get(mem) == 8);
  CHECK(field::MEM_CAPS_LINE_LOG2.get(mem) == 6);
  CHECK(field::MEM_CAPS_PRESET.get(mem) == static_cast<uint32_t>(hw::DramPreset::HBM2));
  CHECK(d.read32(reg::DRAM_TIMING_AT(0)) == 14);  // CL of hbm2
  d.write32(reg::DRAM_TIMING_AT(0), 0x12345);
  CHECK(d.read32(reg::DRAM_TIMING_AT(0)) == 0x2345);
  CHECK(field::STATUS_INIT.get(d.read32(reg::STATUS)) == 1);  // the fence table clears after reset
  REQUIRE(d.run_until_idle());
  CHECK(field::STATUS_INIT.get(d.read32(reg::STATUS)) == 0);
  CHECK(ring_state(d, 0) == st(hw::RingState::DISABLED));
  CHECK(d.read32(reg::RING_STATUS_AT(5)) == 0);  // an absent ring
  d.write32(reg::VRAM_ADDR_LO, 0x400000 + 60);
  for (uint32_t k = 0; k < 4; ++k) d.write32(reg::VRAM_WDATA, 0xC0DE0000 + k);
  d.write32(reg::VRAM_ADDR_LO, 0x400000 + 64);
  CHECK(d.read32(reg::VRAM_RDATA) == 0xC0DE0001);
  CHECK(d.read32(reg::VRAM_ADDR_LO) == 0x400000 + 68);
  d.write32(reg::VRAM_ADDR_LO, 0xFFFFFFFC);
  d.write32(reg::VRAM_ADDR_HI, 0x10);
  CHECK(d.read32(reg::VRAM_RDATA) == 0);
  d.write32(reg::VRAM_WDATA, 1);
  CHECK(d.read32(reg::HOST_ERRORS) == 2);
  // A signal outside the table is counted, not taken.
  d.write32(reg::FENCE_SIGNAL, 64);
  CHECK(d.read32(reg::FENCE_ERRORS) == 1);
  CHECK(d.read32(reg::FENCE_SIGNALS) == 0);

  FunctionalDevice::Config c;
  c.vram_size = 3 << 20;
  CHECK_THROWS_AS(FunctionalDevice(c), std::invalid_argument);
  c = {};
  c.num_fences = 0;
  CHECK_THROWS_AS(FunctionalDevice(c), std::invalid_argument);
  c = {};
  c.num_rings = 9;
  CHECK_THROWS_AS(FunctionalDevice(c), std::invalid_argument);
  c = {};
  c.preset = "ddr9";
  CHECK_THROWS_AS(FunctionalDevice(c), std::invalid_argument);
}
