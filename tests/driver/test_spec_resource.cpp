// Allocations and resources (spec §4), their sharing (spec §2, §5), and
// video-memory allocations locked by the CPU.
#define CATCH_CONFIG_MAIN
#include "alloc_fixture.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <cstring>
#include <vector>

using namespace kmtsim::test;

namespace {

// The standard allocation of the spec's §4 tests, over 64 KiB of our memory.
struct Standard {
  void* memory = ::mmap(nullptr, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  D3DKMT_CREATESTANDARDALLOCATION standard{};
  D3DDDI_ALLOCATIONINFO alloc{};
  D3DKMT_CREATEALLOCATION create{};
  unsigned char runtime[4] = {7, 8, 9, 10};

  Standard(D3DKMT_HANDLE device, UINT flags) {
    standard.Type = D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP;
    standard.ExistingHeapData.Size = 0x10000;
    alloc.pSystemMem = memory;
    alloc.hAllocation = 0x1eadbeed;
    create.hDevice = device;
    create.Flags = flags_of(kExistingSysMem | kStandardAllocation | flags);
    create.pStandardAllocation = &standard;
    create.NumAllocations = 1;
    create.pAllocationInfo = &alloc;
    create.hGlobalShare = 0x1eadbeed;
    create.hPrivateRuntimeResourceHandle = reinterpret_cast<HANDLE>(0xdeadbeef);
  }
  ~Standard() { ::munmap(memory, 0x10000); }
  NTSTATUS run() { return D3DKMTCreateAllocation(&create); }
};

// The (resource, keyed mutex, sync object) shape of ShareObjects, shared
// unnamed with every right; the mutex with the given private data.
struct Triple {
  Standard resource;
  D3DKMT_CREATEKEYEDMUTEX2 mutex{};
  D3DKMT_HANDLE sync = 0;
  HANDLE nt = nullptr;

  Triple(Device& d, void* mutex_data = nullptr, UINT mutex_size = 0)
      : resource(d.device, kCreateResource | kCreateShared | kNtSecuritySharing) {
    REQUIRE(resource.run() == STATUS_SUCCESS);
    mutex.Flags.NtSecuritySharing = 1;
    mutex.pPrivateRuntimeData = mutex_data;
    mutex.PrivateRuntimeDataSize = mutex_size;
    REQUIRE(D3DKMTCreateKeyedMutex2(&mutex) == STATUS_SUCCESS);
    sync = d.fence();
    const D3DKMT_HANDLE objects[3] = {resource.create.hResource, mutex.hKeyedMutex, sync};
    REQUIRE(D3DKMTShareObjects(3, objects, nullptr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  }
  ~Triple() { ::close(fd_of(nt)); }
};

NTSTATUS destroy(D3DKMT_HANDLE device, D3DKMT_HANDLE resource, const D3DKMT_HANDLE* list = nullptr, UINT count = 0) {
  D3DKMT_DESTROYALLOCATION d{device, resource, list, count};
  return D3DKMTDestroyAllocation(&d);
}

}  // namespace

TEST_CASE("A standard allocation over existing memory returns one local allocation handle", "[driver][resource]") {
  Device d;
  Standard s(d.device, 0);
  REQUIRE(s.run() == STATUS_SUCCESS);
  CHECK(s.create.hGlobalShare == 0);
  CHECK(s.create.hResource == 0);
  CHECK(is_local_handle(s.alloc.hAllocation));
  CHECK(s.create.hPrivateRuntimeResourceHandle == reinterpret_cast<HANDLE>(0xdeadbeef));
  CHECK(destroy(d.device, 0) == STATUS_SUCCESS);  // nothing named: a no-op
  D3DKMT_DESTROYALLOCATION null_list{d.device, 0, nullptr, 1};
  CHECK(D3DKMTDestroyAllocation(&null_list) == STATUS_INVALID_PARAMETER);
  CHECK(destroy(d.device, 0, &s.alloc.hAllocation, 1) == STATUS_SUCCESS);
  CHECK(destroy(d.device, 0, &s.alloc.hAllocation, 1) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("CreateAllocation2 and DestroyAllocation2 work on the same standard allocation", "[driver][resource]") {
  Device d;
  Standard s(d.device, 0);
  D3DDDI_ALLOCATIONINFO2 a2{};
  a2.pSystemMem = s.memory;
  s.create.pAllocationInfo2 = &a2;
  REQUIRE(D3DKMTCreateAllocation2(&s.create) == STATUS_SUCCESS);
  CHECK(is_local_handle(a2.hAllocation));
  CHECK(s.create.PrivateRuntimeDataSize == 0);
  CHECK(s.create.PrivateDriverDataSize == 0);
  CHECK(a2.PrivateDriverDataSize == 0);
  CHECK(s.create.hPrivateRuntimeResourceHandle == reinterpret_cast<HANDLE>(0xdeadbeef));
  D3DKMT_DESTROYALLOCATION2 d2{};
  d2.hDevice = d.device;
  d2.phAllocationList = &a2.hAllocation;
  d2.AllocationCount = 1;
  CHECK(D3DKMTDestroyAllocation2(&d2) == STATUS_SUCCESS);
}

TEST_CASE("CreateAllocation validates every field of a standard allocation", "[driver][resource]") {
  Device d;
  Standard s(d.device, 0);
  unsigned char priv[6] = {1, 2, 3, 4, 5, 6};
  s.alloc.pPrivateDriverData = priv;  // per-allocation driver data is allowed
  s.alloc.PrivateDriverDataSize = sizeof(priv);
  s.create.pPrivateRuntimeData = s.runtime;
  s.create.PrivateRuntimeDataSize = sizeof(s.runtime);
  REQUIRE(s.run() == STATUS_SUCCESS);
  CHECK(destroy(d.device, 0, &s.alloc.hAllocation, 1) == STATUS_SUCCESS);
  auto expect = [&](auto&& mutate, NTSTATUS want) {
    Standard t(d.device, 0);
    mutate(t);
    CHECK(t.run() == want);
  };
  expect([](Standard& t) { t.create.PrivateDriverDataSize = 64; }, STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.create.hDevice = 0; }, STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.create.hResource = 0x1eadbeed; }, STATUS_INVALID_HANDLE);
  expect([](Standard& t) { t.create.NumAllocations = 0; }, STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.standard.Type = static_cast<D3DKMT_STANDARDALLOCATIONTYPE>(0); }, STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.alloc.pSystemMem = nullptr; }, STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.standard.ExistingHeapData.Size = 0x1100; }, STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.create.Flags = flags_of(kStandardAllocation); }, STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.create.Flags = flags_of(kExistingSysMem); }, STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.create.Flags = flags_of(kExistingSysMem | kStandardAllocation | kCreateShared); },
         STATUS_INVALID_PARAMETER);
  expect([](Standard& t) { t.create.Flags = flags_of(kExistingSysMem | kStandardAllocation | kCreateResource);
                           t.create.hResource = 0x1eadbeed; },
         STATUS_INVALID_HANDLE);
  D3DDDI_ALLOCATIONINFO two[2] = {};
  expect([&](Standard& t) { two[0].pSystemMem = two[1].pSystemMem = t.memory; t.create.pAllocationInfo = two;
                            t.create.NumAllocations = 2; },
         STATUS_INVALID_PARAMETER);
  D3DKMT_CREATEALLOCATION zero{};
  CHECK(D3DKMTCreateAllocation(&zero) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("CreateResource returns the resource handle before the allocation handle", "[driver][resource]") {
  Device d;
  Standard s(d.device, kCreateResource);
  s.create.hResource = 0;
  REQUIRE(s.run() == STATUS_SUCCESS);
  CHECK(s.create.hGlobalShare == 0);
  CHECK(is_local_handle(s.create.hResource));
  CHECK(s.alloc.hAllocation == s.create.hResource + 0x40);
  // The allocation goes, the resource stays; then the resource goes.
  CHECK(destroy(d.device, 0, &s.alloc.hAllocation, 1) == STATUS_SUCCESS);
  CHECK(destroy(d.device, s.create.hResource) == STATUS_SUCCESS);
  CHECK(destroy(d.device, s.create.hResource) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("Destroying a resource takes its allocations with it", "[driver][resource]") {
  Device d;
  Standard s(d.device, kCreateResource);
  REQUIRE(s.run() == STATUS_SUCCESS);
  const D3DKMT_HANDLE res = s.create.hResource;
  const D3DKMT_HANDLE alloc = s.alloc.hAllocation;
  // No allocations join an existing resource.
  Standard t(d.device, 0);
  t.create.hResource = res;
  CHECK(t.run() == STATUS_INVALID_PARAMETER);
  CHECK(destroy(d.device, res) == STATUS_SUCCESS);
  CHECK(destroy(d.device, 0, &alloc, 1) == STATUS_INVALID_PARAMETER);
  Standard none(d.device, kCreateResource);
  none.create.NumAllocations = 0;
  CHECK(none.run() == STATUS_INVALID_PARAMETER);
}

TEST_CASE("QueryResourceInfo and OpenResource want a global handle", "[driver][resource]") {
  Device d;
  Standard local(d.device, kCreateResource);
  REQUIRE(local.run() == STATUS_SUCCESS);
  D3DKMT_QUERYRESOURCEINFO q{};
  q.hDevice = d.device;
  q.hGlobalShare = local.create.hResource;
  CHECK(D3DKMTQueryResourceInfo(&q) == STATUS_INVALID_PARAMETER);

  Standard s(d.device, kCreateResource | kCreateShared);
  s.create.pPrivateRuntimeData = s.runtime;
  s.create.PrivateRuntimeDataSize = sizeof(s.runtime);
  REQUIRE(s.run() == STATUS_SUCCESS);
  CHECK(is_global_handle(s.create.hGlobalShare));
  unsigned char runtime[0x100];
  std::memset(runtime, 0xcd, sizeof(runtime));
  q.hGlobalShare = s.create.hGlobalShare;
  q.pPrivateRuntimeData = runtime;
  q.PrivateRuntimeDataSize = sizeof(runtime);
  REQUIRE(D3DKMTQueryResourceInfo(&q) == STATUS_SUCCESS);
  CHECK(q.PrivateRuntimeDataSize == 4);
  CHECK(q.TotalPrivateDriverDataSize > 0);
  CHECK(q.TotalPrivateDriverDataSize < 0x1000);
  CHECK(q.ResourcePrivateDriverDataSize == 0);
  CHECK(q.NumAllocations == 1);
  CHECK(runtime[0] == 0xcd);  // a query never copies the data

  unsigned char driver[0x1000], alloc_data[0x400];
  std::memset(driver, 0xcd, sizeof(driver));
  std::memset(alloc_data, 0xcd, sizeof(alloc_data));
  D3DDDI_OPENALLOCATIONINFO oa{};
  oa.pPrivateDriverData = alloc_data;
  oa.PrivateDriverDataSize = sizeof(alloc_data);
  D3DKMT_OPENRESOURCE o{};
  o.hDevice = d.device;
  o.hGlobalShare = s.create.hGlobalShare;
  o.NumAllocations = 1;
  o.pOpenAllocationInfo = &oa;
  o.pPrivateRuntimeData = runtime;
  o.PrivateRuntimeDataSize = 4;
  o.pTotalPrivateDriverDataBuffer = driver;
  o.TotalPrivateDriverDataBufferSize = sizeof(driver);
  o.hResource = 0x1eadbeed;
  REQUIRE(D3DKMTOpenResource(&o) == STATUS_SUCCESS);
  CHECK(is_local_handle(o.hResource));
  CHECK(oa.hAllocation == o.hResource + 0x40);
  CHECK(o.TotalPrivateDriverDataBufferSize == q.TotalPrivateDriverDataSize);
  CHECK(oa.PrivateDriverDataSize > 0);
  CHECK(oa.PrivateDriverDataSize < 0x400);
  CHECK(std::memcmp(runtime, s.runtime, 4) == 0);
  CHECK(driver[0] != 0xcd);
  CHECK(alloc_data[0] == 0xcd);  // the allocation's data points into the total buffer
  CHECK(oa.pPrivateDriverData == driver);
  CHECK(destroy(d.device, o.hResource) == STATUS_SUCCESS);

  o.NumAllocations = 0;
  CHECK(D3DKMTOpenResource(&o) == STATUS_INVALID_PARAMETER);
  o.NumAllocations = 1;
  o.PrivateRuntimeDataSize = 5;  // sizes must match exactly
  CHECK(D3DKMTOpenResource(&o) == STATUS_INVALID_PARAMETER);
  o.PrivateRuntimeDataSize = 4;
  o.ResourcePrivateDriverDataSize = 1;
  o.pResourcePrivateDriverData = driver;
  CHECK(D3DKMTOpenResource(&o) == STATUS_INVALID_PARAMETER);
  o.ResourcePrivateDriverDataSize = 0;
  D3DDDI_OPENALLOCATIONINFO2 oa2{};
  o.pOpenAllocationInfo2 = &oa2;
  o.TotalPrivateDriverDataBufferSize = sizeof(driver);
  REQUIRE(D3DKMTOpenResource2(&o) == STATUS_SUCCESS);
  CHECK(oa2.hAllocation == o.hResource + 0x40);
  CHECK(oa2.GpuVirtualAddress != 0);
}

TEST_CASE("Sharing with NtSecuritySharing gives no global handle", "[driver][resource]") {
  Device d;
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  REQUIRE(s.run() == STATUS_SUCCESS);
  CHECK(s.create.hGlobalShare == 0);
  Standard nt_alone(d.device, kCreateResource | kNtSecuritySharing);
  CHECK(nt_alone.run() == STATUS_INVALID_PARAMETER);
}

TEST_CASE("Only a resource created with NtSecuritySharing can be shared and never an allocation", "[driver][share]") {
  Device d;
  HANDLE nt = nullptr;
  Standard plain(d.device, kCreateResource);
  REQUIRE(plain.run() == STATUS_SUCCESS);
  CHECK(D3DKMTShareObjects(1, &plain.create.hResource, nullptr, STANDARD_RIGHTS_READ, &nt) == STATUS_INVALID_PARAMETER);
  Standard global(d.device, kCreateResource | kCreateShared);
  REQUIRE(global.run() == STATUS_SUCCESS);
  CHECK(D3DKMTShareObjects(1, &global.create.hResource, nullptr, STANDARD_RIGHTS_READ, &nt) == STATUS_INVALID_PARAMETER);
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  REQUIRE(s.run() == STATUS_SUCCESS);
  CHECK(D3DKMTShareObjects(1, &s.alloc.hAllocation, nullptr, STANDARD_RIGHTS_READ, &nt) == STATUS_INVALID_PARAMETER);
  REQUIRE(D3DKMTShareObjects(1, &s.create.hResource, nullptr, STANDARD_RIGHTS_READ, &nt) == STATUS_SUCCESS);
  CHECK(is_nt_handle(nt));
  ::close(fd_of(nt));
}

TEST_CASE("A resource NT handle is queried and opened with exact sizes", "[driver][share][rtl]") {
  Device d;
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  unsigned char runtime_in[4] = {9, 8, 7, 6};
  s.create.pPrivateRuntimeData = runtime_in;
  s.create.PrivateRuntimeDataSize = sizeof(runtime_in);
  REQUIRE(s.run() == STATUS_SUCCESS);
  WCHAR name[] = L"\\BaseNamedObjects\\kmtsim_resource";
  UNICODE_STRING us{static_cast<USHORT>(sizeof(name) - sizeof(WCHAR)), sizeof(name), name};
  OBJECT_ATTRIBUTES attr{};
  InitializeObjectAttributes(&attr, &us, 0, nullptr, nullptr);
  HANDLE hr = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &s.create.hResource, &attr, STANDARD_RIGHTS_READ, &hr) == STATUS_SUCCESS);

  // Open by name: nothing asked for, nothing granted; more than was shared is fine.
  D3DKMT_OPENNTHANDLEFROMNAME by_name{};
  CHECK(D3DKMTOpenNtHandleFromName(&by_name) == STATUS_INVALID_PARAMETER);
  WCHAR unknown[] = L"\\BaseNamedObjects\\kmtsim_nothing";
  UNICODE_STRING us_unknown{static_cast<USHORT>(sizeof(unknown) - sizeof(WCHAR)), sizeof(unknown), unknown};
  OBJECT_ATTRIBUTES attr_unknown{};
  InitializeObjectAttributes(&attr_unknown, &us_unknown, 0, nullptr, nullptr);
  by_name.pObjAttrib = &attr_unknown;
  CHECK(D3DKMTOpenNtHandleFromName(&by_name) == STATUS_OBJECT_NAME_NOT_FOUND);
  by_name.pObjAttrib = &attr;
  CHECK(D3DKMTOpenNtHandleFromName(&by_name) == STATUS_ACCESS_DENIED);
  by_name.dwDesiredAccess = GENERIC_ALL;
  REQUIRE(D3DKMTOpenNtHandleFromName(&by_name) == STATUS_SUCCESS);
  CHECK(is_nt_handle(by_name.hNtHandle));
  D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME wrong_type{GENERIC_ALL, &attr, nullptr};
  CHECK(D3DKMTOpenSyncObjectNtHandleFromName(&wrong_type) == STATUS_OBJECT_TYPE_MISMATCH);

  D3DKMT_QUERYRESOURCEINFOFROMNTHANDLE q{};
  q.hDevice = d.device;
  q.hNtHandle = by_name.hNtHandle;
  q.PrivateRuntimeDataSize = q.TotalPrivateDriverDataSize = q.ResourcePrivateDriverDataSize = q.NumAllocations = 0xdeadbeef;
  REQUIRE(D3DKMTQueryResourceInfoFromNtHandle(&q) == STATUS_SUCCESS);
  CHECK(q.PrivateRuntimeDataSize == 4);
  CHECK(q.TotalPrivateDriverDataSize > 0);
  CHECK(q.ResourcePrivateDriverDataSize == 0);
  CHECK(q.NumAllocations == 1);
  ::close(fd_of(by_name.hNtHandle));

  unsigned char runtime[4], driver[0x1000];
  std::memset(runtime, 0xcd, sizeof(runtime));
  D3DDDI_OPENALLOCATIONINFO2 oa{};
  oa.hAllocation = 0x1eadbeed;
  D3DKMT_OPENRESOURCEFROMNTHANDLE o{};
  o.hDevice = d.device;
  o.hNtHandle = hr;
  o.NumAllocations = 1;
  o.pOpenAllocationInfo2 = &oa;
  o.pPrivateRuntimeData = runtime;
  o.PrivateRuntimeDataSize = 4;
  o.pTotalPrivateDriverDataBuffer = driver;
  o.TotalPrivateDriverDataBufferSize = q.TotalPrivateDriverDataSize;
  o.hResource = o.hKeyedMutex = o.hSyncObject = 0x1eadbeed;
  o.KeyedMutexPrivateRuntimeDataSize = 0x1eadbeed;
  auto good = o;
  REQUIRE(D3DKMTOpenResourceFromNtHandle(&o) == STATUS_SUCCESS);
  CHECK(is_local_handle(o.hResource));
  CHECK(is_local_handle(oa.hAllocation));
  CHECK(o.hKeyedMutex == 0);
  CHECK(o.hSyncObject == 0);
  CHECK(o.KeyedMutexPrivateRuntimeDataSize == 0);
  CHECK(std::memcmp(runtime, runtime_in, 4) == 0);
  CHECK(oa.PrivateDriverDataSize > 0);
  CHECK(destroy(d.device, o.hResource) == STATUS_SUCCESS);

  auto expect = [&](auto&& mutate, NTSTATUS want) {
    auto t = good;
    mutate(t);
    CHECK(D3DKMTOpenResourceFromNtHandle(&t) == want);
  };
  expect([](auto& t) { t.pOpenAllocationInfo2 = nullptr; }, STATUS_INVALID_PARAMETER);
  expect([](auto& t) { t.NumAllocations = 0; }, STATUS_INVALID_PARAMETER);
  expect([](auto& t) { t.pPrivateRuntimeData = nullptr; }, STATUS_INVALID_PARAMETER);
  expect([](auto& t) { t.PrivateRuntimeDataSize += 1; }, STATUS_INVALID_PARAMETER);
  expect([](auto& t) { t.pTotalPrivateDriverDataBuffer = nullptr; }, STATUS_INVALID_PARAMETER);
  expect([](auto& t) { t.TotalPrivateDriverDataBufferSize -= 1; }, STATUS_NO_MEMORY);
  expect([](auto& t) { t.hNtHandle = nullptr; }, STATUS_INVALID_HANDLE);
  ::close(fd_of(hr));
}

TEST_CASE("ShareObjects accepts a resource with a keyed mutex and a sync object in that order only", "[driver][share]") {
  Device d;
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  REQUIRE(s.run() == STATUS_SUCCESS);
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 sync{};
  sync.hDevice = d.device;
  sync.Info.Type = D3DDDI_SYNCHRONIZATION_MUTEX;
  sync.Info.Flags.Shared = 1;
  sync.Info.Flags.NtSecuritySharing = 1;
  REQUIRE(D3DKMTCreateSynchronizationObject2(&sync) == STATUS_SUCCESS);
  unsigned char mutex_data[20];
  for (int k = 0; k < 20; ++k) mutex_data[k] = static_cast<unsigned char>(k % 10);
  D3DKMT_CREATEKEYEDMUTEX2 mutex{};
  mutex.Flags.NtSecuritySharing = 1;
  mutex.pPrivateRuntimeData = mutex_data;
  mutex.PrivateRuntimeDataSize = sizeof(mutex_data);
  REQUIRE(D3DKMTCreateKeyedMutex2(&mutex) == STATUS_SUCCESS);
  const D3DKMT_HANDLE res = s.create.hResource, m = mutex.hKeyedMutex, y = sync.hSyncObject;
  HANDLE nt = nullptr;
  auto share = [&](std::vector<D3DKMT_HANDLE> h) {
    return D3DKMTShareObjects(static_cast<UINT>(h.size()), h.data(), nullptr, STANDARD_RIGHTS_ALL, &nt);
  };
  CHECK(share({res, res, res}) == STATUS_INVALID_PARAMETER);
  CHECK(share({res, m}) == STATUS_INVALID_PARAMETER);
  CHECK(share({res, y}) == STATUS_INVALID_PARAMETER);
  CHECK(share({m, y}) == STATUS_INVALID_PARAMETER);
  CHECK(share({res, m, y, y}) == STATUS_INVALID_PARAMETER);
  CHECK(share({res, y, m}) == STATUS_INVALID_PARAMETER);
  REQUIRE(share({res, m, y}) == STATUS_SUCCESS);
  // The objects now live through the NT handle alone.
  D3DKMT_DESTROYKEYEDMUTEX dm{m};
  CHECK(D3DKMTDestroyKeyedMutex(&dm) == STATUS_SUCCESS);
  CHECK(d.destroy(y) == STATUS_SUCCESS);
  CHECK(destroy(d.device, res) == STATUS_SUCCESS);

  unsigned char runtime[1], driver[0x1000], mutex_buffer[0x100];
  D3DDDI_OPENALLOCATIONINFO2 oa{};
  D3DKMT_OPENRESOURCEFROMNTHANDLE o{};
  o.hDevice = d.device;
  o.hNtHandle = nt;
  o.NumAllocations = 1;
  o.pOpenAllocationInfo2 = &oa;
  o.pPrivateRuntimeData = runtime;
  o.PrivateRuntimeDataSize = 0;
  o.pTotalPrivateDriverDataBuffer = driver;
  o.TotalPrivateDriverDataBufferSize = sizeof(driver);
  o.pKeyedMutexPrivateRuntimeData = mutex_buffer;
  o.KeyedMutexPrivateRuntimeDataSize = 20;
  REQUIRE(D3DKMTOpenResourceFromNtHandle(&o) == STATUS_SUCCESS);
  CHECK(is_local_handle(o.hResource));
  CHECK(is_local_handle(o.hKeyedMutex));
  CHECK(is_local_handle(o.hSyncObject));
  CHECK(o.KeyedMutexPrivateRuntimeDataSize == 20);
  D3DKMT_OPENKEYEDMUTEXFROMNTHANDLE km{};
  km.hNtHandle = nt;
  CHECK(D3DKMTOpenKeyedMutexFromNtHandle(&km) == STATUS_SUCCESS);  // the shape's keyed mutex
  CHECK(is_local_handle(km.hKeyedMutex));
  ::close(fd_of(nt));
}

TEST_CASE("A CPU-visible allocation is the same memory in every process that locks it", "[driver][resource][cosim]") {
  Device d;
  Video v(d.device, kCreateShared | kNtSecuritySharing, {10000});
  REQUIRE(v.run() == STATUS_SUCCESS);
  CHECK(is_local_handle(v.create.hResource));
  CHECK(v.infos[0].GpuVirtualAddress != 0);
  auto* bytes = static_cast<unsigned char*>(lock(d.device, v.infos[0].hAllocation));
  REQUIRE(bytes != nullptr);
  for (int k = 0; k < 12288; ++k) bytes[k] = static_cast<unsigned char>(k * 7);  // rounded up to whole pages
  HANDLE nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &v.create.hResource, nullptr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    // Another process: its own device, the resource opened from the handle.
    const D3DKMT_HANDLE device = child_device();
    if (device == 0) ::_exit(2);
    OpenOne open(device, nt);
    if (open.run() != STATUS_SUCCESS) ::_exit(3);
    auto* theirs = static_cast<unsigned char*>(lock(device, open.oa.hAllocation));
    if (theirs == nullptr) ::_exit(4);
    for (int k = 0; k < 12288; ++k)
      if (theirs[k] != static_cast<unsigned char>(k * 7)) ::_exit(5);
    theirs[0] = 0x5a;  // write back for the parent to see
    D3DKMT_UNLOCK2 u{device, open.oa.hAllocation};
    ::_exit(D3DKMTUnlock2(&u) == STATUS_SUCCESS ? 0 : 6);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(bytes[0] == 0x5a);
  ::close(fd_of(nt));
}

TEST_CASE("Lock2 through a handle opened without SHARED_ALLOCATION_WRITE is denied", "[driver][resource][access]") {
  Device d;
  Video v(d.device, kCreateShared | kNtSecuritySharing, {4096});
  REQUIRE(v.run() == STATUS_SUCCESS);
  HANDLE nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &v.create.hResource, nullptr, STANDARD_RIGHTS_READ, &nt) == STATUS_SUCCESS);
  OpenOne open(d.device, nt);
  REQUIRE(open.run() == STATUS_SUCCESS);
  NTSTATUS status = STATUS_SUCCESS;
  CHECK(lock(d.device, open.oa.hAllocation, &status) == nullptr);
  CHECK(status == STATUS_ACCESS_DENIED);
  CHECK(lock(d.device, v.infos[0].hAllocation) != nullptr);  // the creator's handle may
  ::close(fd_of(nt));
}

TEST_CASE("Video-memory allocations need a valid description", "[driver][resource]") {
  Device d;
  auto expect = [&](auto&& mutate, NTSTATUS want) {
    Video v(d.device, 0, {4096});
    mutate(v);
    CHECK(v.run() == want);
  };
  expect([](Video& v) { v.descs[0].Magic = 0; }, STATUS_INVALID_PARAMETER);
  expect([](Video& v) { v.descs[0].Size = 0; }, STATUS_INVALID_PARAMETER);
  expect([](Video& v) { v.descs[0].Flags = 0x80; }, STATUS_INVALID_PARAMETER);
  expect([](Video& v) { v.infos[0].PrivateDriverDataSize = 8; }, STATUS_INVALID_PARAMETER);
  expect([](Video& v) { v.infos[0].pPrivateDriverData = nullptr; }, STATUS_INVALID_PARAMETER);
  expect([](Video& v) { v.descs[0].Size = (1ull << 32) + 1; }, STATUS_INVALID_PARAMETER);
  expect([](Video&) {}, STATUS_SUCCESS);
}

TEST_CASE("OBJ_OPENIF on a name held by the other object type is a type mismatch", "[driver][share][names]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\kmtsim_typed");
  const D3DKMT_HANDLE f = d.fence();
  HANDLE sync_nt = nullptr, nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &sync_nt) == STATUS_SUCCESS);
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  REQUIRE(s.run() == STATUS_SUCCESS);
  CHECK(D3DKMTShareObjects(1, &s.create.hResource, &name.attr, GENERIC_ALL, &nt) == STATUS_OBJECT_NAME_COLLISION);
  name.attr.Attributes = OBJ_OPENIF;
  CHECK(D3DKMTShareObjects(1, &s.create.hResource, &name.attr, GENERIC_ALL, &nt) == STATUS_OBJECT_TYPE_MISMATCH);
  ::close(fd_of(sync_nt));
}

TEST_CASE("A sync object's name does not open as a resource", "[driver][share][names]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\kmtsim_sync_name");
  const D3DKMT_HANDLE f = d.fence();
  HANDLE nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &f, &name.attr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  D3DKMT_OPENNTHANDLEFROMNAME by_name{GENERIC_ALL, &name.attr, nullptr};
  CHECK(D3DKMTOpenNtHandleFromName(&by_name) == STATUS_OBJECT_TYPE_MISMATCH);
  ::close(fd_of(nt));
}

TEST_CASE("Open by name of a resource needs STANDARD_RIGHTS_READ", "[driver][share][access]") {
  Device d;
  Name name(L"\\BaseNamedObjects\\kmtsim_resource_read");
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  REQUIRE(s.run() == STATUS_SUCCESS);
  HANDLE nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &s.create.hResource, &name.attr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  D3DKMT_OPENNTHANDLEFROMNAME by_name{SHARED_ALLOCATION_WRITE, &name.attr, nullptr};
  CHECK(D3DKMTOpenNtHandleFromName(&by_name) == STATUS_ACCESS_DENIED);
  by_name.dwDesiredAccess = GENERIC_READ;
  REQUIRE(D3DKMTOpenNtHandleFromName(&by_name) == STATUS_SUCCESS);
  ::close(fd_of(by_name.hNtHandle));
  ::close(fd_of(nt));
}

TEST_CASE("Generic rights on a resource map to read-only or writable", "[driver][resource][access]") {
  Device d;
  Video v(d.device, kCreateShared | kNtSecuritySharing, {4096});
  REQUIRE(v.run() == STATUS_SUCCESS);
  struct Row {
    DWORD access;
    NTSTATUS lock;
  };
  for (const Row& row : {Row{GENERIC_READ, STATUS_ACCESS_DENIED}, Row{GENERIC_EXECUTE, STATUS_ACCESS_DENIED},
                         Row{GENERIC_WRITE, STATUS_SUCCESS}, Row{SHARED_ALLOCATION_WRITE, STATUS_SUCCESS},
                         Row{GENERIC_ALL, STATUS_SUCCESS}}) {
    INFO("access " << std::hex << row.access);
    HANDLE nt = nullptr;
    REQUIRE(D3DKMTShareObjects(1, &v.create.hResource, nullptr, row.access, &nt) == STATUS_SUCCESS);
    OpenOne open(d.device, nt);
    REQUIRE(open.run() == STATUS_SUCCESS);
    NTSTATUS status = STATUS_UNSUCCESSFUL;
    lock(d.device, open.oa.hAllocation, &status);
    CHECK(status == row.lock);
    if (status == STATUS_SUCCESS) CHECK(unlock(d.device, open.oa.hAllocation) == STATUS_SUCCESS);
    ::close(fd_of(nt));
  }
}

TEST_CASE("ShareObjects refuses global handles", "[driver][share]") {
  Device d;
  Standard global(d.device, kCreateResource | kCreateShared);
  REQUIRE(global.run() == STATUS_SUCCESS);
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 sync{};
  sync.hDevice = d.device;
  sync.Info.Type = D3DDDI_MONITORED_FENCE;
  sync.Info.Flags.Shared = 1;
  REQUIRE(D3DKMTCreateSynchronizationObject2(&sync) == STATUS_SUCCESS);
  HANDLE nt = nullptr;
  CHECK(D3DKMTShareObjects(1, &global.create.hGlobalShare, nullptr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTShareObjects(1, &sync.Info.SharedHandle, nullptr, GENERIC_ALL, &nt) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("OpenResource takes a global handle until the resource's last reference goes", "[driver][resource]") {
  Device d;
  Standard s(d.device, kCreateResource | kCreateShared);
  REQUIRE(s.run() == STATUS_SUCCESS);
  unsigned char driver[0x1000];
  D3DDDI_OPENALLOCATIONINFO oa{};
  D3DKMT_OPENRESOURCE o{};
  o.hDevice = d.device;
  o.hGlobalShare = s.create.hResource;  // a local handle is not a global one
  o.NumAllocations = 1;
  o.pOpenAllocationInfo = &oa;
  o.pPrivateRuntimeData = driver;
  o.pTotalPrivateDriverDataBuffer = driver;
  o.TotalPrivateDriverDataBufferSize = sizeof(driver);
  CHECK(D3DKMTOpenResource(&o) == STATUS_INVALID_PARAMETER);
  o.hGlobalShare = s.create.hGlobalShare;
  REQUIRE(D3DKMTOpenResource(&o) == STATUS_SUCCESS);
  CHECK(destroy(d.device, s.create.hGlobalShare) == STATUS_INVALID_PARAMETER);  // not a local handle
  CHECK(destroy(d.device, o.hResource) == STATUS_SUCCESS);
  CHECK(destroy(d.device, s.create.hResource) == STATUS_SUCCESS);
  CHECK(D3DKMTOpenResource(&o) == STATUS_INVALID_PARAMETER);
  D3DKMT_QUERYRESOURCEINFO q{};
  q.hDevice = d.device;
  q.hGlobalShare = s.create.hGlobalShare;
  CHECK(D3DKMTQueryResourceInfo(&q) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("OpenResourceFromNtHandle needs a device and the resource's allocation count", "[driver][share]") {
  Device d;
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  REQUIRE(s.run() == STATUS_SUCCESS);
  HANDLE nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &s.create.hResource, nullptr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  CHECK(D3DKMTOpenResourceFromNtHandle(nullptr) == STATUS_INVALID_PARAMETER);
  OpenOne no_device(0, nt);
  CHECK(no_device.run() == STATUS_INVALID_PARAMETER);
  D3DDDI_OPENALLOCATIONINFO2 two[2] = {};
  OpenOne more(d.device, nt);
  more.o.PrivateRuntimeDataSize = 0;
  more.o.NumAllocations = 2;
  more.o.pOpenAllocationInfo2 = two;
  CHECK(more.run() == STATUS_INVALID_PARAMETER);
  more.o.NumAllocations = 1;
  CHECK(more.run() == STATUS_SUCCESS);
  ::close(fd_of(nt));
}

TEST_CASE("QueryResourceInfoFromNtHandle needs a device and a resource NT handle and writes no data",
          "[driver][share]") {
  Device d;
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  s.create.pPrivateRuntimeData = s.runtime;
  s.create.PrivateRuntimeDataSize = sizeof(s.runtime);
  REQUIRE(s.run() == STATUS_SUCCESS);
  HANDLE nt = nullptr, sync_nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &s.create.hResource, nullptr, GENERIC_ALL, &nt) == STATUS_SUCCESS);
  REQUIRE(d.share(d.fence(), &sync_nt) == STATUS_SUCCESS);
  unsigned char runtime[16];
  std::memset(runtime, 0xcd, sizeof(runtime));
  D3DKMT_QUERYRESOURCEINFOFROMNTHANDLE q{};
  q.hNtHandle = nt;
  q.pPrivateRuntimeData = runtime;
  q.PrivateRuntimeDataSize = sizeof(runtime);
  CHECK(D3DKMTQueryResourceInfoFromNtHandle(nullptr) == STATUS_INVALID_PARAMETER);
  CHECK(D3DKMTQueryResourceInfoFromNtHandle(&q) == STATUS_INVALID_PARAMETER);  // no device
  q.hDevice = d.device;
  q.hNtHandle = nullptr;
  CHECK(D3DKMTQueryResourceInfoFromNtHandle(&q) == STATUS_INVALID_HANDLE);
  q.hNtHandle = sync_nt;
  CHECK(D3DKMTQueryResourceInfoFromNtHandle(&q) == STATUS_OBJECT_TYPE_MISMATCH);
  q.hNtHandle = nt;
  REQUIRE(D3DKMTQueryResourceInfoFromNtHandle(&q) == STATUS_SUCCESS);
  CHECK(q.PrivateRuntimeDataSize == sizeof(s.runtime));
  CHECK(runtime[0] == 0xcd);
  CHECK(runtime[sizeof(runtime) - 1] == 0xcd);
  ::close(fd_of(nt));
  ::close(fd_of(sync_nt));
}

TEST_CASE("The keyed-mutex data given at open is kept only when the mutex has none", "[driver][share][mutex]") {
  Device d;
  Triple t(d);
  unsigned char first[8] = {1, 1, 1, 1, 1, 1, 1, 1}, second[12] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  OpenOne a(d.device, t.nt);
  a.o.PrivateRuntimeDataSize = 0;
  a.o.pKeyedMutexPrivateRuntimeData = first;
  a.o.KeyedMutexPrivateRuntimeDataSize = sizeof(first);
  REQUIRE(a.run() == STATUS_SUCCESS);
  CHECK(a.o.KeyedMutexPrivateRuntimeDataSize == sizeof(first));
  OpenOne b(d.device, t.nt);
  b.o.PrivateRuntimeDataSize = 0;
  b.o.pKeyedMutexPrivateRuntimeData = second;
  b.o.KeyedMutexPrivateRuntimeDataSize = sizeof(second);
  REQUIRE(b.run() == STATUS_SUCCESS);
  CHECK(b.o.KeyedMutexPrivateRuntimeDataSize == sizeof(first));  // the first open's data stays
  unsigned char out[16] = {};
  D3DKMT_ACQUIREKEYEDMUTEX2 acquire{};
  acquire.hKeyedMutex = b.o.hKeyedMutex;
  acquire.pPrivateRuntimeData = out;
  acquire.PrivateRuntimeDataSize = sizeof(out);
  REQUIRE(D3DKMTAcquireKeyedMutex2(&acquire) == STATUS_SUCCESS);
  CHECK(std::memcmp(out, first, sizeof(first)) == 0);
}

TEST_CASE("OpenKeyedMutexFromNtHandle opens the keyed mutex shared with a resource", "[driver][share][mutex]") {
  Device d;
  unsigned char data[6] = {6, 5, 4, 3, 2, 1};
  Triple t(d, data, sizeof(data));
  CHECK(D3DKMTOpenKeyedMutexFromNtHandle(nullptr) == STATUS_INVALID_PARAMETER);
  D3DKMT_OPENKEYEDMUTEXFROMNTHANDLE o{};
  CHECK(D3DKMTOpenKeyedMutexFromNtHandle(&o) == STATUS_INVALID_HANDLE);
  // NT handles without a keyed mutex: a sync object's, a lone resource's.
  HANDLE sync_nt = nullptr, resource_nt = nullptr;
  REQUIRE(d.share(d.fence(), &sync_nt) == STATUS_SUCCESS);
  Standard lone(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  REQUIRE(lone.run() == STATUS_SUCCESS);
  REQUIRE(D3DKMTShareObjects(1, &lone.create.hResource, nullptr, GENERIC_ALL, &resource_nt) == STATUS_SUCCESS);
  for (HANDLE h : {sync_nt, resource_nt}) {
    o.hNtHandle = h;
    CHECK(D3DKMTOpenKeyedMutexFromNtHandle(&o) == STATUS_OBJECT_TYPE_MISMATCH);
  }
  // Private data as in OpenKeyedMutex2; the buffer is not written.
  unsigned char buffer[64];
  std::memset(buffer, 0xcd, sizeof(buffer));
  o.hNtHandle = t.nt;
  o.PrivateRuntimeDataSize = 64;
  CHECK(D3DKMTOpenKeyedMutexFromNtHandle(&o) == STATUS_INVALID_PARAMETER);  // a size without a buffer
  o.pPrivateRuntimeData = buffer;
  o.PrivateRuntimeDataSize = 5;
  CHECK(D3DKMTOpenKeyedMutexFromNtHandle(&o) == STATUS_INVALID_PARAMETER);  // smaller than stored
  o.PrivateRuntimeDataSize = 64;
  o.hKeyedMutex = 0x1eadbeed;
  REQUIRE(D3DKMTOpenKeyedMutexFromNtHandle(&o) == STATUS_SUCCESS);
  CHECK(is_local_handle(o.hKeyedMutex));
  CHECK(o.PrivateRuntimeDataSize == sizeof(data));
  CHECK(buffer[0] == 0xcd);
  // It is the same mutex as the creator's.
  D3DKMT_ACQUIREKEYEDMUTEX a{};
  a.hKeyedMutex = t.mutex.hKeyedMutex;
  REQUIRE(D3DKMTAcquireKeyedMutex(&a) == STATUS_SUCCESS);
  D3DKMT_RELEASEKEYEDMUTEX r{t.mutex.hKeyedMutex, 4, 44};
  REQUIRE(D3DKMTReleaseKeyedMutex(&r) == STATUS_SUCCESS);
  D3DKMT_ACQUIREKEYEDMUTEX theirs{};
  theirs.hKeyedMutex = o.hKeyedMutex;
  theirs.Key = 4;
  REQUIRE(D3DKMTAcquireKeyedMutex(&theirs) == STATUS_SUCCESS);
  CHECK(theirs.FenceValue == 44);
  ::close(fd_of(sync_nt));
  ::close(fd_of(resource_nt));
}

TEST_CASE("An NT handle opens only with the call for its object type", "[driver][share]") {
  Device d;
  Standard s(d.device, kCreateResource | kCreateShared | kNtSecuritySharing);
  REQUIRE(s.run() == STATUS_SUCCESS);
  HANDLE resource_nt = nullptr, sync_nt = nullptr;
  REQUIRE(D3DKMTShareObjects(1, &s.create.hResource, nullptr, GENERIC_ALL, &resource_nt) == STATUS_SUCCESS);
  REQUIRE(d.share(d.fence(), &sync_nt) == STATUS_SUCCESS);
  D3DKMT_HANDLE sync = 0;
  CHECK(d.open(resource_nt, &sync) == STATUS_OBJECT_TYPE_MISMATCH);
  D3DKMT_OPENSYNCOBJECTFROMNTHANDLE v1{resource_nt, 0};
  CHECK(D3DKMTOpenSyncObjectFromNtHandle(&v1) == STATUS_OBJECT_TYPE_MISMATCH);
  OpenOne open(d.device, sync_nt);
  open.o.PrivateRuntimeDataSize = 0;
  CHECK(open.run() == STATUS_OBJECT_TYPE_MISMATCH);
  ::close(fd_of(resource_nt));
  ::close(fd_of(sync_nt));
}
