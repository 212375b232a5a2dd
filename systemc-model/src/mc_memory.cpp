#include "mc_memory.h"

#include <array>

#include <stdexcept>
#include <string>

namespace kmtsim::sc {

// kmt_device's memory controller: kmt_mc with McQueueDepth 16, McRespDepth 8
// and kmt_mc's defaults for the rest (StarveCap 16, PrioCap 4).
mc::McConfig McMemory::device_config(const hw::dram::Preset& p, dram::RefreshMode refresh) {
  mc::McConfig c = mc::McConfig::for_preset(p);
  c.ports = kPorts;
  c.queue_depth = 16;
  c.resp_depth = 8;
  c.starve_cap = 16;
  c.prio_cap = 4;
  c.refresh = refresh;
  return c;
}

McMemory::McMemory(const hw::dram::Preset& preset, dram::RefreshMode refresh)
    : McMemory(device_config(preset, refresh)) {}

McMemory::McMemory(const mc::McConfig& config)
    : mc_(config), offered_(config.ports, 0), chan_cycle_(config.preset.channels, 0) {}

void McMemory::collect() {
  for (const mc::McEvent& e : mc_.events()) {
    if (e.kind != mc::McEvent::Kind::Completed) continue;
    const auto it = inflight_.find(e.tag);
    if (it == inflight_.end()) throw std::logic_error("memory controller model: a completion of no request");
    done_.push_back(MemCompletion{e.cycle, it->second});
    if (!it->second.write) {
      const auto r = reads_.find(it->second.addr);
      if (--r->second == 0) reads_.erase(r);
    }
    inflight_.erase(it);
  }
  mc_.clear_events();
}

void McMemory::run_to(uint64_t cycle) {
  next_known_ = false;
  if (mc_.now() < cycle) {
    mc_.advance(cycle);
    collect();
  }
}

bool McMemory::offer(const MemRequest& request, uint64_t cycle) {
  next_known_ = false;
  const unsigned port = request.port;
  if (port >= offered_.size()) {
    throw std::out_of_range("memory controller: no port " + std::to_string(port));
  }
  if (offered_[port] == cycle + 1) return false;  // one request a cycle per port
  if (cycle + 1 < mc_.now()) {
    throw std::logic_error("memory controller: a request offered at cycle " + std::to_string(cycle) +
                           " after the memory advanced to " + std::to_string(mc_.now() - 1));
  }
  const unsigned ch = mc_.channel_of(request.addr);
  if (chan_cycle_[ch] == cycle + 1) return false;  // the channel takes one request a cycle
  // Simulate the cycle itself (its completions wait in done_), then decide
  // from the queue as it was at its start: the same answer whether the
  // device offers before or after it collects the cycle's completions.
  run_to(cycle + 1);
  if (request.write && reads_.count(request.addr) != 0) return false;  // see the header
  const bool taken = mc_.accept_late(port, mc::McRequest{request.addr, request.write, 0, seq_});
  mc_.clear_events();  // its Accepted event
  if (!taken) return false;
  offered_[port] = cycle + 1;
  chan_cycle_[ch] = cycle + 1;
  inflight_.emplace(seq_++, request);
  if (!request.write) ++reads_[request.addr];
  return true;
}

uint64_t McMemory::offer_many(std::span<const MemRequest> requests, uint64_t cycle) {
  next_known_ = false;
  if (requests.size() > 64) throw std::out_of_range("memory controller: more than 64 requests at once");
  if (cycle + 1 < mc_.now()) {
    throw std::logic_error("memory controller: requests offered at cycle " + std::to_string(cycle) +
                           " after the memory advanced to " + std::to_string(mc_.now() - 1));
  }
  run_to(cycle + 1);
  std::array<std::pair<unsigned, mc::McRequest>, 64> offers;  // no allocation: called every cycle the device offers
  std::array<size_t, 64> index;  // offers[k] is requests[index[k]]
  size_t n = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const MemRequest& r = requests[i];
    if (r.port >= offered_.size()) throw std::out_of_range("memory controller: no port " + std::to_string(r.port));
    if (offered_[r.port] == cycle + 1) continue;                   // one request a cycle per port
    if (chan_cycle_[mc_.channel_of(r.addr)] == cycle + 1) continue;  // the channel took one this cycle
    if (r.write && reads_.count(r.addr) != 0) continue;            // see the header
    offers[n] = {r.port, mc::McRequest{r.addr, r.write, 0, seq_ + n}};
    index[n++] = i;
  }
  const uint64_t taken = mc_.accept_late(std::span(offers.data(), n));
  mc_.clear_events();  // their Accepted events
  uint64_t out = 0;
  for (size_t k = 0; k < n; ++k) {
    if (((taken >> k) & 1u) == 0) continue;
    const MemRequest& r = requests[index[k]];
    offered_[r.port] = cycle + 1;
    chan_cycle_[mc_.channel_of(r.addr)] = cycle + 1;
    inflight_.emplace(offers[k].second.tag, r);
    if (!r.write) ++reads_[r.addr];
    out |= uint64_t{1} << index[k];
  }
  seq_ += n;
  return out;
}

std::optional<uint64_t> McMemory::next_event() const {
  // Asked after every device event; the answer changes only when a request
  // comes or time moves on.
  if (!next_known_) {
    if (done_head_ < done_.size()) next_ = done_[done_head_].cycle;
    else if (!mc_.busy()) next_ = std::nullopt;
    else next_ = mc_.next_event_cycle();
    next_known_ = true;
  }
  return next_;
}

void McMemory::advance(uint64_t cycle, std::vector<MemCompletion>& out) {
  next_known_ = false;
  if (mc_.now() <= cycle) {
    mc_.advance(cycle + 1);
    collect();
  }
  while (done_head_ < done_.size() && done_[done_head_].cycle <= cycle) out.push_back(done_[done_head_++]);
  if (done_head_ == done_.size()) {
    done_.clear();
    done_head_ = 0;
  }
}

uint64_t McMemory::retry_cycle(uint64_t cycle) const {
  // Room may come from a request leaving in this very cycle: try the next.
  return cycle + 1;
}

}  // namespace kmtsim::sc
