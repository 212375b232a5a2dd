// The frame hand-off (handoff.h). Per frame f:
//   A: acquire key 0 (fence value v) -> GPU: wait sync >= v, FILL the frame's
//      16 stripes, COPY a 4 KiB logo into stripe f % 16, signal sync = v + 1
//      -> release key 1 with v + 1.
//   B: acquire key 1 (v + 1) -> GPU: wait sync >= v + 1, COPY the frame into
//      B's own staging allocation, signal sync = v + 2 -> CPU: wait sync >=
//      v + 2, check every byte of the staging copy -> release key 0 with v + 2.
// The shared resource itself is not CPU-visible: only the GPU touches it.
#include "handoff.h"

#include "child.h"
#include "daemon_process.h"
#include "kmtsim/allocation.h"
#include "kmtsim/escape.h"
#include "kmtsim/gpu_commands.h"
#include "kmtsim/nthandle.h"
#include "kmtsim/util/clock.h"
#include "kmtsim/util/unique_fd.h"
#include "peer.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace kmtsim::cosim {

namespace {

constexpr int kPeerFd = 3;        // A's and B's ends of the socket between them
constexpr unsigned kStripes = 16;
constexpr UINT kLogoBytes = 4096;

uint32_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xD1B54A32D192ED03ull;
  x ^= x >> 31;
  return static_cast<uint32_t>(x ^ (x >> 29));
}

// Word w of frame f as A renders it.
uint32_t expected(uint64_t seed, uint64_t f, uint64_t frame_bytes, size_t w) {
  const size_t stripe_words = frame_bytes / 4 / kStripes;
  const size_t stripe = w / stripe_words, at = w % stripe_words;
  if (stripe == f % kStripes && at < kLogoBytes / 4) return mix(seed, at);  // the logo
  return mix(f, stripe);
}

// A CPU-visible (or GPU-only) video-memory resource of one allocation.
struct VideoAllocation {
  D3DKMT_HANDLE resource = 0, allocation = 0;
  UINT64 gpu_va = 0;
  void* cpu = nullptr;
};

VideoAllocation create_allocation(const Peer& p, UINT64 bytes, bool cpu_visible, bool shared) {
  KMTSIM_ALLOCATION_DESC desc{KMTSIM_ALLOCATION_MAGIC, KMTSIM_ALLOCATION_VERSION, bytes,
                              cpu_visible ? KMTSIM_ALLOCATION_CPU_VISIBLE : 0u, 0};
  D3DDDI_ALLOCATIONINFO2 info{};
  info.pPrivateDriverData = &desc;
  info.PrivateDriverDataSize = sizeof(desc);
  D3DKMT_CREATEALLOCATION c{};
  c.hDevice = p.device;
  c.Flags.CreateResource = 1;
  if (shared) c.Flags.CreateShared = c.Flags.NtSecuritySharing = 1;
  c.NumAllocations = 1;
  c.pAllocationInfo2 = &info;
  check("D3DKMTCreateAllocation2", D3DKMTCreateAllocation2(&c));
  VideoAllocation a{c.hResource, info.hAllocation, info.GpuVirtualAddress, nullptr};
  if (cpu_visible) {
    D3DKMT_LOCK2 l{};
    l.hDevice = p.device;
    l.hAllocation = a.allocation;
    check("D3DKMTLock2", D3DKMTLock2(&l));
    a.cpu = l.pData;
  }
  return a;
}

void submit(const Peer& p, const VideoAllocation& cmd, UINT words) {
  D3DKMT_SUBMITCOMMAND s{};
  s.Commands = cmd.gpu_va;
  s.CommandLength = words * 4;
  s.BroadcastContextCount = 1;
  s.BroadcastContext[0] = p.context;
  check("D3DKMTSubmitCommand", D3DKMTSubmitCommand(&s));
}

UINT64 acquire(D3DKMT_HANDLE mutex, UINT64 key) {
  D3DKMT_ACQUIREKEYEDMUTEX2 a{};
  a.hKeyedMutex = mutex;
  a.Key = key;
  check("D3DKMTAcquireKeyedMutex2", D3DKMTAcquireKeyedMutex2(&a));
  return a.FenceValue;
}

void release(D3DKMT_HANDLE mutex, UINT64 key, UINT64 fence_value) {
  D3DKMT_RELEASEKEYEDMUTEX2 r{};
  r.hKeyedMutex = mutex;
  r.Key = key;
  r.FenceValue = fence_value;
  check("D3DKMTReleaseKeyedMutex2", D3DKMTReleaseKeyedMutex2(&r));
}

int run_a(uint64_t frames, uint64_t frame_bytes, uint64_t seed) {
  Peer p;
  const VideoAllocation frame = create_allocation(p, frame_bytes, false, true);
  const VideoAllocation cmd = create_allocation(p, 4096, true, false);
  const VideoAllocation logo = create_allocation(p, kLogoBytes, true, false);
  for (UINT w = 0; w < kLogoBytes / 4; ++w) static_cast<uint32_t*>(logo.cpu)[w] = mix(seed, w);
  D3DKMT_UNLOCK2 u{p.device, logo.allocation};
  check("D3DKMTUnlock2", D3DKMTUnlock2(&u));

  D3DKMT_CREATEKEYEDMUTEX2 km{};
  km.InitialValue = 0;
  km.Flags.NtSecuritySharing = 1;
  check("D3DKMTCreateKeyedMutex2", D3DKMTCreateKeyedMutex2(&km));
  D3DKMT_CREATESYNCHRONIZATIONOBJECT2 cs{};
  cs.hDevice = p.device;
  cs.Info.Type = D3DDDI_MONITORED_FENCE;
  cs.Info.Flags.Shared = cs.Info.Flags.NtSecuritySharing = 1;
  check("D3DKMTCreateSynchronizationObject2", D3DKMTCreateSynchronizationObject2(&cs));
  const D3DKMT_HANDLE triple[3] = {frame.resource, km.hKeyedMutex, cs.hSyncObject};
  HANDLE nt = nullptr;
  check("D3DKMTShareObjects", D3DKMTShareObjects(3, triple, nullptr, GENERIC_ALL, &nt));
  if (KmtsimSendNtHandle(kPeerFd, nt, 1) != 0) fail("sending the NT handle", STATUS_UNSUCCESSFUL);
  ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));

  auto* words = static_cast<UINT*>(cmd.cpu);
  const UINT64 stripe_bytes = frame_bytes / kStripes;
  for (uint64_t f = 1; f <= frames; ++f) {
    const uint64_t t0 = host_now_ns();
    const UINT64 v = acquire(km.hKeyedMutex, 0);
    // The command buffer is taken at submission: it can be rewritten at once.
    if (v != 0) p.wait_gpu(cs.hSyncObject, v);
    UINT n = 0;
    for (unsigned s = 0; s < kStripes; ++s)
      n += kmtsim_cmd_fill(words + n, frame.gpu_va + s * stripe_bytes, static_cast<UINT>(stripe_bytes), mix(f, s));
    n += kmtsim_cmd_copy(words + n, frame.gpu_va + (f % kStripes) * stripe_bytes, logo.gpu_va, kLogoBytes);
    submit(p, cmd, n);
    p.signal_gpu(cs.hSyncObject, v + 1);
    const uint64_t t1 = host_now_ns();
    release(km.hKeyedMutex, 1, v + 1);
    std::printf("rel %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", f, t0, t1);
  }
  // B hands the last frame back: then everything it did has finished.
  (void)acquire(km.hKeyedMutex, 0);
  return 0;
}

int run_b(uint64_t frames, uint64_t frame_bytes, uint64_t seed) {
  Peer p;
  HANDLE nt = nullptr;
  UINT64 tag = 0;
  if (KmtsimReceiveNtHandle(kPeerFd, &nt, &tag) != 0 || tag != 1) fail("receiving the NT handle", STATUS_UNSUCCESSFUL);
  unsigned char runtime[1], driver[256];
  D3DDDI_OPENALLOCATIONINFO2 oa{};
  D3DKMT_OPENRESOURCEFROMNTHANDLE o{};
  o.hDevice = p.device;
  o.hNtHandle = nt;
  o.NumAllocations = 1;
  o.pOpenAllocationInfo2 = &oa;
  o.pPrivateRuntimeData = runtime;  // required, even for none (spec 5.4)
  o.pTotalPrivateDriverDataBuffer = driver;
  o.TotalPrivateDriverDataBufferSize = sizeof(driver);
  check("D3DKMTOpenResourceFromNtHandle", D3DKMTOpenResourceFromNtHandle(&o));
  ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));
  if (o.hKeyedMutex == 0 || o.hSyncObject == 0) fail("opening the keyed mutex and sync object with the resource", STATUS_INVALID_HANDLE);
  const VideoAllocation staging = create_allocation(p, frame_bytes, true, false);
  const VideoAllocation cmd = create_allocation(p, 4096, true, false);
  const auto* got = static_cast<const volatile uint32_t*>(staging.cpu);
  auto* words = static_cast<UINT*>(cmd.cpu);
  for (uint64_t f = 1; f <= frames; ++f) {
    const UINT64 v = acquire(o.hKeyedMutex, 1);
    const uint64_t t0 = host_now_ns();
    p.wait_gpu(o.hSyncObject, v);
    const UINT n = kmtsim_cmd_copy(words, staging.gpu_va, oa.GpuVirtualAddress, static_cast<UINT>(frame_bytes));
    submit(p, cmd, n);
    p.signal_gpu(o.hSyncObject, v + 1);
    p.wait_cpu({o.hSyncObject}, v + 1, nullptr);
    for (size_t w = 0; w < frame_bytes / 4; ++w) {
      if (got[w] != expected(seed, f, frame_bytes, w)) {
        std::printf("error frame %" PRIu64 " word %zu is %08x, not %08x\n", f, w, static_cast<unsigned>(got[w]),
                    static_cast<unsigned>(expected(seed, f, frame_bytes, w)));
        std::fflush(stdout);
        return 1;
      }
    }
    const uint64_t t1 = host_now_ns();
    release(o.hKeyedMutex, 0, v + 1);
    std::printf("acq %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", f, t0, t1);
  }
  return 0;
}

uint64_t sim_time_ps(const Peer& p) {
  KMTSIM_ESCAPE_DEVICE_INFO_DATA d{};
  d.Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_DEVICE_INFO};
  D3DKMT_ESCAPE e{};
  e.hAdapter = p.adapter;
  e.Type = D3DKMT_ESCAPE_DRIVERPRIVATE;
  e.pPrivateDriverData = &d;
  e.PrivateDriverDataSize = sizeof(d);
  check("D3DKMTEscape (device info)", D3DKMTEscape(&e));
  return d.SimTimePs;
}

}  // namespace

HandoffResult run_handoff(const HandoffOptions& options) {
  if (options.frames == 0 || options.frame_bytes == 0 || options.frame_bytes % (64 << 10) != 0 ||
      options.frame_bytes > (16u << 20))
    throw std::invalid_argument("the hand-off takes frames of a multiple of 64 KiB up to 16 MiB");
  HandoffResult r;
  r.options = options;
  const uint64_t start = host_now_ns();
  DaemonProcess daemon({"--backend", options.backend, "--time", options.time_mode});
  ::setenv("KMTSIM_SOCKET", daemon.socket_path().c_str(), 1);
  const Peer me;
  const uint64_t sim0 = sim_time_ps(me);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair failed");
  UniqueFd end_a(sv[0]), end_b(sv[1]);
  std::vector<Child> peers;
  for (const char* role : {"a", "b"}) {
    Child::Options c;
    c.argv = {self_dir() + "/kmtsim", "handoff-peer", "--role", role, "--frames", std::to_string(options.frames),
              "--frame-bytes", std::to_string(options.frame_bytes), "--seed", std::to_string(options.seed)};
    c.env = {{"KMTSIM_SOCKET", daemon.socket_path()}};
    c.inherit = {{(role[0] == 'a' ? end_a : end_b).get(), kPeerFd}};
    c.capture_stdout = true;
    c.die_with_parent = true;
    peers.emplace_back(c);
  }
  end_a.reset();
  end_b.reset();
  // Both stdout streams, to their ends (a peer that fails says why first).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(30);
  std::string out[2];
  bool open[2] = {true, true}, reaped[2] = {false, false};
  std::optional<int> status[2];
  while (open[0] || open[1]) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the hand-off did not finish within 30 minutes");
    pollfd fds[2];
    int n = 0, which[2];
    for (int k = 0; k < 2; ++k)
      if (open[k]) {
        fds[n] = {peers[static_cast<size_t>(k)].stdout_fd(), POLLIN, 0};
        which[n++] = k;
      }
    if (::poll(fds, static_cast<nfds_t>(n), 1000) < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    for (int j = 0; j < n; ++j) {
      if ((fds[j].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[65536];
      const ssize_t got = ::read(fds[j].fd, buf, sizeof(buf));
      if (got <= 0) open[which[j]] = false;
      else out[which[j]].append(buf, static_cast<size_t>(got));
    }
    // A peer that died leaves the other waiting for it: stop both.
    for (int k = 0; k < 2; ++k) {
      if (open[k] || reaped[k]) continue;
      reaped[k] = true;
      status[k] = peers[static_cast<size_t>(k)].wait(std::chrono::steady_clock::now() + std::chrono::seconds(10));
      if (!status[k] || *status[k] != 0) {
        peers[static_cast<size_t>(1 - k)].signal(SIGTERM);
        open[1 - k] = false;
      }
    }
  }
  // The first peer to fail says why; the other was stopped because of it.
  std::string error;
  for (int k = 0; k < 2; ++k) {
    if (const auto e = out[k].find("error "); e != std::string::npos && error.empty())
      error = out[k].substr(e + 6, out[k].find('\n', e) - e - 6);
  }
  for (int k = 0; k < 2; ++k) {
    if (!reaped[k]) status[k] = peers[static_cast<size_t>(k)].wait(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    if (const auto e = out[k].find("error "); e != std::string::npos && error.empty())
      error = out[k].substr(e + 6, out[k].find('\n', e) - e - 6);
    if ((!status[k] || *status[k] != 0) && error.empty())
      error = std::string("process ") + (k == 0 ? "A " : "B ") + (status[k] ? describe_status(*status[k]) : "did not finish");
  }
  if (!error.empty()) throw std::runtime_error("the hand-off failed: " + error);
  const uint64_t sim1 = sim_time_ps(me);
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> rel, acq;  // frame: (t0, t1)
  for (int k = 0; k < 2; ++k) {
    std::istringstream in(out[k]);
    std::string what;
    uint64_t f, t0, t1;
    while (in >> what >> f >> t0 >> t1) (what == "rel" ? rel : acq)[f] = {t0, t1};
  }
  std::vector<double> handoff, frame;
  for (uint64_t f = 1; f <= options.frames; ++f) {
    const auto a = rel.find(f), b = acq.find(f);
    if (a == rel.end() || b == acq.end()) continue;
    ++r.frames_verified;
    handoff.push_back(static_cast<double>(b->second.first - a->second.second) / 1e3);
    frame.push_back(static_cast<double>(b->second.second - a->second.first) / 1e3);
  }
  r.complete = r.frames_verified == options.frames;
  r.handoff_us = percentiles(handoff);
  r.frame_us = percentiles(frame);
  if (r.complete) {
    const double span = static_cast<double>(acq[options.frames].second - rel[1].first) / 1e9;
    r.frames_per_second = span > 0 ? static_cast<double>(options.frames) / span : 0;
  }
  r.sim_us_per_frame = static_cast<double>(sim1 - sim0) / 1e6 / static_cast<double>(options.frames);
  r.wall_seconds = static_cast<double>(host_now_ns() - start) / 1e9;
  return r;
}

int handoff_peer_main(int argc, char** argv) {
  std::string role;
  uint64_t frames = 0, frame_bytes = 0, seed = 0;
  for (int i = 0; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--role") role = argv[i + 1];
    else if (a == "--frames") frames = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--frame-bytes") frame_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if ((role != "a" && role != "b") || frames == 0 || frame_bytes == 0 || frame_bytes % (64 << 10) != 0 ||
      frame_bytes > (16u << 20)) {
    std::fprintf(stderr,
                 "usage: kmtsim handoff-peer --role a|b --frames N --frame-bytes B --seed S\n"
                 "(started by kmtsim demo, with the other peer's socket as descriptor 3)\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return role == "a" ? run_a(frames, frame_bytes, seed) : run_b(frames, frame_bytes, seed);
}

}  // namespace kmtsim::cosim
