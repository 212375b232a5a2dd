// kmtsim fenceprof: the orchestrator and the peer processes.
//
// The orchestrator starts kmtsimd, creates every fence (shared, with
// NtSecuritySharing), starts the peers and hands each the NT handles it
// needs over a socket of its own (SCM_RIGHTS). Peer 0 is the producer; the
// others are consumers. For every value, each consumer first registers its
// wait (and for the GPU scenarios queues its GPU work), then signals its
// "ready" fence, one consumer after the other; the producer waits until every
// consumer is ready, stamps the time and signals. So every consumer is already blocked when the signal
// comes, and requests that change simulated time reach the daemon in one
// order only: deterministic time gives the same simulated results each run.
// With a buffer, the orchestrator also shares a CPU-visible allocation: the
// producer fills it with a pattern of the value before each signal, and each
// consumer, once woken, checks that it sees exactly that value's data (the
// consumer has not yet said ready, so the producer cannot have moved on).
// At the end the orchestrator reads every fence's hop log (a private escape)
// and joins it with the peers' own stamps.
#include "fenceprof.h"
#include "peer.h"

#include "child.h"
#include "d3dkmthk.h"
#include "daemon_process.h"
#include "kmtsim/allocation.h"
#include "kmtsim/escape.h"
#include "kmtsim/nthandle.h"
#include "kmtsim/util/clock.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace kmtsim::cosim {

const Hop* ScenarioResult::find(const std::string& name) const {
  for (const auto& h : hops)
    if (h.name == name) return &h;
  return nullptr;
}

namespace {

constexpr int kControlFd = 3;

enum class Kind { CpuToCpu, GpuToCpu, CpuToGpu, GpuToGpu, Chain };

Kind parse_scenario(const std::string& s) {
  if (s == "cpu-to-cpu") return Kind::CpuToCpu;
  if (s == "gpu-to-cpu") return Kind::GpuToCpu;
  if (s == "cpu-to-gpu") return Kind::CpuToGpu;
  if (s == "gpu-to-gpu") return Kind::GpuToGpu;
  if (s == "chain") return Kind::Chain;
  throw std::invalid_argument("unknown scenario '" + s + "' (cpu-to-cpu, gpu-to-cpu, cpu-to-gpu, gpu-to-gpu, chain)");
}

bool producer_uses_gpu(Kind k) { return k == Kind::GpuToCpu || k == Kind::GpuToGpu; }
bool consumer_uses_gpu(Kind k) { return k == Kind::CpuToGpu || k == Kind::GpuToGpu; }

// NT-handle tags: what the fence is for, and for which peer.
constexpr uint64_t kTagMain = 1;   // the producer's fence (chain: link 0)
constexpr uint64_t kTagReady = 2;  // a consumer's ready fence
constexpr uint64_t kTagGpu = 3;    // a consumer's fence signalled by its GPU work
constexpr uint64_t kTagLink = 4;   // chain: the fence a middle peer signals
constexpr uint64_t kTagBuffer = 5; // the shared allocation (a resource)
uint64_t tag(uint64_t kind, int peer) { return kind << 32 | static_cast<uint32_t>(peer); }

// The buffer's contents for value i.
uint64_t pattern(uint64_t i, size_t word) { return i * 0x9E3779B97F4A7C15ull ^ (word * 0xD1B54A32D192ED03ull); }

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ::sched_setaffinity(0, sizeof(set), &set);
}

int last_cpu() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 1 ? static_cast<int>(n - 1) : 0;
}

// --- The peers ---------------------------------------------------------------------


int run_peer(Kind kind, int index, int peers, uint64_t iterations, uint64_t buffer_bytes) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Peer p;
  std::map<uint64_t, D3DKMT_HANDLE> fences;
  uint64_t* buffer = nullptr;
  const size_t words = static_cast<size_t>(buffer_bytes / sizeof(uint64_t));
  for (;;) {
    HANDLE nt = nullptr;
    UINT64 t = 0;
    if (KmtsimReceiveNtHandle(kControlFd, &nt, &t) != 0) fail("receiving the NT handles", STATUS_UNSUCCESSFUL);
    if (t == 0) {
      ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));
      break;  // the last one is only a marker
    }
    if (t >> 32 == kTagBuffer) buffer = p.open_buffer(nt);
    else fences[t] = p.open(nt);
  }
  if (words != 0 && buffer == nullptr) fail("the shared buffer was not sent", STATUS_INVALID_HANDLE);
  auto fence = [&](uint64_t kind_tag, int peer) {
    auto it = fences.find(tag(kind_tag, peer));
    if (it == fences.end()) fail("a fence this peer needs was not sent", STATUS_INVALID_HANDLE);
    return it->second;
  };
  const UniqueFd event_fd(::eventfd(0, EFD_CLOEXEC));
  const HANDLE event = reinterpret_cast<HANDLE>(static_cast<intptr_t>(event_fd.get()));

  if (index == 0) {
    // The producer: when every consumer is ready, stamp and signal.
    std::vector<D3DKMT_HANDLE> ready;
    for (int k = 1; k < peers; ++k) ready.push_back(fence(kTagReady, k));
    const D3DKMT_HANDLE f = fence(kTagMain, 0);
    for (uint64_t i = 1; i <= iterations; ++i) {
      p.wait_cpu(ready, i, nullptr);  // every consumer waits for i
      for (size_t w = 0; w < words; ++w) buffer[w] = pattern(i, w);
      const uint64_t t = host_now_ns();
      if (producer_uses_gpu(kind)) p.signal_gpu(f, i);
      else p.signal_cpu(f, i);
      std::printf("call %" PRIu64 " %" PRIu64 "\n", i, t);
    }
    p.wait_cpu(ready, iterations + 1, nullptr);  // everybody saw the last one
    return 0;
  }
  // A consumer: register the wait (and queue GPU work), say ready, block.
  const D3DKMT_HANDLE ready = fence(kTagReady, index);
  const D3DKMT_HANDLE waited_on = kind == Kind::Chain ? fence(index == 1 ? kTagMain : kTagLink, index - 1) : fence(kTagMain, 0);
  const D3DKMT_HANDLE gpu = consumer_uses_gpu(kind) ? fence(kTagGpu, index) : 0;
  const D3DKMT_HANDLE link = kind == Kind::Chain && index < peers - 1 ? fence(kTagLink, index) : 0;
  // Consumers get ready one after another, so their requests reach the
  // daemon in one order (and the GPU work in one queue order).
  const D3DKMT_HANDLE previous_ready = index > 1 ? fence(kTagReady, index - 1) : 0;
  for (uint64_t i = 1; i <= iterations; ++i) {
    if (previous_ready != 0) p.wait_cpu({previous_ready}, i, nullptr);
    if (gpu != 0) {
      // The GPU waits for the producer's fence, then signals ours.
      p.wait_gpu(waited_on, i);
      p.signal_gpu(gpu, i);
      p.wait_cpu({gpu}, i, event);
    } else {
      p.wait_cpu({waited_on}, i, event);
    }
    p.signal_cpu(ready, i);  // registered (and queued) for i
    pollfd pf{event_fd.get(), POLLIN, 0};
    if (::poll(&pf, 1, 120'000) != 1) fail("waiting for the fence (120 s)", STATUS_TIMEOUT);
    const uint64_t t = host_now_ns();
    uint64_t count;
    (void)!::read(event_fd.get(), &count, sizeof(count));
    for (size_t w = 0; w < words; ++w) {
      if (buffer[w] != pattern(i, w)) {
        std::printf("error after the wake for value %" PRIu64 " the shared buffer's word %zu is %016" PRIx64
                    ", not %016" PRIx64 "\n",
                    i, w, buffer[w], pattern(i, w));
        std::exit(1);
      }
    }
    std::printf("ret %d %" PRIu64 " %" PRIu64 "\n", index, i, t);
    if (link != 0) p.signal_cpu(link, i);  // the next link of the chain
  }
  p.signal_cpu(ready, iterations + 1);  // done
  return 0;
}

// --- The orchestrator -------------------------------------------------------------

struct FenceHop {
  uint64_t submit_sim_ps, fetch_sim_ps, update_sim_ps, wb_sim_ps, record_sim_ps, irq_sim_ps, isr_sim_ps;
  uint64_t submit_host_ns, isr_host_ns, dpc_host_ns;
};

class Orchestrator {
 public:
  explicit Orchestrator(const ScenarioOptions& o) : o_(o), kind_(parse_scenario(o.scenario)) {
    if (!o.instrumentation && o.time_mode == "deterministic")
      throw std::invalid_argument("without instrumentation there is nothing to measure in deterministic time");
    if (o.coalescing != "off" && o.coalescing != "on" && o.coalescing != "critical")
      throw std::invalid_argument("unknown coalescing mode '" + o.coalescing + "' (off, on, critical)");
    const int min_peers = 2;
    if (o.peers < min_peers || o.peers > 33) throw std::invalid_argument("--peers takes 2 to 33");
    if (kind_ == Kind::Chain && o.peers < 3) throw std::invalid_argument("the chain needs at least 3 peers");
    if (o.buffer_bytes % 8 != 0 || o.buffer_bytes > (64u << 20))
      throw std::invalid_argument("--buffer takes a multiple of 8 bytes up to 64 MiB");
  }

  ScenarioResult run() {
    const uint64_t t0 = host_now_ns();
    std::vector<std::string> args{"--backend", o_.backend, "--time", o_.time_mode};
    if (!o_.instrumentation) args.insert(args.end(), {"--hops", "off"});
    if (o_.coalescing != "off")
      args.insert(args.end(), {"--coalesce", std::to_string(o_.coalesce_count) + ":" + std::to_string(o_.coalesce_cycles)});
    DaemonProcess daemon(args);
    ::setenv("KMTSIM_SOCKET", daemon.socket_path().c_str(), 1);
    Peer me;
    adapter_ = me.adapter;
    // Every fence the scenario needs; the peers get theirs as NT handles.
    std::map<uint64_t, D3DKMT_HANDLE> fences;
    auto make = [&](uint64_t t) {
      D3DKMT_CREATESYNCHRONIZATIONOBJECT2 c{};
      c.hDevice = me.device;
      c.Info.Type = D3DDDI_MONITORED_FENCE;
      c.Info.Flags.Shared = c.Info.Flags.NtSecuritySharing = 1;
      check("D3DKMTCreateSynchronizationObject2", D3DKMTCreateSynchronizationObject2(&c));
      fences[t] = c.hSyncObject;
    };
    make(tag(kTagMain, 0));
    for (int k = 1; k < o_.peers; ++k) {
      make(tag(kTagReady, k));
      if (consumer_uses_gpu(kind_)) make(tag(kTagGpu, k));
      if (kind_ == Kind::Chain && k < o_.peers - 1) make(tag(kTagLink, k));
    }
    if (o_.coalescing == "critical") {
      // The measured fences bypass coalescing; the bookkeeping ones do not.
      for (const auto& [t, h] : fences)
        if (t >> 32 != kTagReady) mark_critical(h);
    }
    D3DKMT_HANDLE buffer = o_.buffer_bytes != 0 ? make_buffer(me) : 0;
    std::vector<Child> peers;
    for (int k = 0; k < o_.peers; ++k) {
      int sv[2];
      if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair failed");
      UniqueFd mine(sv[0]), theirs(sv[1]);
      Child::Options c;
      c.argv = {self_dir() + "/kmtsim", "fenceprof-peer", "--scenario", o_.scenario, "--index", std::to_string(k),
                "--peers", std::to_string(o_.peers), "--iterations", std::to_string(o_.iterations),
                "--buffer", std::to_string(o_.buffer_bytes)};
      if (o_.pin) c.argv.insert(c.argv.end(), {"--cpu", std::to_string(k == 0 ? 0 : last_cpu())});
      c.env = {{"KMTSIM_SOCKET", daemon.socket_path()}};
      c.inherit = {{theirs.get(), kControlFd}};
      c.capture_stdout = true;
      c.die_with_parent = true;
      peers.emplace_back(c);
      // Each peer needs: the producer its fence and everyone's ready fence;
      // a consumer its ready fence and the previous consumer's, what it waits
      // on, its GPU and link fences.
      for (auto& [t, h] : fences) {
        const uint64_t kind = t >> 32;
        const int who = static_cast<int>(t & 0xFFFFFFFF);
        bool wanted;
        if (k == 0) wanted = kind == kTagReady || t == tag(kTagMain, 0);
        else if (who == k && kind != kTagMain) wanted = true;
        else if (kind == kTagReady) wanted = who == k - 1;  // the previous consumer's
        else if (kind_ == Kind::Chain) wanted = t == (k == 1 ? tag(kTagMain, 0) : tag(kTagLink, k - 1));
        else wanted = t == tag(kTagMain, 0);
        if (!wanted) continue;
        HANDLE nt = nullptr;
        D3DKMT_HANDLE hh = h;
        check("D3DKMTShareObjects", D3DKMTShareObjects(1, &hh, nullptr, D3DDDI_SYNC_OBJECT_ALL_ACCESS, &nt));
        if (KmtsimSendNtHandle(mine.get(), nt, t) != 0) throw std::runtime_error("cannot pass an NT handle to a peer");
        ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));
      }
      if (buffer != 0) {
        HANDLE nt = nullptr;
        check("D3DKMTShareObjects", D3DKMTShareObjects(1, &buffer, nullptr, GENERIC_ALL, &nt));
        if (KmtsimSendNtHandle(mine.get(), nt, tag(kTagBuffer, 0)) != 0)
          throw std::runtime_error("cannot pass an NT handle to a peer");
        ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));
      }
      // The end marker travels with a handle too (SCM_RIGHTS needs one).
      int marker[2];
      if (::pipe2(marker, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
      KmtsimSendNtHandle(mine.get(), reinterpret_cast<HANDLE>(static_cast<intptr_t>(marker[0])), 0);
      ::close(marker[0]);
      ::close(marker[1]);
    }
    collect(peers);
    ScenarioResult r = analyse(fences);
    const int status = daemon.stop();
    if (status != 0) throw std::runtime_error("kmtsimd ended with " + describe_status(status));
    r.wall_seconds = static_cast<double>(host_now_ns() - t0) / 1e9;
    return r;
  }

 private:
  // A shared resource of one CPU-visible video-memory allocation.
  D3DKMT_HANDLE make_buffer(const Peer& me) const {
    KMTSIM_ALLOCATION_DESC desc{KMTSIM_ALLOCATION_MAGIC, KMTSIM_ALLOCATION_VERSION, o_.buffer_bytes,
                                KMTSIM_ALLOCATION_CPU_VISIBLE, 0};
    D3DDDI_ALLOCATIONINFO2 info{};
    info.pPrivateDriverData = &desc;
    info.PrivateDriverDataSize = sizeof(desc);
    D3DKMT_CREATEALLOCATION c{};
    c.hDevice = me.device;
    c.Flags.CreateResource = c.Flags.CreateShared = c.Flags.NtSecuritySharing = 1;
    c.NumAllocations = 1;
    c.pAllocationInfo2 = &info;
    check("D3DKMTCreateAllocation2", D3DKMTCreateAllocation2(&c));
    return c.hResource;
  }

  void collect(std::vector<Child>& peers) {
    std::vector<std::string> buffers(peers.size());
    std::vector<bool> open(peers.size(), true);
    exited_.assign(peers.size(), false);
    statuses_.assign(peers.size(), 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1800);
    size_t seen = 0, last_shown = SIZE_MAX;
    auto last_output = std::chrono::steady_clock::now();
    for (;;) {
      std::vector<pollfd> fds;
      std::vector<size_t> which;
      for (size_t k = 0; k < peers.size(); ++k)
        if (open[k] && peers[k].stdout_fd() >= 0) {
          fds.push_back({peers[k].stdout_fd(), POLLIN, 0});
          which.push_back(k);
        }
      if (fds.empty()) break;
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the peers did not finish within 30 minutes");
      if (std::chrono::steady_clock::now() - last_output > std::chrono::seconds(60)) {
        for (const auto& b : buffers) parse(b);
        std::string where = "producer signalled up to " + std::to_string(calls_.empty() ? 0 : calls_.rbegin()->first);
        for (int k = 1; k < o_.peers; ++k) {
          uint64_t last = 0;
          for (const auto& [key, t] : returns_)
            if (key.first == k) last = std::max(last, key.second);
          where += ", peer " + std::to_string(k) + " woke up to " + std::to_string(last);
        }
        throw std::runtime_error("no peer made progress for 60 s (" + where + ")");
      }
      // A peer that failed leaves the others waiting for it: stop at once.
      for (size_t k = 0; k < peers.size(); ++k) {
        if (open[k] || exited_[k]) continue;
        const auto status = peers[k].wait(std::chrono::steady_clock::now());
        if (!status) continue;
        exited_[k] = true;
        statuses_[k] = *status;
        if (*status != 0) {
          parse(buffers[k]);
          throw std::runtime_error("peer " + std::to_string(k) + " " + describe_status(*status) +
                                   (errors_.empty() ? std::string() : ": " + errors_.front()));
        }
      }
      if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
      for (size_t j = 0; j < fds.size(); ++j) {
        if ((fds[j].revents & (POLLIN | POLLHUP)) == 0) continue;
        char buf[65536];
        const ssize_t n = ::read(fds[j].fd, buf, sizeof(buf));
        if (n <= 0) {
          open[which[j]] = false;
          continue;
        }
        buffers[which[j]].append(buf, static_cast<size_t>(n));
        last_output = std::chrono::steady_clock::now();
        if (which[j] == 0) seen = static_cast<size_t>(std::count(buffers[0].begin(), buffers[0].end(), '\n'));
      }
      if (o_.progress && seen / std::max<uint64_t>(1, o_.iterations / 100) != last_shown) {
        last_shown = seen / std::max<uint64_t>(1, o_.iterations / 100);
        std::fprintf(stderr, "\r  %s %s: %zu/%llu signals", o_.backend.c_str(), o_.scenario.c_str(), seen,
                     static_cast<unsigned long long>(o_.iterations));
        std::fflush(stderr);
      }
    }
    if (o_.progress) std::fprintf(stderr, "\n");
    for (size_t k = 0; k < peers.size(); ++k) {
      const auto status = exited_[k] ? std::optional<int>(statuses_[k])
                                     : peers[k].wait(std::chrono::steady_clock::now() + std::chrono::seconds(10));
      parse(buffers[k]);
      if (!status || *status != 0) {
        throw std::runtime_error("peer " + std::to_string(k) + " " + (status ? describe_status(*status) : "did not exit") +
                                 (errors_.empty() ? std::string() : ": " + errors_.front()));
      }
    }
  }

  void parse(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream l(line);
      std::string what;
      l >> what;
      if (what == "call") {
        uint64_t i, t;
        if (l >> i >> t) calls_[i] = t;
      } else if (what == "ret") {
        int k;
        uint64_t i, t;
        if (l >> k >> i >> t) returns_[{k, i}] = t;
      } else if (what == "error") {
        errors_.push_back(line.substr(6));
      }
    }
  }

  void mark_critical(D3DKMT_HANDLE fence) {
    KMTSIM_ESCAPE_FENCE_CRITICAL_DATA data{};
    data.Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_FENCE_CRITICAL};
    data.hSyncObject = fence;
    data.Critical = 1;
    D3DKMT_ESCAPE e{};
    e.hAdapter = adapter_;
    e.Type = D3DKMT_ESCAPE_DRIVERPRIVATE;
    e.pPrivateDriverData = &data;
    e.PrivateDriverDataSize = sizeof(data);
    check("D3DKMTEscape (latency-critical)", D3DKMTEscape(&e));
  }

  std::map<uint64_t, FenceHop> hops_of(D3DKMT_HANDLE fence) {
    std::map<uint64_t, FenceHop> out;
    auto data = std::make_unique<KMTSIM_ESCAPE_FENCE_HOPS_DATA>();
    UINT64 next = 1;
    for (;;) {
      std::memset(data.get(), 0, sizeof(*data));
      data->Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_FENCE_HOPS};
      data->hSyncObject = fence;
      data->FirstValue = next;
      data->MaxCount = KMTSIM_MAX_HOPS_PER_ESCAPE;
      D3DKMT_ESCAPE e{};
      e.hAdapter = adapter_;
      e.Type = D3DKMT_ESCAPE_DRIVERPRIVATE;
      e.pPrivateDriverData = data.get();
      e.PrivateDriverDataSize = sizeof(*data);
      check("D3DKMTEscape (fence hops)", D3DKMTEscape(&e));
      if (data->Count == 0) break;
      for (UINT k = 0; k < data->Count; ++k) {
        const KMTSIM_FENCE_HOP& h = data->Hops[k];
        out[h.Value] = {h.SubmitSimPs, h.FetchSimPs, h.UpdateSimPs, h.WriteBackSimPs, h.RecordSimPs,
                        h.IrqSimPs,    h.IsrSimPs,   h.SubmitHostNs, h.IsrHostNs,      h.DpcHostNs};
        next = h.Value + 1;
      }
    }
    return out;
  }

  // Without hops: only what the peers stamped, call to return.
  ScenarioResult analyse_uninstrumented() {
    ScenarioResult r;
    r.options = o_;
    r.complete = true;
    Hop total{"total", "signal call made", "waiting process returned", false, {}, {}};
    for (uint64_t i = 1; i <= o_.iterations; ++i) {
      const auto c = calls_.find(i);
      for (int k = 1; k < o_.peers; ++k) {
        const auto ret = returns_.find({k, i});
        if (c == calls_.end() || ret == returns_.end()) {
          r.complete = false;
          continue;
        }
        const uint64_t call = kind_ == Kind::Chain && k > 1 ? returns_[{k - 1, i}] : c->second;
        total.samples_ns.push_back(static_cast<double>(ret->second) - static_cast<double>(call));
      }
    }
    total.stats = percentiles(total.samples_ns);
    r.hops.push_back(std::move(total));
    return r;
  }

  ScenarioResult analyse(std::map<uint64_t, D3DKMT_HANDLE>& fences) {
    ScenarioResult r;
    r.options = o_;
    const bool host = o_.time_mode != "deterministic";
    if (!o_.instrumentation) return analyse_uninstrumented();
    auto add = [&](const char* name, const char* from, const char* to, bool simulated) -> Hop& {
      r.hops.push_back({name, from, to, simulated, {}, {}});
      return r.hops.back();
    };
    // Simulated hops, then host hops (profiling time only: host times vary run to run).
    // The signal that starts the measured path, through the device...
    add("fetch", "signal submitted to the device", "its SIGNAL command fetched", true);
    add("update", "signal reached the fence engine", "fence updated", true);
    add("writeback", "fence updated", "value written back (CPU-visible)", true);
    add("visible", "signal submitted to the device", "value written back (CPU-visible)", true);
    add("irq", "value written back (CPU-visible)", "interrupt raised", true);
    // ...and to the interrupt for the fence whose waiter it wakes.
    add("device", "signal submitted to the device", "interrupt raised", true);
    add("isr", "interrupt raised", "interrupt handler read the record", true);
    add("sim_total", "signal submitted to the device", "interrupt handler read the record", true);
    if (host) {
      add("send", "signal call made", "kmtsimd received it", false);
      add("kernel", "kmtsimd received it", "DPC delivered the value", false);
      add("wake", "DPC delivered the value", "waiting process returned", false);
      add("wake_path", "interrupt handler started", "waiting process returned", false);
      add("total", "signal call made", "waiting process returned", false);
    }
    auto hop = [&](const char* name) -> Hop& {
      for (auto& h : r.hops)
        if (h.name == name) return h;
      throw std::logic_error(name);
    };
    const auto main_hops = hops_of(fences[tag(kTagMain, 0)]);
    r.complete = true;
    const int consumers = o_.peers - 1;
    std::vector<std::map<uint64_t, FenceHop>> gpu_hops(static_cast<size_t>(o_.peers)), link_hops(static_cast<size_t>(o_.peers));
    for (int k = 1; k < o_.peers; ++k) {
      if (consumer_uses_gpu(kind_)) gpu_hops[static_cast<size_t>(k)] = hops_of(fences[tag(kTagGpu, k)]);
      if (kind_ == Kind::Chain && k < o_.peers - 1) link_hops[static_cast<size_t>(k)] = hops_of(fences[tag(kTagLink, k)]);
    }
    for (uint64_t i = 1; i <= o_.iterations; ++i) {
      auto m = main_hops.find(i);
      auto c = calls_.find(i);
      if (m == main_hops.end() || c == calls_.end()) {
        r.complete = false;
        continue;
      }
      SignalTimeline tl;
      tl.value = i;
      tl.host_call = c->second;
      for (int k = 1; k <= consumers; ++k) {
        auto ret = returns_.find({k, i});
        if (ret == returns_.end()) {
          r.complete = false;
          continue;
        }
        // What woke consumer k: the producer's fence, its GPU work's fence,
        // or in a chain the previous link.
        const FenceHop* w = &m->second;
        const FenceHop* start = &m->second;
        if (consumer_uses_gpu(kind_)) {
          auto g = gpu_hops[static_cast<size_t>(k)].find(i);
          if (g == gpu_hops[static_cast<size_t>(k)].end()) {
            r.complete = false;
            continue;
          }
          w = &g->second;
        } else if (kind_ == Kind::Chain && k > 1) {
          auto l = link_hops[static_cast<size_t>(k - 1)].find(i);
          if (l == link_hops[static_cast<size_t>(k - 1)].end()) {
            r.complete = false;
            continue;
          }
          w = start = &l->second;
        }
        auto sim = [&](const char* name, uint64_t from_ps, uint64_t to_ps) {
          if (from_ps != 0 && to_ps >= from_ps) hop(name).samples_ns.push_back(static_cast<double>(to_ps - from_ps) / 1e3);
        };
        if (k == 1 || kind_ == Kind::Chain) {  // the starting signal's own hops, once per signal
          sim("fetch", start->submit_sim_ps, start->fetch_sim_ps);
          sim("update", start->fetch_sim_ps != 0 ? start->fetch_sim_ps : start->submit_sim_ps, start->update_sim_ps);
          sim("writeback", start->update_sim_ps, start->wb_sim_ps);
          sim("visible", start->submit_sim_ps, start->wb_sim_ps);
          sim("irq", start->wb_sim_ps, start->irq_sim_ps);
        }
        hop("device").samples_ns.push_back(static_cast<double>(w->irq_sim_ps - start->submit_sim_ps) / 1e3);
        hop("isr").samples_ns.push_back(static_cast<double>(w->isr_sim_ps - w->irq_sim_ps) / 1e3);
        hop("sim_total").samples_ns.push_back(static_cast<double>(w->isr_sim_ps - start->submit_sim_ps) / 1e3);
        if (host) {
          // In a chain, a link starts when the previous peer returned.
          const uint64_t call = kind_ == Kind::Chain && k > 1 ? returns_[{k - 1, i}] : c->second;
          hop("send").samples_ns.push_back(static_cast<double>(start->submit_host_ns) - static_cast<double>(call));
          hop("kernel").samples_ns.push_back(static_cast<double>(w->dpc_host_ns - start->submit_host_ns));
          hop("wake").samples_ns.push_back(static_cast<double>(ret->second) - static_cast<double>(w->dpc_host_ns));
          hop("wake_path").samples_ns.push_back(static_cast<double>(ret->second) - static_cast<double>(w->isr_host_ns));
          hop("total").samples_ns.push_back(static_cast<double>(ret->second) - static_cast<double>(call));
        }
        if (k == 1 || kind_ != Kind::Chain) {
          tl.sim_submit_ns = static_cast<double>(start->submit_sim_ps) / 1e3;
          tl.sim_irq_ns = static_cast<double>(w->irq_sim_ps) / 1e3;
          tl.sim_isr_ns = static_cast<double>(w->isr_sim_ps) / 1e3;
          tl.host_received = start->submit_host_ns;
          tl.host_isr = w->isr_host_ns;
          tl.host_dpc = w->dpc_host_ns;
        }
        tl.host_returned.push_back(ret->second);
      }
      r.timeline.push_back(std::move(tl));
    }
    // Hops this scenario has no samples of (a CPU signal is not fetched).
    std::erase_if(r.hops, [](const Hop& h) { return h.samples_ns.empty(); });
    for (auto& h : r.hops) h.stats = percentiles(h.samples_ns);
    return r;
  }

  ScenarioOptions o_;
  Kind kind_;
  D3DKMT_HANDLE adapter_ = 0;
  std::map<uint64_t, uint64_t> calls_;
  std::map<std::pair<int, uint64_t>, uint64_t> returns_;
  std::vector<std::string> errors_;
  std::vector<bool> exited_;
  std::vector<int> statuses_;
};

}  // namespace

ScenarioResult run_scenario(const ScenarioOptions& options) { return Orchestrator(options).run(); }

Hop measure_eventfd_floor(uint64_t rounds, bool pin) {
  // One-way wakes between two processes: the writer puts its send time in
  // the counter, the reader subtracts it from its wake time.
  Hop h{"baseline_eventfd", "eventfd written", "reader woke", false, {}, {}};
  const int ping = ::eventfd(0, EFD_CLOEXEC), pong = ::eventfd(0, EFD_CLOEXEC);
  int results[2];
  if (ping < 0 || pong < 0 || ::pipe2(results, O_CLOEXEC) != 0) throw std::runtime_error("eventfd failed");
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    if (pin) pin_to(last_cpu());
    std::vector<double> lat;
    lat.reserve(rounds);
    for (uint64_t k = 0; k < rounds + 200; ++k) {
      uint64_t sent = 0;
      if (::read(ping, &sent, sizeof(sent)) != sizeof(sent)) ::_exit(1);
      const uint64_t now = host_now_ns();
      if (k >= 200) lat.push_back(static_cast<double>(now - sent));  // after a warm-up
      const uint64_t one = 1;
      if (::write(pong, &one, sizeof(one)) != sizeof(one)) ::_exit(1);
    }
    const size_t bytes = lat.size() * sizeof(double);
    size_t done = 0;
    while (done < bytes) {
      const ssize_t n = ::write(results[1], reinterpret_cast<const char*>(lat.data()) + done, bytes - done);
      if (n <= 0) ::_exit(1);
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(results[1]);
  if (pin) pin_to(0);
  for (uint64_t k = 0; k < rounds + 200; ++k) {
    const uint64_t now = host_now_ns();
    if (::write(ping, &now, sizeof(now)) != sizeof(now)) break;
    uint64_t v;
    if (::read(pong, &v, sizeof(v)) != sizeof(v)) break;
  }
  h.samples_ns.resize(rounds);
  size_t done = 0;
  const size_t bytes = rounds * sizeof(double);
  while (done < bytes) {
    const ssize_t n = ::read(results[0], reinterpret_cast<char*>(h.samples_ns.data()) + done, bytes - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  h.samples_ns.resize(done / sizeof(double));
  ::waitpid(child, nullptr, 0);
  ::close(results[0]);
  ::close(ping);
  ::close(pong);
  if (pin) {
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int k = 0; k <= last_cpu(); ++k) CPU_SET(k, &all);
    ::sched_setaffinity(0, sizeof(all), &all);
  }
  h.stats = percentiles(h.samples_ns);
  return h;
}

int fenceprof_peer_main(int argc, char** argv) {
  std::string scenario;
  int index = -1, peers = 0, cpu = -1;
  uint64_t iterations = 0, buffer_bytes = 0;
  for (int i = 0; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--scenario") scenario = argv[i + 1];
    else if (a == "--index") index = std::atoi(argv[i + 1]);
    else if (a == "--peers") peers = std::atoi(argv[i + 1]);
    else if (a == "--iterations") iterations = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--cpu") cpu = std::atoi(argv[i + 1]);
    else if (a == "--buffer") buffer_bytes = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (index < 0 || peers < 2 || index >= peers || iterations == 0) {
    std::fputs("usage: kmtsim fenceprof-peer ... (started by kmtsim fenceprof)\n", stderr);
    return 2;
  }
  if (cpu >= 0) pin_to(cpu);
  return run_peer(parse_scenario(scenario), index, peers, iterations, buffer_bytes);
}

}  // namespace kmtsim::cosim
