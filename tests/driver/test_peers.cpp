// Many real processes on one kmtsimd: 32 peers following one fence, a
// randomised stress of signals and waits across processes, and processes
// killed with SIGKILL while they use every kind of object.
#define CATCH_CONFIG_MAIN
#include "driver_fixture.h"
#include "kmtsim/allocation.h"
#include "kmtsim/escape.h"
#include "../support/seed.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <random>
#include <thread>
#include <vector>

using namespace kmtsim::test;

namespace {

// A device of the calling process (a forked child has none of its parent's).
struct Own {
  D3DKMT_HANDLE adapter = 0, device = 0;
  bool ok = false;
  Own() {
    D3DKMT_ADAPTERINFO info[1] = {};
    D3DKMT_ENUMADAPTERS2 e{1, info};
    if (D3DKMTEnumAdapters2(&e) != STATUS_SUCCESS) return;
    adapter = info[0].hAdapter;
    D3DKMT_CREATEDEVICE cd{};
    cd.hAdapter = adapter;
    ok = D3DKMTCreateDevice(&cd) == STATUS_SUCCESS;
    device = cd.hDevice;
  }
  D3DKMT_HANDLE open(HANDLE nt, const volatile UINT64** value = nullptr) {
    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o{};
    o.hNtHandle = nt;
    o.hDevice = device;
    if (D3DKMTOpenSyncObjectFromNtHandle2(&o) != STATUS_SUCCESS) return 0;
    if (value != nullptr) *value = static_cast<const volatile UINT64*>(o.MonitoredFence.FenceValueCPUVirtualAddress);
    return o.hSyncObject;
  }
};

template <typename F>
pid_t spawn(F&& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

int reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Waits (a bounded while) for the daemon to have noticed that processes went.
KMTSIM_ESCAPE_DEVICE_INFO_DATA settled(D3DKMT_HANDLE adapter, UINT processes) {
  KMTSIM_ESCAPE_DEVICE_INFO_DATA d{};
  for (int k = 0; k < 400; ++k) {
    d = device_info(adapter);
    if (d.Processes == processes) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return d;
}

}  // namespace

TEST_CASE("32 peer processes each see every value of a shared fence in order", "[driver][cosim][peers]") {
  Device d;
  constexpr int kPeers = 32;
  constexpr UINT64 kRounds = 40;
  const D3DKMT_HANDLE fence = d.fence(0);
  HANDLE nt = nullptr;
  REQUIRE(d.share(fence, &nt) == STATUS_SUCCESS);
  std::vector<D3DKMT_HANDLE> acks;
  std::vector<HANDLE> ack_nt;
  for (int k = 0; k < kPeers; ++k) {
    acks.push_back(d.fence(0));
    ack_nt.push_back(nullptr);
    REQUIRE(d.share(acks.back(), &ack_nt.back()) == STATUS_SUCCESS);
  }
  std::vector<pid_t> peers;
  for (int k = 0; k < kPeers; ++k) {
    peers.push_back(spawn([&, k] {
      // The NT handles came across fork, as inherited handles do.
      Own own;
      const volatile UINT64* seen = nullptr;
      const D3DKMT_HANDLE f = own.open(nt, &seen);
      const D3DKMT_HANDLE ack = own.open(ack_nt[k]);
      if (!own.ok || f == 0 || ack == 0) return 1;
      UINT64 last = 0;
      for (UINT64 i = 1; i <= kRounds; ++i) {
        D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
        w.hDevice = own.device;
        w.ObjectCount = 1;
        w.ObjectHandleArray = &f;
        w.FenceValueArray = &i;
        if (D3DKMTWaitForSynchronizationObjectFromCpu(&w) != STATUS_SUCCESS) return 2;
        const UINT64 v = *seen;
        if (v != i || v < last) return 3;  // in order, nothing skipped, never backwards
        last = v;
        D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU s{};
        s.hDevice = own.device;
        s.ObjectCount = 1;
        s.ObjectHandleArray = &ack;
        s.FenceValueArray = &i;
        if (D3DKMTSignalSynchronizationObjectFromCpu(&s) != STATUS_SUCCESS) return 4;
      }
      return 0;
    }));
  }
  const D3DKMT_HANDLE ctx = d.context();
  for (UINT64 i = 1; i <= kRounds; ++i) {
    REQUIRE(d.signal_gpu(ctx, fence, i) == STATUS_SUCCESS);
    std::vector<UINT64> values(kPeers, i);
    D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU all{};
    all.hDevice = d.device;
    all.ObjectCount = kPeers;
    all.ObjectHandleArray = acks.data();
    all.FenceValueArray = values.data();
    REQUIRE(D3DKMTWaitForSynchronizationObjectFromCpu(&all) == STATUS_SUCCESS);
  }
  for (pid_t p : peers) CHECK(reap(p) == 0);
  const auto state = settled(d.adapter, 1);
  CHECK(state.Processes == 1);
  CHECK(state.CpuWaiters == 0);
}

TEST_CASE("Random signals and waits across processes lose no wake and wake nobody early", "[driver][cosim][stress][random]") {
  Device d;
  constexpr int kFences = 4;
  constexpr int kProcesses = 6;
  constexpr UINT64 kFinal = 1'000'000;
  const uint64_t seed = test_seed("peer stress");
  std::vector<D3DKMT_HANDLE> fences;
  std::vector<HANDLE> nts;
  for (int k = 0; k < kFences; ++k) {
    fences.push_back(d.fence(0));
    nts.push_back(nullptr);
    REQUIRE(d.share(fences.back(), &nts.back()) == STATUS_SUCCESS);
  }
  int go[2];
  REQUIRE(::pipe(go) == 0);
  std::vector<pid_t> children;
  for (int c = 0; c < kProcesses; ++c) {
    children.push_back(spawn([&, c] {
      ::close(go[1]);
      Own own;
      if (!own.ok) return 1;
      std::vector<D3DKMT_HANDLE> mine;
      std::vector<const volatile UINT64*> values;
      for (HANDLE nt : nts) {
        const volatile UINT64* v = nullptr;
        mine.push_back(own.open(nt, &v));
        values.push_back(v);
        if (mine.back() == 0) return 2;
      }
      D3DKMT_CREATECONTEXTVIRTUAL ctx{};
      ctx.hDevice = own.device;
      if (D3DKMTCreateContextVirtual(&ctx) != STATUS_SUCCESS) return 3;
      std::atomic<int> failure{0};
      std::vector<std::thread> threads;
      // Waiters: each returned wait must have its value (no early wake);
      // every wait must return once the parent signals kFinal (no lost wake).
      for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
          std::mt19937_64 rng(seed * 131 + static_cast<uint64_t>(c * 7 + t));
          for (int k = 0; k < 40; ++k) {
            const size_t f = rng() % kFences;
            UINT64 target = 1 + rng() % kFinal;
            D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
            w.hDevice = own.device;
            w.ObjectCount = 1;
            w.ObjectHandleArray = &mine[f];
            w.FenceValueArray = &target;
            if (D3DKMTWaitForSynchronizationObjectFromCpu(&w) != STATUS_SUCCESS) failure = 10;
            if (*values[f] < target) failure = 11;
          }
        });
      }
      // A signaller: GPU signals never lower a fence.
      threads.emplace_back([&] {
        std::mt19937_64 rng(seed * 977 + static_cast<uint64_t>(c));
        for (int k = 0; k < 60; ++k) {
          const size_t f = rng() % kFences;
          UINT64 v = rng() % kFinal;
          D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU s{};
          s.hContext = ctx.hContext;
          s.ObjectCount = 1;
          s.ObjectHandleArray = &mine[f];
          s.MonitoredFenceValueArray = &v;
          if (D3DKMTSignalSynchronizationObjectFromGpu(&s) != STATUS_SUCCESS) failure = 20;
        }
      });
      // A reader: the values it sees never go backwards.
      std::atomic<bool> stop{false};
      std::thread reader([&] {
        std::vector<UINT64> last(kFences, 0);
        while (!stop) {
          for (int f = 0; f < kFences; ++f) {
            const UINT64 v = *values[f];
            if (v < last[f]) failure = 30;
            last[f] = v;
          }
        }
      });
      for (auto& th : threads) th.join();
      stop = true;
      reader.join();
      return failure.load();
    }));
  }
  ::close(go[0]);
  ::close(go[1]);
  // Let them run a while, then release every waiter.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (D3DKMT_HANDLE f : fences) REQUIRE(d.signal(f, kFinal) == STATUS_SUCCESS);
  for (pid_t p : children) CHECK(reap(p) == 0);
  const auto state = settled(d.adapter, 1);
  CHECK(state.CpuWaiters == 0);
}

TEST_CASE("Processes killed while they use every kind of object leave nothing behind", "[driver][cosim][kill]") {
  Device d;
  const auto before = device_info(d.adapter);
  const uint64_t seed = test_seed("kill -9");
  std::mt19937_64 rng(seed);
  const D3DKMT_HANDLE shared_fence = d.fence(0);
  HANDLE nt = nullptr;
  REQUIRE(d.share(shared_fence, &nt) == STATUS_SUCCESS);
  D3DKMT_CREATEKEYEDMUTEX mutex{};
  REQUIRE(D3DKMTCreateKeyedMutex(&mutex) == STATUS_SUCCESS);
  for (int round = 0; round < 12; ++round) {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = spawn([&] {
      Own own;
      if (!own.ok) return 1;
      // Everything at once: fences of its own and shared, NT handles, a
      // keyed mutex held, a locked allocation, waits on both kinds.
      const volatile UINT64* v = nullptr;
      const D3DKMT_HANDLE opened = own.open(nt, &v);
      D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
      c.hDevice = own.device;
      c.Info.Type = D3DDDI_MONITORED_FENCE;
      c.Info.Flags.Shared = c.Info.Flags.NtSecuritySharing = 1;
      if (opened == 0 || D3DKMTCreateSynchronizationObject2(&c) != STATUS_SUCCESS) return 2;
      HANDLE own_nt = nullptr;
      if (D3DKMTShareObjects(1, &c.hSyncObject, nullptr, GENERIC_ALL, &own_nt) != STATUS_SUCCESS) return 3;
      D3DKMT_OPENKEYEDMUTEX om{mutex.hSharedHandle, 0};
      D3DKMTOpenKeyedMutex(&om);
      D3DKMT_ACQUIREKEYEDMUTEX acquire{om.hKeyedMutex, 0, nullptr, 0};
      const bool holds = round % 2 == 0 && D3DKMTAcquireKeyedMutex(&acquire) == STATUS_SUCCESS;
      KMTSIM_ALLOCATION_DESC desc{KMTSIM_ALLOCATION_MAGIC, KMTSIM_ALLOCATION_VERSION, 65536, KMTSIM_ALLOCATION_CPU_VISIBLE, 0};
      D3DDDI_ALLOCATIONINFO2 ai{};
      ai.pPrivateDriverData = &desc;
      ai.PrivateDriverDataSize = sizeof(desc);
      D3DKMT_CREATEALLOCATION ca{};
      ca.hDevice = own.device;
      ca.NumAllocations = 1;
      ca.pAllocationInfo2 = &ai;
      if (D3DKMTCreateAllocation2(&ca) == STATUS_SUCCESS) {
        D3DKMT_LOCK2 lock{own.device, ai.hAllocation, {}, nullptr};
        if (D3DKMTLock2(&lock) == STATUS_SUCCESS) static_cast<char*>(lock.pData)[0] = 1;
      }
      (void)!::write(ready[1], holds ? "h" : "x", 1);
      UINT64 never = UINT64_MAX - 1;
      std::thread other([&] {
        D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
        w.hDevice = own.device;
        w.ObjectCount = 1;
        w.ObjectHandleArray = &c.hSyncObject;
        w.FenceValueArray = &never;
        D3DKMTWaitForSynchronizationObjectFromCpu(&w);
      });
      D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
      w.hDevice = own.device;
      w.ObjectCount = 1;
      w.ObjectHandleArray = &opened;
      w.FenceValueArray = &never;
      D3DKMTWaitForSynchronizationObjectFromCpu(&w);
      other.join();
      return 0;
    });
    char what = 0;
    REQUIRE(::read(ready[0], &what, 1) == 1);
    ::close(ready[0]);
    ::close(ready[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    ::kill(child, SIGKILL);
    CHECK(reap(child) == 128 + SIGKILL);
    if (what == 'h') {
      // It died holding the keyed mutex: abandoned for good. A fresh one for the next round.
      LARGE_INTEGER zero{};
      D3DKMT_ACQUIREKEYEDMUTEX a{mutex.hKeyedMutex, 0, &zero, 0};
      CHECK(D3DKMTAcquireKeyedMutex(&a) == STATUS_ABANDONED);
      D3DKMT_DESTROYKEYEDMUTEX dm{mutex.hKeyedMutex};
      REQUIRE(D3DKMTDestroyKeyedMutex(&dm) == STATUS_SUCCESS);
      mutex = {};
      REQUIRE(D3DKMTCreateKeyedMutex(&mutex) == STATUS_SUCCESS);
    }
  }
  const auto after = settled(d.adapter, before.Processes);
  CHECK(after.Processes == before.Processes);
  CHECK(after.CpuWaiters == before.CpuWaiters);
  CHECK(after.NtHandles == before.NtHandles + 1);  // the shared fence's, still ours
  CHECK(after.SyncObjects == before.SyncObjects + 1);
  CHECK(after.FreeFences == before.FreeFences - 1);
  // And the daemon still serves.
  REQUIRE(d.signal(shared_fence, 5) == STATUS_SUCCESS);
  CHECK(d.wait(shared_fence, 5) == STATUS_SUCCESS);
  ::close(fd_of(nt));
}
