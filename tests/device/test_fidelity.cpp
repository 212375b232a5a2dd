// Timing fidelity of the model against the RTL on command streams: the same
// work on both backends in one simulation, timed by the device itself
// (TIMESTAMP commands at the start and the end of each ring's stream), must
// agree within 5% in device cycles, and exactly on memory and fences.
// Each case prints both times so that a drift shows before it fails.
#include "device_bench.h"
#include "kmtsim/hw/dram_presets.h"
#include "seed.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstdio>
#include <array>
#include <random>

using namespace kmtsim;
using namespace kmtsim::test;

namespace {

constexpr uint64_t kRing0 = 0x10000;
constexpr uint64_t kRing1 = 0x20000;
constexpr uint64_t kStamps = 0x30000;   // two 8-byte stamps per ring
constexpr uint64_t kPages = 0x100000;
constexpr uint64_t kData = 0x400000;
constexpr unsigned kRingLog2 = 16;      // 64 KiB rings: a whole stream fits
constexpr double kTolerance = 0.05;

using Stream = std::vector<uint32_t>;

struct Work {
  std::vector<Stream> rings;  // the commands of each ring, without the stamps
  bool quiet = false;         // interrupts off while the work runs (records queue, then drop)
};

uint64_t stamp_at(unsigned ring, unsigned which) { return kStamps + ring * 16 + which * 8; }

// Runs the work; returns each ring's stream time in device cycles.
std::vector<uint64_t> run(DeviceBench& b, const Work& w) {
  b.start(w.quiet ? 0 : 0x7);
  // Both backends start their work at the same point of the refresh
  // interval (every device counts its refreshes from its reset at time 0).
  const sc_time period = sc::clock_period(b.config().preset) * (64.0 * hw::dram::find_preset(b.config().preset)->timing.tREFI);
  const sc_time now = b.host().now();
  b.host().advance(period * std::ceil(now / period + 1e-9) - now);
  b.host().sync();
  b.write_back(kPages);
  const uint64_t bases[] = {kRing0, kRing1};
  for (unsigned r = 0; r < w.rings.size(); ++r) {
    b.ring_setup(r, bases[r], kRingLog2);
    b.emit(r, DeviceBench::timestamp(stamp_at(r, 0)) + w.rings[r] + DeviceBench::timestamp(stamp_at(r, 1)));
  }
  for (unsigned r = 0; r < w.rings.size(); ++r) b.doorbell(r);
  b.settle(sc_time(100, sc_core::SC_MS));
  if (w.quiet) {
    b.wr(reg::IRQ_ENABLE, 0x7);
    b.settle();
  }
  std::vector<uint64_t> cycles;
  for (unsigned r = 0; r < w.rings.size(); ++r) {
    REQUIRE(b.ring_error(r) == 0);
    REQUIRE(b.rptr(r) == b.soft(r).wptr);
    uint64_t t0, t1;
    std::memcpy(&t0, b.vram() + stamp_at(r, 0), 8);
    std::memcpy(&t1, b.vram() + stamp_at(r, 1), 8);
    REQUIRE(t1 > t0);
    cycles.push_back(t1 - t0);
  }
  return cycles;
}

std::vector<Rec> of_ring(const std::vector<Rec>& all, int ring) {
  std::vector<Rec> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out), [ring](const Rec& r) { return r.ring == ring; });
  return out;
}

// Both backends, the same work: exact on data and fences, within `tolerance`
// on time (0: to the cycle).
void compare(const char* name, const Work& w, const std::vector<uint32_t>& fences, uint64_t data_bytes,
             double tolerance = kTolerance) {
  DeviceBench model(sc::Backend::Model, {}, sc::HostLink::ideal(), "model");
  DeviceBench rtl(sc::Backend::Rtl, {}, sc::HostLink::ideal(), "rtl");
  const auto m = run(model, w);
  const auto r = run(rtl, w);
  for (unsigned k = 0; k < m.size(); ++k) {
    const double ratio = static_cast<double>(m[k]) / static_cast<double>(r[k]);
    std::printf("%s ring %u: model %llu cycles, rtl %llu cycles, model/rtl %.3f\n", name, k,
                static_cast<unsigned long long>(m[k]), static_cast<unsigned long long>(r[k]), ratio);
    INFO(name << " ring " << k << ": model " << m[k] << " rtl " << r[k]);
    if (tolerance == 0) CHECK(m[k] == r[k]);
    CHECK(ratio >= 1.0 - tolerance);
    CHECK(ratio <= 1.0 + tolerance);
  }
  CHECK(std::memcmp(model.vram() + kData, rtl.vram() + kData, data_bytes) == 0);
  for (uint32_t f : fences) {
    INFO("fence " << f);
    CHECK(model.fence(f) == rtl.fence(f));
    CHECK(model.page_value(kPages, f) == rtl.page_value(kPages, f));
  }
  // Interrupt records: the same, in the same order, per ring (rings run
  // side by side, so their records interleave by timing).
  std::printf("%s: interrupts %u/%u, records %zu/%zu, overflows %u/%u (model/rtl)\n", name, model.interrupts(), rtl.interrupts(),
              model.records().size(), rtl.records().size(), model.overflows(), rtl.overflows());
  CHECK(model.overflows() == rtl.overflows());
  for (int ring = 0; ring < static_cast<int>(w.rings.size()); ++ring) {
    INFO("records of ring " << ring);
    CHECK(of_ring(model.records(), ring) == of_ring(rtl.records(), ring));
  }
}

// Seeds the data area so that COPY moves something recognisable.
Stream pattern_fill(uint64_t dst, uint32_t bytes) { return DeviceBench::fill(dst, bytes, 0x5A00C3F1u); }

}  // namespace

TEST_CASE("A frame of FILL then COPY then SIGNAL takes the same time on the model and the RTL", "[fidelity]") {
  constexpr uint32_t kFrame = 256 * 1024;
  Work w;
  w.rings.push_back(DeviceBench::fill(kData, kFrame, 0x11223344) + DeviceBench::copy(kData + kFrame, kData, kFrame) +
                    DeviceBench::signal(1, 1));
  compare("frame", w, {1}, 2 * kFrame);
}

TEST_CASE("Small COPYs each followed by a SIGNAL take the same time on the model and the RTL", "[fidelity]") {
  Work w;
  Stream s = pattern_fill(kData, 64 * 1024);
  for (uint32_t k = 0; k < 64; ++k) s = s + DeviceBench::copy(kData + 0x10000 + k * 1024, kData + k * 512, 1000) + DeviceBench::signal(2, k + 1);
  w.rings.push_back(s);
  compare("small copies", w, {2}, 0x20000);
}

TEST_CASE("A run of SIGNALs takes the same time on the model and the RTL", "[fidelity]") {
  Work w;
  Stream s;
  for (uint32_t k = 0; k < 300; ++k) s = s + DeviceBench::signal(k % 16, k + 1);
  w.rings.push_back(s);
  w.quiet = true;  // the first records fill the FIFO, the rest are dropped: the same ones on both
  std::vector<uint32_t> fences;
  for (uint32_t f = 0; f < 16; ++f) fences.push_back(f);
  compare("signals", w, fences, 0);
}

TEST_CASE("Two rings sharing the DMA engine take the same time on the model and the RTL", "[fidelity]") {
  Work w;
  Stream a, c;
  for (uint32_t k = 0; k < 8; ++k) {
    a = a + DeviceBench::fill(kData + k * 0x8000, 0x8000, 0xA0A0A0A0 + k) + DeviceBench::signal(3, k + 1);
    c = c + DeviceBench::fill(kData + 0x40000 + k * 0x4000, 0x4000, 0xC0C0C0C0 + k) +
        DeviceBench::copy(kData + 0x80000 + k * 0x4000, kData + 0x40000 + k * 0x4000, 0x4000) + DeviceBench::signal(4, k + 1);
  }
  w.rings.push_back(a);
  w.rings.push_back(c);
  compare("two rings", w, {3, 4}, 0xA0000);
}

TEST_CASE("Back-to-back SIGNALs of one fence take the same time on the model and the RTL", "[fidelity][fence]") {
  // Each write-back leaves the engine three cycles after its grant and waits
  // for the one before it (same address); the ring's next line fetch queues
  // behind them.
  Work w;
  Stream s;
  for (uint32_t k = 0; k < 12; ++k) s = s + DeviceBench::signal(8, k + 1);
  w.rings.push_back(s);
  compare("one fence", w, {8}, 0, 0.0);
}

TEST_CASE("A WAIT released by the other ring's SIGNAL takes the same time on the model and the RTL", "[fidelity][fence]") {
  // The waiter sees the update two cycles after the signal's grant; the
  // signal follows the signalling ring's TIMESTAMP, whose acknowledgement
  // it must see first (the cycle after it comes).
  Work w;
  w.rings.push_back(DeviceBench::wait(9, 1));
  Stream s;
  for (uint32_t k = 0; k < 4; ++k) s = s + DeviceBench::nop(3);
  w.rings.push_back(s + DeviceBench::signal(9, 1));
  compare("wait", w, {9}, 0, 0.0);
}

TEST_CASE("A seeded random command mix on two rings takes the same time on the model and the RTL", "[fidelity][random]") {
  const uint64_t seed = test_seed("random mix");
  std::mt19937_64 rng(seed);
  Work w;
  for (unsigned r = 0; r < 2; ++r) {
    Stream s;
    for (unsigned k = 0; k < 60; ++k) {
      const uint64_t a = kData + r * 0x80000 + (rng() % 0x3F000 & ~uint64_t{3});
      const uint64_t b = kData + r * 0x80000 + 0x40000 + (rng() % 0x3F000 & ~uint64_t{3});
      const uint32_t n = 4 + static_cast<uint32_t>(rng() % 0x1000) / 4 * 4;
      switch (rng() % 5) {
        case 0: s = s + DeviceBench::fill(a, n, static_cast<uint32_t>(rng())); break;
        case 1: s = s + DeviceBench::copy(b, a, n); break;
        case 2: s = s + DeviceBench::signal(8 + r, k + 1); break;
        case 3: s = s + DeviceBench::nop(static_cast<uint32_t>(rng() % 4)); break;
        default: s = s + DeviceBench::timestamp(kData + 0x100000 + r * 0x1000 + k * 8); break;
      }
    }
    w.rings.push_back(s + DeviceBench::signal(8 + r, 1000));
  }
  compare("random mix", w, {8, 9}, 0x100000);  // the stamps above differ by design
}

TEST_CASE("Register accesses take the same time on the model and the RTL", "[fidelity][host]") {
  DeviceBench model(sc::Backend::Model, {}, sc::HostLink::ideal(), "model");
  DeviceBench rtl(sc::Backend::Rtl, {}, sc::HostLink::ideal(), "rtl");
  // Cycles between timebase reads: read after read, after a write, after a pop.
  auto gaps = [](DeviceBench& b) {
    b.start();
    const uint32_t a = b.rd(reg::CYCLE_LO);
    const uint32_t c = b.rd(reg::CYCLE_LO);
    b.wr(reg::FENCE_SEL, 3);
    const uint32_t d = b.rd(reg::CYCLE_LO);
    b.wr(reg::IRQ_REC_POP, 1);
    const uint32_t e = b.rd(reg::CYCLE_LO);
    return std::vector<uint32_t>{c - a, d - c, e - d};
  };
  const auto m = gaps(model);
  const auto r = gaps(rtl);
  CHECK(r == std::vector<uint32_t>{2, 4, 4});
  CHECK(m == r);
}

TEST_CASE("CPU signals at the same times meet the same refreshes on the model and the RTL", "[fidelity][fence]") {
  // Signals spread over many refresh intervals at seeded times: each one's
  // update -> written back -> record queued, in cycles, on both backends.
  const uint64_t seed = test_seed("cpu signals");
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> gaps;  // ns between signals
  for (unsigned k = 0; k < 400; ++k) gaps.push_back(2000 + rng() % 3000);
  auto hops = [&gaps](DeviceBench& b) {
    std::vector<std::array<double, 3>> t(gaps.size());  // updated, written back, record (ns)
    b.device().set_probe([&t](const sc::ProbeEvent& e) {
      if (e.value == 0 || e.value > t.size()) return;
      const unsigned k = static_cast<unsigned>(e.value - 1);
      if (e.kind == sc::ProbeKind::FenceUpdated) t[k][0] = e.time.to_seconds() * 1e9;
      if (e.kind == sc::ProbeKind::WrittenBack) t[k][1] = e.time.to_seconds() * 1e9;
      if (e.kind == sc::ProbeKind::RecordQueued) t[k][2] = e.time.to_seconds() * 1e9;
    });
    b.start();
    b.write_back(kPages);
    const sc_time period = sc::clock_period(b.config().preset) * (64.0 * hw::dram::find_preset(b.config().preset)->timing.tREFI);
    const sc_time now = b.host().now();
    sc_time at = period * std::ceil(now / period + 1e-9);
    for (unsigned k = 0; k < gaps.size(); ++k) {
      at += sc_time(static_cast<double>(gaps[k]), sc_core::SC_NS);
      REQUIRE(b.host().now() < at);
      b.host().advance(at - b.host().now());
      b.cpu_signal(k % 8, k + 1);
      b.settle();
    }
    b.device().set_probe(nullptr);
    return t;
  };
  DeviceBench model(sc::Backend::Model, {}, sc::HostLink::ideal(), "model");
  DeviceBench rtl(sc::Backend::Rtl, {}, sc::HostLink::ideal(), "rtl");
  const auto m = hops(model);
  const auto r = hops(rtl);
  // Both run the signals at the same absolute times, from the same refresh
  // phase: each signal meets the same refresh (or none) on both.
  double max_m = 0, max_r = 0;
  unsigned differ = 0;
  for (unsigned k = 0; k < gaps.size(); ++k) {
    const double wm = m[k][1] - m[k][0], wr = r[k][1] - r[k][0];
    const double qm = m[k][2] - m[k][0], qr = r[k][2] - r[k][0];
    max_m = std::max(max_m, wm);
    max_r = std::max(max_r, wr);
    if (std::abs(wm - wr) > 1.5 || std::abs(qm - qr) > 1.5) {
      if (differ++ < 5)
        std::printf("signal %u: written back after %.0f / %.0f ns, record after %.0f / %.0f ns (model / rtl)\n", k, wm, wr,
                    qm, qr);
    }
  }
  std::printf("cpu signals: write-back max model %.0f ns, rtl %.0f ns; %u of %zu differ by more than a cycle\n", max_m,
              max_r, differ, gaps.size());
  CHECK(differ == 0);
}
