// kmtsim demo: two real processes share a monitored fence through an NT
// handle passed with SCM_RIGHTS. Process A signals it from the GPU (a SIGNAL
// command through the device's command processor); process B waits for each
// value and checks that it sees every one, in order. The table gives the
// signal-to-wake latency in simulated time (command submitted → interrupt
// handled and waiter woken) and in host time (A's call → B's wait returned).
#include "demo.h"

#include "child.h"
#include "d3dkmthk.h"
#include "daemon_process.h"
#include "kmtsim/escape.h"
#include "kmtsim/nthandle.h"
#include "kmtsim/util/clock.h"
#include "kmtsim/util/json.h"
#include "kmtsim/util/stats.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kmtsim::cosim {

namespace {

constexpr int kChannelFd = 3;  // the peers' end of the socket pair between them
constexpr UINT64 kTagFence = 'F';
constexpr UINT64 kTagAck = 'K';

// --- The peers -------------------------------------------------------------------

[[noreturn]] void die(const char* what, NTSTATUS status) {
  std::printf("error %s failed with 0x%08x\n", what, static_cast<unsigned>(status));
  std::fflush(stdout);
  std::exit(1);
}

void check(const char* what, NTSTATUS status) {
  if (!NT_SUCCESS(status)) die(what, status);
}

struct PeerDevice {
  D3DKMT_HANDLE adapter = 0;
  D3DKMT_HANDLE device = 0;

  PeerDevice() {
    D3DKMT_ADAPTERINFO info[4] = {};
    D3DKMT_ENUMADAPTERS2 enumerate{4, info};
    check("D3DKMTEnumAdapters2", D3DKMTEnumAdapters2(&enumerate));
    if (enumerate.NumAdapters < 1) die("D3DKMTEnumAdapters2 (no adapter)", STATUS_UNSUCCESSFUL);
    adapter = info[0].hAdapter;
    D3DKMT_CREATEDEVICE create{};
    create.hAdapter = adapter;
    check("D3DKMTCreateDevice", D3DKMTCreateDevice(&create));
    device = create.hDevice;
  }
  ~PeerDevice() {
    D3DKMT_DESTROYDEVICE destroy{device};
    D3DKMTDestroyDevice(&destroy);
    D3DKMT_CLOSEADAPTER close{adapter};
    D3DKMTCloseAdapter(&close);
  }

  NTSTATUS wait_cpu(D3DKMT_HANDLE sync, UINT64 value, HANDLE event) const {
    D3DKMT_WAITFORSYNCHRONIZATIONOBJECTFROMCPU wait{};
    wait.hDevice = device;
    wait.ObjectCount = 1;
    wait.ObjectHandleArray = &sync;
    wait.FenceValueArray = &value;
    wait.hAsyncEvent = event;
    return D3DKMTWaitForSynchronizationObjectFromCpu(&wait);
  }
  NTSTATUS signal_cpu(D3DKMT_HANDLE sync, UINT64 value) const {
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMCPU signal{};
    signal.hDevice = device;
    signal.ObjectCount = 1;
    signal.ObjectHandleArray = &sync;
    signal.FenceValueArray = &value;
    return D3DKMTSignalSynchronizationObjectFromCpu(&signal);
  }
};

// Process A: makes the fence and the acknowledgement fence, shares both, and
// signals the fence from the GPU once B has acknowledged the previous value.
int run_producer(uint64_t iterations) {
  PeerDevice dev;
  auto make_fence = [&](const char* what) {
    D3DKMT_CREATESYNCHRONIZATIONOBJECT2 create{};
    create.hDevice = dev.device;
    create.Info.Type = D3DDDI_MONITORED_FENCE;
    create.Info.Flags.Shared = 1;
    create.Info.Flags.NtSecuritySharing = 1;
    check(what, D3DKMTCreateSynchronizationObject2(&create));
    return create.hSyncObject;
  };
  const D3DKMT_HANDLE fence = make_fence("D3DKMTCreateSynchronizationObject2 (fence)");
  const D3DKMT_HANDLE ack = make_fence("D3DKMTCreateSynchronizationObject2 (ack)");
  for (auto [sync, tag] : {std::pair{fence, kTagFence}, std::pair{ack, kTagAck}}) {
    HANDLE nt = nullptr;
    check("D3DKMTShareObjects", D3DKMTShareObjects(1, &sync, nullptr, D3DDDI_SYNC_OBJECT_ALL_ACCESS, &nt));
    if (KmtsimSendNtHandle(kChannelFd, nt, tag) != 0) die("sending the NT handle", STATUS_UNSUCCESSFUL);
    ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));
  }
  D3DKMT_CREATECONTEXTVIRTUAL context{};
  context.hDevice = dev.device;
  check("D3DKMTCreateContextVirtual", D3DKMTCreateContextVirtual(&context));

  std::string out;
  for (uint64_t i = 1; i <= iterations; ++i) {
    check("D3DKMTWaitForSynchronizationObjectFromCpu (ack)", dev.wait_cpu(ack, i - 1, nullptr));
    D3DKMT_SIGNALSYNCHRONIZATIONOBJECTFROMGPU signal{};
    signal.hContext = context.hContext;
    signal.ObjectCount = 1;
    signal.ObjectHandleArray = &fence;
    const UINT64 value = i;
    signal.MonitoredFenceValueArray = &value;
    const uint64_t t = host_now_ns();
    check("D3DKMTSignalSynchronizationObjectFromGpu", D3DKMTSignalSynchronizationObjectFromGpu(&signal));
    out += "submit " + std::to_string(i) + " " + std::to_string(t) + "\n";
  }
  check("D3DKMTWaitForSynchronizationObjectFromCpu (final ack)", dev.wait_cpu(ack, iterations, nullptr));
  std::fputs(out.c_str(), stdout);
  std::puts("done");
  D3DKMT_DESTROYCONTEXT destroy_context{context.hContext};
  D3DKMTDestroyContext(&destroy_context);
  return 0;
}

// Process B: opens both fences from the NT handles it was sent; for each
// value, registers its wait, acknowledges the previous value (so A signals
// only once B is waiting), and blocks until the value arrives.
int run_consumer(uint64_t iterations) {
  PeerDevice dev;
  D3DKMT_HANDLE fence = 0, ack = 0;
  const volatile UINT64* fence_value = nullptr;
  for (int k = 0; k < 2; ++k) {
    HANDLE nt = nullptr;
    UINT64 tag = 0;
    if (KmtsimReceiveNtHandle(kChannelFd, &nt, &tag) != 0) die("receiving an NT handle", STATUS_UNSUCCESSFUL);
    D3DKMT_OPENSYNCOBJECTFROMNTHANDLE2 open{};
    open.hNtHandle = nt;
    open.hDevice = dev.device;
    check("D3DKMTOpenSyncObjectFromNtHandle2", D3DKMTOpenSyncObjectFromNtHandle2(&open));
    ::close(static_cast<int>(reinterpret_cast<intptr_t>(nt)));
    if (tag == kTagFence) {
      fence = open.hSyncObject;
      fence_value = static_cast<const volatile UINT64*>(open.MonitoredFence.FenceValueCPUVirtualAddress);
    } else {
      ack = open.hSyncObject;
    }
  }
  if (fence == 0 || ack == 0 || fence_value == nullptr) die("the handles received", STATUS_INVALID_HANDLE);

  const int event = ::eventfd(0, EFD_CLOEXEC);
  std::string out;
  UINT64 last = 0;
  for (uint64_t i = 1; i <= iterations; ++i) {
    check("D3DKMTWaitForSynchronizationObjectFromCpu", dev.wait_cpu(fence, i, reinterpret_cast<HANDLE>(static_cast<intptr_t>(event))));
    check("D3DKMTSignalSynchronizationObjectFromCpu (ack)", dev.signal_cpu(ack, i - 1));
    pollfd p{event, POLLIN, 0};
    if (::poll(&p, 1, 60'000) != 1) die("waiting for the fence (60 s)", STATUS_TIMEOUT);
    const uint64_t t = host_now_ns();
    uint64_t count;
    (void)!::read(event, &count, sizeof(count));
    const UINT64 seen = *fence_value;
    out += "wake " + std::to_string(i) + " " + std::to_string(t) + " " + std::to_string(seen) + "\n";
    if (seen < last) out += "error the fence went backwards\n";
    last = seen;
  }
  check("D3DKMTSignalSynchronizationObjectFromCpu (final ack)", dev.signal_cpu(ack, iterations));

  // The driver's record of each signal's hops, read through a private escape.
  auto hops = std::make_unique<KMTSIM_ESCAPE_FENCE_HOPS_DATA>();
  UINT64 next = 1;
  while (next <= iterations) {
    std::memset(hops.get(), 0, sizeof(*hops));
    hops->Header = {KMTSIM_ESCAPE_MAGIC, KMTSIM_ESCAPE_FENCE_HOPS};
    hops->hSyncObject = fence;
    hops->FirstValue = next;
    hops->MaxCount = KMTSIM_MAX_HOPS_PER_ESCAPE;
    D3DKMT_ESCAPE escape{};
    escape.hAdapter = dev.adapter;
    escape.Type = D3DKMT_ESCAPE_DRIVERPRIVATE;
    escape.pPrivateDriverData = hops.get();
    escape.PrivateDriverDataSize = sizeof(*hops);
    check("D3DKMTEscape (fence hops)", D3DKMTEscape(&escape));
    if (hops->Count == 0) break;
    for (UINT k = 0; k < hops->Count; ++k) {
      const KMTSIM_FENCE_HOP& h = hops->Hops[k];
      char line[256];
      std::snprintf(line, sizeof(line), "hop %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
                    static_cast<uint64_t>(h.Value), static_cast<uint64_t>(h.SubmitSimPs),
                    static_cast<uint64_t>(h.IrqSimPs), static_cast<uint64_t>(h.IsrSimPs),
                    static_cast<uint64_t>(h.SubmitHostNs), static_cast<uint64_t>(h.DpcHostNs));
      out += line;
      next = h.Value + 1;
    }
  }
  ::close(event);
  std::fputs(out.c_str(), stdout);
  std::puts("done");
  return 0;
}

// --- The orchestrator --------------------------------------------------------------

struct BackendResult {
  std::string backend;
  uint64_t iterations = 0;
  uint64_t woken = 0;
  bool in_order = false;
  Percentiles sim_ns;         // command submitted → interrupt handled, waiter woken (simulated)
  Percentiles device_ns;      // command submitted → interrupt raised (simulated)
  Percentiles host_us;        // A's signal call → B's wait returned (host)
  Percentiles kernel_us;      // request received → DPC woke the waiter (host)
  double wall_seconds = 0;
};

struct PeerOutput {
  std::map<uint64_t, uint64_t> submit;                  // value → host ns
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> wake;  // value → (host ns, value seen)
  struct Hop {
    uint64_t submit_sim_ps, irq_sim_ps, isr_sim_ps, submit_host_ns, dpc_host_ns;
  };
  std::map<uint64_t, Hop> hops;
  std::vector<std::string> errors;
  bool done = false;
};

void parse_peer(const std::string& text, PeerOutput& out) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string kind;
    l >> kind;
    if (kind == "submit") {
      uint64_t i, t;
      if (l >> i >> t) out.submit[i] = t;
    } else if (kind == "wake") {
      uint64_t i, t, v;
      if (l >> i >> t >> v) out.wake[i] = {t, v};
    } else if (kind == "hop") {
      uint64_t v;
      PeerOutput::Hop h{};
      if (l >> v >> h.submit_sim_ps >> h.irq_sim_ps >> h.isr_sim_ps >> h.submit_host_ns >> h.dpc_host_ns) out.hops[v] = h;
    } else if (kind == "error") {
      out.errors.push_back(line.substr(6));
    } else if (kind == "done") {
      out.done = true;
    }
  }
}

BackendResult run_backend(const std::string& backend, uint64_t iterations, const std::string& time_mode) {
  const uint64_t t0 = host_now_ns();
  DaemonProcess daemon({"--backend", backend, "--time", time_mode});
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) throw std::runtime_error("socketpair failed");
  UniqueFd a_end(pair[0]), b_end(pair[1]);
  const std::string self = self_dir() + "/kmtsim";
  auto peer = [&](const char* role, int channel) {
    Child::Options o;
    o.argv = {self, "demo-peer", "--role", role, "--iterations", std::to_string(iterations)};
    o.env = {{"KMTSIM_SOCKET", daemon.socket_path()}};
    o.inherit = {{channel, kChannelFd}};
    o.capture_stdout = true;
    return Child(o);
  };
  Child producer = peer("producer", a_end.get());
  Child consumer = peer("consumer", b_end.get());
  a_end.reset();
  b_end.reset();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  PeerOutput out;
  parse_peer(producer.read_stdout(deadline), out);
  parse_peer(consumer.read_stdout(deadline), out);
  for (Child* c : {&producer, &consumer}) {
    const auto status = c->wait(deadline);
    if (!status) throw std::runtime_error("a demo process did not finish within 300 s");
    if (*status != 0) out.errors.push_back("a demo process ended with " + describe_status(*status));
  }
  const int daemon_status = daemon.stop();
  if (daemon_status != 0) out.errors.push_back("kmtsimd ended with " + describe_status(daemon_status));
  if (!out.errors.empty()) throw std::runtime_error(backend + ": " + out.errors.front());

  BackendResult r;
  r.backend = backend;
  r.iterations = iterations;
  r.woken = out.wake.size();
  r.in_order = r.woken == iterations;
  std::vector<double> host_us, sim_ns, device_ns, kernel_us;
  for (uint64_t i = 1; i <= iterations; ++i) {
    auto w = out.wake.find(i);
    auto s = out.submit.find(i);
    if (w == out.wake.end() || w->second.second != i) r.in_order = false;
    if (w != out.wake.end() && s != out.submit.end())
      host_us.push_back(static_cast<double>(w->second.first - s->second) / 1e3);
    if (auto h = out.hops.find(i); h != out.hops.end()) {
      sim_ns.push_back(static_cast<double>(h->second.isr_sim_ps - h->second.submit_sim_ps) / 1e3);
      device_ns.push_back(static_cast<double>(h->second.irq_sim_ps - h->second.submit_sim_ps) / 1e3);
      kernel_us.push_back(static_cast<double>(h->second.dpc_host_ns - h->second.submit_host_ns) / 1e3);
    }
  }
  r.host_us = percentiles(host_us);
  r.sim_ns = percentiles(sim_ns);
  r.device_ns = percentiles(device_ns);
  r.kernel_us = percentiles(kernel_us);
  r.wall_seconds = static_cast<double>(host_now_ns() - t0) / 1e9;
  return r;
}

void usage(FILE* out) {
  std::fputs(
      "usage: kmtsim demo [--backend model|rtl|both] [--iterations N] [--time deterministic|profiling]\n"
      "                   [--json FILE]\n"
      "\n"
      "Starts kmtsimd, then process A, which shares a monitored fence with process B\n"
      "(the NT handle travels as a file descriptor) and signals it from the GPU N times,\n"
      "and process B, which waits for each value. Checks that B saw every value in\n"
      "order and prints the signal-to-wake latency in simulated ns and host us.\n"
      "  --backend B      model, rtl or both (default both)\n"
      "  --iterations N   signals per backend (default 1000)\n"
      "  --time M         kmtsimd's time mode (default profiling)\n"
      "  --json FILE      also write the results as JSON\n",
      out);
}

void write_percentiles(JsonWriter& j, const char* name, const Percentiles& p) {
  j.key(name).begin_object();
  j.field("p50", p.p50).field("p99", p.p99).field("max", p.max).field("mean", p.mean).field("count", static_cast<uint64_t>(p.count));
  j.end_object();
}

}  // namespace

int demo_peer_main(int argc, char** argv) {
  std::string role;
  uint64_t iterations = 0;
  for (int i = 0; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--role") role = argv[i + 1];
    else if (a == "--iterations") iterations = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (iterations == 0 || (role != "producer" && role != "consumer")) {
    std::fputs("usage: kmtsim demo-peer --role producer|consumer --iterations N (started by kmtsim demo)\n", stderr);
    return 2;
  }
  return role == "producer" ? run_producer(iterations) : run_consumer(iterations);
}

int demo_main(int argc, char** argv) {
  std::vector<std::string> backends = {"model", "rtl"};
  uint64_t iterations = 1000;
  std::string json_path;
  std::string time_mode = "profiling";
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--backend") {
      const std::string b = value();
      if (b == "both") backends = {"model", "rtl"};
      else if (b == "model" || b == "rtl") backends = {b};
      else throw std::invalid_argument("unknown backend '" + b + "' (model, rtl or both)");
    } else if (a == "--iterations") {
      const std::string n = value();
      char* end = nullptr;
      iterations = std::strtoull(n.c_str(), &end, 10);
      if (*end != '\0' || iterations == 0 || iterations > 10'000'000)
        throw std::invalid_argument("--iterations takes a whole number from 1 to 10000000");
    } else if (a == "--time") {
      time_mode = value();
      if (time_mode != "deterministic" && time_mode != "profiling")
        throw std::invalid_argument("unknown time mode '" + time_mode + "' (deterministic or profiling)");
    } else if (a == "--json") {
      json_path = value();
    } else {
      throw std::invalid_argument("unknown argument '" + std::string(a) + "'");
    }
  }

  std::printf("kmtsim demo: process A signals a shared monitored fence from the GPU %llu times;\n"
              "process B (another process, the fence opened from an NT handle passed as a file\n"
              "descriptor) waits for each value.\n\n",
              static_cast<unsigned long long>(iterations));
  std::fflush(stdout);
  std::vector<BackendResult> results;
  for (const auto& b : backends) {
    std::fprintf(stderr, "running the %s backend...\n", b.c_str());
    results.push_back(run_backend(b, iterations, time_mode));
  }

  std::printf("signal-to-wake latency: simulated = SIGNAL command submitted -> interrupt handled and waiter woken;\n"
              "host = A's D3DKMTSignalSynchronizationObjectFromGpu call -> B's wait returned (CLOCK_MONOTONIC)\n\n");
  std::printf("%-7s %8s %9s | %27s | %27s\n", "", "", "", "simulated (ns)", "host (us)");
  std::printf("%-7s %8s %9s | %8s %8s %9s | %8s %8s %9s\n", "backend", "signals", "in order", "p50", "p99", "max", "p50",
              "p99", "max");
  for (const auto& r : results) {
    std::printf("%-7s %8llu %9s | %8.1f %8.1f %9.1f | %8.1f %8.1f %9.1f\n", r.backend.c_str(),
                static_cast<unsigned long long>(r.woken), r.in_order ? "yes" : "NO", r.sim_ns.p50, r.sim_ns.p99,
                r.sim_ns.max, r.host_us.p50, r.host_us.p99, r.host_us.max);
  }
  std::printf("\n");
  for (const auto& r : results) {
    std::printf("%s: device (submitted -> interrupt raised) p50 %.1f ns; driver (request received -> waiter woken) "
                "p50 %.1f us; %.2f s wall\n",
                r.backend.c_str(), r.device_ns.p50, r.kernel_us.p50, r.wall_seconds);
  }

  if (!json_path.empty()) {
    JsonWriter j;
    j.begin_object().field("iterations", iterations).field("time_mode", time_mode).key("backends").begin_array();
    for (const auto& r : results) {
      j.begin_object().field("backend", r.backend).field("signals", r.woken).field("in_order", r.in_order);
      write_percentiles(j, "sim_signal_to_wake_ns", r.sim_ns);
      write_percentiles(j, "sim_signal_to_irq_ns", r.device_ns);
      write_percentiles(j, "host_signal_to_wake_us", r.host_us);
      write_percentiles(j, "host_driver_us", r.kernel_us);
      j.field("wall_seconds", r.wall_seconds).end_object();
    }
    j.end_array().end_object();
    std::ofstream f(json_path);
    f << j.str() << "\n";
    if (!f) throw std::runtime_error("cannot write " + json_path);
  }
  for (const auto& r : results)
    if (!r.in_order) return 1;
  return 0;
}

}  // namespace kmtsim::cosim
