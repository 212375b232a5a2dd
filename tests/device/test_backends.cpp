// The model and the RTL side by side in one simulation, given the same work:
// the same probe events (docs/device.md, "Probes") for each fence, in the
// same order, and the same interrupt records. Times may differ.
#include "device_bench.h"

#include <map>

using namespace kmtsim;
using namespace kmtsim::test;

namespace {

constexpr uint64_t kRing0 = 0x10000;
constexpr uint64_t kRing1 = 0x20000;
constexpr uint64_t kPages = 0x100000;
constexpr uint64_t kData = 0x400000;

struct Event {
  sc::ProbeKind kind;
  uint64_t value;
  int ring;
  bool dropped;
  bool operator==(const Event&) const = default;
};

struct Run {
  std::map<uint32_t, std::vector<Event>> events;  // per fence, in order
  std::map<uint32_t, std::vector<Rec>> records;   // per fence, in order
};

[[maybe_unused]] std::ostream& operator<<(std::ostream& os, const Event& e) {
  static const char* kinds[] = {"fetched", "updated", "written back", "record"};
  return os << "{" << kinds[static_cast<unsigned>(e.kind)] << ", value " << e.value << ", ring " << e.ring
            << (e.dropped ? ", dropped}" : "}");
}

void work(DeviceBench& b, Run& run) {
  b.device().set_probe([&run](const sc::ProbeEvent& e) {
    run.events[e.fence].push_back({e.kind, e.value, e.ring, e.dropped});
  });
  b.start();
  b.write_back(kPages);
  b.ring_setup(0, kRing0, 12);
  b.ring_setup(1, kRing1, 12);
  b.wr(reg::FENCE_CRITICAL, field::FENCE_CRITICAL_INDEX.put(5) | field::FENCE_CRITICAL_SET.put(1));
  b.cpu_signal(10, 44);
  for (const auto& cmd : {DeviceBench::signal(5, 7), DeviceBench::fill(kData, 256, 0xAB), DeviceBench::signal(6, 9),
                          DeviceBench::wait(7, 3), DeviceBench::signal(8, 1)})
    b.emit(0, cmd);
  b.doorbell(0);
  b.settle();
  for (const auto& cmd : {DeviceBench::signal(9, 2), DeviceBench::copy(kData + 0x1000, kData, 256),
                          DeviceBench::signal(7, 3), DeviceBench::signal(7, 2)})
    b.emit(1, cmd);
  b.doorbell(1);
  b.settle();
  b.cpu_signal(10, 3);  // a rewind
  b.wr(reg::FENCE_WB_CONTROL, 0);
  b.cpu_signal(11, 1);
  b.settle();
  // A full FIFO: records dropped, probes still say so.
  b.wr(reg::IRQ_ENABLE, 0);
  for (uint32_t k = 0; k < 20; ++k) b.cpu_signal(20 + k, k + 1);
  b.settle();
  b.wr(reg::IRQ_ENABLE, 0x7);
  b.settle();
  for (const Rec& r : b.records()) run.records[r.fence].push_back(r);
  b.device().set_probe(nullptr);
}

}  // namespace

TEST_CASE("The model and the RTL report the same probe events and records for the same work", "[device][backends]") {
  DeviceBench model(sc::Backend::Model, {}, sc::HostLink::ideal(), "model");
  DeviceBench rtl(sc::Backend::Rtl, {}, sc::HostLink::ideal(), "rtl");
  Run m, r;
  work(model, m);
  work(rtl, r);
  CHECK(m.events.size() == 27);  // fences 5 to 11 and 20 to 39
  CHECK(m.events[5].size() == 4);  // fetched, updated, written back, record
  REQUIRE(m.events.size() == r.events.size());
  for (const auto& [fence, events] : m.events) {
    INFO("fence " << fence);
    CHECK(r.events[fence] == events);
  }
  CHECK(r.records == m.records);
  CHECK(model.overflows() == 1);
  CHECK(rtl.overflows() == 1);
  CHECK(std::memcmp(model.vram() + kData, rtl.vram() + kData, 0x2000) == 0);
  for (uint32_t f = 0; f < 40; ++f) {
    INFO("fence " << f);
    CHECK(model.fence(f) == rtl.fence(f));
    CHECK(model.page_value(kPages, f) == rtl.page_value(kPages, f));
  }
}
