// kmtsim_dram on its own: the presets as dram-presets.md gives them, the
// address mapping, and the checker catching each rule broken on purpose.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/checker.h"
#include "kmtsim/dram/storage.h"
#include "kmtsim/hw/dram_presets.h"
#include "seed.h"

using namespace kmtsim::dram;
namespace hwd = kmtsim::hw::dram;

TEST_CASE("hbm2 preset matches dram-presets.md", "[dram]") {
  const hwd::Preset& p = hwd::kHbm2;
  CHECK(p.tck_ps == 1000);
  CHECK(p.channels == 8);
  CHECK(p.bus_width == 128);
  CHECK(p.bankgroups == 4);
  CHECK(p.banks_per_group == 4);
  CHECK(p.rows == 32768);
  CHECK(p.columns == 64);
  CHECK(p.request_bytes == 64);
  CHECK(p.channel_size_mib == 1024);
  CHECK(p.ranks == 1);
  CHECK(p.BL == 4);
  CHECK(p.address_mapping == "rorabgbachco");
  CHECK(p.peak_gbps == Approx(256.0));
  CHECK(p.trans_queue_depth == 32);
  CHECK(p.bank_queue_depth == 8);
  const hwd::Timing& t = p.timing;
  CHECK(t.CL == 14);
  CHECK(t.CWL == 4);
  CHECK(t.tBURST == 2);
  CHECK(t.tRCD_RD == 14);
  CHECK(t.tRCD_WR == 14);
  CHECK(t.tRP == 14);
  CHECK(t.tRAS == 34);
  CHECK(t.tRC == 48);
  CHECK(t.tWR == 16);
  CHECK(p.other.tRTP_S == 4);
  CHECK(p.other.tRTP_L == 6);
  CHECK(t.tRTP == 6);
  CHECK(t.tWTR_S == 6);
  CHECK(t.tWTR_L == 8);
  CHECK(t.tCCD_S == 1);
  CHECK(t.tCCD_L == 2);
  CHECK(t.tRRD_S == 4);
  CHECK(t.tRRD_L == 6);
  CHECK(t.tFAW == 30);
  CHECK(t.tRFC == 260);
  CHECK(t.tREFI == 3900);
  CHECK(t.tREFIb == 128);
  CHECK(p.other.tRPRE == 1);
  CHECK(p.other.tWPRE == 1);
  CHECK(p.other.tXP == 8);
  CHECK(p.other.tCKE == 8);
  CHECK(p.other.tXS == 268);
}

TEST_CASE("gddr6 preset matches dram-presets.md", "[dram]") {
  const hwd::Preset& p = hwd::kGddr6;
  CHECK(p.tck_ps == 660);
  CHECK(p.channels == 1);
  CHECK(p.bus_width == 128);
  CHECK(p.bankgroups == 4);
  CHECK(p.banks_per_group == 4);
  CHECK(p.rows == 16384);
  CHECK(p.columns == 128);
  CHECK(p.request_bytes == 256);
  CHECK(p.BL == 16);
  CHECK(p.address_mapping == "rochrababgco");
  CHECK(p.peak_gbps == Approx(388.0));
  const hwd::Timing& t = p.timing;
  CHECK(t.CL == 24);
  CHECK(t.CWL == 16);
  CHECK(t.tBURST == 1);
  CHECK(t.tRCD_RD == 24);
  CHECK(t.tRCD_WR == 20);
  CHECK(t.tRP == 24);
  CHECK(t.tRAS == 54);
  CHECK(t.tRC == 78);
  CHECK(t.tWR == 16);
  CHECK(p.other.tRTP_S == 3);
  CHECK(p.other.tRTP_L == 3);
  CHECK(t.tWTR_S == 7);
  CHECK(t.tWTR_L == 7);
  CHECK(t.tCCD_S == 3);
  CHECK(t.tCCD_L == 4);
  CHECK(t.tRRD_S == 9);
  CHECK(t.tRRD_L == 9);
  CHECK(t.tFAW == 32);
  CHECK(p.other.t32AW == 420);
  CHECK(t.tRFC == 126);
  CHECK(t.tREFI == 11862);
  CHECK(t.tRFCb == 30);
  CHECK(t.tREFIb == 238);
  CHECK(p.other.tPPD == 2);
  CHECK(t.tRTRS == 1);
}

TEST_CASE("ice40 preset keeps the timings dram-presets.md fixes", "[dram]") {
  const hwd::Preset& p = hwd::kIce40;
  CHECK(p.channels == 1);
  CHECK(p.timing.tRCD_RD == 2);
  CHECK(p.timing.tRP == 2);
  CHECK(p.timing.CL == 2);
  CHECK(p.timing.tRAS == 4);
  CHECK(p.timing.tREFI == 512);
  CHECK(p.timing.tRFC == 8);
  CHECK(hwd::find_preset("ice40") == &hwd::kIce40);
  CHECK(hwd::find_preset("ddr9") == nullptr);
}

TEST_CASE("timing packs into the timing_t layout", "[dram]") {
  uint32_t w[7];
  hwd::pack_timing(hwd::kHbm2.timing, w, 7);
  // tREFIb is the lowest field, tREFI the next, CL the top byte of the 196 bits.
  CHECK((w[0] & 0xFFFF) == 128);
  CHECK((w[0] >> 16) == 3900);
  CHECK(((w[6] >> 0) & 0xF) == (14u >> 4));
  CHECK(hwd::kTimingBits == 196);
}

TEST_CASE("hbm2 address map follows rorabgbachco", "[dram]") {
  const AddressMap m(hwd::kHbm2);
  CHECK(m.offset_bits() == 6);
  CHECK(m.column().lsb == 6);
  CHECK(m.column().width == 4);  // 64 columns / BL4 = 16 requests a row
  CHECK(m.channel().lsb == 10);
  CHECK(m.channel().width == 3);
  CHECK(m.bank().lsb == 13);
  CHECK(m.bankgroup().lsb == 15);
  CHECK(m.rank().width == 0);
  CHECK(m.row().lsb == 17);
  CHECK(m.row().width == 15);
  CHECK(m.address_bits() == 32);
  // Consecutive 64-B lines: 16 to one row of one channel, then the next channel.
  CHECK(m.decode(0x0000) == DramAddress{0, 0, 0, 0, 0, 0});
  CHECK(m.decode(0x03C0) == DramAddress{0, 0, 0, 0, 0, 15});
  CHECK(m.decode(0x0400) == DramAddress{1, 0, 0, 0, 0, 0});
  CHECK(m.decode(0x2000) == DramAddress{0, 0, 0, 1, 0, 0});
  CHECK(m.decode(0x8000) == DramAddress{0, 0, 1, 0, 0, 0});
  CHECK(m.decode(0x20000) == DramAddress{0, 0, 0, 0, 1, 0});
}

TEST_CASE("gddr6 address map follows rochrababgco", "[dram]") {
  const AddressMap m(hwd::kGddr6);
  CHECK(m.offset_bits() == 8);
  CHECK(m.column().lsb == 8);
  CHECK(m.column().width == 3);
  CHECK(m.bankgroup().lsb == 11);
  CHECK(m.bank().lsb == 13);
  CHECK(m.channel().width == 0);
  CHECK(m.row().lsb == 15);
  CHECK(m.row().width == 14);
  CHECK(m.decode(0x800) == DramAddress{0, 0, 1, 0, 0, 0});
}

TEST_CASE("address map encode and decode are inverse", "[dram]") {
  const uint64_t seed = kmtsim::test::test_seed("address map round trip");
  std::mt19937_64 rng(seed);
  for (const hwd::Preset* p : hwd::kPresets) {
    const AddressMap m(*p);
    for (int i = 0; i < 2000; ++i) {
      const uint64_t a = rng() & (m.capacity_bytes() - 1) & ~uint64_t{p->request_bytes - 1};
      INFO(p->name << " address " << a);
      REQUIRE(m.encode(m.decode(a)) == a);
    }
  }
}

TEST_CASE("address map rejects a malformed mapping", "[dram]") {
  hwd::Preset p = hwd::kHbm2;
  p.address_mapping = "rorabgbachch";
  CHECK_THROWS(AddressMap(p));
  p.address_mapping = "rorabgbachxx";
  CHECK_THROWS(AddressMap(p));
}

namespace {

// A small timing set with distinct values, so each rule has its own number.
hwd::Timing test_timing() {
  hwd::Timing t{};
  t.CL = 10; t.CWL = 5; t.tBURST = 2; t.tRCD_RD = 8; t.tRCD_WR = 7; t.tRP = 9; t.tRAS = 20; t.tRC = 30;
  t.tWR = 6; t.tRTP = 4; t.tWTR_S = 3; t.tWTR_L = 5; t.tCCD_S = 3; t.tCCD_L = 4; t.tRRD_S = 3; t.tRRD_L = 5;
  t.tFAW = 24; t.tRTRS = 1; t.tRFC = 50; t.tRFCb = 20; t.tREFI = 1000; t.tREFIb = 100;
  return t;
}

Geometry test_geometry() {
  Geometry g;
  g.channels = 2;
  g.bankgroups = 2;
  g.banks_per_group = 4;
  g.rows = 1024;
  g.columns = 16;
  return g;
}

DramCommand act(unsigned bg, unsigned ba, uint32_t row) { return {Cmd::ACT, bg, ba, row, 0}; }
DramCommand rd(unsigned bg, unsigned ba, uint32_t row, uint32_t col = 0) { return {Cmd::RD, bg, ba, row, col}; }
DramCommand wr(unsigned bg, unsigned ba, uint32_t row, uint32_t col = 0) { return {Cmd::WR, bg, ba, row, col}; }
DramCommand pre(unsigned bg, unsigned ba) { return {Cmd::PRE, bg, ba, 0, 0}; }
DramCommand prea() { return {Cmd::PREA, 0, 0, 0, 0}; }
DramCommand ref() { return {Cmd::REF, 0, 0, 0, 0}; }
DramCommand refb(unsigned bg, unsigned ba) { return {Cmd::REFB, bg, ba, 0, 0}; }

struct Step {
  uint64_t cycle;
  DramCommand cmd;
};

// Runs a legal prefix and then one command; expects exactly that command to break `rule`.
void expect_violation(const std::string& rule, std::vector<Step> legal, Step bad, CheckerOptions o = {}) {
  DramChecker c(test_geometry(), test_timing(), o);
  for (const Step& s : legal) c.command(1, s.cycle, s.cmd);
  INFO("legal prefix: " << c.summary());
  REQUIRE(c.ok());
  c.command(1, bad.cycle, bad.cmd);
  INFO(c.summary());
  REQUIRE(c.violations().size() >= 1);
  const Violation& v = c.violations().front();
  CHECK(v.rule == rule);
  CHECK(v.channel == 1);
  CHECK(v.cycle == bad.cycle);
  CHECK(v.bankgroup == bad.cmd.bankgroup);
  CHECK(v.bank == bad.cmd.bank);
  CHECK(v.message.find(rule) != std::string::npos);
  CHECK(v.message.find("channel 1") != std::string::npos);
  CHECK(v.message.find("cycle " + std::to_string(bad.cycle)) != std::string::npos);
  // One cycle later the same command is legal: the check is exact, not loose.
  if (rule.rfind('t', 0) == 0) {
    DramChecker ok(test_geometry(), test_timing(), o);
    for (const Step& s : legal) ok.command(1, s.cycle, s.cmd);
    ok.command(1, bad.cycle + 1, bad.cmd);
    INFO("one cycle later: " << ok.summary());
    CHECK(ok.ok());
  }
}

}  // namespace

TEST_CASE("checker accepts a legal command stream", "[dram][checker]") {
  DramChecker c(test_geometry(), test_timing());
  c.command(0, 100, act(0, 0, 5));
  c.command(0, 103, act(1, 0, 7));     // tRRD_S = 3
  c.command(0, 108, rd(0, 0, 5, 1));   // tRCD_RD = 8
  c.command(0, 111, rd(1, 0, 7, 2));   // tRCD_RD from 103; tCCD_S
  c.command(0, 124, wr(0, 0, 5, 3));   // RD->WR = 10 + 2 + 1 - 5 = 8 after 111 -> 119
  c.command(0, 137, pre(0, 0));        // tWR: 124 + 5 + 2 + 6 = 137; tRAS 120
  c.command(0, 146, act(0, 0, 6));     // tRP 9, tRC 30 from 100
  c.command(0, 170, prea());
  c.command(0, 179, ref());
  c.command(0, 229, act(0, 1, 1));
  c.finish(500);
  INFO(c.summary());
  CHECK(c.ok());
  CHECK(c.rule_stats().at("tRRD_S").at_limit >= 1);
  CHECK(c.rule_stats().at("tWR").min_slack == 0);
  CHECK(c.command_count(Cmd::ACT) == 4);
}

TEST_CASE("checker catches each timing rule broken on purpose", "[dram][checker]") {
  // Values from test_timing(): CL 10, CWL 5, tBURST 2, tRCD 8/7, tRP 9, tRAS 20, tRC 30, tWR 6, tRTP 4,
  // tWTR 3/5, tCCD 2/4, tRRD 3/5, tFAW 24, tRTRS 1, tRFC 50, tRFCb 20.
  SECTION("tRCD_RD") { expect_violation("tRCD_RD", {{10, act(0, 1, 3)}}, {17, rd(0, 1, 3)}); }
  SECTION("tRCD_WR") { expect_violation("tRCD_WR", {{10, act(0, 1, 3)}}, {16, wr(0, 1, 3)}); }
  SECTION("tRP") { expect_violation("tRP", {{10, act(0, 1, 3)}, {40, pre(0, 1)}}, {48, act(0, 1, 4)}); }
  SECTION("tRAS") { expect_violation("tRAS", {{10, act(0, 1, 3)}}, {29, pre(0, 1)}); }
  SECTION("tRC") { expect_violation("tRC", {{10, act(0, 1, 3)}, {30, pre(0, 1)}}, {39, act(0, 1, 4)}); }
  SECTION("tRRD_S") { expect_violation("tRRD_S", {{10, act(0, 1, 3)}}, {12, act(1, 1, 3)}); }
  SECTION("tRRD_L") { expect_violation("tRRD_L", {{10, act(0, 1, 3)}}, {14, act(0, 2, 3)}); }
  SECTION("tFAW") {
    expect_violation("tFAW", {{10, act(0, 0, 1)}, {15, act(0, 1, 1)}, {20, act(0, 2, 1)}, {25, act(0, 3, 1)}},
                     {33, act(1, 0, 1)});
  }
  SECTION("tCCD_L") { expect_violation("tCCD_L", {{10, act(0, 1, 3)}, {15, act(0, 2, 3)}, {25, rd(0, 1, 3)}}, {28, rd(0, 2, 3)}); }
  SECTION("tCCD_S") {
    expect_violation("tCCD_S", {{10, act(0, 1, 3)}, {13, act(1, 2, 3)}, {25, rd(0, 1, 3)}}, {27, rd(1, 2, 3)});
  }
  SECTION("tBURST") {
    // RD -> RD in another group: tCCD_S (3) is met, a longer burst is not.
    hwd::Timing t = test_timing();
    t.tBURST = 4;
    DramChecker c(test_geometry(), t);
    c.command(1, 10, act(0, 1, 3));
    c.command(1, 13, act(1, 2, 3));
    c.command(1, 25, rd(0, 1, 3));
    c.command(1, 28, rd(1, 2, 3));
    REQUIRE(!c.ok());
    CHECK(c.violations().front().rule == "tBURST");
  }
  SECTION("tWTR_L") { expect_violation("tWTR_L", {{10, act(0, 1, 3)}, {20, wr(0, 1, 3)}}, {31, rd(0, 1, 3)}); }
  SECTION("tWTR_S") {
    expect_violation("tWTR_S", {{10, act(0, 1, 3)}, {13, act(1, 1, 3)}, {21, wr(0, 1, 3)}}, {30, rd(1, 1, 3)});
  }
  SECTION("tRTP") { expect_violation("tRTP", {{10, act(0, 1, 3)}, {28, rd(0, 1, 3)}}, {31, pre(0, 1)}); }
  SECTION("tWR") { expect_violation("tWR", {{10, act(0, 1, 3)}, {20, wr(0, 1, 3)}}, {32, pre(0, 1)}); }
  SECTION("tRTRS") { expect_violation("tRTRS", {{10, act(0, 1, 3)}, {20, rd(0, 1, 3)}}, {27, wr(0, 1, 3)}); }
  SECTION("tRFC") { expect_violation("tRFC", {{10, ref()}}, {59, act(0, 1, 3)}); }
  SECTION("tRFCb") { expect_violation("tRFCb", {{10, refb(0, 1)}}, {29, act(0, 1, 3)}); }
  SECTION("tRP before REF") {
    expect_violation("tRP", {{10, act(0, 0, 3)}, {40, pre(0, 0)}}, {48, ref()});
  }
}

TEST_CASE("checker catches protocol errors", "[dram][checker]") {
  SECTION("ACT to open bank") { expect_violation("ACT to open bank", {{10, act(0, 1, 3)}}, {100, act(0, 1, 4)}); }
  SECTION("RD to closed bank") { expect_violation("RD to closed bank", {}, {10, rd(1, 2, 3)}); }
  SECTION("WR to closed bank") { expect_violation("WR to closed bank", {}, {10, wr(1, 2, 3)}); }
  SECTION("RD to wrong row") { expect_violation("RD to wrong row", {{10, act(0, 1, 3)}}, {50, rd(0, 1, 4)}); }
  SECTION("WR to wrong row") { expect_violation("WR to wrong row", {{10, act(0, 1, 3)}}, {50, wr(0, 1, 4)}); }
  SECTION("REF with banks open") {
    DramChecker c(test_geometry(), test_timing());
    c.command(1, 10, act(1, 3, 3));
    c.command(1, 100, ref());
    REQUIRE(!c.ok());
    CHECK(c.violations().front().rule == "REF with banks open");
    CHECK(c.violations().front().bankgroup == 1);
    CHECK(c.violations().front().bank == 3);
  }
  SECTION("REFB to open bank") { expect_violation("REFB to open bank", {{10, act(0, 1, 3)}}, {100, refb(0, 1)}); }
  SECTION("REFB twice in a round") {
    expect_violation("REFB twice in a round", {{10, refb(0, 1)}}, {100, refb(0, 1)},
                     CheckerOptions{RefreshMode::PerBank, 8});
  }
  SECTION("one command per cycle") { expect_violation("one command per cycle", {{10, act(0, 1, 3)}}, {10, act(1, 1, 3)}); }
  SECTION("address out of range") { expect_violation("address out of range", {}, {10, act(0, 1, 5000)}); }
}

TEST_CASE("checker enforces the refresh deadline", "[dram][checker]") {
  SECTION("all-bank: nine refreshes owed is late, eight is not") {
    DramChecker c(test_geometry(), test_timing());
    c.finish(8999);  // owes 8 (tREFI 1000)
    CHECK(c.ok());
    c.finish(9000);
    REQUIRE(!c.ok());
    CHECK(c.violations().front().rule == "tREFI");
    CHECK(c.violations().front().cycle == 9000);
    CHECK(c.max_refresh_debt() == 9);
  }
  SECTION("all-bank: a REF per tREFI keeps the debt at one") {
    DramChecker c(test_geometry(), test_timing());
    for (uint64_t k = 1; k <= 20; ++k) {
      c.command(0, k * 1000 + 5, ref());
      c.command(1, k * 1000 + 5, ref());
    }
    c.finish(21000);
    INFO(c.summary());
    CHECK(c.ok());
    CHECK(c.max_refresh_debt() == 1);
  }
  SECTION("per-bank: REFBs in a round keep up; skipping them is late") {
    DramChecker c(test_geometry(), test_timing(), CheckerOptions{RefreshMode::PerBank, 8});
    uint64_t t = 0;
    for (unsigned k = 0; k < 16; ++k) {
      t = (k + 1) * 100 + 1;
      c.command(0, t, refb((k / 4) % 2, k % 4));
      c.command(1, t, refb((k / 4) % 2, k % 4));
    }
    c.finish(t + 50);
    CHECK(c.max_refresh_debt() <= 1);
    INFO(c.summary());
    CHECK(c.ok());
    c.finish(t + 1000);
    CHECK(!c.ok());
  }
}

TEST_CASE("DRAM model returns read data CL cycles after RD", "[dram]") {
  const hwd::Timing t = test_timing();
  DramModel m(test_geometry(), t, 4);
  std::vector<uint32_t> out(4);
  m.command(0, 10, act(0, 1, 3));
  m.command(0, 20, wr(0, 1, 3, 7));
  const std::vector<uint32_t> data{1, 2, 3, 4};
  m.write_data(0, 21, data);
  m.command(0, 40, rd(0, 1, 3, 7));
  m.command(0, 44, rd(0, 1, 3, 8));
  for (uint64_t c = 41; c < 40 + t.CL; ++c) CHECK(!m.read_return(0, c, out));
  REQUIRE(m.read_return(0, 40 + t.CL, out));
  CHECK(out == data);
  CHECK(!m.read_return(0, 41 + t.CL, out));
  REQUIRE(m.read_return(0, 44 + t.CL, out));
  const uint64_t k = DramStorage::key(0, 0, 1, 3, 8);
  CHECK(out[0] == DramStorage::initial_word(k, 0));
  m.finish(100);
  INFO(m.checker().summary());
  CHECK(m.checker().ok());
}

TEST_CASE("DRAM model flags a WR without write data", "[dram]") {
  DramModel m(test_geometry(), test_timing(), 4);
  m.command(0, 10, act(0, 1, 3));
  m.command(0, 20, wr(0, 1, 3, 7));
  m.command(0, 30, rd(0, 1, 3, 7));
  CHECK(!m.checker().ok());
}

TEST_CASE("store_masked writes only the enabled bytes", "[dram]") {
  alignas(8) uint8_t dst[40];
  uint8_t src[40];
  for (unsigned i = 0; i < 40; ++i) {
    dst[i] = static_cast<uint8_t>(i);
    src[i] = static_cast<uint8_t>(0x80 + i);
  }
  // Bytes 0-7 (a whole word), 9 and 15 (a partial word), none of 16-23, all of 24-31, 33 and 37 of the tail.
  auto on = [](size_t i) { return i < 8 || i == 9 || i == 15 || (i >= 24 && i < 32) || i == 33 || i == 37; };
  store_masked(dst, src, 38, on);
  for (unsigned i = 0; i < 40; ++i) {
    INFO("byte " << i);
    CHECK(dst[i] == (i < 38 && on(i) ? 0x80 + i : i));
  }
  // Not 8-byte aligned: byte by byte, the same bytes.
  alignas(8) uint8_t odd[41];
  for (unsigned i = 0; i < 41; ++i) odd[i] = static_cast<uint8_t>(i);
  store_masked(odd + 1, src, 38, on);
  for (unsigned i = 0; i < 40; ++i) CHECK(odd[i + 1] == (i < 38 && on(i) ? 0x80 + i : i + 1));
}

TEST_CASE("FlatVram changes a whole 64-bit word at once: a reader never sees half of a write", "[dram]") {
  // The device writes a monitored fence's value back into VRAM that other
  // processes map; a reader must see the old value or the new one. Each
  // value written has eight equal bytes, so a torn read has unequal ones.
  const hwd::Preset& p = hwd::kIce40;  // 8-byte lines: the write is the word
  const AddressMap map(p);
  std::vector<uint64_t> backing(map.capacity_bytes() / 8, 0);
  FlatVram vram(map, std::span<uint8_t>(reinterpret_cast<uint8_t*>(backing.data()), map.capacity_bytes()));
  std::atomic<bool> reading{false}, done{false};
  constexpr unsigned kWrites = 400'000;
  std::thread writer([&] {
    while (!reading) std::this_thread::yield();  // both at work together
    const uint32_t strobe[1] = {0xFFu};
    for (unsigned i = 0; i < kWrites; ++i) {
      const uint64_t v = (i % 255 + 1) * 0x0101010101010101ull;
      const uint32_t data[2] = {static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
      // With the strobe and without (every byte enabled).
      vram.write(64, data, i % 2 == 0 ? Strobe(strobe) : Strobe());
    }
    done = true;
  });
  uint64_t reads = 0, torn = 0;
  reading = true;
  do {
    const uint64_t v = std::atomic_ref<uint64_t>(backing[8]).load(std::memory_order_acquire);
    torn += v != (v & 0xFF) * 0x0101010101010101ull ? 1 : 0;
    ++reads;
  } while (!done);
  writer.join();
  INFO(reads << " reads");
  CHECK(torn == 0);
  CHECK(backing[8] == ((kWrites - 1) % 255 + 1) * 0x0101010101010101ull);
}
