// The board top (rtl/board/kmt_board_top.sv) over Verilator, clocked from
// C++ with a host on its UART: register reads and writes through the bridge,
// VRAM through the memory controller into the board's on-chip RAM, and a
// command ring that fills, copies and signals on the board's 8-byte lines.
#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "Vkmt_board_top.h"
#include "kmtsim/hw/dram_presets.h"
#include "kmtsim/hw/regs.h"
#include "verilated.h"

namespace {

namespace reg = kmtsim::hw::reg;
using Op = kmtsim::hw::CpOpcode;

constexpr unsigned kClksPerBit = 4;  // the model's ClkHz / Baud (tests/rtl/CMakeLists.txt)
constexpr uint8_t kWrite = 0x77, kRead = 0x72;

struct Reply {
  uint8_t status;
  uint32_t data;
};

class BoardBench {
 public:
  BoardBench() : ctx_(std::make_unique<VerilatedContext>()), m_(std::make_unique<Vkmt_board_top>(ctx_.get(), "board")) {
    m_->clk_i = 0;
    m_->uart_rx_i = 1;
    m_->rst_ni = 0;
    m_->eval();
    for (int i = 0; i < 4; ++i) step();
    m_->rst_ni = 1;
    for (int i = 0; i < 32; ++i) step();
  }
  ~BoardBench() { m_->final(); }

  void step() {
    Vkmt_board_top& m = *m_;
    if (!rx_levels_.empty()) {
      m.uart_rx_i = rx_levels_.front();
      rx_levels_.pop_front();
    } else {
      m.uart_rx_i = 1;
    }
    m.clk_i = 0;
    m.eval();
    m.clk_i = 1;
    m.eval();
    decode(m.uart_tx_o);
    ++cycle_;
  }

  Reply write(uint32_t addr, uint32_t value) {
    send({kWrite, uint8_t(addr >> 8), uint8_t(addr), uint8_t(value >> 24), uint8_t(value >> 16), uint8_t(value >> 8),
          uint8_t(value)});
    const std::vector<uint8_t> r = receive(1);
    return Reply{r[0], 0};
  }

  Reply read(uint32_t addr) {
    send({kRead, uint8_t(addr >> 8), uint8_t(addr)});
    const std::vector<uint8_t> r = receive(5);
    return Reply{r[0], (uint32_t{r[1]} << 24) | (uint32_t{r[2]} << 16) | (uint32_t{r[3]} << 8) | r[4]};
  }

  uint32_t read_ok(uint32_t addr) {
    const Reply r = read(addr);
    REQUIRE(r.status == 0);
    return r.data;
  }

  void write_ok(uint32_t addr, uint32_t value) { REQUIRE(write(addr, value).status == 0); }

  void vram_write(uint32_t addr, const std::vector<uint32_t>& words) {
    write_ok(reg::VRAM_ADDR_LO, addr);
    write_ok(reg::VRAM_ADDR_HI, 0);
    for (uint32_t w : words) write_ok(reg::VRAM_WDATA, w);
  }

  std::vector<uint32_t> vram_read(uint32_t addr, size_t n) {
    write_ok(reg::VRAM_ADDR_LO, addr);
    write_ok(reg::VRAM_ADDR_HI, 0);
    std::vector<uint32_t> out;
    for (size_t i = 0; i < n; ++i) out.push_back(read_ok(reg::VRAM_RDATA));
    return out;
  }

  const Vkmt_board_top& top() const { return *m_; }

 private:
  void send(std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) {
      std::vector<uint8_t> bits{0};
      for (int i = 0; i < 8; ++i) bits.push_back((b >> i) & 1);
      bits.push_back(1);
      for (uint8_t bit : bits) {
        for (unsigned c = 0; c < kClksPerBit; ++c) rx_levels_.push_back(bit);
      }
    }
  }

  std::vector<uint8_t> receive(size_t n) {
    for (uint64_t limit = cycle_ + 200000; rx_bytes_.size() < n; step()) {
      REQUIRE(cycle_ < limit);
    }
    std::vector<uint8_t> out(rx_bytes_.begin(), rx_bytes_.begin() + static_cast<long>(n));
    rx_bytes_.erase(rx_bytes_.begin(), rx_bytes_.begin() + static_cast<long>(n));
    return out;
  }

  // The host's receiver: sample in the middle of every bit.
  void decode(uint8_t tx) {
    if (!busy_) {
      if (tx == 0) {
        busy_ = true;
        count_ = kClksPerBit / 2;
        bit_ = -1;
        byte_ = 0;
      }
      return;
    }
    if (--count_ != 0) return;
    count_ = kClksPerBit;
    if (bit_ < 0) {
      REQUIRE(tx == 0);  // still the start bit
    } else if (bit_ < 8) {
      byte_ |= uint8_t(tx << bit_);
    } else {
      REQUIRE(tx == 1);  // stop bit
      rx_bytes_.push_back(byte_);
      busy_ = false;
    }
    ++bit_;
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vkmt_board_top> m_;
  std::deque<uint8_t> rx_levels_;
  std::deque<uint8_t> rx_bytes_;
  uint64_t cycle_ = 0;
  bool busy_ = false;
  unsigned count_ = 0;
  int bit_ = 0;
  uint8_t byte_ = 0;
};

uint32_t header(Op op, uint32_t low = 0) { return (uint32_t{static_cast<uint8_t>(op)} << 24) | low; }

}  // namespace

TEST_CASE("board top answers register reads and writes over its UART", "[board]") {
  BoardBench b;
  CHECK(b.read_ok(reg::ID) == kmtsim::hw::kIdMagic);
  // MEM_CAPS: the ice40 preset, 8-byte lines, one channel, 128 KiB.
  const uint32_t caps = b.read_ok(reg::MEM_CAPS);
  CHECK((caps & 0xFF) == 17);
  CHECK(((caps >> 8) & 0xFF) == 1);
  CHECK(((caps >> 16) & 0xF) == 3);
  CHECK(((caps >> 20) & 0xF) == 2);
  b.write_ok(reg::FENCE_WDATA_LO, 0xCAFEF00D);
  CHECK(b.read_ok(reg::FENCE_WDATA_LO) == 0xCAFEF00D);
  // An unmapped offset answers with the error status.
  CHECK(b.read(0x0FFC).status == 1);
  // DRAM_TIMING is fixed at the preset on the board: CL reads 2 after a write of 9.
  const uint32_t cl = reg::DRAM_TIMING;
  b.write_ok(cl, 9);
  CHECK(b.read_ok(cl) == kmtsim::hw::dram::kIce40.timing.CL);
}

TEST_CASE("board VRAM keeps what the host writes through the memory controller", "[board]") {
  BoardBench b;
  // Both banks, several rows, both words of a line, the last line of VRAM.
  const std::vector<uint32_t> addrs{0x0, 0x80, 0x100, 0x1F8, 0x4440, 0x1FFF8};
  uint32_t v = 0x1000;
  for (uint32_t a : addrs) b.vram_write(a, {v + a, ~(v + a)});
  for (uint32_t a : addrs) CHECK(b.vram_read(a, 2) == std::vector<uint32_t>{v + a, ~(v + a)});
  // A single word leaves its neighbour alone (byte strobes reach the RAM).
  b.vram_write(0x104, {0x55AA55AA});
  CHECK(b.vram_read(0x100, 2) == std::vector<uint32_t>{v + 0x100, 0x55AA55AA});
}

TEST_CASE("board ring fills, copies and signals a fence with 8-byte lines", "[board]") {
  BoardBench b;
  const uint32_t ring = 0x10000, dst = 0x2004, src = 0x3000;
  const std::vector<uint32_t> data{1, 2, 3, 4, 5, 6, 7};
  b.vram_write(src, data);
  b.vram_write(0x1014, {0x77});  // just past the FILL
  const std::vector<uint32_t> cmds{
      header(Op::FILL), 0x1000, 0, 20, 0xDEADBEEF,          // 5 words from 0x1000
      header(Op::COPY), dst, 0, src, 0, 28,                 // 7 words, misaligned by one word
      header(Op::SIGNAL, 3), 0x89ABCDEF, 0x01234567,        // fence 3
  };
  b.vram_write(ring, cmds);
  b.write_ok(reg::RING_BASE_LO_AT(0), ring);
  b.write_ok(reg::RING_BASE_HI_AT(0), 0);
  b.write_ok(reg::RING_SIZE_AT(0), 12);
  b.write_ok(reg::RING_CONTROL_AT(0), 1);
  b.write_ok(reg::RING_WPTR_AT(0), uint32_t(4 * cmds.size()));
  uint32_t done = 0;
  for (int i = 0; i < 50 && done != 3; ++i) done = b.read_ok(reg::RING_COMPLETED_AT(0));
  REQUIRE(done == 3);
  CHECK(b.read_ok(reg::RING_RPTR_AT(0)) == 4 * cmds.size());
  b.write_ok(reg::FENCE_SEL, 3);
  CHECK(b.read_ok(reg::FENCE_VALUE_LO) == 0x89ABCDEF);
  CHECK(b.read_ok(reg::FENCE_VALUE_HI) == 0x01234567);
  CHECK(b.vram_read(0x1000, 6) == std::vector<uint32_t>{0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF,
                                                        0x77});
  CHECK(b.vram_read(dst, 7) == data);
  CHECK(b.top().led_irq_o == 0);
}
