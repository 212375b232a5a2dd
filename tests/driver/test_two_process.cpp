// Two real processes share monitored fences through NT handles passed as
// file descriptors over a Unix socket, and signal and wait on them.
#define CATCH_CONFIG_MAIN
#include "driver_fixture.h"
#include "kmtsim/nthandle.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <csignal>

#include <cstdio>

using namespace kmtsim::test;

namespace {

// Starts `body` in a child process (its own connection to kmtsimd, its own
// handles). The child reports failures on stderr and in its exit status.
template <typename F>
pid_t start_child(F&& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define CHILD_CHECK(cond)                                                   \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "child: %s failed at line %d\n", #cond, __LINE__); \
      return 1;                                                             \
    }                                                                       \
  } while (0)

// The child's own device on the same adapter.
struct ChildDevice {
  D3DKMT_HANDLE device = 0;
  bool ok = false;
  ChildDevice() {
    D3DKMT_ADAPTERINFO info[2] = {};
    D3DKMT_ENUMADAPTERS2 e{2, info};
    if (D3DKMTEnumAdapters2(&e) != STATUS_SUCCESS || e.NumAdapters != 1) return;
    D3DKMT_CREATEDEVICE cd{};
    cd.hAdapter = info[0].hAdapter;
    ok = D3DKMTCreateDevice(&cd) == STATUS_SUCCESS;
    device = cd.hDevice;
  }
};

}  // namespace

TEST_CASE("A fence shared with another process carries values both ways in order", "[driver][cosim][rtl]") {
  Device d;
  const volatile UINT64* ping_value = nullptr;
  const D3DKMT_HANDLE ping = d.fence(0, true, &ping_value);
  const D3DKMT_HANDLE pong = d.fence(0, true);
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  HANDLE nt_ping = nullptr, nt_pong = nullptr;
  REQUIRE(d.share(ping, &nt_ping) == STATUS_SUCCESS);
  REQUIRE(d.share(pong, &nt_pong) == STATUS_SUCCESS);
  constexpr UINT64 kRounds = 200;

  // The child only has what comes over the socket: the parent's handle
  // values mean nothing to it.
  const pid_t child = start_child([&] {
    ::close(sv[0]);
    ChildDevice cd;
    CHILD_CHECK(cd.ok);
    HANDLE got_ping = nullptr, got_pong = nullptr;
    UINT64 tag = 0;
    CHILD_CHECK(KmtsimReceiveNtHandle(sv[1], &got_ping, &tag) == 0 && tag == 1);
    CHILD_CHECK(KmtsimReceiveNtHandle(sv[1], &got_pong, &tag) == 0 && tag == 2);
    UINT64 v = 1;
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU foreign{};
    foreign.hDevice = cd.device;
    foreign.ObjectCount = 1;
    foreign.ObjectHandleArray = &ping;
    foreign.FenceValueArray = &v;
    CHILD_CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&foreign) == STATUS_INVALID_PARAMETER);

    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o1{};
    o1.hNtHandle = got_ping;
    o1.hDevice = cd.device;
    CHILD_CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o1) == STATUS_SUCCESS);
    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o2{};
    o2.hNtHandle = got_pong;
    o2.hDevice = cd.device;
    CHILD_CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o2) == STATUS_SUCCESS);
    const auto* seen = static_cast<const volatile UINT64*>(o1.MonitoredFence.FenceValueCPUVirtualAddress);
    for (UINT64 i = 1; i <= kRounds; ++i) {
      D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
      w.hDevice = cd.device;
      w.ObjectCount = 1;
      w.ObjectHandleArray = &o1.hSyncObject;
      w.FenceValueArray = &i;
      CHILD_CHECK(D3DKMTWaitForSynchronizationObjectFromCpu(&w) == STATUS_SUCCESS);
      CHILD_CHECK(*seen == i);
      D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU s{};
      s.hDevice = cd.device;
      s.ObjectCount = 1;
      s.ObjectHandleArray = &o2.hSyncObject;
      s.FenceValueArray = &i;
      CHILD_CHECK(D3DKMTSignalSynchronizationObjectFromCpu(&s) == STATUS_SUCCESS);
    }
    return 0;
  });
  ::close(sv[1]);
  REQUIRE(KmtsimSendNtHandle(sv[0], nt_ping, 1) == 0);
  REQUIRE(KmtsimSendNtHandle(sv[0], nt_pong, 2) == 0);
  ::close(fd_of(nt_ping));
  ::close(fd_of(nt_pong));
  // Ping from the GPU, wait for the child's pong from its CPU.
  const D3DKMT_HANDLE ctx = d.context();
  for (UINT64 i = 1; i <= kRounds; ++i) {
    REQUIRE(d.signal_gpu(ctx, ping, i) == STATUS_SUCCESS);
    REQUIRE(d.wait(pong, i) == STATUS_SUCCESS);
    REQUIRE(*ping_value == i);
  }
  CHECK(wait_child(child) == 0);
  ::close(sv[0]);
}

TEST_CASE("A process that dies releases its handles and its waits", "[driver][cosim]") {
  Device d;
  const D3DKMT_HANDLE f = d.fence(0, true);
  HANDLE nt = nullptr;
  REQUIRE(d.share(f, &nt) == STATUS_SUCCESS);
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  const pid_t child = start_child([&] {
    ChildDevice cd;
    CHILD_CHECK(cd.ok);
    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 o{};
    o.hNtHandle = nt;
    o.hDevice = cd.device;
    CHILD_CHECK(D3DKMTOpenSyncObjectFromNtHandle2(&o) == STATUS_SUCCESS);
    const char ready = 'r';
    CHILD_CHECK(::write(sv[1], &ready, 1) == 1);
    UINT64 never = 1000;
    D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU w{};
    w.hDevice = cd.device;
    w.ObjectCount = 1;
    w.ObjectHandleArray = &o.hSyncObject;
    w.FenceValueArray = &never;
    D3DKMTWaitForSynchronizationObjectFromCpu(&w);  // blocks until killed
    return 1;
  });
  char ready = 0;
  REQUIRE(::read(sv[0], &ready, 1) == 1);
  ::kill(child, SIGKILL);
  CHECK(wait_child(child) == 128 + SIGKILL);
  // The fence is still ours and still works.
  REQUIRE(d.signal(f, 5) == STATUS_SUCCESS);
  CHECK(d.wait(f, 5) == STATUS_SUCCESS);
  ::close(fd_of(nt));
  ::close(sv[0]);
  ::close(sv[1]);
}
