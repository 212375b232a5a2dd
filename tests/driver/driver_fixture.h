// A kmtsimd of the test's own (backend from KMTSIM_TEST_BACKEND, model by
// default) and an adapter and device opened on it through the client library.
#pragma once

#include <catch2/catch.hpp>

#include "d3dkmthk.h"
#include "daemon_process.h"
#include "kmtsim/escape.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cwchar>
#include <memory>
#include <string>

namespace kmtsim::test {

inline std::string test_backend() {
  const char* b = std::getenv("KMTSIM_TEST_BACKEND");
  return b != nullptr && *b != '\0' ? b : "model";
}

inline bool is_local_handle(D3DKMT_HANDLE h) { return h != 0 && (h & 0xC0000000u) != 0 && (h & 0x3Fu) == 0; }
inline bool is_global_handle(D3DKMT_HANDLE h) { return (h & 0xC0000000u) != 0 && (h & 0x3Fu) == 2; }
inline bool is_nt_handle(HANDLE h) {
  const auto v = reinterpret_cast<uintptr_t>(h);
  return v != 0 && (v & 0xC0000000u) == 0 && ::fcntl(static_cast<int>(v), F_GETFD) != -1;
}
inline int fd_of(HANDLE h) { return static_cast<int>(reinterpret_cast<intptr_t>(h)); }
inline HANDLE handle_of_fd(int fd) { return reinterpret_cast<HANDLE>(static_cast<intptr_t>(fd)); }

// The daemon to test against: the build's, unless KMTSIM_TEST_DAEMON names
// another (a sanitizer build of the tests can use a plain daemon).
inline std::string daemon_path() {
  const char* p = std::getenv("KMTSIM_TEST_DAEMON");
  return p != nullptr && *p != '\0' ? p : KMTSIM_DAEMON_PATH;
}

class Daemon {
 public:
  Daemon() : process_({"--backend", test_backend(), "--seed", "1"}, daemon_path()) {
    ::setenv("KMTSIM_SOCKET", process_.socket_path().c_str(), 1);
  }
  cosim::DaemonProcess& process() { return process_; }

 private:
  cosim::DaemonProcess process_;
};

// The daemon's state (KMTSIM_ESCAPE_DEVICE_INFO).
inline KMTSIM_ESCAPE_DEVICE_INFO_DATA device_info(D3DKMT_HANDLE adapter) {
  KMTSIM_ESCAPE_DEVICE_INFO_DATA data{};
  data.Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_DEVICE_INFO};
  D3DKMT_ESCAPE e{};
  e.hAdapter = adapter;
  e.Type = D3DKMT_ESCAPE_DRIVERPRIVATE;
  e.pPrivateDriverData = &data;
  e.PrivateDriverDataSize = sizeof(data);
  REQUIRE(D3DKMTEscape(&e) == STATUS_SUCCESS);
  return data;
}

struct Device {
  Daemon daemon;
  D3DKMT_HANDLE adapter = 0;
  D3DKMT_HANDLE device = 0;
  LUID luid{};

  Device() {
    D3DKMT_ADAPTERINFO info[2] = {};
    D3DKMT_ENUMADAPTERS2 e{2, info};
    REQUIRE(D3DKMTEnumAdapters2(&e) == STATUS_SUCCESS);
    REQUIRE(e.NumAdapters == 1);
    adapter = info[0].hAdapter;
    luid = info[0].AdapterLuid;
    D3DKMT_CREATEDEVICE cd{};
    cd.hAdapter = adapter;
    REQUIRE(D3DKMTCreateDevice(&cd) == STATUS_SUCCESS);
    device = cd.hDevice;
  }

  // A monitored fence; the CPU mapping of its value through `value`.
  D3DKMT_HANDLE fence(UINT64 initial = 0, bool nt_shared = true, const volatile UINT64** value = nullptr) {
    D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
    c.hDevice = device;
    c.Info.Type = D3DDDI_MONITORED_FENCE;
    c.Info.Flags.Shared = nt_shared ? 1 : 0;
    c.Info.Flags.NtSecuritySharing = nt_shared ? 1 : 0;
    c.Info.MonitoredFence.InitialFenceValue = initial;
    REQUIRE(D3DKMTCreateSynchronizationObject2(&c) == STATUS_SUCCESS);
    if (value != nullptr) *value = static_cast<const volatile UINT64*>(c.Info.MonitoredFence.FenceValueCPUVirtualAddress);
    return c.hSyncObject;
  }

  D3DKMT_HANDLE context() {
    D3DKMT_CREATECONTEXTVIRTUAL c{};
    c.hDevice = device;
    REQUIRE(D3DKMTCreateContextVirtual(&c) == STATUS_SUCCESS);
    return c.hContext;
  }

  NTSTATUS signal(D3DKMT_HANDLE sync, UINT64 value, UINT flags = 0) {
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU s{};
    s.hDevice = device;
    s.ObjectCount = 1;
    s.ObjectHandleArray = &sync;
    s.FenceValueArray = &value;
    s.Flags.Value = flags;
    return D3DKMTSignalSynchronizationObjectFromCpu(&s);
  }

  NTSTATUS signal_gpu(D3DKMT_HANDLE context, D3DKMT_HANDLE sync, UINT64 value) {
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU s{};
    s.hContext = context;
    s.ObjectCount = 1;
    s.ObjectHandleArray = &sync;
    s.MonitoredFenceValueArray = &value;
    return D3DKMTSignalSynchronizationObjectFromGpu(&s);
  }

  NTSTATUS wait_gpu(D3DKMT_HANDLE context, D3DKMT_HANDLE sync, UINT64 value) {
    D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMGPU w{};
    w.hContext = context;
    w.ObjectCount = 1;
    w.ObjectHandleArray = &sync;
    w.MonitoredFenceValueArray = &value;
    return D3DKMTWaitForSynchronizationObjectFromGpu(&w);
  }

  NTSTATUS wait(D3DKMT_HANDLE sync, UINT64 value, HANDLE event = nullptr) {
    D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
    w.hDevice = device;
    w.ObjectCount = 1;
    w.ObjectHandleArray = &sync;
    w.FenceValueArray = &value;
    w.hAsyncEvent = event;
    return D3DKMTWaitForSynchronizationObjectFromCpu(&w);
  }

  NTSTATUS share(D3DKMT_HANDLE sync, HANDLE* nt, DWORD access = D3DDDI_SYNC_OBJECT_ALL_ACCESS,
                 OBJECT_ATTRIBUTES* attributes = nullptr) {
    return D3DKMTShareObjects(1, &sync, attributes, access, nt);
  }

  NTSTATUS open(HANDLE nt, D3DKMT_HANDLE* sync, const volatile UINT64** value = nullptr) {
    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o{};
    o.hNtHandle = nt;
    o.hDevice = device;
    const NTSTATUS s = D3DKMTOpenSyncObjectFromNtHandle2(&o);
    *sync = o.hSyncObject;
    if (value != nullptr)
      *value = static_cast<const volatile UINT64*>(o.MonitoredFence.FenceValueCPUVirtualAddress);
    return s;
  }

  NTSTATUS destroy(D3DKMT_HANDLE sync) {
    D3DKMT_DESTROYSYNCHRONIZATIONOBJECT d{sync};
    return D3DKMTDestroySynchronizationObject(&d);
  }
};

// A device of this process's own, for a child process after fork (which has
// its own connection to kmtsimd); 0 when that fails. No Catch2 macros: they
// belong to the parent.
inline D3DKMT_HANDLE child_device() {
  D3DKMT_ADAPTERINFO info[1] = {};
  D3DKMT_ENUMADAPTERS2 e{1, info};
  if (D3DKMTEnumAdapters2(&e) != STATUS_SUCCESS) return 0;
  D3DKMT_CREATEDEVICE cd{};
  cd.hAdapter = info[0].hAdapter;
  return D3DKMTCreateDevice(&cd) == STATUS_SUCCESS ? cd.hDevice : 0;
}

// OBJECT_ATTRIBUTES naming an NT object (a copy of the name it keeps).
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

// An eventfd, for waits with hAsyncEvent.
class Event {
 public:
  Event() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~Event() { ::close(fd_); }
  HANDLE handle() const { return handle_of_fd(fd_); }
  // True when it was signalled within `ms` (and consumes the signal).
  bool wait(int ms) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) != 1) return false;
    uint64_t v;
    return ::read(fd_, &v, sizeof(v)) == sizeof(v);
  }

 private:
  int fd_;
};

}  // namespace kmtsim::test
