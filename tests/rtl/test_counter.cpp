// kmt_counter (rtl/kmt_counter.sv) in the iCE40 UP5K's DSP block against the
// same counter in flops (tests/rtl/kmt_counter_tb.sv), over yosys' SB_MAC16
// simulation model: both count from 0 after reset and agree on the count and
// the wrap carry every cycle, across the 16-bit halves' carry and the 32-bit
// wrap; a reset in the middle clears both. Each count is also checked
// against a count kept here.
//
// Random: the seed is printed (KMTSIM_SEED repeats a run).
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>

#include "Vkmt_counter_tb.h"
#include "seed.h"
#include "vl_model.h"

namespace {

using kmtsim::test::VlModel;

struct Expect {
  uint64_t wide = 0;    // 32 bits
  uint64_t narrow = 0;  // 12 bits
};

// One cycle with increment inc: outputs checked before the edge.
void step(VlModel<Vkmt_counter_tb>& m, uint64_t t, uint16_t inc, Expect& e) {
  m->inc_i = inc;
  m.clock(t, [&](Vkmt_counter_tb& v) {
    INFO("cycle " << t << " increment " << inc);
    REQUIRE(v.dsp_count_o == e.wide);
    REQUIRE(v.fab_count_o == e.wide);
    REQUIRE(v.dsp_narrow_o == e.narrow);
    REQUIRE(v.fab_narrow_o == e.narrow);
    const bool wrap = e.wide + inc >= (uint64_t{1} << 32);
    const bool nwrap = e.narrow + (inc & 7u) >= (uint64_t{1} << 12);
    REQUIRE(bool(v.dsp_carry_o) == wrap);
    REQUIRE(bool(v.fab_carry_o) == wrap);
    REQUIRE(bool(v.dsp_narrow_carry_o) == nwrap);
    REQUIRE(bool(v.fab_narrow_carry_o) == nwrap);
  });
  e.wide = (e.wide + inc) & 0xFFFF'FFFFu;
  e.narrow = (e.narrow + (inc & 7u)) & 0xFFFu;
}

}  // namespace

TEST_CASE("DSP counter counts as the flops do across both wraps", "[counter]") {
  const uint64_t seed = kmtsim::test::test_seed("counter");
  std::mt19937_64 rng(seed);
  VlModel<Vkmt_counter_tb> m("counter_tb");
  m.reset();
  Expect e;
  uint64_t t = 0;
  // Increments of 0 and 1 first (the counters' common use), then large ones
  // until the 32-bit count has wrapped twice.
  for (int i = 0; i < 5000; ++i) step(m, t++, static_cast<uint16_t>(rng() & 1u), e);
  unsigned wraps = 0;
  while (wraps < 2) {
    const uint64_t before = e.wide;
    const auto inc = static_cast<uint16_t>(0x8000u | (rng() & 0x7FFFu));
    step(m, t++, inc, e);
    if (e.wide < before) ++wraps;
  }
  // A reset clears both in the middle of counting.
  for (int i = 0; i < 100; ++i) step(m, t++, static_cast<uint16_t>(rng()), e);
  REQUIRE(e.wide != 0);
  m.reset();
  e = Expect{};
  for (int i = 0; i < 100; ++i) step(m, t++, static_cast<uint16_t>(rng() & 3u), e);
}

TEST_CASE("DSP counter holds with no increment and steps by exactly one", "[counter]") {
  VlModel<Vkmt_counter_tb> m("counter_tb");
  m.reset();
  Expect e;
  uint64_t t = 0;
  for (int i = 0; i < 10; ++i) step(m, t++, 0, e);
  REQUIRE(e.wide == 0);
  // 0xFFFF then 1: the bottom half's carry into the top.
  step(m, t++, 0xFFFF, e);
  step(m, t++, 1, e);
  REQUIRE(e.wide == 0x10000u);
  for (int i = 0; i < 10; ++i) step(m, t++, 0, e);
  step(m, t++, 1, e);
  REQUIRE(e.wide == 0x10001u);
}
