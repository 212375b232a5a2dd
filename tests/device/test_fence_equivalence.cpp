// The model and the RTL, elaborated side by side in one simulation, receive
// the same register writes and must raise the same interrupt records, hold
// the same fence values and count the same events.
#include <catch2/catch.hpp>

#include "kmtsim/hw/regs.h"
#include "kmtsim/sc/device.h"
#include "kmtsim/sc/host.h"
#include "../support/seed.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace kmtsim;
using sc::Backend;
using sc_core::sc_time;
using sc_core::SC_MS;
namespace reg = hw::reg;
namespace field = hw::field;

namespace {

struct Record {
  uint32_t fence;
  uint64_t value;
  bool from_cmd = false;
  bool operator==(const Record&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Record& r) {
  return os << "{fence " << r.fence << ", value " << r.value << (r.from_cmd ? ", command}" : ", cpu}");
}

// One device with its host and an interrupt handler that drains the records.
class Bench {
 public:
  explicit Bench(Backend backend, const sc::HostLink& link = sc::HostLink::ideal())
      : device_(sc::make_device(backend, (std::string(sc::to_string(backend)) + "_device").c_str())),
        host_(std::make_unique<sc::Host>((std::string(sc::to_string(backend)) + "_host").c_str(), *device_, link)) {}

  sc::Host& host() { return *host_; }
  const std::vector<Record>& records() const { return records_; }
  uint32_t overflows() const { return overflows_; }
  uint32_t cp_errors() const { return cp_errors_; }

  // Runs until the device is idle with no interrupt pending.
  void settle() {
    for (int rounds = 0; rounds < 10000; ++rounds) {
      switch (host_->run(sc_time(1, SC_MS))) {
        case sc::Host::Stop::Irq: service(); break;
        case sc::Host::Stop::Idle: return;
        case sc::Host::Stop::Limit: FAIL("device still busy after 1 ms of simulated time"); return;
      }
    }
    FAIL("interrupt storm: the device never went idle");
  }

  void service() {
    const uint32_t status = host_->read32(reg::IRQ_STATUS);
    for (;;) {
      const uint32_t info = host_->read32(reg::IRQ_REC_INFO);
      if (!field::IRQ_REC_INFO_VALID.get(info)) break;
      const uint64_t lo = host_->read32(reg::IRQ_REC_VALUE_LO);
      const uint64_t hi = host_->read32(reg::IRQ_REC_VALUE_HI);
      host_->write32(reg::IRQ_REC_POP, 1);
      records_.push_back(
          {field::IRQ_REC_INFO_FENCE.get(info), lo | (hi << 32), field::IRQ_REC_INFO_SOURCE.get(info) != 0});
    }
    if (field::IRQ_STATUS_OVERFLOW.get(status)) ++overflows_;
    if (field::IRQ_STATUS_CP_ERROR.get(status)) ++cp_errors_;
    const uint32_t sticky = status & (field::IRQ_STATUS_OVERFLOW.mask() | field::IRQ_STATUS_CP_ERROR.mask());
    if (sticky != 0) host_->write32(reg::IRQ_STATUS, sticky);
  }

  // Host time from before `f` issues its accesses to the interrupt's arrival.
  template <typename F>
  sc_time time_to_irq(F&& f) {
    host_->sync();
    const sc_time start = host_->now();
    f();
    if (host_->run(sc_time(1, SC_MS)) != sc::Host::Stop::Irq) {
      FAIL("no interrupt within 1 ms");
    }
    const sc_time took = host_->now() - start;
    service();
    settle();
    return took;
  }

  uint64_t fence_value(uint32_t fence) {
    host_->write32(reg::FENCE_SEL, fence);
    const uint64_t lo = host_->read32(reg::FENCE_VALUE_LO);
    return lo | (uint64_t{host_->read32(reg::FENCE_VALUE_HI)} << 32);
  }

  void cpu_signal(uint32_t fence, uint64_t value) {
    host_->write32(reg::FENCE_WDATA_LO, static_cast<uint32_t>(value));
    host_->write32(reg::FENCE_WDATA_HI, static_cast<uint32_t>(value >> 32));
    host_->write32(reg::FENCE_SIGNAL, fence);
  }

  void cmd_signal(uint32_t fence, uint64_t value) { command(hw::CpOpcode::SIGNAL, fence, value); }
  void cmd_wait(uint32_t fence, uint64_t value) { command(hw::CpOpcode::WAIT, fence, value); }
  void command(hw::CpOpcode op, uint32_t fence, uint64_t value) {
    host_->write32(reg::CP_PUSH, (uint32_t{static_cast<uint8_t>(op)} << 24) | fence);
    host_->write32(reg::CP_PUSH, static_cast<uint32_t>(value));
    host_->write32(reg::CP_PUSH, static_cast<uint32_t>(value >> 32));
  }

 private:
  std::unique_ptr<sc::Device> device_;
  std::unique_ptr<sc::Host> host_;
  std::vector<Record> records_;
  uint32_t overflows_ = 0;
  uint32_t cp_errors_ = 0;
};

struct Pair {
  Bench model;
  Bench rtl;
  explicit Pair(const sc::HostLink& link = sc::HostLink::ideal())
      : model(Backend::Model, link), rtl(Backend::Rtl, link) {}

  template <typename F>
  void both(F&& f) {
    f(model);
    f(rtl);
  }
  void start(uint32_t irq_enable = 0x7) {
    both([&](Bench& b) {
      b.settle();  // the fence table clears after reset
      CHECK(field::STATUS_INIT.get(b.host().read32(reg::STATUS)) == 0);
      b.host().write32(reg::IRQ_ENABLE, irq_enable);
    });
  }
};

uint64_t interesting_value(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0: return 0;
    case 1: return ~uint64_t{0};
    case 2: return (uint64_t{1} << 31) + 5;  // values past 32 bits work (IGT syncobj_timeline)
    case 3: return (uint64_t{1} << 32) - 2;
    case 4: return rng() % 16;
    default: return rng();
  }
}

}  // namespace

TEST_CASE("Both backends identify themselves and report the same capabilities", "[device][equivalence]") {
  Pair p;
  p.start();
  p.both([](Bench& b) {
    CHECK(b.host().read32(reg::ID) == hw::kIdMagic);
    CHECK(b.host().read32(reg::VERSION) == hw::kVersion);
    const uint32_t caps = b.host().read32(reg::CAPS);
    CHECK(field::CAPS_NUM_FENCES.get(caps) == 64);
    CHECK(field::CAPS_IRQ_FIFO_DEPTH.get(caps) == 16);
    CHECK(field::CAPS_CP_FIFO_DEPTH.get(caps) == 16);
    uint32_t data = 0;
    CHECK(b.host().access(false, 0xFFC, data) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(b.host().access(true, 0x300, data) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  });
}

TEST_CASE("A CPU signal stores the value (a rewind included) and raises one interrupt record", "[device][equivalence]") {
  Pair p;
  p.start();
  p.both([](Bench& b) {
    b.cpu_signal(3, 100);
    b.settle();
    b.cpu_signal(3, 40);  // a rewind: the CPU write wins
    b.settle();
    b.cpu_signal(63, ~uint64_t{0});
    b.settle();
    CHECK(b.fence_value(3) == 40);
    CHECK(b.fence_value(63) == ~uint64_t{0});
    CHECK(b.host().read32(reg::FENCE_REWINDS) == 1);
    CHECK(b.host().read32(reg::FENCE_SIGNALS) == 3);
    const std::vector<Record> expected{{3, 100}, {3, 40}, {63, ~uint64_t{0}}};
    CHECK(b.records() == expected);
  });
}

namespace {
// The three paths to an interrupt: a CPU signal (three posted writes, the
// last reaching the fence engine), a command signal (three words through the
// command processor) and a CPU signal that releases a waiting command queue.
void same_irq_timing(const sc::HostLink& link, int cpu_ns, int cmd_ns, int release_ns) {
  Pair p(link);
  p.start();
  std::vector<sc_time> cpu, cmd, release;
  p.both([&](Bench& b) {
    cpu.push_back(b.time_to_irq([&] { b.cpu_signal(3, 100); }));
    cmd.push_back(b.time_to_irq([&] { b.cmd_signal(4, 7); }));
    b.cmd_wait(6, 1);
    b.cmd_signal(7, 1);
    b.settle();
    release.push_back(b.time_to_irq([&] { b.cpu_signal(6, 1); }));  // two records: 6, then 7
  });
  INFO("model/rtl: cpu " << cpu[0] << "/" << cpu[1] << ", command " << cmd[0] << "/" << cmd[1] << ", release "
                          << release[0] << "/" << release[1]);
  CHECK(cpu[0] == cpu[1]);
  CHECK(cmd[0] == cmd[1]);
  CHECK(release[0] == release[1]);
  CHECK(cpu[1] == sc_time(cpu_ns, sc_core::SC_NS));
  CHECK(cmd[1] == sc_time(cmd_ns, sc_core::SC_NS));
  CHECK(release[1] == sc_time(release_ns, sc_core::SC_NS));
}
}  // namespace

TEST_CASE("Interrupts rise after the same number of cycles on both backends", "[device][equivalence][timing]") {
  // Writes at cycles 0, 1, 2; the signal's record shows 3 cycles after its write.
  same_irq_timing(sc::HostLink::ideal(), 5, 6, 5);
}

TEST_CASE("Interrupts rise at the same time on both backends behind a PCIe-like link", "[device][equivalence][timing]") {
  // The writes leave 10 ns apart and take 150 ns to arrive.
  same_irq_timing(sc::HostLink{}, 173, 174, 173);
}

TEST_CASE("A command signal never lowers a fence", "[device][equivalence]") {
  Pair p;
  p.start();
  p.both([](Bench& b) {
    b.cmd_signal(5, 10);
    b.cmd_signal(5, 7);
    b.cmd_signal(5, uint64_t{1} << 40);
    b.settle();
    CHECK(b.fence_value(5) == (uint64_t{1} << 40));
    CHECK(b.host().read32(reg::CP_COMPLETED) == 3);
    CHECK(b.host().read32(reg::FENCE_REWINDS) == 0);
    const std::vector<Record> expected{{5, 10, true}, {5, 10, true}, {5, uint64_t{1} << 40, true}};
    CHECK(b.records() == expected);
  });
}

TEST_CASE("A WAIT stalls the queue until a signal reaches its value", "[device][equivalence]") {
  Pair p;
  p.start();
  p.both([](Bench& b) {
    b.cpu_signal(4, 7);
    b.cmd_wait(4, 7);  // already reached: goes straight on
    b.cmd_signal(8, 1);
    b.settle();
    CHECK(b.fence_value(8) == 1);
    b.cmd_wait(4, 10);
    b.cmd_signal(9, 2);  // behind the WAIT
    b.settle();
    CHECK(field::CP_STATUS_WAITING.get(b.host().read32(reg::CP_STATUS)) == 1);
    CHECK((b.host().read32(reg::STATUS) & field::STATUS_BUSY.mask()) == 0);  // waiting is not busy
    CHECK(b.fence_value(9) == 0);
    b.cpu_signal(4, 9);  // not enough
    b.settle();
    CHECK(b.fence_value(9) == 0);
    b.cpu_signal(4, 10);
    b.settle();
    CHECK(b.fence_value(9) == 2);
    CHECK(field::CP_STATUS_WAITING.get(b.host().read32(reg::CP_STATUS)) == 0);
    CHECK(b.host().read32(reg::CP_COMPLETED) == 4);
    const std::vector<Record> expected{{4, 7}, {8, 1, true}, {4, 9}, {4, 10}, {9, 2, true}};
    CHECK(b.records() == expected);
  });
}

TEST_CASE("A malformed command halts the queue with a reason until resumed", "[device][equivalence]") {
  Pair p;
  p.start();
  p.both([](Bench& b) {
    b.host().write32(reg::CP_PUSH, 0xEE00'0000);  // unknown opcode
    b.settle();
    uint32_t st = b.host().read32(reg::CP_STATUS);
    CHECK(field::CP_STATUS_HALTED.get(st) == 1);
    CHECK(field::CP_STATUS_ERROR.get(st) == static_cast<uint32_t>(hw::CpError::BAD_OPCODE));
    CHECK(field::CP_STATUS_ERROR_OPCODE.get(st) == 0xEE);
    CHECK(b.cp_errors() == 1);
    b.cmd_signal(1, 9);  // dropped while halted
    b.settle();
    CHECK(b.fence_value(1) == 0);
    b.host().write32(reg::CP_CONTROL, 1);
    b.cmd_signal(64, 9);  // fence out of range
    b.settle();
    st = b.host().read32(reg::CP_STATUS);
    CHECK(field::CP_STATUS_ERROR.get(st) == static_cast<uint32_t>(hw::CpError::BAD_FENCE));
    CHECK(b.cp_errors() == 2);
    b.host().write32(reg::CP_CONTROL, 1);
    b.cmd_signal(1, 9);
    b.settle();
    CHECK(field::CP_STATUS_HALTED.get(b.host().read32(reg::CP_STATUS)) == 0);
    CHECK(b.fence_value(1) == 9);
  });
  CHECK(p.model.records() == p.rtl.records());
}

TEST_CASE("A full interrupt FIFO drops records and flags the overflow but keeps every value", "[device][equivalence]") {
  Pair p;
  p.start(0);  // interrupts masked: nothing drains the FIFO
  p.both([](Bench& b) {
    for (uint32_t k = 0; k < 20; ++k) b.cpu_signal(k, 1000 + k);
    b.settle();
    CHECK(field::IRQ_STATUS_OVERFLOW.get(b.host().read32(reg::IRQ_STATUS)) == 1);
    b.host().write32(reg::IRQ_ENABLE, 0x7);
    b.settle();
    CHECK(b.records().size() == 16);
    CHECK(b.overflows() == 1);
    for (uint32_t k = 0; k < 20; ++k) CHECK(b.fence_value(k) == 1000 + k);
    CHECK(field::IRQ_STATUS_OVERFLOW.get(b.host().read32(reg::IRQ_STATUS)) == 0);
  });
  CHECK(p.model.records() == p.rtl.records());
}

TEST_CASE("Random register traffic gives the same records and values and counters on both backends",
          "[device][equivalence][random]") {
  // Operations come in groups of one kind, with the device settled between
  // groups: inside a group the outcome does not depend on timing (the command
  // queue is in order, CPU signals are synchronous), so the two backends,
  // whose timings differ by design, must agree exactly.
  std::mt19937_64 rng(test::test_seed("fence equivalence"));
  Pair p;
  p.start();
  for (int group = 0; group < 150; ++group) {
    const unsigned kind = rng() % 5;
    const unsigned length = 1 + rng() % 5;
    struct Op {
      uint32_t fence;
      uint64_t value;
      unsigned variant;
    };
    std::vector<Op> ops;
    for (unsigned k = 0; k < length; ++k)
      ops.push_back({static_cast<uint32_t>(rng() % 70), interesting_value(rng), static_cast<unsigned>(rng() % 8)});
    p.both([&](Bench& b) {
      for (const Op& op : ops) {
        switch (kind) {
          case 0: b.cpu_signal(op.fence, op.value); break;  // a few fences out of range
          case 1:
            // The command stream: signals, NOPs, and now and then a bad opcode.
            if (op.variant < 4) b.cmd_signal(op.fence % 64, op.value);
            else if (op.variant < 5) b.cmd_wait(op.fence % 64, b.fence_value(op.fence % 64));  // reached
            else if (op.variant < 7) b.host().write32(reg::CP_PUSH, static_cast<uint32_t>(hw::CpOpcode::NOP) << 24);
            else b.host().write32(reg::CP_PUSH, static_cast<uint32_t>(0x40 + op.fence) << 24);
            break;
          case 2: (void)b.fence_value(op.fence); break;
          case 3:
            if (field::CP_STATUS_HALTED.get(b.host().read32(reg::CP_STATUS))) b.host().write32(reg::CP_CONTROL, 1);
            break;
          default: b.cmd_signal(op.fence, op.value); break;  // fence out of range now and then: halts
        }
      }
      b.settle();
    });
  }
  REQUIRE(p.model.records().size() == p.rtl.records().size());
  CHECK(p.model.records() == p.rtl.records());
  for (uint32_t f = 0; f < 64; ++f) CHECK(p.model.fence_value(f) == p.rtl.fence_value(f));
  for (uint32_t r : {reg::FENCE_SIGNALS, reg::FENCE_REWINDS, reg::FENCE_ERRORS, reg::CP_COMPLETED})
    CHECK(p.model.host().read32(r) == p.rtl.host().read32(r));
  // How many words a halted queue still holds depends on when it halted, which
  // is a matter of timing; whether it halted and why is not.
  const uint32_t functional = ~field::CP_STATUS_LEVEL.mask();
  CHECK((p.model.host().read32(reg::CP_STATUS) & functional) == (p.rtl.host().read32(reg::CP_STATUS) & functional));
  CHECK(p.model.cp_errors() == p.rtl.cp_errors());
}
