// One command ring (rtl/kmt_ring.sv) over Verilator, clocked directly from
// C++: its register block, a line memory behind its fetch port, a fence
// table behind its fence-engine port and a DMA engine that takes every
// command at once. Each malformed command, bad write pointer and bad ring
// placement halts the ring with its RING_STATUS, and RESET recovers.
// KMTSIM_FST dumps a waveform; a failing case is re-run into <case>.fst
// automatically (each bench of a case numbered after the first).
#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "Vkmt_ring.h"
#include "kmtsim/dram/vl_bits.h"
#include "kmtsim/hw/regs.h"
#include "ring_commands.h"
#include "vl_model.h"

namespace {

namespace reg = kmtsim::hw::reg;
namespace field = kmtsim::hw::field;
using Op = kmtsim::hw::CpOpcode;
using Err = kmtsim::hw::RingError;
using State = kmtsim::hw::RingState;
using kmtsim::dram::get_bits;
using kmtsim::dram::set_words;
using kmtsim::test::VlModel;

constexpr unsigned kNumFences = 64;     // the model's parameters (tests/rtl/CMakeLists.txt)
constexpr unsigned kLineBytes = 64;     // DataW 512
constexpr uint64_t kVram = uint64_t{1} << 32;
constexpr uint64_t kBase = 0x10000;
constexpr unsigned kFetchLatency = 3;

uint32_t off(uint32_t ring_reg) { return ring_reg - reg::RING_BASE_LO; }

class RingBench {
 public:
  RingBench() : m_("ring") {
    m_->clk_i = 0;
    m_->rst_ni = 0;
    m_->eval();
    m_->rst_ni = 1;
    m_->eval();
  }

  // One cycle: inputs, the low phase, the handshakes, the rising edge.
  void step() {
    Vkmt_ring& m = *m_;
    m.fetch_ready_i = 1;
    m.fe_ready_i = 1;
    m.dma_ready_i = 1;
    m.dma_drained_i = 1;
    m.fetch_rsp_valid_i = 0;
    if (!fetches_.empty() && fetches_.front().due == cycle_) {
      uint32_t line[kLineBytes / 4];
      for (unsigned k = 0; k < kLineBytes / 4; ++k) line[k] = word(fetches_.front().addr + 4 * k);
      set_words(m.fetch_rsp_data_i, 0, std::span<const uint32_t>(line));
      m.fetch_rsp_valid_i = 1;
      fetches_.pop_front();
    }
    m.fe_rsp_valid_i = fe_rsp_;
    m.fe_rsp_value_i = fe_rsp_value_;
    fe_rsp_ = false;
    m.upd_valid_i = upd_;
    m.upd_fence_i = upd_fence_;
    m.upd_value_i = upd_fence_ < kNumFences ? fences_[upd_fence_] : 0;
    upd_ = false;
    m_.clock(cycle_, [this](Vkmt_ring& low) {
      if (low.fetch_valid_o) fetches_.push_back({low.fetch_addr_o, cycle_ + kFetchLatency});
      if (low.fe_valid_o) {
        const unsigned f = low.fe_fence_o;
        if (low.fe_op_o == 0) {
          fe_rsp_ = true;
          fe_rsp_value_ = fences_[f];
        } else {
          fences_[f] = std::max(fences_[f], low.fe_value_o);
          signals_.push_back(f);
        }
      }
      if (low.dma_valid_o) ++dma_commands_;
      if (low.halt_o) ++halts_;
    });
    m.reg_we_i = 0;
    ++cycle_;
  }
  // Another requester signals: the fence engine's broadcast.
  void update(unsigned f, uint64_t v) {
    fences_[f] = v;
    upd_ = true;
    upd_fence_ = f;
    step();
  }
  void run(unsigned cycles) {
    for (unsigned k = 0; k < cycles; ++k) step();
  }

  void wr(uint32_t ring_reg, uint32_t v) {
    m_->reg_we_i = 1;
    m_->reg_addr_i = off(ring_reg);
    m_->reg_wdata_i = v;
    step();
  }
  uint32_t rd(uint32_t ring_reg) {
    m_->reg_addr_i = off(ring_reg);
    m_->clk_i = 0;
    m_->eval();
    return m_->reg_rdata_o;
  }

  void setup(uint64_t base = kBase, unsigned size_log2 = 12) {
    wr(reg::RING_BASE_LO, static_cast<uint32_t>(base));
    wr(reg::RING_BASE_HI, static_cast<uint32_t>(base >> 32));
    wr(reg::RING_SIZE, size_log2);
    wr(reg::RING_CONTROL, field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
    wptr_ = 0;
    size_ = 1u << size_log2;
    base_ = base;
  }
  void submit(const std::vector<uint32_t>& words) {
    for (uint32_t w : words) {
      mem_[base_ + wptr_] = w;
      wptr_ = (wptr_ + 4) % size_;
    }
    wr(reg::RING_WPTR, wptr_);
  }
  uint32_t wptr() const { return wptr_; }
  uint32_t state() { return field::RING_STATUS_STATE.get(rd(reg::RING_STATUS)); }
  uint32_t error() { return field::RING_STATUS_ERROR.get(rd(reg::RING_STATUS)); }
  uint32_t error_opcode() { return field::RING_STATUS_ERROR_OPCODE.get(rd(reg::RING_STATUS)); }
  uint64_t fence(unsigned f) const { return fences_[f]; }
  const std::vector<unsigned>& signals() const { return signals_; }
  unsigned halts() const { return halts_; }
  unsigned dma_commands() const { return dma_commands_; }
  size_t fetches_pending() const { return fetches_.size(); }

  static uint32_t header(Op op, uint32_t low = 0) { return kmtsim::test::cmd::header(op, low); }
  static std::vector<uint32_t> signal(uint32_t f, uint64_t v) { return kmtsim::test::cmd::signal(f, v); }

 private:
  uint32_t word(uint64_t addr) const {
    const auto it = mem_.find(addr);
    return it == mem_.end() ? 0u : it->second;
  }
  struct Fetch {
    uint64_t addr;
    uint64_t due;
  };
  VlModel<Vkmt_ring> m_;
  std::map<uint64_t, uint32_t> mem_;
  std::deque<Fetch> fetches_;
  uint64_t fences_[kNumFences] = {};
  bool fe_rsp_ = false;
  uint64_t fe_rsp_value_ = 0;
  bool upd_ = false;
  unsigned upd_fence_ = 0;
  std::vector<unsigned> signals_;
  unsigned halts_ = 0, dma_commands_ = 0;
  uint64_t cycle_ = 0, base_ = kBase;
  uint32_t wptr_ = 0, size_ = 4096;
};

std::vector<uint32_t> operator+(std::vector<uint32_t> a, const std::vector<uint32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<uint32_t> cmd(Op op, std::vector<uint32_t> rest, uint32_t low = 0) {
  std::vector<uint32_t> w{RingBench::header(op, low)};
  w.insert(w.end(), rest.begin(), rest.end());
  return w;
}

uint32_t lo(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t hi(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

}  // namespace

TEST_CASE("Each malformed command halts the ring at it with its error code and opcode", "[ring][errors]") {
  constexpr uint64_t d = 0x400000;
  struct Case {
    const char* what;
    std::vector<uint32_t> words;
    Err error;
    uint8_t opcode;
  };
  const std::vector<Case> cases = {
      {"unknown opcode", {0xEE000000u}, Err::BAD_OPCODE, 0xEE},
      {"opcode 0", {0x00000000u}, Err::BAD_OPCODE, 0x00},
      {"SIGNAL fence out of range", RingBench::signal(kNumFences, 1), Err::BAD_FENCE, 0x02},
      {"WAIT fence out of range", cmd(Op::WAIT, {1, 0}, 1000), Err::BAD_FENCE, 0x03},
      {"COPY of 0 bytes", cmd(Op::COPY, {lo(d), 0, lo(d + 64), 0, 0}), Err::BAD_LENGTH, 0x04},
      {"COPY of 6 bytes", cmd(Op::COPY, {lo(d), 0, lo(d + 64), 0, 6}), Err::BAD_LENGTH, 0x04},
      {"FILL of 0 bytes", cmd(Op::FILL, {lo(d), 0, 0, 7}), Err::BAD_LENGTH, 0x05},
      {"FILL of 6 bytes", cmd(Op::FILL, {lo(d), 0, 6, 7}), Err::BAD_LENGTH, 0x05},
      {"NOP longer than the ring", cmd(Op::NOP, {}, 1023), Err::BAD_LENGTH, 0x01},
      {"COPY destination unaligned", cmd(Op::COPY, {lo(d + 2), 0, lo(d + 64), 0, 8}), Err::BAD_ALIGN, 0x04},
      {"COPY source unaligned", cmd(Op::COPY, {lo(d), 0, lo(d + 66), 0, 8}), Err::BAD_ALIGN, 0x04},
      {"FILL destination unaligned", cmd(Op::FILL, {lo(d + 1), 0, 8, 7}), Err::BAD_ALIGN, 0x05},
      {"TIMESTAMP 4-byte aligned", cmd(Op::TIMESTAMP, {lo(d + 4), 0}), Err::BAD_ALIGN, 0x06},
      {"FILL past the end of VRAM", cmd(Op::FILL, {lo(kVram - 8), hi(kVram - 8), 12, 1}), Err::BAD_ADDRESS, 0x05},
      {"COPY source at the end", cmd(Op::COPY, {lo(d), 0, lo(kVram), hi(kVram), 4}), Err::BAD_ADDRESS, 0x04},
      {"COPY destination beyond", cmd(Op::COPY, {lo(kVram + 4096), hi(kVram + 4096), lo(d), 0, 4}),
       Err::BAD_ADDRESS, 0x04},
      {"TIMESTAMP at the end", cmd(Op::TIMESTAMP, {lo(kVram), hi(kVram)}), Err::BAD_ADDRESS, 0x06},
      {"length checked before alignment", cmd(Op::COPY, {lo(d + 2), 0, lo(d), 0, 3}), Err::BAD_LENGTH, 0x04},
      {"alignment checked before the range", cmd(Op::FILL, {lo(kVram - 2), hi(kVram - 2), 8, 1}), Err::BAD_ALIGN,
       0x05},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    RingBench b;
    b.setup();
    b.submit(RingBench::signal(20, 1) + c.words + RingBench::signal(21, 1));
    b.run(60);
    CHECK(b.state() == static_cast<uint32_t>(State::HALTED));
    CHECK(b.error() == static_cast<uint32_t>(c.error));
    CHECK(b.error_opcode() == c.opcode);
    CHECK(b.rd(reg::RING_RPTR) == 12);  // at the offending command
    CHECK(b.rd(reg::RING_COMPLETED) == 1);
    CHECK(b.halts() == 1);
    CHECK(b.fence(20) == 1);  // what came before ran
    CHECK(b.fence(21) == 0);  // nothing after it
    CHECK(b.dma_commands() == 0);
    // A halted ring ignores the doorbell; RESET clears the error.
    b.submit(RingBench::signal(22, 1));
    b.run(40);
    CHECK(b.fence(22) == 0);
    CHECK(b.state() == static_cast<uint32_t>(State::HALTED));
    b.wr(reg::RING_CONTROL, field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
    CHECK(b.state() == static_cast<uint32_t>(State::IDLE));
    CHECK(b.error() == static_cast<uint32_t>(Err::NONE));
    CHECK(b.rd(reg::RING_RPTR) == 0);
  }
}

TEST_CASE("A bad write pointer halts the ring with BAD_POINTER and is not taken", "[ring][errors]") {
  for (uint32_t wptr : {6u, 4096u, 0xFFFFFCu}) {
    INFO("RING_WPTR " << wptr);
    RingBench b;
    b.setup();
    b.wr(reg::RING_WPTR, wptr);
    b.run(10);
    CHECK(b.state() == static_cast<uint32_t>(State::HALTED));
    CHECK(b.error() == static_cast<uint32_t>(Err::BAD_POINTER));
    CHECK(b.error_opcode() == 0);
    CHECK(b.rd(reg::RING_WPTR) == 0);
    CHECK(b.halts() == 1);
    CHECK(b.fetches_pending() == 0);
  }
}

TEST_CASE("Enabling a ring of a bad size or outside VRAM halts it with BAD_RING", "[ring][errors]") {
  struct Case {
    uint64_t base;
    unsigned log2;
  };
  for (const Case c : {Case{kBase, 7}, Case{kBase, 25}, Case{kBase, 31}, Case{kVram - 4096, 13}, Case{kVram, 12}}) {
    INFO("base 0x" << std::hex << c.base << std::dec << ", size 2^" << c.log2);
    RingBench b;
    b.wr(reg::RING_BASE_LO, lo(c.base));
    b.wr(reg::RING_BASE_HI, hi(c.base));
    b.wr(reg::RING_SIZE, c.log2);
    b.wr(reg::RING_CONTROL, field::RING_CONTROL_ENABLE.put(1));
    b.run(5);
    CHECK(b.state() == static_cast<uint32_t>(State::HALTED));
    CHECK(b.error() == static_cast<uint32_t>(Err::BAD_RING));
    CHECK(b.halts() == 1);
  }
  // The largest ring that fits is fine.
  RingBench b;
  b.setup(kVram - (uint64_t{1} << 24), 24);
  b.run(5);
  CHECK(b.state() == static_cast<uint32_t>(State::IDLE));
  CHECK(b.halts() == 0);
}

TEST_CASE("ENABLE 0 finishes the command in progress and starts no other", "[ring][control]") {
  RingBench b;
  b.setup();
  b.submit(cmd(Op::WAIT, {5, 0}, 3) + RingBench::signal(4, 1));
  b.run(40);
  CHECK(b.state() == static_cast<uint32_t>(State::WAITING));
  b.wr(reg::RING_CONTROL, 0);
  CHECK(b.state() == static_cast<uint32_t>(State::DISABLED));
  CHECK(b.rd(reg::RING_RPTR) == 0);
  CHECK(b.rd(reg::RING_WAIT_FENCE) == 3);
  b.update(3, 4);  // not enough
  b.run(10);
  CHECK(b.rd(reg::RING_RPTR) == 0);
  // The WAIT still retires when its fence is released; the SIGNAL does not run.
  b.update(3, 5);
  b.run(40);
  CHECK(b.rd(reg::RING_RPTR) == 12);
  CHECK(b.rd(reg::RING_COMPLETED) == 1);
  CHECK(b.fence(4) == 0);
  CHECK(b.state() == static_cast<uint32_t>(State::DISABLED));
  // Enabled again, it goes on from RPTR.
  b.wr(reg::RING_CONTROL, field::RING_CONTROL_ENABLE.put(1));
  b.run(40);
  CHECK(b.fence(4) == 1);
  CHECK(b.state() == static_cast<uint32_t>(State::IDLE));
  CHECK(b.rd(reg::RING_RPTR) == 24);
}
