// The memory behind the model's memory-controller ports, as the device model
// sees it: requests offered at a cycle (accepted or not), completions coming
// back in time order. The data itself moves in the VRAM array, done by the
// device model at the completion: a read's bytes are taken when its data is
// back, a write's bytes land when it is acknowledged (its WR reached DRAM).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kmtsim::sc {

struct MemRequest {
  unsigned port = 0;
  uint64_t addr = 0;  // byte address of the line (aligned to the line size)
  bool write = false;
  uint64_t tag = 0;   // the requester's, handed back with the completion
};

struct MemCompletion {
  uint64_t cycle = 0;  // read: data back; write: acknowledged
  MemRequest request;
};

class Memory {
 public:
  virtual ~Memory() = default;
  // Offers a request at `cycle` (never earlier than a cycle offered or
  // advanced to before). False: not taken this cycle; offer it again later.
  virtual bool offer(const MemRequest& request, uint64_t cycle) = 0;
  // Offers the requests of several ports at once at `cycle` (at most one per
  // port), so that the memory can choose among those that compete for the
  // same resource as the hardware would. Returns the taken ones as a mask
  // over the indices. By default: one by one, in order.
  virtual uint64_t offer_many(std::span<const MemRequest> requests, uint64_t cycle) {
    uint64_t taken = 0;
    for (size_t i = 0; i < requests.size() && i < 64; ++i) {
      if (offer(requests[i], cycle)) taken |= uint64_t{1} << i;
    }
    return taken;
  }
  // The next cycle at which a completion is due or anything else changes
  // (nothing: the memory is idle).
  virtual std::optional<uint64_t> next_event() const = 0;
  // Moves time on to `cycle`, appending the completions due by then in time
  // order (ties in a fixed order).
  virtual void advance(uint64_t cycle, std::vector<MemCompletion>& out) = 0;
  // The cycle from which a port can take a request again after a refusal.
  virtual uint64_t retry_cycle(uint64_t cycle) const { return cycle + 1; }
};

// A stand-in memory: every port takes one request per cycle; reads come back
// after read_latency cycles, writes are acknowledged after write_latency.
class FixedLatencyMemory final : public Memory {
 public:
  FixedLatencyMemory(unsigned ports, unsigned read_latency, unsigned write_latency)
      : last_(ports, UINT64_MAX), read_latency_(read_latency), write_latency_(write_latency) {}
  bool offer(const MemRequest& request, uint64_t cycle) override;
  std::optional<uint64_t> next_event() const override;
  void advance(uint64_t cycle, std::vector<MemCompletion>& out) override;

 private:
  std::vector<uint64_t> last_;  // per port: the cycle of its last request
  std::vector<MemCompletion> pending_;  // kept sorted by (cycle, order of offer)
  unsigned read_latency_, write_latency_;
};

}  // namespace kmtsim::sc
