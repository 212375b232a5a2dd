// kmtsim: the command-line tool. Each subcommand has its own --help.
#include "child.h"
#include "demo.h"
#include "fenceprof.h"
#include "handoff.h"
#include "memtrace.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

void usage(FILE* out) {
  std::fputs(
      "usage: kmtsim <command> [options]\n"
      "\n"
      "commands:\n"
      "  serve   start kmtsimd, the simulated GPU and its kernel driver (kmtsim serve --help)\n"
      "  demo    two processes share a fence and an allocation through the driver; prints the\n"
      "          signal-to-wake latency on each backend (kmtsim demo --help)\n"
      "  fenceprof  fence-signalling latency, hop by hop, per scenario, against the eventfd\n"
      "          floor (kmtsim fenceprof --help)\n"
      "  memtrace  replays a DRAMSim3-format memory trace on the memory controller (model or\n"
      "          rtl) and reports bandwidth, latency, row hits, refreshes (kmtsim memtrace --help)\n"
      "  help    this text\n",
      out);
}

int serve(int argc, char** argv) {
  // kmtsimd is a separate program (it links SystemC and the Verilated RTL).
  const std::string daemon = kmtsim::cosim::self_dir() + "/kmtsimd";
  std::vector<char*> args{const_cast<char*>(daemon.c_str())};
  for (int i = 0; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(daemon.c_str(), args.data());
  std::fprintf(stderr, "kmtsim serve: cannot run %s: %s\n", daemon.c_str(), std::strerror(errno));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string_view cmd = argv[1];
  try {
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      usage(stdout);
      return 0;
    }
    if (cmd == "serve") return serve(argc - 2, argv + 2);
    if (cmd == "demo") return kmtsim::cosim::demo_main(argc - 2, argv + 2);
    if (cmd == "fenceprof") return kmtsim::cosim::fenceprof_main(argc - 2, argv + 2);
    if (cmd == "memtrace") return kmtsim::cosim::memtrace_main(argc - 2, argv + 2);
    if (cmd == "fenceprof-peer") return kmtsim::cosim::fenceprof_peer_main(argc - 2, argv + 2);
    if (cmd == "handoff-peer") return kmtsim::cosim::handoff_peer_main(argc - 2, argv + 2);
    std::fprintf(stderr, "kmtsim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "kmtsim %s: %s (see kmtsim %s --help)\n", argv[1], e.what(), argv[1]);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmtsim %s: %s\n", argv[1], e.what());
    return 1;
  }
}
