#include "memory.h"

#include <algorithm>

namespace kmtsim::sc {

bool FixedLatencyMemory::offer(const MemRequest& request, uint64_t cycle) {
  if (request.port >= last_.size() || last_[request.port] == cycle) return false;
  last_[request.port] = cycle;
  const MemCompletion c{cycle + (request.write ? write_latency_ : read_latency_), request};
  // Stable: equal cycles keep the order of their offers.
  pending_.insert(std::upper_bound(pending_.begin(), pending_.end(), c,
                                   [](const MemCompletion& a, const MemCompletion& b) { return a.cycle < b.cycle; }),
                  c);
  return true;
}

std::optional<uint64_t> FixedLatencyMemory::next_event() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.front().cycle;
}

void FixedLatencyMemory::advance(uint64_t cycle, std::vector<MemCompletion>& out) {
  auto end = pending_.begin();
  while (end != pending_.end() && end->cycle <= cycle) ++end;
  out.insert(out.end(), pending_.begin(), end);
  pending_.erase(pending_.begin(), end);
}

}  // namespace kmtsim::sc
