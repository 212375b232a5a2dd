// Writes the seed corpus of fuzz_kernel: request sequences that reach deep
// into each entry point (handles are predictable there: 0x40000040, +0x40...).
// Usage: fuzz_make_corpus DIR
#include "kmtsim/allocation.h"
#include "kmtsim/escape.h"
#include "kmtsim/wire/messages.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace kmtsim::wire;

namespace {

constexpr uint32_t H(int n) { return 0x4000'0000u | (static_cast<uint32_t>(n) << 6); }

class Seq {
 public:
  template <typename Req>
  Seq& add(Op op, const Req& req, uint8_t fds = 0) {
    Writer w;
    Header h;
    h.op = static_cast<uint16_t>(op);
    h.seq = ++seq_;
    w(h, req);
    const auto& b = w.bytes();
    bytes_.push_back(fds);
    bytes_.push_back(static_cast<uint8_t>(b.size()));
    bytes_.push_back(static_cast<uint8_t>(b.size() >> 8));
    for (std::byte x : b) bytes_.push_back(static_cast<uint8_t>(x));
    return *this;
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
  return 0;
}
