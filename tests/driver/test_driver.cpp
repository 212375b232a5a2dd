// The D3DKMT calls of the first driver milestone against a real kmtsimd,
// with their error statuses (spec: ../shared/spec/d3dkmt-share.md).
// Cases tagged [rtl] run on both backends.
#define CATCH_CONFIG_MAIN
#include "driver_fixture.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace kmtsim::test;

TEST_CASE("EnumAdapters2 reports the maximum with no array and one adapter with one", "[driver][adapter]") {
  Daemon daemon;
  CHECK(D3DKMTEnumAdapters2(nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_ENUMADAPTERS2 query{};
  REQUIRE(D3DKMTEnumAdapters2(&query) == STATUS_SUCCESS);
  CHECK(query.NumAdapters == 32);
  std::vector<D3DKMT_ADAPTERINFO> info(query.NumAdapters);
  query.pAdapters = info.data();
  REQUIRE(D3DKMTEnumAdapters2(&query) == STATUS_SUCCESS);
  REQUIRE(query.NumAdapters == 1);
  CHECK(is_local_handle(info[0].hAdapter));
  CHECK((info[0].AdapterLuid.LowPart != 0 || info[0].AdapterLuid.HighPart != 0));
  D3DKMT_ENUMADAPTERS2 too_small{0, info.data()};
  CHECK(D3DKMTEnumAdapters2(&too_small) == STATUS_BUFFER_TOO_SMALL);
  D3DKMT_CLOSEADAPTER close{info[0].hAdapter};
  CHECK(D3DKMTCloseAdapter(&close) == STATUS_SUCCESS);
  CHECK(D3DKMTCloseAdapter(&close) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("OpenAdapterFromLuid opens the adapter and rejects an unknown LUID", "[driver][adapter]") {
  Device d;
  D3DKMT_OPENADAPTERFROMLUID open{};
  open.AdapterLuid = d.luid;
  REQUIRE(D3DKMTOpenAdapterFromLuid(&open) == STATUS_SUCCESS);
  CHECK(is_local_handle(open.hAdapter));
  CHECK(open.hAdapter != d.adapter);
  D3DKMT_OPENADAPTERFROMLUID unknown{};
  unknown.AdapterLuid.LowPart = d.luid.LowPart + 1;
  CHECK(D3DKMTOpenAdapterFromLuid(&unknown) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenAdapterFromLuid(nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_CLOSEADAPTER zero{};
  CHECK(D3DKMTCloseAdapter(&zero) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCloseAdapter(nullptr) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("Local handles grow by 0x40 whatever the object type", "[driver][handles]") {
  Device d;
  D3DKMT_CREATEDEVICE cd{};
  cd.hAdapter = d.adapter;
  REQUIRE(D3DKMTCreateDevice(&cd) == STATUS_SUCCESS);
  CHECK(cd.hDevice == d.device + 0x40);
  const D3DKMT_HANDLE f = d.fence();
  CHECK(f == cd.hDevice + 0x40);
  const D3DKMT_HANDLE c = d.context();
  CHECK(c == f + 0x40);
  CHECK(d.destroy(f) == STATUS_SUCCESS);
  CHECK(d.fence() == c + 0x40);  // never reused
}

TEST_CASE("CreateDevice needs a valid adapter and leaves the DMA buffer fields empty", "[driver][device]") {
  Device d;
  CHECK(D3DKMTCreateDevice(nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_CREATEDEVICE zero{};
  CHECK(D3DKMTCreateDevice(&zero) == STATUS_INVALID_PARAMETER);
  D3DKMT_CREATEDEVICE garbage{};
  garbage.hAdapter = 0x1eadbeed;
  CHECK(D3DKMTCreateDevice(&garbage) == STATUS_INVALID_PARAMETER);
  D3DKMT_CREATEDEVICE ok{};
  ok.hAdapter = d.adapter;
  ok.pCommandBuffer = reinterpret_cast<void*>(0x1234);
  ok.CommandBufferSize = 7;
  REQUIRE(D3DKMTCreateDevice(&ok) == STATUS_SUCCESS);
  CHECK(is_local_handle(ok.hDevice));
  CHECK(ok.pCommandBuffer == nullptr);
  CHECK(ok.CommandBufferSize == 0);
  CHECK(ok.pAllocationList == nullptr);
  CHECK(ok.pPatchLocationList == nullptr);
  D3DKMT_DESTROYDEVICE destroy{ok.hDevice};
  CHECK(D3DKMTDestroyDevice(&destroy) == STATUS_SUCCESS);
  CHECK(D3DKMTDestroyDevice(&destroy) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTDestroyDevice(nullptr) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("A monitored fence maps its initial value read-only into the creator", "[driver][fence][rtl]") {
  Device d;
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
  c.hDevice = d.device;
  c.Info.Type = D3DDDI_MONITORED_FENCE;
  c.Info.MonitoredFence.InitialFenceValue = (uint64_t{1} << 32) - 2;
  REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
  CHECK(is_local_handle(c.hSyncObject));
  CHECK(c.Info.SharedHandle == 0);
  const auto* value = static_cast<const volatile UINT64*>(c.Info.MonitoredFence.FenceValueCPUVirtualAddress);
  REQUIRE(value != nullptr);
  CHECK(*value == (uint64_t{1} << 32) - 2);
  CHECK(c.Info.MonitoredFence.FenceValueGPUVirtualAddress != 0);
  // Read-only: the page cannot be made writable.
  void* page = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(value) & ~uintptr_t{4095});
  CHECK(::mprotect(page, 4096, PROT_READ | PROT_WRITE) != 0);
}

TEST_CASE("CreateSynchronizationObject2 validates device type and flags", "[driver][fence]") {
  Device d;
  CHECK(D3DKMTCreateSynchronizationObject2(nullptr) == STATUS_INVALID_PARAMETER);
  auto create = [&](D3DKMT_HANDLE device, D3DDDI_SYNCHRONIZATIONOBJECT_TYPE type, UINT flags) {
    D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
    c.hDevice = device;
    c.Info.Type = type;
    c.Info.Flags.Value = flags;
    return D3DKMTCreateSynchronizationObject2(&c);
  };
  CHECK(create(0, D3DDDI_MONITORED_FENCE, 0) == STATUS_INVALID_PARAMETER);
  CHECK(create(0x1eadbeed, D3DDDI_MONITORED_FENCE, 0) == STATUS_INVALID_PARAMETER);
  CHECK(create(d.device, static_cast<D3DDDI_SYNCHRONIZATIONOBJECT_TYPE>(0), 0) == STATUS_INVALID_PARAMETER);
  CHECK(create(d.device, static_cast<D3DDDI_SYNCHRONIZATIONOBJECT_TYPE>(9), 0) == STATUS_INVALID_PARAMETER);
  CHECK(create(d.device, D3DDDI_MONITORED_FENCE, 0x2) == STATUS_INVALID_PARAMETER);         // NtSecuritySharing alone
  CHECK(create(d.device, D3DDDI_MONITORED_FENCE, 0x10 | 0x20) == STATUS_INVALID_PARAMETER);  // NoSignal with NoWait
  CHECK(create(d.device, D3DDDI_MONITORED_FENCE, 0x1000) == STATUS_INVALID_PARAMETER);       // a reserved bit
  CHECK(create(d.device, D3DDDI_MONITORED_FENCE, 0x80000000u) == STATUS_INVALID_PARAMETER);
  CHECK(create(d.device, D3DDDI_MONITORED_FENCE, 0x100) == STATUS_INVALID_PARAMETER);        // SignalByKmd
}

TEST_CASE("A fence created Shared without NtSecuritySharing gets a global handle that is not a local one",
          "[driver][fence]") {
  Device d;
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
  c.hDevice = d.device;
  c.Info.Type = D3DDDI_MONITORED_FENCE;
  c.Info.Flags.Shared = 1;
  REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
  CHECK(is_local_handle(c.hSyncObject));
  CHECK(is_global_handle(c.Info.SharedHandle));
  CHECK(d.destroy(c.Info.SharedHandle) == STATUS_INVALID_PARAMETER);
  CHECK(d.destroy(c.hSyncObject) == STATUS_SUCCESS);
  CHECK(d.destroy(c.hSyncObject) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("A CPU signal is visible through the mapping when the call returns", "[driver][signal][rtl]") {
  Device d;
  const volatile UINT64* value = nullptr;
  const D3DKMT_HANDLE f = d.fence(0, false, &value);
  REQUIRE(d.signal(f, 7) == STATUS_SUCCESS);
  CHECK(*value == 7);
  REQUIRE(d.signal(f, (uint64_t{1} << 31) + 5) == STATUS_SUCCESS);
  CHECK(*value == (uint64_t{1} << 31) + 5);
  // Spec §10.2: a CPU signal below the current value stores it.
  REQUIRE(d.signal(f, 3) == STATUS_SUCCESS);
  CHECK(*value == 3);
  REQUIRE(d.signal(f, UINT64_MAX) == STATUS_SUCCESS);
  CHECK(*value == UINT64_MAX);
}

TEST_CASE("A signal with one bad handle among good ones fails and signals nothing", "[driver][signal]") {
  Device d;
  const volatile UINT64* a = nullptr;
  const volatile UINT64* b = nullptr;
  D3DKMT_HANDLE handles[3] = {d.fence(1, false, &a), 0x1eadbec0, d.fence(1, false, &b)};
  UINT64 values[3] = {10, 10, 10};
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU s{};
  s.hDevice = d.device;
  s.ObjectCount = 3;
  s.ObjectHandleArray = handles;
  s.FenceValueArray = values;
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_INVALID_PARAMETER);
  CHECK(*a == 1);
  CHECK(*b == 1);
  handles[1] = handles[2];
  values[2] = 12;
  REQUIRE(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_SUCCESS);
  CHECK(*a == 10);
  CHECK(*b == 12);  // the same object twice: in order
}

TEST_CASE("Signal and wait reject zero or more than 32 objects and reserved flags", "[driver][signal]") {
  Device d;
  std::vector<D3DKMT_HANDLE> handles(33, d.fence());
  std::vector<UINT64> values(33, 1);
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU s{};
  s.hDevice = d.device;
  s.ObjectHandleArray = handles.data();
  s.FenceValueArray = values.data();
  s.ObjectCount = 0;
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_INVALID_PARAMETER);
  s.ObjectCount = 33;
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_INVALID_PARAMETER);
  s.ObjectCount = 32;
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_SUCCESS);
  s.ObjectCount = 1;
  s.Flags.Value = 0x100;
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_INVALID_PARAMETER);
  s.Flags.Value = 0;
  s.hDevice = 0x1eadbeed;
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_INVALID_PARAMETER);
  s.ObjectHandleArray = nullptr;
  s.hDevice = d.device;
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(nullptr) == STATUS_INVALID_PARAMETER);

  D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
  w.hDevice = d.device;
  w.ObjectHandleArray = handles.data();
  w.FenceValueArray = values.data();
  w.ObjectCount = 0;
  CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(&w) == STATUS_INVALID_PARAMETER);
  w.ObjectCount = 33;
  CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(&w) == STATUS_INVALID_PARAMETER);
  w.ObjectCount = 1;
  w.Flags.Value = 0x2;
  CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(&w) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(nullptr) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("A wait for a value already reached returns at once and signals its event", "[driver][wait]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence(5);
  CHECK(d.wait(f, 0) == STATUS_SUCCESS);
  CHECK(d.wait(f, 5) == STATUS_SUCCESS);
  Event e;
  CHECK(d.wait(f, 4, e.handle()) == STATUS_SUCCESS);
  CHECK(e.wait(1000));
}

TEST_CASE("A blocked CPU wait is released by a signal from another thread", "[driver][wait][rtl]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence(0);
  std::atomic<int> returned{0};
  NTSTATUS status = STATUS_UNSUCCESSFUL;
  std::thread waiter([&] {
    status = d.wait(f, 3);
    returned = 1;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(d.signal(f, 2) == STATUS_SUCCESS);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(returned == 0);  // 2 < 3: still waiting
  REQUIRE(d.signal(f, 3) == STATUS_SUCCESS);
  waiter.join();
  CHECK(status == STATUS_SUCCESS);
}

TEST_CASE("An async wait signals its event only when the value is reached", "[driver][wait]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence(1);
  Event e;
  REQUIRE(d.wait(f, 2, e.handle()) == STATUS_SUCCESS);
  CHECK_FALSE(e.wait(100));
  REQUIRE(d.signal(f, 2) == STATUS_SUCCESS);
  CHECK(e.wait(1000));
  // A handle that is not an eventfd, or not open, is not an event.
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  CHECK(d.wait(f, 9, handle_of_fd(pipe_fds[1])) == STATUS_INVALID_HANDLE);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  CHECK(d.wait(f, 9, handle_of_fd(pipe_fds[1])) == STATUS_INVALID_HANDLE);
}

TEST_CASE("WaitAny wakes on any object and the default waits for all", "[driver][wait]") {
  Device d;
  D3DKMT_HANDLE handles[2] = {d.fence(0), d.fence(0)};
  UINT64 values[2] = {1, 1};
  Event any, all;
  D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
  w.hDevice = d.device;
  w.ObjectCount = 2;
  w.ObjectHandleArray = handles;
  w.FenceValueArray = values;
  w.hAsyncEvent = any.handle();
  w.Flags.WaitAny = 1;
  REQUIRE(D3DKMTWaitForSynchronizationObjectFromCpu(&w) == STATUS_SUCCESS);
  w.hAsyncEvent = all.handle();
  w.Flags.WaitAny = 0;
  REQUIRE(D3DKMTWaitForSynchronizationObjectFromCpu(&w) == STATUS_SUCCESS);
  REQUIRE(d.signal(handles[1], 1) == STATUS_SUCCESS);
  CHECK(any.wait(1000));
  CHECK_FALSE(all.wait(100));
  REQUIRE(d.signal(handles[0], 1) == STATUS_SUCCESS);
  CHECK(all.wait(1000));
}

TEST_CASE("A GPU signal through a context reaches the fence through the command processor", "[driver][gpu][rtl]") {
  Device d;
  const volatile UINT64* value = nullptr;
  const D3DKMT_HANDLE f = d.fence(0, false, &value);
  const D3DKMT_HANDLE ctx = d.context();
  for (UINT64 v = 1; v <= 20; ++v) REQUIRE(d.signal_gpu(ctx, f, v * 3) == STATUS_SUCCESS);
  REQUIRE(d.wait(f, 60) == STATUS_SUCCESS);
  CHECK(*value == 60);
  // GPU signals never lower a fence (spec §10.2).
  REQUIRE(d.signal_gpu(ctx, f, 5) == STATUS_SUCCESS);
  REQUIRE(d.signal(f, 61) == STATUS_SUCCESS);  // settles the device
  CHECK(*value == 61);
  CHECK(d.signal_gpu(0x1eadbeed, f, 70) == STATUS_INVALID_PARAMETER);
  CHECK(d.signal_gpu(d.device, f, 70) == STATUS_INVALID_PARAMETER);  // a device is not a context
  CHECK(d.signal_gpu(ctx, 0x1eadbec0, 70) == STATUS_INVALID_PARAMETER);
  D3DKMT_DESTROYCONTEXT dc{ctx};
  CHECK(D3DKMTDestroyContext(&dc) == STATUS_SUCCESS);
  CHECK(D3DKMTDestroyContext(&dc) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("ShareObjects rejects a fence created without NtSecuritySharing", "[driver][share]") {
  Device d;
  HANDLE nt = reinterpret_cast<HANDLE>(0xdeadbeef);
  CHECK(d.share(d.fence(0, false), &nt) == STATUS_INVALID_PARAMETER);
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
  c.hDevice = d.device;
  c.Info.Type = D3DDDI_MONITORED_FENCE;
  c.Info.Flags.Shared = 1;  // legacy global sharing only
  REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
  CHECK(d.share(c.hSyncObject, &nt) == STATUS_INVALID_PARAMETER);
  CHECK(d.share(0x1eadbec0, &nt) == STATUS_INVALID_PARAMETER);
  const D3DKMT_HANDLE f = d.fence();
  CHECK(D3DKMTShareObjects(0, &f, nullptr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTShareObjects(4, &f, nullptr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTShareObjects(1, nullptr, nullptr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTShareObjects(1, &f, nullptr, GENERIC_ALL, nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_HANDLE three[3] = {f, f, f};
  CHECK(D3DKMTShareObjects(3, three, nullptr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("An NT handle is a descriptor that opens the same fence value", "[driver][share][rtl]") {
  Device d;
  const volatile UINT64* mine = nullptr;
  const D3DKMT_HANDLE f = d.fence(11, true, &mine);
  HANDLE nt = nullptr;
  REQUIRE(d.share(f, &nt) == STATUS_SUCCESS);
  CHECK(is_nt_handle(nt));
  // An NT handle is not a D3DKMT handle.
  CHECK(d.destroy(static_cast<D3DKMT_HANDLE>(reinterpret_cast<uintptr_t>(nt))) == STATUS_INVALID_PARAMETER);
  D3DKMT_HANDLE opened = 0;
  const volatile UINT64* theirs = nullptr;
  REQUIRE(d.open(nt, &opened, &theirs) == STATUS_SUCCESS);
  CHECK(is_local_handle(opened));
  CHECK(opened != f);
  REQUIRE(theirs != nullptr);
  CHECK(theirs != mine);
  CHECK(*theirs == 11);
  REQUIRE(d.signal(f, 12) == STATUS_SUCCESS);
  CHECK(*theirs == 12);
  // The opened handle signals the same fence; the creator's handle can go.
  REQUIRE(d.destroy(f) == STATUS_SUCCESS);
  REQUIRE(d.signal(opened, 13) == STATUS_SUCCESS);
  CHECK(*theirs == 13);
  // An object opened from an NT handle can be shared again.
  HANDLE again = nullptr;
  CHECK(d.share(opened, &again) == STATUS_SUCCESS);
  CHECK(again != nt);
  ::close(fd_of(again));
  ::close(fd_of(nt));
}

TEST_CASE("OpenSyncObjectFromNtHandle2 checks the device first and then the NT handle", "[driver][share]") {
  Device d;
  HANDLE nt = nullptr;
  REQUIRE(d.share(d.fence(), &nt) == STATUS_SUCCESS);
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o{};
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_INVALID_PARAMETER);  // hDevice 0 comes first
  o.hNtHandle = nt;
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_INVALID_PARAMETER);
  o.hDevice = 0x1eadbeed;
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_INVALID_PARAMETER);
  o.hDevice = d.device;
  o.hNtHandle = nullptr;
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_INVALID_HANDLE);
  // A descriptor that is not an NT handle of the driver's.
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  o.hNtHandle = handle_of_fd(pipe_fds[0]);
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_INVALID_HANDLE);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  // A closed NT handle.
  ::close(fd_of(nt));
  o.hNtHandle = nt;
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_INVALID_HANDLE);
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE v1{};
  CHECK(D3DKMTOpenSyncObjectFromNtHandle(&v1) == STATUS_INVALID_HANDLE);
}

TEST_CASE("The v1 open returns a handle without a mapping", "[driver][share]") {
  Device d;
  HANDLE nt = nullptr;
  const D3DKMT_HANDLE f = d.fence(4);
  REQUIRE(d.share(f, &nt) == STATUS_SUCCESS);
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE v1{nt, 0x1eadbeed};
  REQUIRE(D3DKMTOpenSyncObjectFromNtHandle(&v1) == STATUS_SUCCESS);
  CHECK(is_local_handle(v1.hSyncObject));
  CHECK(d.destroy(v1.hSyncObject) == STATUS_SUCCESS);
  ::close(fd_of(nt));
}

TEST_CASE("The access granted at share time limits what an opener may do", "[driver][share][access]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence(1);
  HANDLE read_only = nullptr;
  REQUIRE(d.share(f, &read_only, STANDARD_RIGHTS_READ) == STATUS_SUCCESS);
  D3DKMT_HANDLE opened = 0;
  REQUIRE(d.open(read_only, &opened) == STATUS_SUCCESS);
  CHECK(d.signal(opened, 2) == STATUS_ACCESS_DENIED);
  CHECK(d.wait(opened, 1) == STATUS_ACCESS_DENIED);
  HANDLE waiter = nullptr;
  REQUIRE(d.share(f, &waiter, STANDARD_RIGHTS_READ | D3DDDI_SYNC_OBJECT_WAIT) == STATUS_SUCCESS);
  REQUIRE(d.open(waiter, &opened) == STATUS_SUCCESS);
  CHECK(d.wait(opened, 1) == STATUS_SUCCESS);
  CHECK(d.signal(opened, 2) == STATUS_ACCESS_DENIED);
  HANDLE all = nullptr;
  REQUIRE(d.share(f, &all, GENERIC_ALL) == STATUS_SUCCESS);
  REQUIRE(d.open(all, &opened) == STATUS_SUCCESS);
  CHECK(d.signal(opened, 2) == STATUS_SUCCESS);
  for (HANDLE h : {read_only, waiter, all}) ::close(fd_of(h));
}

TEST_CASE("A name is case-insensitive and collides while an NT handle to it is open", "[driver][share][names]") {
  Device d;
  WCHAR name[] = L"\\BaseNamedObjects\\kmtsim_test_fence";
  WCHAR upper[] = L"\\BaseNamedObjects\\KMTSIM_TEST_FENCE";
  UNICODE_STRING us{static_cast<USHORT>(sizeof(name) - sizeof(WCHAR)), sizeof(name), name};
  UNICODE_STRING us_upper{static_cast<USHORT>(sizeof(upper) - sizeof(WCHAR)), sizeof(upper), upper};
  OBJECT_ATTRIBUTES attr{};
  InitializeObjectAttributes(&attr, &us, 0, nullptr, nullptr);
  OBJECT_ATTRIBUTES attr_upper{};
  InitializeObjectAttributes(&attr_upper, &us_upper, 0, nullptr, nullptr);
  const D3DKMT_HANDLE f = d.fence();
  HANDLE first = nullptr, second = nullptr;
  REQUIRE(d.share(f, &first, GENERIC_ALL, &attr) == STATUS_SUCCESS);
  CHECK(d.share(f, &second, GENERIC_ALL, &attr_upper) == STATUS_OBJECT_NAME_COLLISION);
  ::close(fd_of(first));
  // The name goes with the last NT handle; the object can be shared under it again.
  for (int k = 0; k < 100 && d.share(f, &second, GENERIC_ALL, &attr_upper) != STATUS_SUCCESS; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(is_nt_handle(second));
  ::close(fd_of(second));
}

TEST_CASE("Malformed object attributes are reported after the handles are checked", "[driver][share][names]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence();
  HANDLE nt = nullptr;
  OBJECT_ATTRIBUTES bad_length{};
  bad_length.Length = sizeof(OBJECT_ATTRIBUTES) + 8;
  CHECK(d.share(f, &nt, GENERIC_ALL, &bad_length) == STATUS_INVALID_PARAMETER);
  WCHAR name[] = L"\\BaseNamedObjects\\x";
  UNICODE_STRING odd{3, sizeof(name), name};
  OBJECT_ATTRIBUTES attr{};
  InitializeObjectAttributes(&attr, &odd, 0, nullptr, nullptr);
  CHECK(d.share(f, &nt, GENERIC_ALL, &attr) == STATUS_OBJECT_NAME_INVALID);
  CHECK(d.share(0x1eadbec0, &nt, GENERIC_ALL, &attr) == STATUS_INVALID_PARAMETER);  // handles first
  char raw[64] = {};
  UNICODE_STRING misaligned{4, 8, reinterpret_cast<PWSTR>(raw + 1)};
  InitializeObjectAttributes(&attr, &misaligned, 0, nullptr, nullptr);
  CHECK(d.share(f, &nt, GENERIC_ALL, &attr) == STATUS_DATATYPE_MISALIGNMENT);
  OBJECT_ATTRIBUTES root_only{};
  InitializeObjectAttributes(&root_only, nullptr, 0, reinterpret_cast<HANDLE>(1), nullptr);
  CHECK(d.share(f, &nt, GENERIC_ALL, &root_only) == STATUS_OBJECT_NAME_INVALID);
}

TEST_CASE("Destroying a fence wakes the CPU waiters that came through its handle", "[driver][wait]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence(0);
  Event e;
  REQUIRE(d.wait(f, 100, e.handle()) == STATUS_SUCCESS);
  CHECK_FALSE(e.wait(50));
  REQUIRE(d.destroy(f) == STATUS_SUCCESS);
  CHECK(e.wait(1000));
}

TEST_CASE("When kmtsimd goes away calls fail with DEVICE_REMOVED and fences read UINT64_MAX", "[driver][removal]") {
  Device d;
  const volatile UINT64* value = nullptr;
  const D3DKMT_HANDLE f = d.fence(3, false, &value);
  NTSTATUS waited = STATUS_SUCCESS;
  std::thread waiter([&] { waited = d.wait(f, 1000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  d.daemon.process().stop();
  waiter.join();
  CHECK(waited == STATUS_DEVICE_REMOVED);
  CHECK(*value == UINT64_MAX);
  CHECK(d.signal(f, 4) == STATUS_DEVICE_REMOVED);
  D3DKMT_ENUMADAPTERS2 e{};
  CHECK(D3DKMTEnumAdapters2(&e) == STATUS_DEVICE_REMOVED);
}

TEST_CASE("CreateContext and CreateContextVirtual need a valid device and node", "[driver][device]") {
  Device d;
  CHECK(D3DKMTCreateContextVirtual(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateContext(nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_CREATECONTEXTVIRTUAL v{};
  CHECK(D3DKMTCreateContextVirtual(&v) == STATUS_INVALID_PARAMETER);
  v.hDevice = 0x1eadbeed;
  CHECK(D3DKMTCreateContextVirtual(&v) == STATUS_INVALID_PARAMETER);
  v.hDevice = d.adapter;  // an adapter is not a device
  CHECK(D3DKMTCreateContextVirtual(&v) == STATUS_INVALID_PARAMETER);
  v.hDevice = d.device;
  v.NodeOrdinal = 1;  // the device has one engine node
  CHECK(D3DKMTCreateContextVirtual(&v) == STATUS_INVALID_PARAMETER);
  v.NodeOrdinal = 0;
  REQUIRE(D3DKMTCreateContextVirtual(&v) == STATUS_SUCCESS);
  CHECK(is_local_handle(v.hContext));
  D3DKMT_CREATECONTEXT c{};
  c.hDevice = d.device;
  c.pCommandBuffer = reinterpret_cast<void*>(0x1234);
  c.CommandBufferSize = 7;
  REQUIRE(D3DKMTCreateContext(&c) == STATUS_SUCCESS);
  CHECK(c.hContext == v.hContext + 0x40);
  CHECK(c.pCommandBuffer == nullptr);
  CHECK(c.CommandBufferSize == 0);
  CHECK(d.signal_gpu(c.hContext, d.fence(), 1) == STATUS_SUCCESS);
}

TEST_CASE("Every entry point refuses a NULL argument with INVALID_PARAMETER", "[driver][badinput]") {
  Device d;
  CHECK(D3DKMTEnumAdapters2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenAdapterFromLuid(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCloseAdapter(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateDevice(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTDestroyDevice(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateContext(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateContextVirtual(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTDestroyContext(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTSubmitCommand(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTEscape(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateAllocation(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateAllocation2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTDestroyAllocation(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTDestroyAllocation2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTLock2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTUnlock2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTQueryResourceInfo(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTQueryResourceInfoFromNtHandle(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenResource(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenResource2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenResourceFromNtHandle(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateKeyedMutex(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateKeyedMutex2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenKeyedMutex(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenKeyedMutex2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenKeyedMutexFromNtHandle(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTAcquireKeyedMutex(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTAcquireKeyedMutex2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTReleaseKeyedMutex(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTReleaseKeyedMutex2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTDestroyKeyedMutex(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateSynchronizationObject(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTCreateSynchronizationObject2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenSynchronizationObject(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenSyncObjectFromNtHandle(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTDestroySynchronizationObject(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenNtHandleFromName(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTOpenSyncObjectNtHandleFromName(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTWaitForSynchronizationObjectFromGpu(nullptr) == STATUS_INVALID_PARAMETER);
  const D3DKMT_HANDLE f = d.fence();
  HANDLE nt = nullptr;
  CHECK(D3DKMTShareObjects(1, nullptr, nullptr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTShareObjects(1, &f, nullptr, GENERIC_ALL, nullptr) == STATUS_INVALID_PARAMETER);
  // NULL arrays behind a nonzero count.
  D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU w{};
  w.hContext = d.context();
  w.ObjectCount = 1;
  CHECK(D3DKMTWaitForSynchronizationObjectFromGpu(&w) == STATUS_INVALID_PARAMETER);
  D3DKMT_DESTROYALLOCATION2 da{};
  da.hDevice = d.device;
  da.AllocationCount = 1;
  CHECK(D3DKMTDestroyAllocation2(&da) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("Huge counts are refused without reading past the caller's arrays", "[driver][badinput]") {
  Device d;
  D3DKMT_HANDLE f = d.fence();
  UINT64 value = 1;
  const D3DKMT_HANDLE ctx = d.context();
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU s{};
  s.hDevice = d.device;
  s.ObjectCount = 0xFFFFFFFFu;
  s.ObjectHandleArray = &f;
  s.FenceValueArray = &value;
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_INVALID_PARAMETER);
  D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
  w.hDevice = d.device;
  w.ObjectCount = 0x80000000u;
  w.ObjectHandleArray = &f;
  w.FenceValueArray = &value;
  CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(&w) == STATUS_INVALID_PARAMETER);
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2 s2{};
  s2.ObjectCount = 1;
  s2.ObjectHandleArray = &f;
  s2.BroadcastContextCount = 0xFFFFFFFFu;
  s2.BroadcastContextArray = &ctx;
  s2.MonitoredFenceValueArray = &value;
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(&s2) == STATUS_INVALID_PARAMETER);
  HANDLE nt = nullptr;
  CHECK(D3DKMTShareObjects(0xFFFFFFFFu, &f, nullptr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
  D3DDDI_ALLOCATIONINFO2 info{};
  D3DKMT_CREATEALLOCATION ca{};
  ca.hDevice = d.device;
  ca.NumAllocations = 0xFFFFFFFFu;
  ca.pAllocationInfo2 = &info;
  CHECK(D3DKMTCreateAllocation2(&ca) == STATUS_INVALID_PARAMETER);
  D3DKMT_DESTROYALLOCATION da{d.device, 0, &f, 0xFFFFFFFFu};
  CHECK(D3DKMTDestroyAllocation(&da) == STATUS_INVALID_PARAMETER);
  unsigned char small[4] = {};
  D3DKMT_CREATEKEYEDMUTEX2 km{};
  km.pPrivateRuntimeData = small;
  km.PrivateRuntimeDataSize = 0xFFFFFFFFu;
  CHECK(D3DKMTCreateKeyedMutex2(&km) == STATUS_INVALID_PARAMETER);
  D3DKMT_ESCAPE e{};
  e.hAdapter = d.adapter;
  e.Type = D3DKMT_ESCAPE_DRIVERPRIVATE;
  e.pPrivateDriverData = small;
  e.PrivateDriverDataSize = 0xFFFFFFFFu;
  CHECK(D3DKMTEscape(&e) == STATUS_INVALID_PARAMETER);
  CHECK(d.signal(f, 2) == STATUS_SUCCESS);  // and the daemon is fine
}

TEST_CASE("Escape data of the wrong size is refused", "[driver][badinput]") {
  Device d;
  KMTSIM_ESCAPE_DEVICE_INFO_DATA data{};
  data.Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_DEVICE_INFO};
  D3DKMT_ESCAPE e{};
  e.hAdapter = d.adapter;
  e.Type = D3DKMT_ESCAPE_DRIVERPRIVATE;
  e.pPrivateDriverData = &data;
  e.PrivateDriverDataSize = sizeof(data) - 1;
  CHECK(D3DKMTEscape(&e) == STATUS_INVALID_PARAMETER);
  e.PrivateDriverDataSize = sizeof(KMTSIM_ESCAPE_HEADER) - 1;
  CHECK(D3DKMTEscape(&e) == STATUS_INVALID_PARAMETER);
  e.PrivateDriverDataSize = sizeof(data);
  data.Header.Magic ^= 1;
  CHECK(D3DKMTEscape(&e) == STATUS_INVALID_PARAMETER);
  data.Header.Magic ^= 1;
  e.hAdapter = d.device;  // not an adapter
  CHECK(D3DKMTEscape(&e) == STATUS_INVALID_PARAMETER);
  e.hAdapter = d.adapter;
  CHECK(D3DKMTEscape(&e) == STATUS_SUCCESS);
}

TEST_CASE("A handle of another process is not a handle in this one", "[driver][badinput][cosim]") {
  Device d;
  int to_parent[2], to_child[2];
  REQUIRE(::pipe(to_parent) == 0);
  REQUIRE(::pipe(to_child) == 0);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    // Its own device, fence, context and keyed mutex; their values go to the parent.
    const D3DKMT_HANDLE device = child_device();
    if (device == 0) ::_exit(2);
    D3DKMT_CREATESYNCHRONIZATIONOBJECT2 cs{};
    cs.hDevice = device;
    cs.Info.Type = D3DDDI_MONITORED_FENCE;
    D3DKMT_CREATECONTEXTVIRTUAL cc{};
    cc.hDevice = device;
    D3DKMT_CREATEKEYEDMUTEX km{};
    if (D3DKMTCreateSynchronizationObject2(&cs) != STATUS_SUCCESS || D3DKMTCreateContextVirtual(&cc) != STATUS_SUCCESS ||
        D3DKMTCreateKeyedMutex(&km) != STATUS_SUCCESS)
      ::_exit(3);
    const D3DKMT_HANDLE handles[4] = {device, cs.hSyncObject, cc.hContext, km.hKeyedMutex};
    if (::write(to_parent[1], handles, sizeof(handles)) != sizeof(handles)) ::_exit(4);
    char x;
    (void)!::read(to_child[0], &x, 1);  // alive until the parent is done
    ::_exit(0);
  }
  D3DKMT_HANDLE theirs[4] = {};
  REQUIRE(::read(to_parent[0], theirs, sizeof(theirs)) == sizeof(theirs));
  const D3DKMT_HANDLE device = theirs[0], sync = theirs[1], context = theirs[2], mutex = theirs[3];
  UINT64 one = 1;
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU s{device, 1, &sync, &one, {}};
  CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_INVALID_PARAMETER);
  CHECK(d.signal(sync, 1) == STATUS_INVALID_PARAMETER);
  CHECK(d.wait(sync, 0) == STATUS_INVALID_PARAMETER);
  CHECK(d.signal_gpu(context, d.fence(), 1) == STATUS_INVALID_PARAMETER);
  CHECK(d.destroy(sync) == STATUS_INVALID_PARAMETER);
  D3DKMT_CREATECONTEXTVIRTUAL cc{};
  cc.hDevice = device;
  CHECK(D3DKMTCreateContextVirtual(&cc) == STATUS_INVALID_PARAMETER);
  D3DKMT_ACQUIREKEYEDMUTEX a{};
  a.hKeyedMutex = mutex;
  CHECK(D3DKMTAcquireKeyedMutex(&a) == STATUS_INVALID_PARAMETER);
  D3DKMT_DESTROYKEYEDMUTEX dm{mutex};
  CHECK(D3DKMTDestroyKeyedMutex(&dm) == STATUS_INVALID_PARAMETER);
  D3DKMT_DESTROYDEVICE dd{device};
  CHECK(D3DKMTDestroyDevice(&dd) == STATUS_INVALID_PARAMETER);
  REQUIRE(::write(to_child[1], "x", 1) == 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) ::close(fd);
}

TEST_CASE("A fence created or opened with NoSignalMaxValueOnTdr keeps its value when kmtsimd goes away",
          "[driver][removal]") {
  Device d;
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
  c.hDevice = d.device;
  c.Info.Type = D3DDDI_MONITORED_FENCE;
  c.Info.Flags.NoSignalMaxValueOnTdr = 1;
  REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
  const auto* kept = static_cast<const volatile UINT64*>(c.Info.MonitoredFence.FenceValueCPUVirtualAddress);
  REQUIRE(d.signal(c.hSyncObject, 5) == STATUS_SUCCESS);
  // Another fence, made without the flag, opened once with it and once without.
  const volatile UINT64* creator = nullptr;
  const D3DKMT_HANDLE f = d.fence(6, true, &creator);
  HANDLE nt = nullptr;
  REQUIRE(d.share(f, &nt) == STATUS_SUCCESS);
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o{};
  o.hNtHandle = nt;
  o.hDevice = d.device;
  o.Flags.NoSignalMaxValueOnTdr = 1;
  REQUIRE(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_SUCCESS);
  const auto* opener = static_cast<const volatile UINT64*>(o.MonitoredFence.FenceValueCPUVirtualAddress);
  const volatile UINT64* plain = nullptr;
  const D3DKMT_HANDLE g = d.fence(7, false, &plain);
  REQUIRE(d.wait(g, 7) == STATUS_SUCCESS);
  d.daemon.process().stop();
  CHECK(d.wait(g, 8) == STATUS_DEVICE_REMOVED);  // the library has seen it go
  CHECK(*plain == UINT64_MAX);
  CHECK(*creator == UINT64_MAX);
  CHECK(*kept == 5);
  CHECK(*opener == 6);
  ::close(fd_of(nt));
}
