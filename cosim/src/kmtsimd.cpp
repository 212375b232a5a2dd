// kmtsimd: the simulated GPU (model or RTL under SystemC) and the kernel side
// of its driver in one process, serving D3DKMT clients on a Unix socket.
//
// One loop interleaves client requests and simulated time. Deterministic
// time (the default) runs the device until it is idle before taking the next
// request, so the same requests give the same simulated times. Profiling time
// takes requests between short slices of simulation, as fast as the host goes.
#include "kmtsim/daemon/server.h"
#include "kmtsim/kernel/kernel.h"
#include "kmtsim/util/socket_path.h"
#include "kmtsim/util/socket_path.h"
#include "sim_device.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

void usage(FILE* out) {
  std::fputs(
      "usage: kmtsimd [--socket PATH] [--backend model|rtl] [--time deterministic|profiling]\n"
      "               [--seed N] [--coalesce COUNT:CYCLES] [--hops on|off] [--ready-fd FD] [--quiet]\n"
      "\n"
      "Runs the simulated kmtsim GPU and its kernel driver, serving D3DKMT clients.\n"
      "  --socket PATH   Unix socket to serve (default: $KMTSIM_SOCKET, else\n"
      "                  $XDG_RUNTIME_DIR/kmtsim.sock, else /tmp/kmtsim-UID.sock)\n"
      "  --backend B     model (SystemC, default) or rtl (Verilated RTL under SystemC)\n"
      "  --time M        deterministic (default) or profiling\n"
      "  --seed N        seed for handle numbering (default: random)\n"
      "  --coalesce C:T  interrupt coalescing: one interrupt per C records (2..255),\n"
      "                  or when the oldest has waited T device cycles (1..16777215);\n"
      "                  fences marked latency-critical bypass it (default: off)\n"
      "  --hops on|off   record each fence signal's hops (default on; off: to measure what it costs)\n"
      "  --ready-fd FD   write \"ready\\n\" to FD once clients can connect, then close it\n"
      "  --quiet         no start-up and shutdown lines\n",
      out);
}

}  // namespace

// Our own main() (libsystemc has one too): SystemC prints its banner before
// sc_main unless told not to.
int main(int argc, char* argv[]) {
  ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char* argv[]) {
  using namespace kmtsim;
  std::string socket_path = default_socket_path();
  sc::Backend backend = sc::Backend::Model;
  bool deterministic = true;
  bool quiet = false;
  uint64_t seed = 0;
  int ready_fd = -1;
  uint32_t coalesce_count = 0, coalesce_cycles = 0;
  bool record_hops = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kmtsimd: %s needs a value\n", what);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    } else if (arg == "--socket") {
      socket_path = value("--socket");
    } else if (arg == "--backend") {
      const char* b = value("--backend");
      auto parsed = sc::parse_backend(b);
      if (!parsed) {
        std::fprintf(stderr, "kmtsimd: unknown backend '%s' (model or rtl)\n", b);
        return 2;
      }
      backend = *parsed;
    } else if (arg == "--time") {
      const std::string_view t = value("--time");
      if (t == "deterministic") deterministic = true;
      else if (t == "profiling") deterministic = false;
      else {
        std::fprintf(stderr, "kmtsimd: unknown time mode '%.*s' (deterministic or profiling)\n",
                     static_cast<int>(t.size()), t.data());
        return 2;
      }
    } else if (arg == "--seed") {
      seed = std::strtoull(value("--seed"), nullptr, 0);
    } else if (arg == "--coalesce") {
      const std::string v = value("--coalesce");
      char* end = nullptr;
      const unsigned long count = std::strtoul(v.c_str(), &end, 10);
      unsigned long cycles = 0;
      bool ok = end != v.c_str() && count <= 255;
      if (ok && *end == ':') {
        const char* t = end + 1;
        cycles = std::strtoul(t, &end, 10);
        ok = end != t && cycles >= 1 && cycles <= 0xFFFFFF;
      }
      // Without a time limit a lone record would wait for company for ever.
      ok = ok && (count <= 1 || cycles != 0);
      if (!ok || *end != '\0') {
        std::fprintf(stderr, "kmtsimd: --coalesce takes COUNT:CYCLES (COUNT 2..255, CYCLES 1..16777215) or 0 (off), not '%s'\n",
                     v.c_str());
        return 2;
      }
      coalesce_count = static_cast<uint32_t>(count);
      coalesce_cycles = static_cast<uint32_t>(cycles);
    } else if (arg == "--hops") {
      const std::string_view h = value("--hops");
      if (h != "on" && h != "off") {
        std::fprintf(stderr, "kmtsimd: --hops takes on or off\n");
        return 2;
      }
      record_hops = h == "on";
    } else if (arg == "--ready-fd") {
      ready_fd = std::atoi(value("--ready-fd"));
    } else if (arg == "--quiet") {
      quiet = true;
    } else {
      std::fprintf(stderr, "kmtsimd: unknown argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);

  try {
    cosim::SimDevice device(backend);
    boost::asio::io_context io;
    daemon::AsioReactor reactor(io);
    kernel::KernelOptions options;
    options.backend_id = backend == sc::Backend::Rtl ? 1 : 0;
    options.seed = seed;
    options.coalesce_count = coalesce_count;
    options.coalesce_cycles = coalesce_cycles;
    options.record_hops = record_hops;
    kernel::Kernel kernel(device, reactor, options);
    device.set_interrupt_handler([&kernel](uint64_t t) { kernel.interrupt(t); });
    kernel.start();

    daemon::Server server(io, kernel, socket_path);
    server.start();
    bool stop = false;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) stop = true;
    });
    if (!quiet)
      std::printf("kmtsimd: serving %s (backend %s, %s time)\n", socket_path.c_str(), sc::to_string(backend),
                  deterministic ? "deterministic" : "profiling");
    std::fflush(stdout);
    if (ready_fd >= 0) {
      (void)!::write(ready_fd, "ready\n", 6);
      ::close(ready_fd);
    }

    const sc_core::sc_time slice(10, sc_core::SC_US);
    while (!stop) {
      if (!device.active()) kernel.device_idle();
      if (device.active()) {
        if (deterministic) {
          device.run_until_idle();
        } else {
          // One handler between slices of simulation: the device's interrupt
          // path never waits behind a queue of client work.
          device.step(slice);
          io.poll_one();
        }
        continue;
      }
      io.run_one();  // the device is idle: sleep until a client or a signal wakes us
    }
    // Device removal: fences to UINT64_MAX, waiters released, then the
    // clients see the socket close.
    kernel.remove_device();
    server.stop();
    if (!quiet) std::printf("kmtsimd: stopped after %llu requests\n", static_cast<unsigned long long>(kernel.stats().requests));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmtsimd: %s\n", e.what());
    return 1;
  }
  return 0;
}
