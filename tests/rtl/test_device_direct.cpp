// The whole device (rtl/kmt_device.sv as the build verilated it: preset and
// parameters from KMTSIM_RTL_*) clocked directly from C++, with the DRAM
// model and its checker on every channel (device_harness.h): rings running
// FILL, COPY, SIGNAL, WAIT and TIMESTAMP into VRAM, CPU signals and
// interrupt records, random command streams against a reference of memory
// and fences (random_streams.h, as test_device), a ring error beside a ring
// that goes on, a WAIT or an unfinished command that stops only its ring,
// and the host's VRAM window. The coverage build (device_coverage) and the
// board configuration (test_device_direct_board: the ice40 preset, rings
// sharing one parser) run these cases too.
// KMTSIM_FST dumps a waveform; a failing case is re-run into <case>.fst.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "Vkmt_device.h"
#include "device_harness.h"
#include "kmtsim/hw/dram_presets.h"
#include "kmtsim/hw/regs.h"
#include "random_streams.h"
#include "seed.h"

namespace {

namespace reg = kmtsim::hw::reg;
namespace field = kmtsim::hw::field;
namespace cmd = kmtsim::test::cmd;
using Harness = kmtsim::test::DeviceHarness<Vkmt_device>;
using kmtsim::test::RingWriter;

const kmtsim::hw::dram::Preset& preset() { return *kmtsim::hw::dram::find_preset(KMTSIM_RTL_PRESET); }

// The board's 128 KiB of VRAM (ice40) get a tighter layout: rings at 4 KiB,
// data from 16 KiB, write-back pages from 64 KiB (16 fences).
constexpr bool kSmallVram = std::string_view(KMTSIM_RTL_PRESET) == "ice40";
constexpr uint64_t kRingBase = kSmallVram ? 0x1000 : 0x10000;
constexpr unsigned kRingLog2 = 12;
constexpr uint64_t kData = kSmallVram ? 0x4000 : 0x20000;   // data blocks, 16 KiB a ring
constexpr uint64_t kWbBase = kSmallVram ? 0x10000 : 0x100000;  // fence f's page at kWbBase + f * 4096
constexpr uint32_t kRandomPart = kSmallVram ? 0x4000 : 0x8000;  // random streams: bytes a ring
constexpr unsigned kNumFences = KMTSIM_RTL_NUM_FENCES;
static_assert(kWbBase + uint64_t{kNumFences} * 4096 <= (kSmallVram ? 0x20000 : 0x100000000));

uint32_t word_at(Harness& h, uint64_t addr) {
  uint32_t w = 0;
  std::memcpy(&w, h.vram() + addr, 4);
  return w;
}

struct Records {
  std::vector<std::pair<unsigned, uint64_t>> list;
  unsigned overflows = 0, ring_errors = 0;
};

// The interrupt handler: records drained, sticky causes cleared.
void service(Harness& h, Records& out) {
  const uint32_t status = h.rd(reg::IRQ_STATUS);
  if (field::IRQ_STATUS_OVERFLOW.get(status)) ++out.overflows;
  if (field::IRQ_STATUS_RING_ERROR.get(status)) ++out.ring_errors;
  const uint32_t sticky = status & (field::IRQ_STATUS_OVERFLOW.mask() | field::IRQ_STATUS_RING_ERROR.mask());
  if (sticky != 0) h.wr(reg::IRQ_STATUS, sticky);
  for (;;) {
    const uint32_t info = h.rd(reg::IRQ_REC_INFO);
    if (!field::IRQ_REC_INFO_VALID.get(info)) break;
    const uint64_t lo = h.rd(reg::IRQ_REC_VALUE_LO);
    const uint64_t hi = h.rd(reg::IRQ_REC_VALUE_HI);
    h.wr(reg::IRQ_REC_POP, 1);
    out.list.emplace_back(field::IRQ_REC_INFO_FENCE.get(info), lo | (hi << 32));
  }
}

// Runs until the device is not busy and no interrupt is pending.
void settle(Harness& h, Records& rec, uint64_t max_cycles = 2'000'000) {
  const uint64_t limit = h.cycle() + max_cycles;
  while (h.cycle() < limit) {
    if (h.model().irq_o) {
      service(h, rec);
    } else if (!h.busy()) {
      return;
    } else {
      h.run(16);
    }
  }
  FAIL("the device is still busy after " << max_cycles << " cycles");
}

void start(Harness& h) {
  h.wait_init();
  h.wr(reg::IRQ_ENABLE, 7);
  h.wr(reg::FENCE_WB_BASE_LO, static_cast<uint32_t>(kWbBase) & ~0xFFFu);
  h.wr(reg::FENCE_WB_CONTROL, 1);
}

}  // namespace

TEST_CASE("Two rings run FILL COPY SIGNAL WAIT and TIMESTAMP and VRAM and the fences hold the results",
          "[device][direct]") {
  Harness h(preset());
  start(h);
  h.wr(reg::IRQ_COALESCE, 4 | (200 << 8));
  RingWriter ring[2] = {{h, 0, kRingBase, kRingLog2}, {h, 1, kRingBase + (1u << kRingLog2), kRingLog2}};
  Records rec;
  constexpr unsigned kBatches = 6;
  constexpr uint32_t kBytes = 512;
  for (unsigned b = 0; b < kBatches; ++b) {
    for (unsigned r = 0; r < 2; ++r) {
      const uint64_t area = kData + r * 0x4000 + b * 2 * kBytes;
      std::vector<uint32_t> w = kmtsim::test::busy_batch(area, kBytes, 0xA5000000u | (r << 16) | b, 1 + r, b + 1);
      // Ring 1 waits for ring 0's batch before its own.
      if (r == 1) {
        std::vector<uint32_t> waited = cmd::wait(1, b + 1);
        waited.insert(waited.end(), w.begin(), w.end());
        w = waited;
      }
      ring[r].submit(h, w);
    }
  }
  ring[0].submit(h, cmd::timestamp(kData + 0x3000));
  h.wr(reg::FENCE_CRITICAL, 5u | (1u << 31));
  h.wr(reg::FENCE_WDATA_LO, 77);
  h.wr(reg::FENCE_WDATA_HI, 1);
  h.wr(reg::FENCE_SIGNAL, 5);
  settle(h, rec);
  h.run(300);  // the last records wait out the coalescing TIME
  settle(h, rec);

  for (unsigned r = 0; r < 2; ++r) {
    for (unsigned b = 0; b < kBatches; ++b) {
      const uint64_t area = kData + r * 0x4000 + b * 2 * kBytes;
      const uint32_t pattern = 0xA5000000u | (r << 16) | b;
      INFO("ring " << r << " batch " << b);
      CHECK(word_at(h, area) == pattern);
      CHECK(word_at(h, area + kBytes - 4) == pattern);
      CHECK(word_at(h, area + kBytes) == pattern);           // the copy
      CHECK(word_at(h, area + 2 * kBytes - 4) == pattern);
    }
    CHECK(ring[r].completed(h) == kBatches * 3 + (r == 0 ? 1 : kBatches));
    CHECK(h.fence(1 + r) == kBatches);
  }
  uint64_t ts = 0;
  std::memcpy(&ts, h.vram() + kData + 0x3000, 8);
  CHECK(ts > 0);
  CHECK(ts < h.cycle());
  CHECK(h.fence(5) == (uint64_t{1} << 32) + 77);
  // Write-back slots hold the last values.
  uint64_t slot = 0;
  std::memcpy(&slot, h.vram() + kWbBase + 2 * 4096, 8);
  CHECK(slot == kBatches);
  std::memcpy(&slot, h.vram() + kWbBase + 5 * 4096, 8);
  CHECK(slot == (uint64_t{1} << 32) + 77);
  CHECK(rec.list.size() == 2 * kBatches + 1);
  CHECK(h.rd(reg::FENCE_SIGNALS) == 2 * kBatches + 1);
  CHECK(h.rd(reg::FENCE_WB_COUNT) == 2 * kBatches + 1);
  CHECK(rec.ring_errors == 0);
  h.dram().finish(h.cycle());
  INFO(h.dram().checker().summary(5));
  CHECK(h.dram().checker().ok());
}

TEST_CASE("A malformed command halts its ring with an error interrupt while the other ring goes on",
          "[device][direct]") {
  Harness h(preset());
  start(h);
  RingWriter ring[2] = {{h, 0, kRingBase, kRingLog2}, {h, 1, kRingBase + (1u << kRingLog2), kRingLog2}};
  ring[0].submit(h, std::vector<uint32_t>{0xEE000000u});
  std::vector<uint32_t> w = cmd::signal(3, 1);
  cmd::append(w, cmd::fill(kData, 64, 0x12345678));
  cmd::append(w, cmd::signal(3, 2));
  ring[1].submit(h, w);
  Records rec;
  settle(h, rec);
  CHECK(rec.ring_errors >= 1);
  const uint32_t status = h.rd(reg::RING_STATUS);
  CHECK(field::RING_STATUS_STATE.get(status) == static_cast<uint32_t>(kmtsim::hw::RingState::HALTED));
  CHECK(field::RING_STATUS_ERROR.get(status) == static_cast<uint32_t>(kmtsim::hw::RingError::BAD_OPCODE));
  CHECK(h.fence(3) == 2);
  CHECK(word_at(h, kData + 60) == 0x12345678u);
  // Out-of-range fence numbers are counted, unmapped registers answer with an error.
  h.wr(reg::FENCE_SIGNAL, kNumFences);
  CHECK(h.rd(reg::FENCE_ERRORS) == 1);
  h.rd(0x3FFC);
  CHECK(h.last_error());
}

namespace {

uint32_t ring_reg(Harness& h, unsigned ring, uint32_t reg) { return h.rd(reg + ring * reg::RING_BASE_LO_STRIDE); }

uint32_t ring_state(Harness& h, unsigned ring) {
  return field::RING_STATUS_STATE.get(ring_reg(h, ring, reg::RING_STATUS));
}

constexpr uint32_t state_code(kmtsim::hw::RingState s) { return static_cast<uint32_t>(s); }

// Ring 1's work beside a stopped ring 0: batches first .. first + count - 1
// of FILL, COPY, SIGNAL of fence 9 (batch b signals b + 1).
void other_ring_works(Harness& h, RingWriter& ring1, Records& rec, unsigned first, unsigned count) {
  for (unsigned b = first; b < first + count; ++b) {
    ring1.submit(h, kmtsim::test::busy_batch(kData + 0x4000 + b * 256, 128, 0x5A000000u | b, 9, b + 1));
  }
  settle(h, rec);
  CHECK(ring1.completed(h) == 3 * (first + count));
  CHECK(h.fence(9) == first + count);
  for (unsigned b = first; b < first + count; ++b) {
    CHECK(word_at(h, kData + 0x4000 + b * 256 + 128 + 124) == (0x5A000000u | b));
  }
}

}  // namespace

TEST_CASE("A WAIT below its value stops only its ring until a CPU signal releases it", "[device][direct]") {
  Harness h(preset());
  start(h);
  RingWriter ring[2] = {{h, 0, kRingBase, kRingLog2}, {h, 1, kRingBase + (1u << kRingLog2), kRingLog2}};
  Records rec;
  std::vector<uint32_t> w = cmd::wait(7, 5);
  cmd::append(w, cmd::fill(kData, 64, 0x0BADF00Du));
  cmd::append(w, cmd::signal(8, 1));
  ring[0].submit(h, w);
  h.run(200);
  other_ring_works(h, ring[1], rec, 0, 6);
  CHECK(ring_state(h, 0) == state_code(kmtsim::hw::RingState::WAITING));
  CHECK(ring_reg(h, 0, reg::RING_WAIT_FENCE) == 7);
  CHECK(ring_reg(h, 0, reg::RING_RPTR) == 0);
  CHECK(ring[0].completed(h) == 0);
  // A signal below the value does not release it; ring 1 goes on meanwhile.
  h.wr(reg::FENCE_WDATA_LO, 4);
  h.wr(reg::FENCE_WDATA_HI, 0);
  h.wr(reg::FENCE_SIGNAL, 7);
  other_ring_works(h, ring[1], rec, 6, 2);
  CHECK(ring_state(h, 0) == state_code(kmtsim::hw::RingState::WAITING));
  CHECK(ring[0].completed(h) == 0);
  h.wr(reg::FENCE_WDATA_LO, 5);
  h.wr(reg::FENCE_SIGNAL, 7);
  settle(h, rec);
  CHECK(ring[0].completed(h) == 3);
  CHECK(ring_state(h, 0) == state_code(kmtsim::hw::RingState::IDLE));
  CHECK(word_at(h, kData + 60) == 0x0BADF00Du);
  CHECK(h.fence(8) == 1);
  CHECK(rec.ring_errors == 0);
}

TEST_CASE("A command not yet all written stops only its ring until the rest comes", "[device][direct]") {
  Harness h(preset());
  start(h);
  RingWriter ring[2] = {{h, 0, kRingBase, kRingLog2}, {h, 1, kRingBase + (1u << kRingLog2), kRingLog2}};
  Records rec;
  const std::vector<uint32_t> fill = cmd::fill(kData, 32, 0x600DCAFEu);
  ring[0].submit(h, std::span<const uint32_t>(fill).first(2));   // header and half the address
  h.run(200);
  other_ring_works(h, ring[1], rec, 0, 4);
  CHECK(ring_state(h, 0) == state_code(kmtsim::hw::RingState::RUNNING));
  CHECK(ring_reg(h, 0, reg::RING_RPTR) == 0);
  CHECK(ring[0].completed(h) == 0);
  CHECK(word_at(h, kData) != 0x600DCAFEu);
  ring[0].submit(h, std::span<const uint32_t>(fill).subspan(2));
  // A NOP whose skipped words are not written yet waits as well.
  const std::vector<uint32_t> nop = cmd::nop(3);
  ring[0].submit(h, std::span<const uint32_t>(nop).first(1));
  other_ring_works(h, ring[1], rec, 4, 2);
  CHECK(word_at(h, kData + 28) == 0x600DCAFEu);
  CHECK(ring[0].completed(h) == 1);
  CHECK(ring_reg(h, 0, reg::RING_RPTR) == 4 * fill.size());
  ring[0].submit(h, std::span<const uint32_t>(nop).subspan(1));
  ring[0].submit(h, cmd::signal(4, 11));
  settle(h, rec);
  CHECK(ring[0].completed(h) == 3);
  CHECK(h.fence(4) == 11);
  CHECK(rec.ring_errors == 0);
}

TEST_CASE("ENABLE 0 during a WAIT lets the WAIT retire when released and starts nothing after it",
          "[device][direct]") {
  Harness h(preset());
  start(h);
  RingWriter ring[2] = {{h, 0, kRingBase, kRingLog2}, {h, 1, kRingBase + (1u << kRingLog2), kRingLog2}};
  Records rec;
  std::vector<uint32_t> w = cmd::wait(6, 1);
  cmd::append(w, cmd::signal(10, 3));
  ring[0].submit(h, w);
  h.run(200);
  other_ring_works(h, ring[1], rec, 0, 3);
  h.wr(reg::RING_CONTROL, 0);   // ring 0: ENABLE 0
  CHECK(ring_state(h, 0) == state_code(kmtsim::hw::RingState::DISABLED));
  h.wr(reg::FENCE_WDATA_LO, 1);
  h.wr(reg::FENCE_WDATA_HI, 0);
  h.wr(reg::FENCE_SIGNAL, 6);
  settle(h, rec);
  CHECK(ring[0].completed(h) == 1);
  CHECK(h.fence(10) == 0);
  CHECK(ring_reg(h, 0, reg::RING_RPTR) == 12);
  h.wr(reg::RING_CONTROL, field::RING_CONTROL_ENABLE.put(1));
  settle(h, rec);
  CHECK(ring[0].completed(h) == 2);
  CHECK(h.fence(10) == 3);
  CHECK(rec.ring_errors == 0);
}

TEST_CASE("The host VRAM window writes and reads words and the DRAM timing registers read back",
          "[device][direct]") {
  Harness h(preset());
  start(h);
  h.wr(reg::VRAM_ADDR_LO, 0x5000);
  h.wr(reg::VRAM_ADDR_HI, 0);
  for (uint32_t k = 0; k < 20; ++k) h.wr(reg::VRAM_WDATA, 0xC0DE0000u + k);
  CHECK(word_at(h, 0x5000) == 0xC0DE0000u);
  CHECK(word_at(h, 0x5000 + 4 * 19) == 0xC0DE0013u);
  h.wr(reg::VRAM_ADDR_LO, 0x5000 + 4 * 17);
  CHECK(h.rd(reg::VRAM_RDATA) == 0xC0DE0011u);
  CHECK(h.rd(reg::VRAM_RDATA) == 0xC0DE0012u);
  CHECK(h.rd(reg::VRAM_ADDR_LO) == 0x5000 + 4 * 19);
  const kmtsim::hw::dram::Timing& t = preset().timing;
  CHECK(h.rd(reg::DRAM_TIMING_AT(0)) == t.CL);
  for (unsigned k = 0; k < 22; ++k) {
    const uint32_t v = h.rd(reg::DRAM_TIMING_AT(k));
    h.wr(reg::DRAM_TIMING_AT(k), v);
    CHECK(h.rd(reg::DRAM_TIMING_AT(k)) == v);
  }
  h.wr(reg::DRAM_CONTROL, 0);
  CHECK(h.rd(reg::CYCLE_LO) > 0);
  CHECK(h.rd(reg::CAPS) != 0);
  CHECK(h.rd(reg::MEM_CAPS) != 0);
  h.run(20000);  // refreshes
  h.dram().finish(h.cycle());
  INFO(h.dram().checker().summary(5));
  CHECK(h.dram().checker().ok());
}

TEST_CASE("Random command streams on two rings leave VRAM and the fences as the reference has them",
          "[device][direct][random]") {
  std::mt19937_64 rng(kmtsim::test::test_seed("device_direct random streams"));
  Harness h(preset());
  start(h);
  RingWriter ring[2] = {{h, 0, kRingBase, kRingLog2}, {h, 1, kRingBase + (1u << kRingLog2), kRingLog2}};
  std::vector<uint8_t> ref(2 * kRandomPart);
  for (auto& x : ref) x = static_cast<uint8_t>(rng());
  std::memcpy(h.vram() + kData, ref.data(), ref.size());
  std::vector<uint64_t> fences(kNumFences, 0);
  const kmtsim::test::RandomStreamArea area{kData, kRandomPart, kNumFences / 2};
  Records rec;
  for (int round = 0; round < 40; ++round) {
    for (unsigned r = 0; r < 2; ++r) ring[r].submit(h, kmtsim::test::random_batch(rng, r, area, ref, fences));
    settle(h, rec);
  }
  CHECK(std::memcmp(h.vram() + kData, ref.data(), ref.size()) == 0);
  for (unsigned f = 0; f < kNumFences; ++f) {
    INFO("fence " << f);
    CHECK(h.fence(f) == fences[f]);
    uint64_t slot = 0;
    std::memcpy(&slot, h.vram() + kWbBase + uint64_t{f} * 4096, 8);
    CHECK(slot == fences[f]);
  }
  h.dram().finish(h.cycle());
  INFO(h.dram().checker().summary(5));
  CHECK(h.dram().checker().ok());
}
