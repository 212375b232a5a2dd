// The device's behaviour through its registers and rings (docs/device.md,
// docs/registers.md), on the backend KMTSIM_TEST_BACKEND names. Exact
// results: fence values, records and their order, bytes in VRAM.
#include "device_bench.h"
#include "random_streams.h"
#include "../support/seed.h"

#include <algorithm>
#include <random>

using namespace kmtsim;
using namespace kmtsim::test;
using Op = hw::CpOpcode;
using Err = hw::RingError;
using State = hw::RingState;

namespace {

constexpr uint64_t kRing0 = 0x10000;  // ring buffers
constexpr uint64_t kRing1 = 0x20000;
constexpr uint64_t kPages = 0x100000;  // fence write-back pages
constexpr uint64_t kData = 0x400000;   // scratch data

uint32_t st(State s) { return static_cast<uint32_t>(s); }
uint32_t er(Err e) { return static_cast<uint32_t>(e); }

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

TEST_CASE("The device identifies itself and reports its build", "[device]") {
  DeviceBench b;
  b.start();
  CHECK(b.rd(reg::ID) == hw::kIdMagic);
  CHECK(b.rd(reg::VERSION) == hw::kVersion);
  const uint32_t caps = b.rd(reg::CAPS);
  CHECK(field::CAPS_NUM_FENCES.get(caps) == 64);
  CHECK(field::CAPS_IRQ_FIFO_DEPTH.get(caps) == 16);
  CHECK(field::CAPS_NUM_RINGS.get(caps) == 2);
  const uint32_t mem = b.rd(reg::MEM_CAPS);
  CHECK(field::MEM_CAPS_VRAM_LOG2.get(mem) == 32);  // hbm2: 4 GiB
  CHECK(field::MEM_CAPS_CHANNELS.get(mem) == 8);
  CHECK(field::MEM_CAPS_LINE_LOG2.get(mem) == 6);
  CHECK(field::MEM_CAPS_PRESET.get(mem) == static_cast<uint32_t>(hw::DramPreset::HBM2));
  CHECK(b.rd(reg::DRAM_TIMING_AT(0)) == 14);  // CL of hbm2
  uint32_t data = 0;
  CHECK(b.host().access(false, 0xFFFC, data) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(b.ring_state(0) == st(State::DISABLED));
}

TEST_CASE("A CPU signal stores its value and is written back before its record is queued", "[device][fence]") {
  DeviceBench b;
  b.start();
  b.write_back(kPages);
  b.cpu_signal(3, 100);
  b.settle();
  CHECK(b.page_value(kPages, 3) == 100);
  b.cpu_signal(3, 40);  // a CPU signal may go down
  b.settle();
  CHECK(b.fence(3) == 40);
  CHECK(b.page_value(kPages, 3) == 40);
  CHECK(b.rd(reg::FENCE_REWINDS) == 1);
  CHECK(b.rd(reg::FENCE_WB_COUNT) == 2);
  CHECK(b.records() == std::vector<Rec>{{3, 100, -1}, {3, 40, -1}});
  b.cpu_signal(64, 1);  // out of range: ignored, counted
  b.settle();
  CHECK(b.rd(reg::FENCE_ERRORS) == 1);
  CHECK(b.records().size() == 2);
}

TEST_CASE("A write-back page outside VRAM is skipped and counted, the record still comes", "[device][fence]") {
  DeviceBench b;
  b.start();
  b.write_back(b.vram_bytes() - 2 * hw::kFencePageBytes);
  b.cpu_signal(1, 5);  // its page is the last one: fine
  b.cpu_signal(2, 6);  // past the end
  b.settle();
  CHECK(b.page_value(b.vram_bytes() - 2 * hw::kFencePageBytes, 1) == 5);
  CHECK(b.rd(reg::FENCE_ERRORS) == 1);
  CHECK(b.records() == std::vector<Rec>{{1, 5, -1}, {2, 6, -1}});
}

TEST_CASE("A ring runs SIGNALs in order and never lowers a fence", "[device][ring]") {
  DeviceBench b;
  b.start();
  b.ring_setup(1, kRing1, 12);
  b.submit(1, DeviceBench::signal(5, 10) + DeviceBench::signal(5, 3) + DeviceBench::signal(6, uint64_t{1} << 40));
  b.settle();
  CHECK(b.fence(5) == 10);
  CHECK(b.fence(6) == uint64_t{1} << 40);
  CHECK(b.records() == std::vector<Rec>{{5, 10, 1}, {5, 10, 1}, {6, uint64_t{1} << 40, 1}});
  CHECK(b.rptr(1) == 36);
  CHECK(b.rd(reg::RING_COMPLETED_AT(1)) == 3);
  CHECK(b.ring_state(1) == st(State::IDLE));
  CHECK(b.rd(reg::FENCE_REWINDS) == 0);
}

TEST_CASE("A WAIT stalls only its ring until a signal reaches its value", "[device][ring]") {
  DeviceBench b;
  b.start();
  b.ring_setup(0, kRing0, 12);
  b.ring_setup(1, kRing1, 12);
  b.submit(0, DeviceBench::wait(8, 2) + DeviceBench::signal(9, 1));
  b.settle();
  CHECK(b.ring_state(0) == st(State::WAITING));
  CHECK(b.rd(reg::RING_WAIT_FENCE_AT(0)) == 8);
  CHECK((b.rd(reg::STATUS) & field::STATUS_BUSY.mask()) == 0);  // waiting is not busy
  b.submit(1, DeviceBench::signal(10, 1) + DeviceBench::signal(8, 1));  // the other ring runs
  b.settle();
  CHECK(b.fence(10) == 1);
  CHECK(b.fence(9) == 0);  // not yet: 8 is 1, not 2
  b.cpu_signal(8, 2);
  b.settle();
  CHECK(b.fence(9) == 1);
  CHECK(b.ring_state(0) == st(State::IDLE));
  CHECK(b.records() == std::vector<Rec>{{10, 1, 1}, {8, 1, 1}, {8, 2, -1}, {9, 1, 0}});
}

TEST_CASE("FILL COPY and TIMESTAMP write exactly their bytes", "[device][dma]") {
  DeviceBench b;
  b.start();
  b.ring_setup(0, kRing0, 12);
  uint8_t* v = b.vram();
  std::memset(v + kData, 0x11, 4096);
  // A fill that starts and ends inside lines, over several lines.
  b.submit(0, DeviceBench::fill(kData + 4, 300, 0xA1B2C3D4));
  b.settle();
  CHECK(v[kData + 3] == 0x11);
  for (uint32_t k = 0; k < 300; k += 4) {
    uint32_t w;
    std::memcpy(&w, v + kData + 4 + k, 4);
    REQUIRE(w == 0xA1B2C3D4);
  }
  CHECK(v[kData + 304] == 0x11);
  // A copy between differently aligned places.
  for (int k = 0; k < 512; ++k) v[kData + 0x1000 + k] = static_cast<uint8_t>(k * 7 + 1);
  std::memset(v + kData + 0x2000, 0x22, 1024);
  b.submit(0, DeviceBench::copy(kData + 0x2000 + 36, kData + 0x1000 + 8, 400));
  b.settle();
  CHECK(v[kData + 0x2000 + 35] == 0x22);
  CHECK(std::memcmp(v + kData + 0x2000 + 36, v + kData + 0x1000 + 8, 400) == 0);
  CHECK(v[kData + 0x2000 + 436] == 0x22);
  // A timestamp: the timebase when it ran, after the work before it.
  const uint32_t lo = b.rd(reg::CYCLE_LO);
  b.submit(0, DeviceBench::timestamp(kData + 0x3000));
  b.settle();
  const uint64_t stamp = load64(v + kData + 0x3000);
  CHECK(stamp > lo);
  CHECK(stamp < uint64_t{lo} + 10000);
  CHECK(b.rd(reg::RING_COMPLETED_AT(0)) == 3);
}

TEST_CASE("A SIGNAL after a COPY comes when the copied data is in memory", "[device][dma][ordering]") {
  DeviceBench b;
  b.start();
  b.write_back(kPages);
  b.ring_setup(0, kRing0, 14);
  uint8_t* v = b.vram();
  for (int k = 0; k < 8192; ++k) v[kData + k] = static_cast<uint8_t>(k ^ 0x5A);
  // The probe sees the fence updated only once every byte has landed.
  bool checked = false, ok = false;
  b.device().set_probe([&](const sc::ProbeEvent& e) {
    if (e.kind == sc::ProbeKind::FenceUpdated && e.fence == 4 && !checked) {
      checked = true;
      ok = std::memcmp(v + kData + 0x10000, v + kData, 8192) == 0;
    }
  });
  b.submit(0, DeviceBench::copy(kData + 0x10000, kData, 8192) + DeviceBench::signal(4, 1));
  b.settle();
  CHECK(checked);
  CHECK(ok);
  CHECK(b.page_value(kPages, 4) == 1);
}

TEST_CASE("A ring runs only whole commands and wraps at its end", "[device][ring]") {
  DeviceBench b;
  b.start();
  b.ring_setup(0, kRing0, 8);  // 256 bytes: 64 words
  const auto cmd = DeviceBench::signal(1, 7);
  b.emit(0, cmd);
  b.wr(reg::RING_WPTR_AT(0), 8);  // two of its three words
  b.settle();
  CHECK(b.fence(1) == 0);
  CHECK(b.rptr(0) == 0);
  b.doorbell(0);  // the rest
  b.settle();
  CHECK(b.fence(1) == 7);
  // Fill the ring so that commands straddle its end.
  for (uint64_t v = 8; v < 40; ++v) {
    b.submit(0, DeviceBench::signal(2, v) + DeviceBench::nop(2));
    b.settle();
  }
  CHECK(b.fence(2) == 39);
  CHECK(b.rptr(0) == b.soft(0).wptr);
  CHECK(b.rd(reg::RING_COMPLETED_AT(0)) == 1 + 2 * 32);
}

TEST_CASE("NOP skips its padding without running it", "[device][ring]") {
  DeviceBench b;
  b.start();
  b.ring_setup(0, kRing0, 12);
  std::vector<uint32_t> words = DeviceBench::nop(100);
  std::fill(words.begin() + 1, words.end(), DeviceBench::header(Op::SIGNAL, 3));  // would-be commands
  b.submit(0, words + DeviceBench::signal(4, 9));
  b.settle();
  CHECK(b.fence(3) == 0);
  CHECK(b.fence(4) == 9);
  CHECK(b.ring_state(0) == st(State::IDLE));
  CHECK(b.rd(reg::RING_COMPLETED_AT(0)) == 2);
}

TEST_CASE("Every malformed command halts its ring with the reason and RESET recovers", "[device][ring][errors]") {
  DeviceBench b;
  b.start();
  b.ring_setup(0, kRing0, 12);
  b.ring_setup(1, kRing1, 12);
  const uint64_t end = b.vram_bytes();
  struct Case {
    std::vector<uint32_t> cmd;
    Err error;
    uint8_t opcode;
  };
  const std::vector<Case> cases = {
      {{0xEE000000u}, Err::BAD_OPCODE, 0xEE},
      {{0x00000000u}, Err::BAD_OPCODE, 0x00},
      {DeviceBench::signal(64, 1), Err::BAD_FENCE, 0x02},
      {DeviceBench::wait(1000, 1), Err::BAD_FENCE, 0x03},
      {DeviceBench::copy(kData, kData + 64, 0), Err::BAD_LENGTH, 0x04},
      {DeviceBench::fill(kData, 6, 1), Err::BAD_LENGTH, 0x05},
      {DeviceBench::copy(kData + 2, kData + 64, 8), Err::BAD_ALIGN, 0x04},
      {DeviceBench::copy(kData, kData + 66, 8), Err::BAD_ALIGN, 0x04},
      {DeviceBench::timestamp(kData + 4), Err::BAD_ALIGN, 0x06},
      {DeviceBench::fill(end - 8, 12, 1), Err::BAD_ADDRESS, 0x05},
      {DeviceBench::copy(kData, end, 4), Err::BAD_ADDRESS, 0x04},
      {DeviceBench::copy(end + 4096, kData, 4), Err::BAD_ADDRESS, 0x04},
      {DeviceBench::timestamp(end), Err::BAD_ADDRESS, 0x06},
  };
  unsigned expected_errors = 0;
  for (const Case& c : cases) {
    INFO("command 0x" << std::hex << c.cmd[0] << std::dec << ", expected error " << to_string(c.error));
    const uint32_t at = b.soft(0).wptr;
    b.submit(0, DeviceBench::signal(20, at + 1) + c.cmd + DeviceBench::signal(21, at + 1));
    b.settle();
    ++expected_errors;
    CHECK(b.ring_state(0) == st(State::HALTED));
    CHECK(b.ring_error(0) == er(c.error));
    CHECK(field::RING_STATUS_ERROR_OPCODE.get(b.rd(reg::RING_STATUS_AT(0))) == c.opcode);
    CHECK(b.rptr(0) == (at + 12) % 4096);  // at the offending command
    CHECK(b.fence(20) == at + 1);           // what came before ran
    CHECK(b.fence(21) != at + 1);           // what came after did not
    CHECK(b.ring_errors() == expected_errors);
    // The other ring is unaffected.
    b.submit(1, DeviceBench::signal(22, expected_errors));
    b.settle();
    CHECK(b.fence(22) == expected_errors);
    // Reset: the ring starts again from 0.
    b.wr(reg::RING_CONTROL_AT(0), field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
    b.soft(0).wptr = 0;
    CHECK(b.ring_state(0) == st(State::IDLE));
    CHECK(b.ring_error(0) == er(Err::NONE));
    CHECK(b.rptr(0) == 0);
  }
  CHECK(std::count_if(b.records().begin(), b.records().end(), [](const Rec& r) { return r.fence == 21; }) == 0);
}

TEST_CASE("A bad write pointer or ring placement halts the ring", "[device][ring][errors]") {
  DeviceBench b;
  b.start();
  b.ring_setup(0, kRing0, 12);
  b.wr(reg::RING_WPTR_AT(0), 6);  // unaligned
  b.settle();
  CHECK(b.ring_error(0) == er(Err::BAD_POINTER));
  b.wr(reg::RING_CONTROL_AT(0), field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
  b.wr(reg::RING_WPTR_AT(0), 4096);  // beyond the ring
  b.settle();
  CHECK(b.ring_error(0) == er(Err::BAD_POINTER));
  // Sizes out of range and buffers past VRAM's end.
  for (auto [base, log2] : {std::pair<uint64_t, uint32_t>{kRing1, 7}, {kRing1, 25}, {b.vram_bytes() - 4096, 13}}) {
    b.wr(reg::RING_CONTROL_AT(1), field::RING_CONTROL_RESET.put(1));
    b.wr(reg::RING_BASE_LO_AT(1), static_cast<uint32_t>(base));
    b.wr(reg::RING_BASE_HI_AT(1), static_cast<uint32_t>(base >> 32));
    b.wr(reg::RING_SIZE_AT(1), log2);
    b.wr(reg::RING_CONTROL_AT(1), field::RING_CONTROL_ENABLE.put(1));
    b.settle();
    CHECK(b.ring_error(1) == er(Err::BAD_RING));
  }
  CHECK(b.ring_errors() >= 2);
}

TEST_CASE("Coalescing holds records for a count or a time and a critical fence goes at once", "[device][irq]") {
  DeviceBench b;
  b.start();
  b.ring_setup(0, kRing0, 12);
  b.wr(reg::IRQ_COALESCE, field::IRQ_COALESCE_COUNT.put(4));
  b.submit(0, DeviceBench::signal(1, 1) + DeviceBench::signal(1, 2) + DeviceBench::signal(1, 3));
  b.settle();
  CHECK(b.interrupts() == 0);  // three records wait for a fourth
  CHECK(field::IRQ_REC_INFO_VALID.get(b.rd(reg::IRQ_REC_INFO)) == 1);
  b.submit(0, DeviceBench::signal(1, 4));
  b.settle();
  CHECK(b.interrupts() == 1);
  CHECK(b.records().size() == 4);
  // A latency-critical fence bypasses the count.
  b.wr(reg::FENCE_CRITICAL, field::FENCE_CRITICAL_INDEX.put(2) | field::FENCE_CRITICAL_SET.put(1));
  b.submit(0, DeviceBench::signal(2, 1));
  b.settle();
  CHECK(b.interrupts() == 2);
  CHECK(b.records().back() == Rec{2, 1, 0, true});
  // A time limit: one record, raised TIME cycles after it was queued.
  b.wr(reg::IRQ_COALESCE, field::IRQ_COALESCE_COUNT.put(8) | field::IRQ_COALESCE_TIME.put(500));
  b.host().sync();
  const sc_time before = b.host().now();
  b.submit(0, DeviceBench::signal(1, 5));
  REQUIRE(b.host().run(sc_time(1, sc_core::SC_MS)) == sc::Host::Stop::Irq);
  const sc_time waited = b.host().now() - before;
  CHECK(waited >= sc_time(500, sc_core::SC_NS));
  CHECK(waited < sc_time(700, sc_core::SC_NS));
  b.service();
  CHECK(b.records().back() == Rec{1, 5, 0});
}

TEST_CASE("A full record FIFO drops records and flags it but keeps every value", "[device][irq]") {
  DeviceBench b;
  b.start(0);  // interrupts masked: nothing drains the FIFO
  b.write_back(kPages);
  for (uint32_t k = 0; k < 20; ++k) b.cpu_signal(k, 1000 + k);
  b.settle();
  CHECK(field::IRQ_STATUS_OVERFLOW.get(b.rd(reg::IRQ_STATUS)) == 1);
  b.wr(reg::IRQ_ENABLE, 0x7);
  b.settle();
  CHECK(b.records().size() == 16);
  CHECK(b.overflows() == 1);
  for (uint32_t k = 0; k < 20; ++k) {
    CHECK(b.fence(k) == 1000 + k);
    CHECK(b.page_value(kPages, k) == 1000 + k);  // the pages have every value
  }
}

TEST_CASE("The host reads and writes VRAM through the memory controller", "[device][host]") {
  DeviceBench b;
  b.start();
  b.wr(reg::VRAM_ADDR_LO, static_cast<uint32_t>(kData + 60));
  b.wr(reg::VRAM_ADDR_HI, 0);
  for (uint32_t k = 0; k < 4; ++k) b.wr(reg::VRAM_WDATA, 0xC0DE0000 + k);  // across a line boundary
  b.settle();
  for (uint32_t k = 0; k < 4; ++k) {
    uint32_t w;
    std::memcpy(&w, b.vram() + kData + 60 + 4 * k, 4);
    CHECK(w == 0xC0DE0000 + k);
  }
  b.wr(reg::VRAM_ADDR_LO, static_cast<uint32_t>(kData + 64));
  CHECK(b.rd(reg::VRAM_RDATA) == 0xC0DE0001);
  CHECK(b.rd(reg::VRAM_RDATA) == 0xC0DE0002);
  CHECK(b.rd(reg::VRAM_ADDR_LO) == kData + 72);
  b.wr(reg::VRAM_ADDR_LO, 0xFFFFFFFC);
  b.wr(reg::VRAM_ADDR_HI, 0x10);  // beyond 4 GiB
  CHECK(b.rd(reg::VRAM_RDATA) == 0);
  b.wr(reg::VRAM_WDATA, 1);
  CHECK(b.rd(reg::HOST_ERRORS) == 2);
}

TEST_CASE("Random command streams on two rings match a reference of memory and fences", "[device][random]") {
  std::mt19937_64 rng(test_seed("device random streams"));
  DeviceBench b;
  b.start();
  b.write_back(kPages);
  b.ring_setup(0, kRing0, 12);
  b.ring_setup(1, kRing1, 12);
  uint8_t* v = b.vram();
  std::vector<uint8_t> ref(0x10000);
  for (auto& x : ref) x = static_cast<uint8_t>(rng());
  std::memcpy(v + kData, ref.data(), ref.size());
  std::vector<uint64_t> fences(64, 0);
  const RandomStreamArea area{kData, 0x8000, 32};
  for (int round = 0; round < 40; ++round) {
    for (unsigned r = 0; r < 2; ++r) b.submit(r, random_batch(rng, r, area, ref, fences));
    b.settle();
  }
  CHECK(std::memcmp(v + kData, ref.data(), ref.size()) == 0);
  for (uint32_t f = 0; f < 64; ++f) {
    CHECK(b.fence(f) == fences[f]);
    CHECK(b.page_value(kPages, f) == fences[f]);
  }
  CHECK(b.ring_state(0) == st(State::IDLE));
  CHECK(b.ring_state(1) == st(State::IDLE));
}
