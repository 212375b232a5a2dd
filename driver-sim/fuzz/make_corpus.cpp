// Writes the seed corpus of fuzz_kernel: request sequences that reach deep
// into each entry point (handles are predictable there: 0x40000040, +0x40...).
// Usage: fuzz_make_corpus DIR
#include "kmtsim/allocation.h"
#include "kmtsim/escape.h"
#include "kmtsim/hw/regs.h"
#include "kmtsim/wire/messages.h"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace kmtsim::wire;

namespace {

constexpr uint32_t H(int n) { return 0x4000'0000u | (static_cast<uint32_t>(n) << 6); }

// Commands (docs/registers.md, cp_opcode).
using kmtsim::hw::CpOpcode;
uint32_t hdr(CpOpcode op, uint32_t low = 0) { return (uint32_t{static_cast<uint8_t>(op)} << 24) | low; }
std::vector<uint32_t> nop(uint32_t skip) {
  std::vector<uint32_t> w(1 + skip, 0xDEADBEEF);
  w[0] = hdr(CpOpcode::NOP, skip);
  return w;
}
std::vector<uint32_t> fill(uint64_t dst, uint32_t bytes, uint32_t pattern) {
  return {hdr(CpOpcode::FILL), static_cast<uint32_t>(dst), static_cast<uint32_t>(dst >> 32), bytes, pattern};
}
std::vector<uint32_t> copy(uint64_t dst, uint64_t src, uint32_t bytes) {
  return {hdr(CpOpcode::COPY),         static_cast<uint32_t>(dst), static_cast<uint32_t>(dst >> 32),
          static_cast<uint32_t>(src), static_cast<uint32_t>(src >> 32), bytes};
}
std::vector<uint32_t> timestamp(uint64_t dst) {
  return {hdr(CpOpcode::TIMESTAMP), static_cast<uint32_t>(dst), static_cast<uint32_t>(dst >> 32)};
}
std::vector<uint32_t> operator+(std::vector<uint32_t> a, const std::vector<uint32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
template <typename T>
std::vector<uint8_t> bytes_of(const T& v) {
  std::vector<uint8_t> b(sizeof(v));
  std::memcpy(b.data(), &v, sizeof(v));
  return b;
}

class Seq {
 public:
  template <typename Req>
  Seq& add(Op op, const Req& req, uint8_t fds = 0) {
    Writer w;
    Header h;
    h.op = static_cast<uint16_t>(op);
    h.seq = ++seq_;
    w(h, req);
    std::vector<uint8_t> b;
    for (std::byte x : w.bytes()) b.push_back(static_cast<uint8_t>(x));
    return packet(fds, b);
  }
  // What the process writes at `offset` into the allocation it locked last.
  Seq& write(uint32_t offset, const std::vector<uint32_t>& words) {
    std::vector<uint8_t> b(4 + 4 * words.size());
    std::memcpy(b.data(), &offset, 4);
    if (!words.empty()) std::memcpy(b.data() + 4, words.data(), 4 * words.size());
    return packet(8, b);
  }
  // Adapter (handle 1) and device (handle 2).
  Seq& device() {
    add(Op::EnumAdapters2, EnumAdapters2Req{4, 0});
    return add(Op::CreateDevice, CreateDeviceReq{H(1), 0});
  }
  void write(const std::string& path) const {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes_.data()), static_cast<std::streamsize>(bytes_.size()));
  }

 private:
  Seq& packet(uint8_t fds, const std::vector<uint8_t>& b) {
    if (b.size() > 0xFFFF) fds |= 16;  // a third length byte
    bytes_.push_back(fds);
    bytes_.push_back(static_cast<uint8_t>(b.size()));
    bytes_.push_back(static_cast<uint8_t>(b.size() >> 8));
    if (fds & 16) bytes_.push_back(static_cast<uint8_t>(b.size() >> 16));
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  std::vector<uint8_t> bytes_;
  uint32_t seq_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: fuzz_make_corpus DIR\n", stderr);
    return 2;
  }
  const std::string dir = argv[1];
  // Fences: create (3), share, open (4), signal, wait, GPU signal and wait (context 5).
  Seq().device()
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 5, 3, {5, 0}})
      .add(Op::ShareObjects, ShareObjectsReq{{H(3)}, 0, 0, 0, {}, 0x10000000})
      .add(Op::OpenSyncObjectFromNtHandle2, OpenSyncObjectFromNtHandle2Req{H(2), 0, 0, 0}, 2)
      .add(Op::SignalFromCpu, SignalFromCpuReq{H(2), {H(3)}, {7}, 0})
      .add(Op::WaitFromCpu, WaitFromCpuReq{H(2), {H(4)}, {9}, 0, 1}, 1)
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::SignalFromGpu, SignalFromGpuReq{H(5), {H(3)}, {9}})
      .add(Op::WaitFromGpu, WaitFromGpuReq{H(5), {H(4)}, {20}})
      .add(Op::SignalFromGpu, SignalFromGpuReq{H(5), {H(4)}, {21}})
      .add(Op::SignalFromCpu, SignalFromCpuReq{H(2), {H(3)}, {20}, 0})
      .add(Op::DestroySyncObject, HandleReq{H(3)})
      .write(dir + "/fences.bin");
  // Names and the legacy global handle of a Shared mutex.
  std::vector<uint32_t> name;
  for (char c : std::string("\\BaseNamedObjects\\kmtsim")) name.push_back(static_cast<uint32_t>(c));
  Seq().device()
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 1, 3, {0}})
      .add(Op::ShareObjects, ShareObjectsReq{{H(3)}, 0, 1, 0x80, name, 0x00020000})
      .add(Op::OpenNtHandleFromName, OpenByNameReq{0x00020000, 0, 0, name, 1})
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 1, 1, {0}})
      .add(Op::OpenSyncObject, GlobalReq{0x4000'0042u})
      .add(Op::CreateSyncObject, CreateSyncObject2Req{H(2), 2, 0, {4, 1}, 1})
      .write(dir + "/names.bin");
  // Keyed mutexes: create (3), acquire, release to key 1, acquire key 1 (pends), abandon.
  Seq()
      .add(Op::CreateKeyedMutex, CreateKeyedMutexReq{0, 0, {1, 2, 3}, 1})
      .add(Op::OpenKeyedMutex, OpenKeyedMutexReq{0x4000'0042u, 0, 1, 8, 1})
      .add(Op::AcquireKeyedMutex, AcquireKeyedMutexReq{H(1), 0, 0, 8}, 1)
      .add(Op::AcquireKeyedMutex, AcquireKeyedMutexReq{H(2), 5, 0, 0}, 1)
      .add(Op::ReleaseKeyedMutex, ReleaseKeyedMutexReq{H(1), 5, 50, 1, {9}})
      .add(Op::AcquireKeyedMutexFinish, AcquireFinishReq{1, 0, 4})
      .add(Op::AcquireKeyedMutex, AcquireKeyedMutexReq{H(1), 7, 0, 0}, 1)
      .add(Op::DestroyKeyedMutex, HandleReq{H(2)})
      .write(dir + "/keyed_mutex.bin");
  // Resources: a shared video-memory resource (3, allocation 4), its triple
  // with a mutex (5) and a fence (6), opened back and locked.
  KMTSIM_ALLOCATION_DESC desc{KMTSIM_ALLOCATION_MAGIC, KMTSIM_ALLOCATION_VERSION, 8192, KMTSIM_ALLOCATION_CPU_VISIBLE, 0};
  std::vector<uint8_t> d(sizeof(desc));
  std::memcpy(d.data(), &desc, sizeof(desc));
  CreateAllocationReq video{H(2), 0, 0x1 | 0x2 | 0x40, 0, 0, 0, 0, {1, 2}, {}, {AllocationInfoIn{0, d, 0, 0}}};
  Seq().device()
      .add(Op::CreateAllocation, video)
      .add(Op::CreateKeyedMutex, CreateKeyedMutexReq{0, 1, {}, 1})
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 5, 3, {0, 0}})
      .add(Op::ShareObjects, ShareObjectsReq{{H(3), H(5), H(6)}, 0, 0, 0, {}, 0x10000000})
      .add(Op::QueryResourceInfo, QueryResourceReq{H(2), 0, 1}, 2)
      .add(Op::OpenResource, OpenResourceReq{H(2), 0, 1, 1, 2, 0, 4096, {}}, 2)
      .add(Op::Lock2, LockReq{H(2), H(4), 0})
      .add(Op::Unlock2, LockReq{H(2), H(4), 0})
      .add(Op::DestroyAllocation, DestroyAllocationReq{H(2), H(3), {}, 0})
      .write(dir + "/resources.bin");
  // A standard allocation over (pretend) memory of the process.
  CreateAllocationReq standard{H(2), 0, 0x1 | 0x2 | 0x20 | 0x10000, 1, 1, 0x10000, 0, {}, {}, {AllocationInfoIn{0x7f0000000000, {}, 0, 0}}};
  Seq().device()
      .add(Op::CreateAllocation, standard)
      .add(Op::QueryResourceInfo, QueryResourceReq{H(2), 0x4000'0042u, 0})
      .add(Op::OpenResource, OpenResourceReq{H(2), 0x4000'0042u, 0, 1, 0, 0, 4096, {}})
      .write(dir + "/standard.bin");
  // The broadcast signal with a CPU event, and an escape.
  KMTSIM_ESCAPE_DEVICE_INFO_DATA info{};
  info.Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_DEVICE_INFO};
  std::vector<uint8_t> e(sizeof(info));
  std::memcpy(e.data(), &info, sizeof(info));
  Seq().device()
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::SignalFromGpu2, SignalFromGpu2Req{{}, 0x2, {H(3)}, {}}, 1)
      .add(Op::Escape, EscapeReq{H(1), 0, 0, 0, 0, e})
      .add(Op::Hello, HelloReq{})
      .write(dir + "/gpu_and_escape.bin");
  // Command buffers: a CPU-visible video-memory allocation (3) at the first
  // free VRAM of the fuzzer's device (after the fence pages and the two
  // rings), locked and written, then submitted to a context (4): NOP, FILL,
  // COPY and TIMESTAMP, a GPU signal after them (fence 5), a second context
  // (6) that waits for the fence and its own work, then malformed buffers.
  constexpr uint64_t va = 0x160000;
  KMTSIM_ALLOCATION_DESC cb_desc{KMTSIM_ALLOCATION_MAGIC, KMTSIM_ALLOCATION_VERSION, 65536, KMTSIM_ALLOCATION_CPU_VISIBLE, 0};
  CreateAllocationReq cb{H(2), 0, 0, 0, 0, 0, 0, {}, {}, {AllocationInfoIn{0, bytes_of(cb_desc), 0, 0}}};
  const auto good = nop(2) + fill(va + 0x1000, 256, 0xA5A5A5A5) + copy(va + 0x2000, va + 0x1000, 256) +
                    timestamp(va + 0x3000) + nop(0);
  const uint32_t good_len = static_cast<uint32_t>(4 * good.size());
  const std::vector<std::vector<uint32_t>> bad = {
      {0xEE000000u},                          // unknown opcode
      {hdr(CpOpcode::SIGNAL, 0), 1, 0},       // SIGNAL: only through the sync-object calls
      {hdr(CpOpcode::WAIT, 0), 1, 0},         // WAIT: likewise
      fill(va + 0x1000, 6, 1),                // length not a multiple of 4
      fill(va + 0x1000, 0, 1),                // zero length
      fill(va + 0x1002, 8, 1),                // unaligned
      fill(va + 0xFFFC, 8, 1),                // past the allocation's end
      fill(0x140000, 64, 1),                  // a ring's buffer: not the caller's
      copy(va + 0x2000, 0x100000, 8),         // from the fence pages
      copy(va + 0x2000, va + 0x1001, 8),      // unaligned source
      timestamp(va + 0x3004),                 // TIMESTAMP needs 8-byte alignment
      timestamp(0x7FFF'FFFF'FFF8ull),         // far outside VRAM
      nop(1025),                              // padding beyond what a ring takes
      {hdr(CpOpcode::COPY), 0, 0},            // cut short
  };
  Seq sub;
  sub.device()
      .add(Op::CreateAllocation, cb)
      .add(Op::Lock2, LockReq{H(2), H(3), 0})
      .write(0, good)
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::SubmitCommand, SubmitCommandReq{va, good_len, 0, {H(4)}, {}})
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 5, 0, {0, 0}})
      .add(Op::SignalFromGpu, SignalFromGpuReq{H(4), {H(5)}, {1}})
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::WaitFromGpu, WaitFromGpuReq{H(6), {H(5)}, {2}})
      .add(Op::SubmitCommand, SubmitCommandReq{va, good_len, 0, {H(6), H(4)}, {}})
      .add(Op::SignalFromCpu, SignalFromCpuReq{H(2), {H(5)}, {2}, 0})
      .add(Op::SubmitCommand, SubmitCommandReq{va + 0x10000 - 8, 16, 0, {H(4)}, {}})  // buffer past the allocation
      .add(Op::SubmitCommand, SubmitCommandReq{va, 6, 0, {H(4)}, {}})                 // length not whole words
      .add(Op::SubmitCommand, SubmitCommandReq{va + 2, 4, 0, {H(4)}, {}});            // unaligned buffer
  uint32_t at = 0x8000;
  for (const auto& b : bad) {
    sub.write(at, b).add(Op::SubmitCommand, SubmitCommandReq{va + at, static_cast<uint32_t>(4 * b.size()), 0, {H(4)}, {}});
    at += 0x100;
  }
  sub.add(Op::SubmitCommand, SubmitCommandReq{va, good_len, 0, {H(4)}, {}})
      .add(Op::DestroyAllocation, DestroyAllocationReq{H(2), 0, {H(3)}, 0})  // while its commands may be queued
      .add(Op::SubmitCommand, SubmitCommandReq{va, good_len, 0, {H(4)}, {}})
      .write(dir + "/submit_command.bin");
  // More contexts than rings: two contexts (4, 5) stall both rings on WAITs
  // of fence 3, a third (6) needs a ring (a WAITING one is preempted), then
  // a broadcast signal over all three (join fences) of fence 7.
  Seq().device()
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 5, 0, {0, 0}})
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::WaitFromGpu, WaitFromGpuReq{H(4), {H(3)}, {1}})
      .add(Op::SignalFromGpu, SignalFromGpuReq{H(4), {H(3)}, {5}})
      .add(Op::WaitFromGpu, WaitFromGpuReq{H(5), {H(3)}, {2}})
      .add(Op::SignalFromGpu, SignalFromGpuReq{H(6), {H(3)}, {1}})
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 5, 0, {0, 0}})
      .add(Op::SignalFromGpu2, SignalFromGpu2Req{{H(7)}, 0, {H(4), H(5), H(6)}, {9}})
      .add(Op::SignalFromCpu, SignalFromCpuReq{H(2), {H(3)}, {2}, 0})
      .add(Op::WaitFromCpu, WaitFromCpuReq{H(2), {H(7)}, {9}, 0, 1}, 1)
      .add(Op::DestroyContext, HandleReq{H(5)})
      .write(dir + "/preempt.bin");
  // Two contexts (4, 5) stall both rings on a value nothing signals and are
  // destroyed; a third (7) needs a ring.
  Seq().device()
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 5, 0, {0, 0}})
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::WaitFromGpu, WaitFromGpuReq{H(4), {H(3)}, {100}})
      .add(Op::WaitFromGpu, WaitFromGpuReq{H(5), {H(3)}, {100}})
      .add(Op::DestroyContext, HandleReq{H(4)})
      .add(Op::DestroyContext, HandleReq{H(5)})
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 5, 0, {0, 0}})
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::SignalFromGpu, SignalFromGpuReq{H(7), {H(6)}, {1}})
      .write(dir + "/orphaned_rings.bin");
  // Device escapes: a fence marked latency-critical, signalled by the CPU and
  // a ring, then its hops asked for with the fixed part alone (a whole
  // KMTSIM_ESCAPE_FENCE_HOPS_DATA is over 100 KiB: as a seed it would raise
  // libFuzzer's input limit to that and cut its speed by three or four; the
  // third length byte, bit 16, lets the fuzzer build one all the same).
  KMTSIM_ESCAPE_FENCE_CRITICAL_DATA crit{{KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_FENCE_CRITICAL}, H(3), 1};
  KMTSIM_ESCAPE_FENCE_HOPS_DATA* hops = new KMTSIM_ESCAPE_FENCE_HOPS_DATA{};
  hops->Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_FENCE_HOPS};
  hops->hSyncObject = H(3);
  hops->MaxCount = 16;
  std::vector<uint8_t> hop_bytes(offsetof(KMTSIM_ESCAPE_FENCE_HOPS_DATA, Hops));
  std::memcpy(hop_bytes.data(), hops, hop_bytes.size());
  delete hops;
  Seq().device()
      .add(Op::CreateSyncObject2, CreateSyncObject2Req{H(2), 5, 0, {0, 0}})
      .add(Op::Escape, EscapeReq{H(1), 0, 0, 0, 0, bytes_of(crit)})
      .add(Op::SignalFromCpu, SignalFromCpuReq{H(2), {H(3)}, {3}, 0})
      .add(Op::CreateContextVirtual, CreateContextVirtualReq{H(2), 0, 0, 0, 0, {}})
      .add(Op::SignalFromGpu, SignalFromGpuReq{H(4), {H(3)}, {4}})
      .add(Op::Escape, EscapeReq{H(1), 0, 0, 0, 0, hop_bytes})
      .write(dir + "/escapes.bin");
  return 0;
}
