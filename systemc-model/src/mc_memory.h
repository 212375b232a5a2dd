// The device model's Memory over the memory controller's fast model
// (kmtsim::mc::McModel, the event-driven twin of rtl/mc kmt_mc): the client
// ports of docs/device.md (0 fence write-back, with priority; 1 ring fetch;
// 2 DMA read; 3 DMA write; 4 host VRAM access), the preset's address map,
// queues, FR-FCFS scheduling, bank timing and refresh. Time is in the
// controller's clock cycles (the device clock; the DRAM timing is in those
// cycles, as the CSRs give it), cycle 0 the first after reset.
//
// A request offered in cycle c is taken in cycle c when the controller would
// take it there: its channel's queue has room and holds no request to the
// same line where either one writes (the queue as it was at the start of c),
// and no other port's request went to that channel in c. So a port offers
// one request a cycle, and of two ports offering to one channel in the same
// cycle the first offer wins. Offered together (offer_many), they
// go through the channel's arbiter as in the RTL: port 0 first within its
// cap, the others in round robin. Completions come in time order:
// a read when its data is back at the port, a write when its WR was sent.
//
// The device model moves a read's bytes at its completion, not at its RD as
// the DRAM does; so that a read still sees the data the DRAM would give it,
// a write to a line is not taken while a read of that line is in flight
// (the controller alone would take it once the read's RD was sent, and its
// WR could then be acknowledged before the read's data is back).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "kmtsim/mc/config.h"
#include "kmtsim/mc/model.h"
#include "memory.h"

namespace kmtsim::sc {

class McMemory final : public Memory {
 public:
  static constexpr unsigned kPorts = 5;  // docs/device.md

  // kmt_device's controller for the preset (5 ports, McQueueDepth 16,
  // McRespDepth 8) with the preset's timing and the given refresh mode.
  explicit McMemory(const hw::dram::Preset& preset, dram::RefreshMode refresh = dram::RefreshMode::AllBank);
  // Any configuration (its ports: at least the ports the device uses; its
  // timing: what the device's DRAM timing CSRs hold).
  explicit McMemory(const mc::McConfig& config);
  // kmt_device's controller configuration for the preset (change .timing to
  // the CSRs' values before constructing, if they differ from the preset's).
  static mc::McConfig device_config(const hw::dram::Preset& preset, dram::RefreshMode refresh);

  bool offer(const MemRequest& request, uint64_t cycle) override;
  uint64_t offer_many(std::span<const MemRequest> requests, uint64_t cycle) override;
  std::optional<uint64_t> next_event() const override;
  void advance(uint64_t cycle, std::vector<MemCompletion>& out) override;
  uint64_t retry_cycle(uint64_t cycle) const override;

  const mc::McModel& model() const { return mc_; }
  // DRAM commands for an observer (a checker, a trace).
  void set_observer(mc::McObserver* o) { mc_.set_observer(o); }

 private:
  // Simulates cycles before `cycle`; their completions wait in done_.
  void run_to(uint64_t cycle);
  void collect();

  mc::McModel mc_;
  std::vector<uint64_t> offered_;     // per port: the last cycle it offered in (+1; 0: never)
  std::vector<uint64_t> chan_cycle_;  // per channel: the last cycle a request went to it (+1; 0: never)
  std::vector<MemCompletion> done_;   // completions simulated, not yet handed out (time order)
  size_t done_head_ = 0;
  std::unordered_map<uint64_t, MemRequest> inflight_;  // by the model's tag: the requests taken
  std::unordered_map<uint64_t, unsigned> reads_;       // line address -> reads of it in flight
  uint64_t seq_ = 0;
};

}  // namespace kmtsim::sc
