// Simulation speed of the whole Verilated device (rtl/kmt_device.sv as the
// build verilated it: KMTSIM_RTL_PRESET, KMTSIM_RTL_NUM_FENCES, ...) in
// device clock cycles per wall-clock second:
//   direct   clocked from a plain C++ loop (tests/rtl/device_harness.h, with
//            the DRAM model and its checker on every channel);
//   systemc  under SystemC, through the RTL backend adapter the
//            co-simulation uses (sc::make_device(Backend::Rtl)), driven by
//            sc::Host: register accesses as TLM transactions, the adapter
//            running the model in chunks and skipping quiet cycles.
// Each for an idle device (nothing to do but refresh) and a busy one (both
// rings kept fed with batches of FILL 512 B, COPY 512 B, SIGNAL). Under
// SystemC the idle device is measured twice: as the adapter runs it (quiet
// cycles skipped up to the next refresh) and with every cycle clocked
// (KMTSIM_RTL_TICK_IDLE=1). SystemC elaborates once per process, so each
// SystemC scenario runs in a child process of its own.
//
//   bench_device [--cycles N] [--scenario NAME]    JSON on stdout
#include "Vkmt_device.h"
#include "verilated.h"

#include <sys/mman.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "device_harness.h"
#include "kmtsim/hw/dram_presets.h"
#include "kmtsim/hw/regs.h"
#include "kmtsim/sc/device.h"
#include "kmtsim/sc/host.h"

namespace {

namespace reg = kmtsim::hw::reg;
using kmtsim::test::RingWriter;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kRingBase = 0x10000;
constexpr unsigned kRingLog2 = 14;
constexpr uint64_t kData = 0x100000;  // ring r's blocks at kData + r * 64 KiB
constexpr uint32_t kBlock = 512;
constexpr unsigned kBatchWords = 5 + 6 + 3;
constexpr uint64_t kRefillCycles = 256;  // the feeder looks at the rings this often

struct Result {
  std::string scenario;
  uint64_t cycles = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // this process's CPU time (the machine may be shared)
  uint64_t commands = 0;   // ring commands completed (busy)
};

// Keeps both rings fed: whenever there is room, one more batch.
class Feeder {
 public:
  template <class Io>
  explicit Feeder(Io& io)
      : rings_{RingWriter(io, 0, kRingBase, kRingLog2), RingWriter(io, 1, kRingBase + (1u << kRingLog2), kRingLog2)} {
    io.wr(reg::FENCE_WB_BASE_LO, 0x8000000);
    io.wr(reg::FENCE_WB_CONTROL, 1);
  }
  template <class Io>
  void refill(Io& io) {
    for (unsigned r = 0; r < 2; ++r) {
      uint32_t room = rings_[r].space(io);
      std::vector<uint32_t> words;
      while (room >= 4 * kBatchWords) {
        const uint64_t area = kData + r * 0x10000 + (batch_[r] % 32) * 2 * kBlock;
        kmtsim::test::cmd::append(words, kmtsim::test::busy_batch(area, kBlock, static_cast<uint32_t>(batch_[r]), r,
                                                                  batch_[r] + 1));
        ++batch_[r];
        room -= 4 * kBatchWords;
      }
      if (!words.empty()) rings_[r].submit(io, words);
    }
  }
  template <class Io>
  uint64_t completed(Io& io) const {
    return uint64_t{rings_[0].completed(io)} + rings_[1].completed(io);
  }

 private:
  RingWriter rings_[2];
  uint64_t batch_[2] = {};
};

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
double cpu_since(std::clock_t c0) { return static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC; }

// ---------------------------------------------------------------------------- direct

using Harness = kmtsim::test::DeviceHarness<Vkmt_device>;

Result direct(bool busy, uint64_t cycles) {
  Harness h(*kmtsim::hw::dram::find_preset(KMTSIM_RTL_PRESET), "");
  h.wait_init();
  Result r{busy ? "direct_busy" : "direct_idle"};
  std::unique_ptr<Feeder> feeder;
  if (busy) {
    feeder = std::make_unique<Feeder>(h);
    feeder->refill(h);
  }
  const uint64_t c0 = h.cycle();
  const auto t0 = Clock::now();
  const std::clock_t cpu0 = std::clock();
  while (h.cycle() - c0 < cycles) {
    h.run(kRefillCycles);
    if (feeder) feeder->refill(h);
  }
  r.seconds = since(t0);
  r.cpu_seconds = cpu_since(cpu0);
  r.cycles = h.cycle() - c0;
  if (feeder) r.commands = feeder->completed(h);
  return r;
}

// ---------------------------------------------------------------------------- SystemC

// The host's register accesses and the device's VRAM, as the Feeder wants them.
struct ScIo {
  kmtsim::sc::Host& host;
  uint8_t* vram_base;
  uint32_t rd(uint32_t a) { return host.read32(a); }
  void wr(uint32_t a, uint32_t v) { host.write32(a, v); }
  uint8_t* vram() { return vram_base; }
};

Result systemc(const std::string& scenario, uint64_t cycles) {
  namespace sc = kmtsim::sc;
  sc::DeviceConfig cfg;
  cfg.preset = KMTSIM_RTL_PRESET;
  cfg.num_fences = KMTSIM_RTL_NUM_FENCES;
  cfg.num_rings = KMTSIM_RTL_NUM_RINGS;
  cfg.irq_fifo_depth = KMTSIM_RTL_IRQ_FIFO_DEPTH;
  cfg.vram_size = sc::vram_bytes(cfg.preset);
  // Zero pages on first touch: a 4 GiB VRAM costs what is used.
  void* vram = ::mmap(nullptr, cfg.vram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
  if (vram == MAP_FAILED) throw std::runtime_error("cannot map the VRAM");
  cfg.vram = static_cast<uint8_t*>(vram);
  const sc_core::sc_time clock(static_cast<double>(kmtsim::hw::dram::find_preset(cfg.preset)->tck_ps), sc_core::SC_PS);
  std::unique_ptr<sc::Device> dev = sc::make_device(sc::Backend::Rtl, "dut", cfg);
  sc::Host host("host", *dev);
  ScIo io{host, cfg.vram};
  while (kmtsim::hw::field::STATUS_INIT.get(io.rd(reg::STATUS)) != 0) host.advance(clock * 16.0);
  const bool busy = scenario == "systemc_busy";
  std::unique_ptr<Feeder> feeder;
  if (busy) {
    feeder = std::make_unique<Feeder>(io);
    feeder->refill(io);
  }
  const sc_core::sc_time step = clock * static_cast<double>(kRefillCycles);
  host.sync();
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  const auto t0 = Clock::now();
  const std::clock_t cpu0 = std::clock();
  const sc_core::sc_time end = start + clock * static_cast<double>(cycles);
  while (sc_core::sc_time_stamp() < end) {
    if (busy) {
      host.run(step);
      feeder->refill(io);
    } else {
      // Nothing to do: time passes, and the next access brings the device up to it.
      host.advance(step);
      io.rd(reg::STATUS);
      host.sync();
    }
  }
  Result r{scenario};
  r.seconds = since(t0);
  r.cpu_seconds = cpu_since(cpu0);
  r.cycles = static_cast<uint64_t>((sc_core::sc_time_stamp() - start) / clock);
  if (feeder) r.commands = feeder->completed(io);
  return r;
}

void print(const Result& r, bool last) {
  const auto rate = [&](double t) { return t > 0 ? static_cast<double>(r.cycles) / t : 0.0; };
  std::printf(
      "    {\"scenario\": \"%s\", \"cycles\": %llu, \"wall_s\": %.3f, \"cpu_s\": %.3f, \"cycles_per_s\": %.0f, "
      "\"cycles_per_cpu_s\": %.0f, \"ring_commands\": %llu}%s\n",
      r.scenario.c_str(), static_cast<unsigned long long>(r.cycles), r.seconds, r.cpu_seconds, rate(r.seconds),
      rate(r.cpu_seconds), static_cast<unsigned long long>(r.commands), last ? "" : ",");
}

// A SystemC scenario, run by a child process of this program.
bool child(const std::string& scenario, uint64_t cycles, const char* env, Result& out) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string cmdline =
      std::string(env) + " '" + self + "' --scenario " + scenario + " --cycles " + std::to_string(cycles);
  FILE* p = ::popen(cmdline.c_str(), "r");
  if (p == nullptr) return false;
  char line[512] = {};
  unsigned long long c = 0, n = 0;
  double s = 0, cpu = 0;
  const bool ok = std::fgets(line, sizeof line, p) != nullptr &&
                  std::sscanf(line, "%llu %lf %lf %llu", &c, &s, &cpu, &n) == 4;
  const int rc = ::pclose(p);
  out = Result{scenario, c, s, cpu, n};
  return ok && rc == 0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  uint64_t cycles = 200'000;
  std::string scenario;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cycles" && i + 1 < argc) {
      cycles = std::strtoull(argv[++i], nullptr, 0);
    } else if (a == "--scenario" && i + 1 < argc) {
      scenario = argv[++i];
    } else {
      std::fprintf(stderr, "usage: bench_device [--cycles N] [--scenario NAME]\n");
      return 2;
    }
  }
  if (!scenario.empty()) {
    // A child: one SystemC scenario, its numbers on one line.
    const Result r = systemc(scenario, cycles);
    std::printf("%llu %.6f %.6f %llu\n", static_cast<unsigned long long>(r.cycles), r.seconds, r.cpu_seconds,
                static_cast<unsigned long long>(r.commands));
    return 0;
  }

  std::vector<Result> results;
  results.push_back(direct(false, cycles));
  results.push_back(direct(true, cycles));
  struct Child {
    const char* name;
    const char* env;
  };
  for (const Child& c : {Child{"systemc_idle", "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1"},
                         Child{"systemc_idle_every_cycle", "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 KMTSIM_RTL_TICK_IDLE=1"},
                         Child{"systemc_busy", "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1"}}) {
    Result r;
    const std::string run = std::strcmp(c.name, "systemc_idle_every_cycle") == 0 ? "systemc_idle" : c.name;
    if (!child(run, cycles, c.env, r)) {
      std::fprintf(stderr, "bench_device: scenario %s failed\n", c.name);
      return 1;
    }
    r.scenario = c.name;
    results.push_back(r);
  }
  std::printf("{\n  \"bench\": \"device\",\n  \"preset\": \"%s\",\n  \"num_fences\": %u,\n  \"num_rings\": %u,\n",
              KMTSIM_RTL_PRESET, KMTSIM_RTL_NUM_FENCES, KMTSIM_RTL_NUM_RINGS);
  std::printf("  \"busy_batch\": \"FILL %u B, COPY %u B, SIGNAL on each of 2 rings\",\n  \"results\": [\n", kBlock,
              kBlock);
  for (size_t i = 0; i < results.size(); ++i) print(results[i], i + 1 == results.size());
  std::printf("  ]\n}\n");
  return 0;
}
