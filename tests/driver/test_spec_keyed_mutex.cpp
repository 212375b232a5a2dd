// Keyed mutexes, one case per rule of spec §7 (and the measured Windows
// behaviour it cites).
#define CATCH_CONFIG_MAIN
#include "driver_fixture.h"

#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <chrono>
#include <ctime>
#include <thread>

using namespace kmtsim::test;

namespace {

LARGE_INTEGER relative_ms(int64_t ms) {
  LARGE_INTEGER t;
  t.QuadPart = -ms * 10000;
  return t;
}

D3DKMT_CREATEKEYEDMUTEX2 create2(UINT64 initial = 0, bool nt = false, void* data = nullptr, UINT size = 0) {
  D3DKMT_CREATEKEYEDMUTEX2 c{};
  c.InitialValue = initial;
  c.hKeyedMutex = c.hSharedHandle = 0x1eadbeed;
  c.Flags.NtSecuritySharing = nt ? 1 : 0;
  c.pPrivateRuntimeData = data;
  c.PrivateRuntimeDataSize = size;
  REQUIRE(D3DKMTCreateKeyedMutex2(&c) == STATUS_SUCCESS);
  return c;
}

NTSTATUS acquire(D3DKMT_HANDLE m, UINT64 key, LARGE_INTEGER* timeout, UINT64* fence = nullptr) {
  D3DKMT_ACQUIREKEYEDMUTEX a{};
  a.hKeyedMutex = m;
  a.Key = key;
  a.pTimeout = timeout;
  a.FenceValue = 0xdeadbeef;
  const NTSTATUS s = D3DKMTAcquireKeyedMutex(&a);
  if (fence != nullptr) *fence = a.FenceValue;
  return s;
}

NTSTATUS release(D3DKMT_HANDLE m, UINT64 key, UINT64 fence) {
  D3DKMT_RELEASEKEYEDMUTEX r{};
  r.hKeyedMutex = m;
  r.Key = key;
  r.FenceValue = fence;
  return D3DKMTReleaseKeyedMutex(&r);
}

NTSTATUS destroy(D3DKMT_HANDLE m) {
  D3DKMT_DESTROYKEYEDMUTEX d{m};
  return D3DKMTDestroyKeyedMutex(&d);
}

}  // namespace

TEST_CASE("CreateKeyedMutex needs no device and returns a local and a global handle", "[driver][mutex]") {
  Daemon daemon;
  CHECK(D3DKMTCreateKeyedMutex(nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_CREATEKEYEDMUTEX c{};
  c.hKeyedMutex = c.hSharedHandle = 0x1eadbeed;
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  CHECK(is_local_handle(c.hKeyedMutex));
  CHECK(is_global_handle(c.hSharedHandle));
  CHECK(destroy(c.hKeyedMutex) == STATUS_SUCCESS);
}

TEST_CASE("OpenKeyedMutex takes a global handle only and the global dies with the last reference", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  D3DKMT_OPENKEYEDMUTEX zero{};
  CHECK(D3DKMTOpenKeyedMutex(&zero) == STATUS_INVALID_PARAMETER);
  D3DKMT_OPENKEYEDMUTEX local{};
  local.hSharedHandle = c.hKeyedMutex;  // a local handle is not a global one
  CHECK(D3DKMTOpenKeyedMutex(&local) == STATUS_INVALID_PARAMETER);
  D3DKMT_OPENKEYEDMUTEX open{c.hSharedHandle, 0x1eadbeed};
  REQUIRE(D3DKMTOpenKeyedMutex(&open) == STATUS_SUCCESS);
  CHECK(open.hKeyedMutex == c.hKeyedMutex + 0x40);
  D3DKMT_DESTROYKEYEDMUTEX zero_destroy{};
  CHECK(D3DKMTDestroyKeyedMutex(&zero_destroy) == STATUS_INVALID_PARAMETER);
  CHECK(destroy(open.hKeyedMutex) == STATUS_SUCCESS);
  CHECK(destroy(open.hKeyedMutex) == STATUS_INVALID_PARAMETER);
  CHECK(destroy(c.hKeyedMutex) == STATUS_SUCCESS);
  D3DKMT_OPENKEYEDMUTEX again{c.hSharedHandle, 0};
  CHECK(D3DKMTOpenKeyedMutex(&again) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("CreateKeyedMutex2 with NtSecuritySharing returns no global handle", "[driver][mutex]") {
  Daemon daemon;
  CHECK(D3DKMTCreateKeyedMutex2(nullptr) == STATUS_INVALID_PARAMETER);
  auto shared = create2(0, true);
  CHECK(is_local_handle(shared.hKeyedMutex));
  CHECK(shared.hSharedHandle == 0);
  auto plain = create2();
  CHECK(is_global_handle(plain.hSharedHandle));
  D3DKMT_CREATEKEYEDMUTEX2 reserved{};
  reserved.Flags.Reserved = 1;
  CHECK(D3DKMTCreateKeyedMutex2(&reserved) == STATUS_INVALID_PARAMETER);
  D3DKMT_CREATEKEYEDMUTEX2 no_buffer{};
  no_buffer.PrivateRuntimeDataSize = 4;
  CHECK(D3DKMTCreateKeyedMutex2(&no_buffer) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("OpenKeyedMutex2 checks the private data size against what is stored", "[driver][mutex]") {
  Daemon daemon;
  unsigned char data[6] = {1, 2, 3, 4, 5, 6};
  auto with = create2(0, false, data, sizeof(data));
  unsigned char buffer[64];
  std::memset(buffer, 0xcd, sizeof(buffer));
  D3DKMT_OPENKEYEDMUTEX2 o{};
  o.hSharedHandle = with.hSharedHandle;
  REQUIRE(D3DKMTOpenKeyedMutex2(&o) == STATUS_SUCCESS);  // no size, no buffer
  CHECK(o.PrivateRuntimeDataSize == 0);
  o.PrivateRuntimeDataSize = 64;
  CHECK(D3DKMTOpenKeyedMutex2(&o) == STATUS_INVALID_PARAMETER);  // a size without a buffer
  o.pPrivateRuntimeData = buffer;
  o.PrivateRuntimeDataSize = 5;
  CHECK(D3DKMTOpenKeyedMutex2(&o) == STATUS_INVALID_PARAMETER);  // smaller than stored
  o.PrivateRuntimeDataSize = 64;
  REQUIRE(D3DKMTOpenKeyedMutex2(&o) == STATUS_SUCCESS);
  CHECK(o.PrivateRuntimeDataSize == 6);
  CHECK(buffer[0] == 0xcd);  // not copied (Windows)
  auto without = create2();
  D3DKMT_OPENKEYEDMUTEX2 o2{};
  o2.hSharedHandle = without.hSharedHandle;
  o2.pPrivateRuntimeData = buffer;
  o2.PrivateRuntimeDataSize = 64;
  REQUIRE(D3DKMTOpenKeyedMutex2(&o2) == STATUS_SUCCESS);
  CHECK(o2.PrivateRuntimeDataSize == 64);  // nothing stored: unchanged
}

TEST_CASE("Acquire succeeds at once for the last released key and times out for another", "[driver][mutex][rtl]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  LARGE_INTEGER t10 = relative_ms(10);
  CHECK(D3DKMTAcquireKeyedMutex(nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_ACQUIREKEYEDMUTEX bad{0x1eadbeed, 0xdeadbeef, &t10, 0xdeadbeef};
  CHECK(D3DKMTAcquireKeyedMutex(&bad) == STATUS_INVALID_PARAMETER);
  CHECK(bad.FenceValue == 0xdeadbeef);  // untouched
  UINT64 fence = 1;
  CHECK(acquire(c.hKeyedMutex, 0xdeadbeef, &t10, &fence) == STATUS_TIMEOUT);
  CHECK(fence == 0);  // written as 0 on timeout
  CHECK(acquire(c.hKeyedMutex, 0, &t10, &fence) == STATUS_SUCCESS);
  CHECK(fence == 0);
  CHECK(release(0x1eadbeed, 1, 1234) == STATUS_INVALID_PARAMETER);
  CHECK(release(c.hKeyedMutex, 1, 1234) == STATUS_SUCCESS);
  CHECK(release(c.hKeyedMutex, 1, 99) == STATUS_INVALID_PARAMETER);  // no longer owned
  CHECK(acquire(c.hKeyedMutex, 0, &t10, &fence) == STATUS_TIMEOUT);
  CHECK(fence == 0);
  CHECK(acquire(c.hKeyedMutex, 1, &t10, &fence) == STATUS_SUCCESS);
  CHECK(fence == 1234);
  CHECK(release(c.hKeyedMutex, 0, 0) == STATUS_SUCCESS);
  LARGE_INTEGER zero{};
  CHECK(acquire(c.hKeyedMutex, 0, &zero, &fence) == STATUS_SUCCESS);  // a zero timeout only tries
  CHECK(acquire(c.hKeyedMutex, 0, &zero, &fence) == STATUS_TIMEOUT);  // not recursive
}

TEST_CASE("A blocked acquire is granted by a release to its key from another thread", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  D3DKMT_OPENKEYEDMUTEX o{c.hSharedHandle, 0};
  REQUIRE(D3DKMTOpenKeyedMutex(&o) == STATUS_SUCCESS);
  REQUIRE(acquire(c.hKeyedMutex, 0, nullptr) == STATUS_SUCCESS);
  std::atomic<NTSTATUS> got{STATUS_PENDING};
  UINT64 fence = 0;
  std::thread waiter([&] { got = acquire(o.hKeyedMutex, 7, nullptr, &fence); });  // no timeout: waits for ever
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(got == STATUS_PENDING);
  REQUIRE(release(c.hKeyedMutex, 3, 30) == STATUS_SUCCESS);  // another key
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(got == STATUS_PENDING);
  REQUIRE(acquire(c.hKeyedMutex, 3, nullptr) == STATUS_SUCCESS);
  REQUIRE(release(c.hKeyedMutex, 7, 70) == STATUS_SUCCESS);
  waiter.join();
  CHECK(got == STATUS_SUCCESS);
  CHECK(fence == 70);
  CHECK(release(o.hKeyedMutex, 0, 0) == STATUS_SUCCESS);  // the waiter's handle owns it now
}

TEST_CASE("An absolute timeout in the past only tries", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  LARGE_INTEGER past;
  past.QuadPart = 116444736000000000LL;  // 1970 in Windows system time
  const auto start = std::chrono::steady_clock::now();
  CHECK(acquire(c.hKeyedMutex, 5, &past) == STATUS_TIMEOUT);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("Destroying the owning handle abandons the mutex for good", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  REQUIRE(acquire(c.hKeyedMutex, 0, nullptr) == STATUS_SUCCESS);
  D3DKMT_OPENKEYEDMUTEX o{c.hSharedHandle, 0};
  REQUIRE(D3DKMTOpenKeyedMutex(&o) == STATUS_SUCCESS);
  LARGE_INTEGER t5s = relative_ms(5000);
  std::atomic<NTSTATUS> got{STATUS_PENDING};
  UINT64 fence = 1;
  std::thread waiter([&] { got = acquire(o.hKeyedMutex, 0, &t5s, &fence); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(got == STATUS_PENDING);
  REQUIRE(destroy(c.hKeyedMutex) == STATUS_SUCCESS);
  waiter.join();
  CHECK(got == STATUS_ABANDONED);
  CHECK(fence == 0);
  LARGE_INTEGER t100 = relative_ms(100);
  CHECK(acquire(o.hKeyedMutex, 0xdeadbeef, &t100, &fence) == STATUS_ABANDONED);
  CHECK(fence == 0);
  CHECK(acquire(o.hKeyedMutex, 0xdeadbeef, &t100) == STATUS_ABANDONED);  // sticky
  CHECK(release(o.hKeyedMutex, 0, 0) == STATUS_ABANDONED);
  CHECK(destroy(o.hKeyedMutex) == STATUS_SUCCESS);
}

TEST_CASE("Acquire2 returns the private data and Release2 replaces it", "[driver][mutex]") {
  Daemon daemon;
  unsigned char first[4] = {1, 2, 3, 4};
  auto c = create2(0, false, first, sizeof(first));
  unsigned char out[8] = {};
  D3DKMT_ACQUIREKEYEDMUTEX2 a{};
  a.hKeyedMutex = c.hKeyedMutex;
  a.pPrivateRuntimeData = out;
  a.PrivateRuntimeDataSize = sizeof(out);
  REQUIRE(D3DKMTAcquireKeyedMutex2(&a) == STATUS_SUCCESS);
  CHECK(std::memcmp(out, first, 4) == 0);
  unsigned char second[3] = {9, 8, 7};
  D3DKMT_RELEASEKEYEDMUTEX2 r{};
  r.hKeyedMutex = c.hKeyedMutex;
  r.Key = 2;
  r.FenceValue = 22;
  r.pPrivateRuntimeData = second;
  r.PrivateRuntimeDataSize = sizeof(second);
  REQUIRE(D3DKMTReleaseKeyedMutex2(&r) == STATUS_SUCCESS);
  std::memset(out, 0, sizeof(out));
  a.Key = 2;
  REQUIRE(D3DKMTAcquireKeyedMutex2(&a) == STATUS_SUCCESS);
  CHECK(a.FenceValue == 22);
  CHECK(std::memcmp(out, second, 3) == 0);
  D3DKMT_ACQUIREKEYEDMUTEX2 no_buffer{};
  no_buffer.hKeyedMutex = c.hKeyedMutex;
  no_buffer.PrivateRuntimeDataSize = 4;
  CHECK(D3DKMTAcquireKeyedMutex2(&no_buffer) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("A keyed mutex cannot be shared alone", "[driver][mutex][share]") {
  Device d;
  D3DKMT_CREATEKEYEDMUTEX v1{};
  REQUIRE(D3DKMTCreateKeyedMutex(&v1) == STATUS_SUCCESS);
  HANDLE nt = nullptr;
  CHECK(D3DKMTShareObjects(1, &v1.hKeyedMutex, nullptr, STANDARD_RIGHTS_WRITE, &nt) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTShareObjects(1, &v1.hSharedHandle, nullptr, STANDARD_RIGHTS_WRITE, &nt) == STATUS_INVALID_PARAMETER);
  auto v2 = create2(0, true);
  CHECK(D3DKMTShareObjects(1, &v2.hKeyedMutex, nullptr, STANDARD_RIGHTS_WRITE, &nt) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("A process holding a keyed mutex that dies leaves it abandoned", "[driver][mutex][cosim]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  int sv[2];
  REQUIRE(::pipe(sv) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    // A process of its own: it opens the global handle and takes the mutex.
    D3DKMT_OPENKEYEDMUTEX o{c.hSharedHandle, 0};
    if (D3DKMTOpenKeyedMutex(&o) != STATUS_SUCCESS || acquire(o.hKeyedMutex, 0, nullptr) != STATUS_SUCCESS) ::_exit(1);
    (void)!::write(sv[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char x;
  REQUIRE(::read(sv[0], &x, 1) == 1);
  LARGE_INTEGER t5s = relative_ms(5000);
  std::atomic<NTSTATUS> got{STATUS_PENDING};
  std::thread waiter([&] { got = acquire(c.hKeyedMutex, 0, &t5s); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(got == STATUS_PENDING);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  waiter.join();
  CHECK(got == STATUS_ABANDONED);
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_CASE("A keyed mutex starts unowned at its initial key with fence value 0", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  c.InitialValue = 5;
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  LARGE_INTEGER zero{};
  UINT64 fence = 1;
  CHECK(acquire(c.hKeyedMutex, 0, &zero, &fence) == STATUS_TIMEOUT);
  CHECK(acquire(c.hKeyedMutex, 5, &zero, &fence) == STATUS_SUCCESS);
  CHECK(fence == 0);
}

TEST_CASE("Only the handle that acquired a keyed mutex releases it", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  D3DKMT_OPENKEYEDMUTEX other{c.hSharedHandle, 0};
  REQUIRE(D3DKMTOpenKeyedMutex(&other) == STATUS_SUCCESS);
  CHECK(release(c.hKeyedMutex, 0, 0) == STATUS_INVALID_PARAMETER);  // not owned at all
  REQUIRE(acquire(c.hKeyedMutex, 0, nullptr) == STATUS_SUCCESS);
  CHECK(release(other.hKeyedMutex, 1, 1) == STATUS_INVALID_PARAMETER);  // owned through another handle
  CHECK(release(c.hKeyedMutex, 1, 1) == STATUS_SUCCESS);
}

TEST_CASE("A release wakes one waiter of its key and the others wait for the next", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  D3DKMT_OPENKEYEDMUTEX b{c.hSharedHandle, 0}, e{c.hSharedHandle, 0};
  REQUIRE(D3DKMTOpenKeyedMutex(&b) == STATUS_SUCCESS);
  REQUIRE(D3DKMTOpenKeyedMutex(&e) == STATUS_SUCCESS);
  REQUIRE(acquire(c.hKeyedMutex, 0, nullptr) == STATUS_SUCCESS);
  std::atomic<NTSTATUS> got_b{STATUS_PENDING}, got_e{STATUS_PENDING};
  std::thread tb([&] { got_b = acquire(b.hKeyedMutex, 1, nullptr); });
  std::thread te([&] { got_e = acquire(e.hKeyedMutex, 1, nullptr); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(release(c.hKeyedMutex, 1, 10) == STATUS_SUCCESS);
  for (int k = 0; k < 400 && got_b == STATUS_PENDING && got_e == STATUS_PENDING; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Exactly one of them has it.
  REQUIRE((got_b == STATUS_PENDING) != (got_e == STATUS_PENDING));
  const bool b_won = got_b == STATUS_SUCCESS;
  CHECK((b_won || got_e == STATUS_SUCCESS));
  REQUIRE(release(b_won ? b.hKeyedMutex : e.hKeyedMutex, 1, 11) == STATUS_SUCCESS);
  tb.join();
  te.join();
  CHECK(got_b == STATUS_SUCCESS);
  CHECK(got_e == STATUS_SUCCESS);
}

TEST_CASE("An absolute timeout in the future expires with STATUS_TIMEOUT", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  LARGE_INTEGER soon;
  soon.QuadPart = 116444736000000000LL + now.tv_sec * 10000000LL + now.tv_nsec / 100 + 200 * 10000LL;  // +200 ms
  UINT64 fence = 1;
  CHECK(acquire(c.hKeyedMutex, 9, &soon, &fence) == STATUS_TIMEOUT);
  CHECK(fence == 0);
  CHECK(acquire(c.hKeyedMutex, 0, &soon) == STATUS_SUCCESS);  // the right key needs no waiting
}

TEST_CASE("Release2 with a data size but no buffer is refused and keeps the mutex owned", "[driver][mutex]") {
  Daemon daemon;
  auto c = create2();
  REQUIRE(acquire(c.hKeyedMutex, 0, nullptr) == STATUS_SUCCESS);
  D3DKMT_RELEASEKEYEDMUTEX2 r{};
  r.hKeyedMutex = c.hKeyedMutex;
  r.PrivateRuntimeDataSize = 4;
  CHECK(D3DKMTReleaseKeyedMutex2(&r) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTReleaseKeyedMutex2(nullptr) == STATUS_INVALID_PARAMETER);
  r.PrivateRuntimeDataSize = 0;
  CHECK(D3DKMTReleaseKeyedMutex2(&r) == STATUS_SUCCESS);
}

TEST_CASE("DestroyKeyedMutex takes local handles only", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  CHECK(destroy(c.hSharedHandle) == STATUS_INVALID_PARAMETER);
  CHECK(destroy(0x1eadbec0) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTDestroyKeyedMutex(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(destroy(c.hKeyedMutex) == STATUS_SUCCESS);
}

TEST_CASE("A pending acquire returns DEVICE_REMOVED when kmtsimd goes away", "[driver][mutex][removal]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  std::atomic<NTSTATUS> got{STATUS_PENDING};
  UINT64 fence = 1;
  std::thread waiter([&] { got = acquire(c.hKeyedMutex, 7, nullptr, &fence); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(got == STATUS_PENDING);
  daemon.process().stop();
  waiter.join();
  CHECK(got == STATUS_DEVICE_REMOVED);
  CHECK(acquire(c.hKeyedMutex, 0, nullptr) == STATUS_DEVICE_REMOVED);
  CHECK(release(c.hKeyedMutex, 0, 0) == STATUS_DEVICE_REMOVED);
}

TEST_CASE("Abandonment wakes every waiter whatever key it waits for", "[driver][mutex]") {
  Daemon daemon;
  D3DKMT_CREATEKEYEDMUTEX c{};
  REQUIRE(D3DKMTCreateKeyedMutex(&c) == STATUS_SUCCESS);
  REQUIRE(acquire(c.hKeyedMutex, 0, nullptr) == STATUS_SUCCESS);
  D3DKMT_OPENKEYEDMUTEX b{c.hSharedHandle, 0}, e{c.hSharedHandle, 0};
  REQUIRE(D3DKMTOpenKeyedMutex(&b) == STATUS_SUCCESS);
  REQUIRE(D3DKMTOpenKeyedMutex(&e) == STATUS_SUCCESS);
  std::atomic<NTSTATUS> got_b{STATUS_PENDING}, got_e{STATUS_PENDING};
  std::thread tb([&] { got_b = acquire(b.hKeyedMutex, 1, nullptr); });
  std::thread te([&] { got_e = acquire(e.hKeyedMutex, 2, nullptr); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(got_b == STATUS_PENDING);
  CHECK(got_e == STATUS_PENDING);
  REQUIRE(destroy(c.hKeyedMutex) == STATUS_SUCCESS);  // the owner goes
  tb.join();
  te.join();
  CHECK(got_b == STATUS_ABANDONED);
  CHECK(got_e == STATUS_ABANDONED);
}
