// Sync objects by type, legacy global handles, NT-handle sharing with names
// (spec §1.4, §2, §3, §5, §6, §8 and the measured Windows cases it cites).
#define CATCH_CONFIG_MAIN
#include "driver_fixture.h"

#include <sys/wait.h>

#include <chrono>
#include <thread>
#include <vector>

using namespace kmtsim::test;

namespace {

NTSTATUS create_v1(D3DKMT_HANDLE device, D3DDDI_SYNCHRONIZATIONOBJECT_TYPE type, D3DKMT_HANDLE* out = nullptr) {
  D3DKMT_CREATESYNCHRONIZATIONOBJECT c{};
  c.hDevice = device;
  c.Info.Type = type;
  c.hSyncObject = 0x1eadbeed;
  const NTSTATUS s = D3DKMTCreateSynchronizationObject(&c);
  if (out != nullptr) *out = c.hSyncObject;
  return s;
}

D3DKMT_CREATESYNCHRONIZATIONOBJECT2 make_v2(D3DKMT_HANDLE device, D3DDDI_SYNCHRONIZATIONOBJECT_TYPE type, UINT flags = 0) {
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
  c.hDevice = device;
  c.Info.Type = type;
  c.Info.Flags.Value = flags;
  c.hSyncObject = c.Info.SharedHandle = 0x1eadbeed;
  return c;
}

}  // namespace

TEST_CASE("CreateSynchronizationObject v1 takes mutexes and semaphores only", "[driver][sync]") {
  Device d;
  CHECK(D3DKMTCreateSynchronizationObject(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(create_v1(d.device, static_cast<D3DDDI_SYNCHRONIZATIONOBJECT_TYPE>(0)) == STATUS_INVALID_PARAMETER);
  CHECK(create_v1(0, D3DDDI_SYNCHRONIZATION_MUTEX) == STATUS_INVALID_PARAMETER);
  D3DKMT_HANDLE a = 0, b = 0, sem = 0;
  REQUIRE(create_v1(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, &a) == STATUS_SUCCESS);
  CHECK(a == d.device + 0x40);
  REQUIRE(create_v1(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, &b) == STATUS_SUCCESS);
  CHECK(b == a + 0x40);
  CHECK(d.destroy(a) == STATUS_SUCCESS);
  CHECK(d.destroy(a) == STATUS_INVALID_PARAMETER);
  REQUIRE(create_v1(d.device, D3DDDI_SEMAPHORE, &sem) == STATUS_SUCCESS);
  CHECK(create_v1(d.device, D3DDDI_FENCE) == STATUS_INVALID_PARAMETER);
  CHECK(create_v1(d.device, D3DDDI_MONITORED_FENCE) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("CreateSynchronizationObject2 takes every type but a periodic fence", "[driver][sync]") {
  Device d;
  for (auto type : {D3DDDI_SYNCHRONIZATION_MUTEX, D3DDDI_SEMAPHORE, D3DDDI_FENCE, D3DDDI_MONITORED_FENCE}) {
    auto c = make_v2(d.device, type);
    REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
    CHECK(is_local_handle(c.hSyncObject));
    CHECK(d.destroy(c.hSyncObject) == STATUS_SUCCESS);
  }
  auto note = make_v2(d.device, D3DDDI_CPU_NOTIFICATION);
  CHECK(D3DKMTCreateSynchronizationObject2(&note) == STATUS_INVALID_HANDLE);  // no event
  Event e;
  note.Info.CPUNotification.Event = e.handle();
  REQUIRE(D3DKMTCreateSynchronizationObject2(&note) == STATUS_SUCCESS);
  auto periodic = make_v2(d.device, D3DDDI_PERIODIC_MONITORED_FENCE);
  CHECK(D3DKMTCreateSynchronizationObject2(&periodic) == STATUS_NOT_SUPPORTED);
}

TEST_CASE("CPU signal and wait take monitored fences only", "[driver][sync][signal]") {
  Device d;
  for (auto type : {D3DDDI_SYNCHRONIZATION_MUTEX, D3DDDI_SEMAPHORE, D3DDDI_FENCE}) {
    auto c = make_v2(d.device, type);
    REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
    Event e;
    CHECK(d.wait(c.hSyncObject, 0, e.handle()) == STATUS_INVALID_PARAMETER);
    CHECK(d.signal(c.hSyncObject, 0) == STATUS_INVALID_PARAMETER);
  }
}

TEST_CASE("A wait for the current value or below is signalled at once and one above is not", "[driver][sync][wait]") {
  Device d;
  auto c = make_v2(d.device, D3DDDI_MONITORED_FENCE);
  c.Info.Fence.FenceValue = 1;  // aliases MonitoredFence.InitialFenceValue
  REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
  Event e;
  CHECK(d.wait(c.hSyncObject, 0, e.handle()) == STATUS_SUCCESS);
  CHECK(e.wait(100));
  CHECK(d.wait(c.hSyncObject, 1, e.handle()) == STATUS_SUCCESS);
  CHECK(e.wait(100));
  CHECK(d.wait(c.hSyncObject, 2, e.handle()) == STATUS_SUCCESS);
  CHECK_FALSE(e.wait(100));
  CHECK(d.signal(c.hSyncObject, 2) == STATUS_SUCCESS);
  CHECK(e.wait(1000));
  // A rewind is stored (spec §10.2); then a wait for 2 pends again.
  CHECK(d.signal(c.hSyncObject, 1) == STATUS_SUCCESS);
  CHECK(d.wait(c.hSyncObject, 2, e.handle()) == STATUS_SUCCESS);
  CHECK_FALSE(e.wait(100));
  CHECK(d.signal(c.hSyncObject, 2) == STATUS_SUCCESS);
  CHECK(e.wait(1000));
}

TEST_CASE("A global handle opens the object until its last local reference goes", "[driver][sync][global]") {
  Device d;
  auto a = make_v2(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, 0x1);  // Shared: a global handle
  REQUIRE(D3DKMTCreateSynchronizationObject2(&a) == STATUS_SUCCESS);
  auto b = make_v2(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, 0x1);
  REQUIRE(D3DKMTCreateSynchronizationObject2(&b) == STATUS_SUCCESS);
  CHECK(is_global_handle(b.Info.SharedHandle));
  CHECK(b.hSyncObject == a.hSyncObject + 0x40);  // a global handle takes no local value
  CHECK(d.destroy(a.hSyncObject) == STATUS_SUCCESS);
  CHECK(d.destroy(b.Info.SharedHandle) == STATUS_INVALID_PARAMETER);
  D3DKMT_OPENSYNCHRONIZATIONOBJECT open{};
  open.hSharedHandle = 0x1eadbeed;
  CHECK(D3DKMTOpenSynchronizationObject(&open) == STATUS_INVALID_PARAMETER);
  open.hSharedHandle = 0;
  CHECK(D3DKMTOpenSynchronizationObject(&open) == STATUS_INVALID_PARAMETER);
  open.hSharedHandle = b.hSyncObject;  // a local handle is not a global one
  CHECK(D3DKMTOpenSynchronizationObject(&open) == STATUS_INVALID_PARAMETER);
  open.hSharedHandle = b.Info.SharedHandle;
  REQUIRE(D3DKMTOpenSynchronizationObject(&open) == STATUS_SUCCESS);
  CHECK(is_local_handle(open.hSyncObject));
  CHECK(d.destroy(open.hSyncObject) == STATUS_SUCCESS);
  CHECK(d.destroy(open.hSyncObject) == STATUS_INVALID_PARAMETER);
  REQUIRE(D3DKMTOpenSynchronizationObject(&open) == STATUS_SUCCESS);  // still there
  CHECK(d.destroy(open.hSyncObject) == STATUS_SUCCESS);
  CHECK(d.destroy(b.hSyncObject) == STATUS_SUCCESS);
  CHECK(D3DKMTOpenSynchronizationObject(&open) == STATUS_INVALID_PARAMETER);  // gone with the last reference
}

TEST_CASE("A child that leaks a handle it opened does not keep the object after it exits", "[driver][sync][global]") {
  Device d;
  auto c = make_v2(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, 0x1);
  REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    D3DKMT_OPENSYNCHRONIZATIONOBJECT open{c.Info.SharedHandle, 0x1eadbeed, {}};
    ::_exit(D3DKMTOpenSynchronizationObject(&open) == STATUS_SUCCESS && is_local_handle(open.hSyncObject) ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(d.destroy(c.hSyncObject) == STATUS_SUCCESS);
  D3DKMT_OPENSYNCHRONIZATIONOBJECT open{c.Info.SharedHandle, 0, {}};
  bool gone = false;
  for (int k = 0; k < 200 && !gone; ++k) {  // the child's connection closes when it exits
    gone = D3DKMTOpenSynchronizationObject(&open) == STATUS_INVALID_PARAMETER;
    if (!gone) {
      d.destroy(open.hSyncObject);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  CHECK(gone);
}

TEST_CASE("NtSecuritySharing needs Shared and then no global handle is made", "[driver][sync][share]") {
  Device d;
  auto nt_only = make_v2(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, 0x2);
  CHECK(D3DKMTCreateSynchronizationObject2(&nt_only) == STATUS_INVALID_PARAMETER);
  auto both = make_v2(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, 0x3);
  REQUIRE(D3DKMTCreateSynchronizationObject2(&both) == STATUS_SUCCESS);
  CHECK((both.Info.SharedHandle == 0 || both.Info.SharedHandle == 0x1eadbeed));
}

TEST_CASE("Only sync objects made with NtSecuritySharing can be shared", "[driver][sync][share]") {
  Device d;
  HANDLE nt = reinterpret_cast<HANDLE>(0xdeadbeef);
  OBJECT_ATTRIBUTES attr{};
  attr.Length = sizeof(attr);
  D3DKMT_HANDLE v1 = 0;
  REQUIRE(create_v1(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, &v1) == STATUS_SUCCESS);
  CHECK(D3DKMTShareObjects(1, &v1, &attr, STANDARD_RIGHTS_WRITE, &nt) == STATUS_INVALID_PARAMETER);
  for (UINT flags : {0u, 1u}) {
    auto c = make_v2(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, flags);
    REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
    CHECK(D3DKMTShareObjects(1, &c.hSyncObject, &attr, STANDARD_RIGHTS_WRITE, &nt) == STATUS_INVALID_PARAMETER);
  }
}

TEST_CASE("A named NT handle lives on after its creator handle and its name goes with the last NT handle",
          "[driver][sync][share][names]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\__kmtsim_test");
  Name name2(L"\\BaseNamedObjects\\__kmtsim_test_2");
  Name lower(L"\\basenamedobjects\\__KMTSIM_TEST");
  Name invalid(L"\\BaseNamedObjects\\__kmtsim_invalid");
  auto c = make_v2(d.device, D3DDDI_SYNCHRONIZATION_MUTEX, 0x3);
  REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
  HANDLE h1 = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &c.hSyncObject, &name.attr, STANDARD_RIGHTS_WRITE, &h1) == STATUS_SUCCESS);
  CHECK(is_nt_handle(h1));
  CHECK(d.destroy(static_cast<D3DKMT_HANDLE>(reinterpret_cast<uintptr_t>(h1))) == STATUS_INVALID_PARAMETER);
  REQUIRE(d.destroy(c.hSyncObject) == STATUS_SUCCESS);

  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE v1{};
  CHECK(D3DKMTOpenSyncObjectFromNtHandle(&v1) == STATUS_INVALID_HANDLE);
  v1.hNtHandle = h1;
  REQUIRE(D3DKMTOpenSyncObjectFromNtHandle(&v1) == STATUS_SUCCESS);
  HANDLE stale = nullptr;
  CHECK(D3DKMTShareObjects(1, &c.hSyncObject, &name.attr, STANDARD_RIGHTS_WRITE, &stale) == STATUS_INVALID_PARAMETER);
  CHECK(d.destroy(v1.hSyncObject) == STATUS_SUCCESS);

  D3DKMT_HANDLE opened = 0;
  REQUIRE(d.open(h1, &opened) == STATUS_SUCCESS);
  HANDLE reshared = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &opened, &name2.attr, STANDARD_RIGHTS_READ, &reshared) == STATUS_SUCCESS);
  ::close(fd_of(reshared));
  CHECK(d.destroy(opened) == STATUS_SUCCESS);

  D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME by_name{};
  CHECK(D3DKMTOpenSyncObjectNtHandleFromName(&by_name) == STATUS_INVALID_PARAMETER);
  by_name.pObjAttrib = &invalid.attr;
  CHECK(D3DKMTOpenSyncObjectNtHandleFromName(&by_name) == STATUS_OBJECT_NAME_NOT_FOUND);
  by_name.pObjAttrib = &lower.attr;
  CHECK(D3DKMTOpenSyncObjectNtHandleFromName(&by_name) == STATUS_ACCESS_DENIED);
  by_name.dwDesiredAccess = STANDARD_RIGHTS_WRITE;
  REQUIRE(D3DKMTOpenSyncObjectNtHandleFromName(&by_name) == STATUS_SUCCESS);
  HANDLE h2 = by_name.hNtHandle;
  CHECK(is_nt_handle(h2));

  ::close(fd_of(h1));
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 closed{};
  closed.hNtHandle = h1;
  closed.hDevice = d.device;
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&closed) == STATUS_INVALID_HANDLE);
  D3DKMT_HANDLE survivor = 0;
  REQUIRE(d.open(h2, &survivor) == STATUS_SUCCESS);
  ::close(fd_of(h2));
  // Every NT handle is closed now: the name is gone (once the daemon has seen it).
  NTSTATUS status = STATUS_SUCCESS;
  for (int k = 0; k < 200; ++k) {
    by_name.hNtHandle = nullptr;
    status = D3DKMTOpenSyncObjectNtHandleFromName(&by_name);
    if (status != STATUS_SUCCESS) break;
    ::close(fd_of(by_name.hNtHandle));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(status == STATUS_OBJECT_NAME_NOT_FOUND);
  // The object is still there and can be shared under the name again.
  HANDLE again = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &survivor, &name.attr, STANDARD_RIGHTS_READ, &again) == STATUS_SUCCESS);
  D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME read_back{STANDARD_RIGHTS_READ, &name.attr, nullptr};
  REQUIRE(D3DKMTOpenSyncObjectNtHandleFromName(&read_back) == STATUS_SUCCESS);
  ::close(fd_of(again));
  ::close(fd_of(read_back.hNtHandle));
  CHECK(d.destroy(survivor) == STATUS_SUCCESS);
}

TEST_CASE("OBJ_OPENIF on a name in use opens it and says so", "[driver][share][names]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\kmtsim_openif");
  const D3DKMT_HANDLE f = d.fence();
  HANDLE first = nullptr, second = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &first) == STATUS_SUCCESS);
  name.attr.Attributes = OBJ_OPENIF;
  REQUIRE(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &second) == STATUS_OBJECT_NAME_EXISTS);
  CHECK(is_nt_handle(second));
  D3DKMT_HANDLE via_second = 0;
  REQUIRE(d.open(second, &via_second) == STATUS_SUCCESS);
  ::close(fd_of(first));
  ::close(fd_of(second));
}

TEST_CASE("A GPU wait holds back the work queued after it until the CPU signals", "[driver][gpu][rtl]") {
  Device d;
  const volatile UINT64* g_value = nullptr;
  const D3DKMT_HANDLE f = d.fence(0);
  const D3DKMT_HANDLE g = d.fence(0, true, &g_value);
  const D3DKMT_HANDLE ctx = d.context();
  UINT64 five = 5;
  D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU w{};
  w.hContext = ctx;
  w.ObjectCount = 1;
  w.ObjectHandleArray = &f;
  w.MonitoredFenceValueArray = &five;
  REQUIRE(D3DKMTWaitForSynchronizationObjectFromGpu(&w) == STATUS_SUCCESS);
  REQUIRE(d.signal_gpu(ctx, g, 1) == STATUS_SUCCESS);
  Event e;
  REQUIRE(d.wait(g, 1, e.handle()) == STATUS_SUCCESS);
  CHECK_FALSE(e.wait(100));
  CHECK(*g_value == 0);
  REQUIRE(d.signal(f, 4) == STATUS_SUCCESS);
  CHECK_FALSE(e.wait(100));
  REQUIRE(d.signal(f, 5) == STATUS_SUCCESS);
  CHECK(e.wait(2000));
  CHECK(*g_value == 1);
  w.ObjectCount = 0;
  CHECK(D3DKMTWaitForSynchronizationObjectFromGpu(&w) == STATUS_INVALID_PARAMETER);
  w.ObjectCount = 1;
  w.hContext = 0x1eadbeed;
  CHECK(D3DKMTWaitForSynchronizationObjectFromGpu(&w) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("SignalFromGpu2 signals for every context and can set a CPU event", "[driver][gpu]") {
  Device d;
  const volatile UINT64* value = nullptr;
  const D3DKMT_HANDLE f = d.fence(0, true, &value);
  D3DKMT_HANDLE contexts[2] = {d.context(), d.context()};
  UINT64 seven = 7;
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2 s{};
  s.ObjectCount = 1;
  s.ObjectHandleArray = &f;
  s.BroadcastContextCount = 2;
  s.BroadcastContextArray = contexts;
  s.MonitoredFenceValueArray = &seven;
  REQUIRE(D3DKMTSignalSynchronizationObjectFromGpu2(&s) == STATUS_SUCCESS);
  REQUIRE(d.wait(f, 7) == STATUS_SUCCESS);
  CHECK(*value == 7);
  Event e;
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2 ev{};
  ev.Flags.EnqueueCpuEvent = 1;
  ev.BroadcastContextCount = 2;
  ev.BroadcastContextArray = contexts;
  ev.CpuEventHandle = e.handle();
  REQUIRE(D3DKMTSignalSynchronizationObjectFromGpu2(&ev) == STATUS_SUCCESS);
  CHECK(e.wait(2000));
  ev.ObjectCount = 1;  // with EnqueueCpuEvent, no objects
  ev.ObjectHandleArray = &f;
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(&ev) == STATUS_INVALID_PARAMETER);
  ev.ObjectCount = 0;
  ev.CpuEventHandle = nullptr;
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(&ev) == STATUS_INVALID_HANDLE);
  s.BroadcastContextCount = 0;
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(&s) == STATUS_INVALID_PARAMETER);
  s.BroadcastContextCount = 1;
  s.Flags.Value = 0x100;
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(&s) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("Destroying a device destroys what was made on it", "[driver][device]") {
  Device d;
  D3DKMT_CREATEDEVICE second{};
  second.hAdapter = d.adapter;
  REQUIRE(D3DKMTCreateDevice(&second) == STATUS_SUCCESS);
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
  c.hDevice = second.hDevice;
  c.Info.Type = D3DDDI_MONITORED_FENCE;
  REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
  D3DKMT_CREATECONTEXTVIRTUAL ctx{};
  ctx.hDevice = second.hDevice;
  REQUIRE(D3DKMTCreateContextVirtual(&ctx) == STATUS_SUCCESS);
  D3DKMT_DESTROYDEVICE destroy{second.hDevice};
  REQUIRE(D3DKMTDestroyDevice(&destroy) == STATUS_SUCCESS);
  CHECK(d.destroy(c.hSyncObject) == STATUS_INVALID_PARAMETER);
  D3DKMT_DESTROYCONTEXT dc{ctx.hContext};
  CHECK(D3DKMTDestroyContext(&dc) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("SubmitCommand checks its contexts", "[driver][gpu]") {
  Device d;
  D3DKMT_SUBMITCOMMAND s{};
  CHECK(D3DKMTSubmitCommand(&s) == STATUS_INVALID_PARAMETER);  // no context
  s.BroadcastContextCount = 1;
  s.BroadcastContext[0] = 0x1eadbeed;
  CHECK(D3DKMTSubmitCommand(&s) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTSubmitCommand(nullptr) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("A shared name lives in a session's object directory", "[driver][share][names]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence();
  HANDLE nt = nullptr;
  Name session(L"\\Sessions\\1\\BaseNamedObjects\\kmtsim_session");
  REQUIRE(D3DKMTShareObjects(1, &f, &session.attr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  ::close(fd_of(nt));
  Name no_dir(L"\\NoSuchDirectory\\kmtsim");
  CHECK(D3DKMTShareObjects(1, &f, &no_dir.attr, GENERIC_ALL, &nt) == STATUS_OBJECT_PATH_NOT_FOUND);
  Name relative(L"kmtsim_relative");
  CHECK(D3DKMTShareObjects(1, &f, &relative.attr, GENERIC_ALL, &nt) == STATUS_OBJECT_PATH_SYNTAX_BAD);
  Name no_leaf(L"\\BaseNamedObjects\\");
  CHECK(D3DKMTShareObjects(1, &f, &no_leaf.attr, GENERIC_ALL, &nt) == STATUS_OBJECT_NAME_INVALID);
  Name rooted(L"kmtsim_rooted");
  rooted.attr.RootDirectory = reinterpret_cast<HANDLE>(3);
  CHECK(D3DKMTShareObjects(1, &f, &rooted.attr, GENERIC_ALL, &nt) == STATUS_INVALID_HANDLE);
  D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME open{GENERIC_ALL, &no_dir.attr, nullptr};
  CHECK(D3DKMTOpenSyncObjectNtHandleFromName(&open) == STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST_CASE("OBJ_OPENIF returns a handle to the object already named", "[driver][share][names]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\kmtsim_openif_first");
  const D3DKMT_HANDLE first = d.fence(11), second = d.fence(22);
  HANDLE h1 = nullptr, h2 = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &first, &name.attr, GENERIC_ALL, &h1) == STATUS_SUCCESS);
  name.attr.Attributes = OBJ_OPENIF;
  REQUIRE(D3DKMTShareObjects(1, &second, &name.attr, GENERIC_ALL, &h2) == STATUS_OBJECT_NAME_EXISTS);
  const volatile UINT64* value = nullptr;
  D3DKMT_HANDLE opened = 0;
  REQUIRE(d.open(h2, &opened, &value) == STATUS_SUCCESS);
  CHECK(*value == 11);  // the named object's fence, not the one passed in
  ::close(fd_of(h1));
  ::close(fd_of(h2));
}

TEST_CASE("Object attributes are checked before the name", "[driver][share][names]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\kmtsim_attr_order");
  const D3DKMT_HANDLE f = d.fence();
  HANDLE first = nullptr, nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &first) == STATUS_SUCCESS);
  CHECK(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &nt) == STATUS_OBJECT_NAME_COLLISION);
  name.attr.Length += 4;  // the same name, but malformed attributes
  CHECK(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
  ::close(fd_of(first));
}

TEST_CASE("Unnamed attributes share without a name", "[driver][share][names]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence();
  OBJECT_ATTRIBUTES attr{};
  InitializeObjectAttributes(&attr, nullptr, 0, nullptr, nullptr);
  HANDLE nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &f, &attr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  CHECK(is_nt_handle(nt));
  ::close(fd_of(nt));
}

TEST_CASE("A sync object opened with the v1 call can be shared again", "[driver][share]") {
  Device d;
  HANDLE nt = nullptr;
  REQUIRE(d.share(d.fence(), &nt) == STATUS_SUCCESS);
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE v1{nt, 0};
  REQUIRE(D3DKMTOpenSyncObjectFromNtHandle(&v1) == STATUS_SUCCESS);
  HANDLE again = nullptr;
  CHECK(d.share(v1.hSyncObject, &again) == STATUS_SUCCESS);
  CHECK(is_nt_handle(again));
  ::close(fd_of(again));
  ::close(fd_of(nt));
}

TEST_CASE("Each share is a new NT object with its own name", "[driver][share][names]") {
  Device d;
  Name a(L"\\BaseNamedObjects\\kmtsim_twice_a");
  Name b(L"\\BaseNamedObjects\\kmtsim_twice_b");
  const D3DKMT_HANDLE f = d.fence(5);
  HANDLE ha = nullptr, hb = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &f, &a.attr, GENERIC_ALL, &ha) == STATUS_SUCCESS);
  REQUIRE(D3DKMTShareObjects(1, &f, &b.attr, GENERIC_ALL, &hb) == STATUS_SUCCESS);
  CHECK(ha != hb);
  ::close(fd_of(ha));
  // Name a goes with its only NT handle; name b stays with its own.
  D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME by_a{GENERIC_ALL, &a.attr, nullptr};
  NTSTATUS status = STATUS_SUCCESS;
  for (int k = 0; k < 200 && status == STATUS_SUCCESS; ++k) {
    status = D3DKMTOpenSyncObjectNtHandleFromName(&by_a);
    if (status == STATUS_SUCCESS) {
      ::close(fd_of(by_a.hNtHandle));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  CHECK(status == STATUS_OBJECT_NAME_NOT_FOUND);
  D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME by_b{GENERIC_ALL, &b.attr, nullptr};
  REQUIRE(D3DKMTOpenSyncObjectNtHandleFromName(&by_b) == STATUS_SUCCESS);
  ::close(fd_of(by_b.hNtHandle));
  ::close(fd_of(hb));
}

TEST_CASE("NT handles are close-on-exec descriptors", "[driver][share]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\kmtsim_cloexec");
  const D3DKMT_HANDLE f = d.fence();
  HANDLE shared = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &shared) == STATUS_SUCCESS);
  D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME by_name{GENERIC_ALL, &name.attr, nullptr};
  REQUIRE(D3DKMTOpenSyncObjectNtHandleFromName(&by_name) == STATUS_SUCCESS);
  for (HANDLE h : {shared, by_name.hNtHandle}) {
    CHECK(is_nt_handle(h));
    CHECK((::fcntl(fd_of(h), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(fd_of(h) > 2);  // never a standard stream's number
  }
  ::close(fd_of(shared));
  ::close(fd_of(by_name.hNtHandle));
}

TEST_CASE("A local handle is never taken for an NT handle", "[driver][share]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence();
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o{};
  o.hDevice = d.device;
  o.hNtHandle = reinterpret_cast<HANDLE>(static_cast<uintptr_t>(f));
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_INVALID_HANDLE);
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE v1{o.hNtHandle, 0};
  CHECK(D3DKMTOpenSyncObjectFromNtHandle(&v1) == STATUS_INVALID_HANDLE);
  // Nor a descriptor number that happens to be open but is no NT handle.
  o.hNtHandle = handle_of_fd(0);
  CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_INVALID_HANDLE);
}

TEST_CASE("Open by name needs STANDARD_RIGHTS_READ directly or through a generic right", "[driver][share][access]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\kmtsim_read_right");
  const D3DKMT_HANDLE f = d.fence();
  HANDLE nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  auto open = [&](DWORD access) {
    D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME o{access, &name.attr, nullptr};
    const NTSTATUS s = D3DKMTOpenSyncObjectNtHandleFromName(&o);
    if (s == STATUS_SUCCESS) ::close(fd_of(o.hNtHandle));
    return s;
  };
  CHECK(open(D3DDDI_SYNC_OBJECT_WAIT) == STATUS_ACCESS_DENIED);
  CHECK(open(D3DDDI_SYNC_OBJECT_SIGNAL | SYNCHRONIZE) == STATUS_ACCESS_DENIED);
  CHECK(open(STANDARD_RIGHTS_READ) == STATUS_SUCCESS);
  CHECK(open(GENERIC_READ) == STATUS_SUCCESS);
  CHECK(open(GENERIC_WRITE) == STATUS_SUCCESS);
  CHECK(open(GENERIC_EXECUTE) == STATUS_SUCCESS);
  CHECK(open(D3DDDI_SYNC_OBJECT_ALL_ACCESS) == STATUS_SUCCESS);
  ::close(fd_of(nt));
}

TEST_CASE("Generic rights on a sync object map to wait and signal", "[driver][share][access]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence(1);
  struct Row {
    DWORD access;
    NTSTATUS wait, signal;
  };
  for (const Row& row : {Row{GENERIC_READ, STATUS_SUCCESS, STATUS_ACCESS_DENIED},
                         Row{GENERIC_WRITE, STATUS_ACCESS_DENIED, STATUS_SUCCESS},
                         Row{GENERIC_EXECUTE, STATUS_ACCESS_DENIED, STATUS_ACCESS_DENIED},
                         Row{GENERIC_ALL, STATUS_SUCCESS, STATUS_SUCCESS}}) {
    INFO("access " << std::hex << row.access);
    HANDLE nt = nullptr;
    REQUIRE(d.share(f, &nt, row.access) == STATUS_SUCCESS);
    D3DKMT_HANDLE opened = 0;
    REQUIRE(d.open(nt, &opened) == STATUS_SUCCESS);
    CHECK(d.wait(opened, 1) == row.wait);
    CHECK(d.signal(opened, 1) == row.signal);
    ::close(fd_of(nt));
  }
}

TEST_CASE("GPU signals and waits need the signal and wait rights and are refused with no effect",
          "[driver][share][access][gpu]") {
  Device d;
  const volatile UINT64* value = nullptr;
  const D3DKMT_HANDLE f = d.fence(1, true, &value);
  const D3DKMT_HANDLE ctx = d.context();
  HANDLE nt = nullptr;
  REQUIRE(d.share(f, &nt, STANDARD_RIGHTS_READ) == STATUS_SUCCESS);
  D3DKMT_HANDLE read_only = 0;
  REQUIRE(d.open(nt, &read_only) == STATUS_SUCCESS);
  CHECK(d.signal_gpu(ctx, read_only, 9) == STATUS_ACCESS_DENIED);
  UINT64 nine = 9;
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2 s2{};
  s2.ObjectCount = 1;
  s2.ObjectHandleArray = &read_only;
  s2.BroadcastContextCount = 1;
  s2.BroadcastContextArray = &ctx;
  s2.MonitoredFenceValueArray = &nine;
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(&s2) == STATUS_ACCESS_DENIED);
  CHECK(d.wait_gpu(ctx, read_only, 9) == STATUS_ACCESS_DENIED);
  // Nothing was queued: the context's next signal runs at once, and the
  // fence was not touched.
  REQUIRE(d.signal_gpu(ctx, f, 2) == STATUS_SUCCESS);
  REQUIRE(d.wait(f, 2) == STATUS_SUCCESS);
  CHECK(*value == 2);
  ::close(fd_of(nt));
}

TEST_CASE("GPU signals and waits take 1 to 32 objects", "[driver][gpu]") {
  Device d;
  const D3DKMT_HANDLE ctx = d.context();
  std::vector<D3DKMT_HANDLE> handles(33, d.fence());
  std::vector<UINT64> values(33, 1);
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU s{};
  s.hContext = ctx;
  s.ObjectHandleArray = handles.data();
  s.MonitoredFenceValueArray = values.data();
  D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU w{};
  w.hContext = ctx;
  w.ObjectHandleArray = handles.data();
  w.MonitoredFenceValueArray = values.data();
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU2 s2{};
  s2.ObjectHandleArray = handles.data();
  s2.BroadcastContextCount = 1;
  s2.BroadcastContextArray = &ctx;
  s2.MonitoredFenceValueArray = values.data();
  for (UINT count : {0u, 33u}) {
    INFO("count " << count);
    s.ObjectCount = w.ObjectCount = s2.ObjectCount = count;
    CHECK(D3DKMTSignalSynchronizationObjectFromGpu(&s) == STATUS_INVALID_PARAMETER);
    CHECK(D3DKMTWaitForSynchronizationObjectFromGpu(&w) == STATUS_INVALID_PARAMETER);
    CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(&s2) == STATUS_INVALID_PARAMETER);
  }
  s.ObjectCount = w.ObjectCount = s2.ObjectCount = 32;
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu(&s) == STATUS_SUCCESS);
  CHECK(D3DKMTWaitForSynchronizationObjectFromGpu(&w) == STATUS_SUCCESS);
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu2(&s2) == STATUS_SUCCESS);
  CHECK(d.wait(handles[0], 1) == STATUS_SUCCESS);
}

TEST_CASE("A GPU signal never lowers a fence and carries full 64-bit values", "[driver][gpu][rtl]") {
  Device d;
  const volatile UINT64* value = nullptr;
  const D3DKMT_HANDLE f = d.fence(0, false, &value);
  const D3DKMT_HANDLE done = d.fence(0, false);
  const D3DKMT_HANDLE ctx = d.context();
  const UINT64 high = (UINT64{1} << 32) + 5;
  REQUIRE(d.signal_gpu(ctx, f, (UINT64{1} << 32) - 2) == STATUS_SUCCESS);
  REQUIRE(d.signal_gpu(ctx, f, high) == STATUS_SUCCESS);
  REQUIRE(d.signal_gpu(ctx, f, 5) == STATUS_SUCCESS);  // lower: the GPU does not rewind
  REQUIRE(d.signal_gpu(ctx, done, 1) == STATUS_SUCCESS);
  REQUIRE(d.wait(done, 1) == STATUS_SUCCESS);
  CHECK(*value == high);
  CHECK(d.wait(f, high) == STATUS_SUCCESS);
}

TEST_CASE("OpenSyncObjectFromNtHandle2 takes per-opener flags and leaves them as they were", "[driver][share]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence(3);
  HANDLE nt = nullptr;
  REQUIRE(d.share(f, &nt) == STATUS_SUCCESS);
  auto open = [&](UINT flags, D3DKMT_HANDLE* out) {
    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o{};
    o.hNtHandle = nt;
    o.hDevice = d.device;
    o.Flags.Value = flags;
    const NTSTATUS s = D3DKMTOpenSyncObjectFromNtHandle2(&o);
    CHECK(o.Flags.Value == flags);
    *out = o.hSyncObject;
    return s;
  };
  D3DKMT_HANDLE h = 0;
  CHECK(open(0x1000, &h) == STATUS_INVALID_PARAMETER);     // a reserved bit
  CHECK(open(0x10 | 0x20, &h) == STATUS_INVALID_PARAMETER);  // NoSignal with NoWait
  REQUIRE(open(0x10, &h) == STATUS_SUCCESS);                // NoSignal: this opener only waits
  CHECK(d.signal(h, 4) == STATUS_INVALID_PARAMETER);
  CHECK(d.signal_gpu(d.context(), h, 4) == STATUS_INVALID_PARAMETER);
  CHECK(d.wait(h, 3) == STATUS_SUCCESS);
  REQUIRE(open(0x20, &h) == STATUS_SUCCESS);  // NoWait: this opener only signals
  CHECK(d.wait(h, 3) == STATUS_INVALID_PARAMETER);
  CHECK(d.signal(h, 4) == STATUS_SUCCESS);
  ::close(fd_of(nt));
}

TEST_CASE("Open by name checks the object attributes", "[driver][share][names]") {
  Device d;
  auto open = [](OBJECT_ATTRIBUTES* attr) {
    D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME o{GENERIC_ALL, attr, nullptr};
    return D3DKMTOpenSyncObjectNtHandleFromName(&o);
  };
  Name bad_length(L"\\BaseNamedObjects\\kmtsim_x");
  bad_length.attr.Length = 0;
  CHECK(open(&bad_length.attr) == STATUS_INVALID_PARAMETER);
  char raw[64] = {};
  UNICODE_STRING misaligned{4, 8, reinterpret_cast<PWSTR>(raw + 1)};
  OBJECT_ATTRIBUTES attr{};
  InitializeObjectAttributes(&attr, &misaligned, 0, nullptr, nullptr);
  CHECK(open(&attr) == STATUS_DATATYPE_MISALIGNMENT);
  Name odd(L"\\BaseNamedObjects\\kmtsim_x");
  odd.us.Length = 3;
  CHECK(open(&odd.attr) == STATUS_OBJECT_NAME_INVALID);
  OBJECT_ATTRIBUTES no_name{};
  InitializeObjectAttributes(&no_name, nullptr, 0, nullptr, nullptr);
  CHECK(open(&no_name) == STATUS_OBJECT_NAME_INVALID);
}

TEST_CASE("A GPU signal or a CPU wait with one bad handle among good ones does nothing", "[driver][gpu][wait]") {
  Device d;
  const volatile UINT64* value = nullptr;
  const D3DKMT_HANDLE f = d.fence(1, false, &value);
  const D3DKMT_HANDLE ctx = d.context();
  const D3DKMT_HANDLE handles[2] = {f, 0x1eadbec0};
  const UINT64 values[2] = {9, 9};
  D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU s{};
  s.hContext = ctx;
  s.ObjectCount = 2;
  s.ObjectHandleArray = handles;
  s.MonitoredFenceValueArray = values;
  CHECK(D3DKMTSignalSynchronizationObjectFromGpu(&s) == STATUS_INVALID_PARAMETER);
  Event e;
  D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
  w.hDevice = d.device;
  w.ObjectCount = 2;
  w.ObjectHandleArray = handles;
  w.FenceValueArray = values;
  w.hAsyncEvent = e.handle();
  w.Flags.WaitAny = 1;
  CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(&w) == STATUS_INVALID_PARAMETER);
  // The context ran nothing for the refused signal; no waiter was left behind.
  REQUIRE(d.signal_gpu(ctx, f, 2) == STATUS_SUCCESS);
  REQUIRE(d.wait(f, 2) == STATUS_SUCCESS);
  CHECK(*value == 2);
  REQUIRE(d.signal(f, 9) == STATUS_SUCCESS);
  CHECK_FALSE(e.wait(100));
}
