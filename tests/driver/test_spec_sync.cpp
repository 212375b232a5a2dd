// Sync objects by type, legacy global handles, NT-handle sharing with names
// (spec §1.4, §2, §3, §5, §6, §8 and the measured Windows cases it cites).
#define CATCH_CONFIG_MAIN
#include "driver_fixture.h"

#include <sys/wait.h>

#include <chrono>
#include <cwchar>
#include <thread>

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

struct Name {
  WCHAR text[64];
  UNICODE_STRING us{};
  OBJECT_ATTRIBUTES attr{};
  explicit Name(const wchar_t* s) {
    std::wcsncpy(text, s, 63);
    text[63] = 0;
    us = {static_cast<USHORT>(std::wcslen(text) * sizeof(WCHAR)), sizeof(text), text};
    InitializeObjectAttributes(&attr, &us, 0, nullptr, nullptr);
  }
};

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
