// McMemory: the device model's Memory over the memory-controller model.
// Driven here as ModelDevice drives a Memory: offers at the current cycle,
// next_event() to find the next cycle, advance() for completions, and
// offers again in the cycle it advanced to.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <vector>

#include "kmtsim/dram/checker.h"
#include "kmtsim/hw/dram_presets.h"
#include "mc_memory.h"
#include "seed.h"

using namespace kmtsim;
using sc::MemCompletion;
using sc::MemRequest;
using sc::McMemory;

namespace {

class CheckerObserver final : public mc::McObserver {
 public:
  explicit CheckerObserver(const hw::dram::Preset& p, dram::RefreshMode m)
      : checker(dram::Geometry::of(p), p.timing, dram::CheckerOptions{m, 8}) {}
  void on_command(const mc::McCommand& c) override { checker.command(c.channel, c.cycle, c.cmd); }
  dram::DramChecker checker;
};

struct Offered {
  MemRequest r;
  uint64_t cycle;
};

// A device-like driver: per port a FIFO of requests; each cycle every port
// with work offers its head; refused ones retry in the next cycle.
// `late`: in each cycle, advance() to it first (hand out its completions),
// then offer; otherwise offer first, then advance.
struct Driver {
  Driver(McMemory& m, bool l) : mem(m), late(l) {}
  McMemory& mem;
  bool late;
  std::vector<std::vector<MemRequest>> queues = std::vector<std::vector<MemRequest>>(McMemory::kPorts);
  std::vector<size_t> head = std::vector<size_t>(McMemory::kPorts, 0);
  std::vector<MemCompletion> done;
  std::map<uint64_t, uint64_t> taken_at;  // tag -> cycle taken
  uint64_t refusals = 0;

  void run() {
    uint64_t cycle = 0;
    for (;;) {
      bool work = false;
      if (late) mem.advance(cycle, done);
      for (unsigned p = 0; p < McMemory::kPorts; ++p) {
        if (head[p] == queues[p].size()) continue;
        work = true;
        const MemRequest& r = queues[p][head[p]];
        if (mem.offer(r, cycle)) {
          taken_at[r.tag] = cycle;
          ++head[p];
        } else {
          ++refusals;
        }
      }
      if (!late) mem.advance(cycle, done);
      if (!work) {
        const auto n = mem.next_event();
        if (!n) break;
        cycle = std::max(cycle + 1, *n);
      } else {
        ++cycle;
      }
    }
  }
};

// Half the requests to a few hot lines, half anywhere; a third writes. With
// war_free, a line is either only read or only written (so no write ever
// waits for a read of its line in flight, which the controller alone would
// not do).
std::vector<std::vector<MemRequest>> random_requests(const hw::dram::Preset& p, uint64_t seed, size_t n,
                                                     unsigned lines, bool war_free = false) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<MemRequest>> q(McMemory::kPorts);
  const uint64_t capacity = dram::AddressMap(p).capacity_bytes() / p.request_bytes;
  const uint64_t base = rng() % (capacity - lines);
  for (uint64_t tag = 0; tag < n; ++tag) {
    const unsigned port = static_cast<unsigned>(rng() % McMemory::kPorts);
    const bool hot = rng() % 2 == 0;
    const uint64_t line = hot ? base + rng() % lines : rng() % capacity;
    bool write = rng() % 3 == 0;
    if (war_free) write = line % 3 == 0;  // a line is only read or only written
    q[port].push_back(MemRequest{port, line * p.request_bytes, write, tag});
  }
  return q;
}

}  // namespace

TEST_CASE("McMemory returns a read after the controller's latency", "[model]") {
  McMemory mem(hw::dram::kHbm2);
  // kmt_device's controller: 5 ports, McQueueDepth 16, McRespDepth 8.
  CHECK(mem.model().config().ports == 5);
  CHECK(mem.model().config().queue_depth == 16);
  CHECK(mem.model().config().resp_depth == 8);
  const auto& t = hw::dram::kHbm2.timing;
  CHECK_FALSE(mem.next_event().has_value());
  REQUIRE(mem.offer(MemRequest{2, 0x1000, false, 77}, 10));
  std::vector<MemCompletion> out;
  while (out.empty()) {
    const auto n = mem.next_event();
    REQUIRE(n.has_value());
    mem.advance(*n, out);
  }
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.tag == 77);
  CHECK(out[0].request.port == 2);
  CHECK(out[0].request.addr == 0x1000);
  // ACT, tRCD, RD, CL, then the response path; well under a refresh.
  CHECK(out[0].cycle >= 10 + t.tRCD_RD + t.CL);
  CHECK(out[0].cycle < 10 + t.tRCD_RD + t.CL + 12);
  CHECK_FALSE(mem.next_event().has_value());
}

TEST_CASE("McMemory takes one request a cycle per port and per channel", "[model]") {
  McMemory mem(hw::dram::kHbm2);
  const dram::AddressMap map(hw::dram::kHbm2);
  // Two lines of one channel, one of another.
  uint64_t a = 0, b = 0, c = 0;
  for (uint64_t x = 64; b == 0 || c == 0; x += 64) {
    if (map.decode(x).channel == map.decode(a).channel) {
      if (b == 0) b = x;
    } else if (c == 0) {
      c = x;
    }
  }
  CHECK(mem.offer(MemRequest{1, a, false, 1}, 5));
  CHECK_FALSE(mem.offer(MemRequest{1, c, false, 2}, 5));  // port 1 again
  CHECK_FALSE(mem.offer(MemRequest{2, b, false, 3}, 5));  // a's channel again
  CHECK(mem.offer(MemRequest{3, c, false, 4}, 5));         // another port, another channel
  CHECK(mem.retry_cycle(5) == 6);
  CHECK(mem.offer(MemRequest{2, b, false, 3}, 6));
  CHECK(mem.offer(MemRequest{1, c, false, 2}, 6));
  // A write to a line with a read queued waits; a read after a read does not.
  CHECK_FALSE(mem.offer(MemRequest{4, a, true, 5}, 7));
}

TEST_CASE("McMemory takes requests when the controller model would, whenever the device offers", "[model]") {
  // The reference: the model driven directly, each cycle's offers presented
  // before the cycle is simulated (one per channel, when it has room).
  const uint64_t seed = test::test_seed("mc_memory against the model");
  for (const hw::dram::Preset* p : hw::dram::kPresets) {
    INFO(p->name);
    const auto reqs = random_requests(*p, seed, 4000, 48, true);
    McMemory m1(*p), m2(*p);
    Driver early(m1, false), late(m2, true);
    early.queues = reqs;
    late.queues = reqs;
    early.run();
    late.run();
    REQUIRE(early.done.size() == 4000);
    REQUIRE(late.done.size() == 4000);

    mc::McModel ref(m1.model().config());
    std::map<uint64_t, uint64_t> taken_at, done_at;
    std::vector<size_t> head(McMemory::kPorts, 0);
    for (uint64_t cycle = 0; taken_at.size() < 4000 || ref.busy(); ++cycle) {
      uint64_t used = 0;
      for (unsigned port = 0; port < McMemory::kPorts; ++port) {
        if (head[port] == reqs[port].size()) continue;
        const MemRequest& r = reqs[port][head[port]];
        const unsigned ch = ref.channel_of(r.addr);
        if (((used >> ch) & 1u) != 0 || !ref.can_accept(r.addr, r.write)) continue;
        used |= uint64_t{1} << ch;
        REQUIRE(ref.offer(port, mc::McRequest{r.addr, r.write, 0, r.tag}, cycle));
        ++head[port];
      }
      ref.advance(cycle + 1);
      for (const mc::McEvent& e : ref.events()) {
        (e.kind == mc::McEvent::Kind::Accepted ? taken_at : done_at)[e.tag] = e.cycle;
      }
      ref.clear_events();
      REQUIRE(cycle < 10'000'000);
    }
    CHECK(early.taken_at == taken_at);
    CHECK(late.taken_at == taken_at);
    uint64_t differ = 0;
    for (const MemCompletion& c : late.done) differ += done_at[c.request.tag] != c.cycle ? 1 : 0;
    for (const MemCompletion& c : early.done) differ += done_at[c.request.tag] != c.cycle ? 1 : 0;
    CHECK(differ == 0);
    CHECK(early.refusals > 0);  // the hot lines and the queues made some wait
  }
}

TEST_CASE("McMemory: completions in time order, reads see the last write taken before them, DRAM rules hold",
          "[model]") {
  const uint64_t seed = test::test_seed("mc_memory function");
  for (const hw::dram::Preset* p : hw::dram::kPresets) {
    for (const auto mode : {dram::RefreshMode::AllBank, dram::RefreshMode::PerBank}) {
      INFO(p->name << (mode == dram::RefreshMode::PerBank ? " per-bank" : " all-bank"));
      McMemory mem(*p, mode);
      CheckerObserver obs(*p, mode);
      mem.set_observer(&obs);
      Driver d(mem, true);
      d.queues = random_requests(*p, seed, 6000, 16);
      d.run();
      REQUIRE(d.done.size() == 6000);
      obs.checker.finish(mem.model().now());
      INFO(obs.checker.summary());
      CHECK(obs.checker.ok());
      CHECK(obs.checker.command_count(mc::Cmd::RD) + obs.checker.command_count(mc::Cmd::WR) == 6000);
      // Data as the device model moves it: a write lands at its completion,
      // a read takes the line at its completion.
      std::map<uint64_t, MemRequest> by_tag;
      for (const auto& q : d.queues) {
        for (const MemRequest& r : q) by_tag[r.tag] = r;
      }
      // What each read should see: the last write to its line taken before it.
      std::vector<std::pair<uint64_t, uint64_t>> order;  // (cycle taken, tag)
      for (const auto& [tag, cyc] : d.taken_at) order.emplace_back(cyc, tag);
      std::sort(order.begin(), order.end());
      std::map<uint64_t, uint64_t> last_write, expect;  // line -> tag; read tag -> write tag (or ~0)
      for (const auto& [cyc, tag] : order) {
        const MemRequest& r = by_tag[tag];
        if (r.write) {
          last_write[r.addr] = tag;
        } else {
          const auto it = last_write.find(r.addr);
          expect[tag] = it == last_write.end() ? ~uint64_t{0} : it->second;
        }
      }
      std::map<uint64_t, uint64_t> mem_lines;
      uint64_t prev = 0, wrong = 0, early = 0;
      bool ordered = true;
      for (const MemCompletion& c : d.done) {
        ordered = ordered && c.cycle >= prev;
        prev = c.cycle;
        early += c.cycle <= d.taken_at[c.request.tag] ? 1 : 0;
        if (c.request.write) {
          mem_lines[c.request.addr] = c.request.tag;
        } else {
          const auto it = mem_lines.find(c.request.addr);
          wrong += (it == mem_lines.end() ? ~uint64_t{0} : it->second) != expect[c.request.tag] ? 1 : 0;
        }
      }
      CHECK(ordered);
      CHECK(early == 0);
      CHECK(wrong == 0);
    }
  }
}
