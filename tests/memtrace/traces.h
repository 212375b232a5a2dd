// Generated memory traces for the memtrace tests and benchmark: sequential,
// uniformly random and mixed, from a seed, as TraceSources (no files).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kmtsim/dram/address_map.h"
#include "memtrace.h"

namespace kmtsim::test {

using memtrace::TraceRecord;

class VectorTrace final : public memtrace::TraceSource {
 public:
  explicit VectorTrace(std::vector<TraceRecord> r) : r_(std::move(r)) {}
  bool next(TraceRecord& r) override {
    if (i_ == r_.size()) return false;
    r = r_[i_++];
    return true;
  }

 private:
  std::vector<TraceRecord> r_;
  size_t i_ = 0;
};

// Uniformly random lines over the whole address space, all due at cycle 0.
inline std::vector<TraceRecord> random_trace(const hw::dram::Preset& p, size_t n, double write_share, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const uint64_t lines = dram::AddressMap(p).capacity_bytes() / p.request_bytes;
  std::uniform_real_distribution<> u(0, 1);
  std::vector<TraceRecord> t(n);
  for (auto& r : t) {
    r.addr = (rng() % lines) * p.request_bytes;
    r.write = u(rng) < write_share;
    r.cycle = 0;
  }
  return t;
}

// Writes n/2 consecutive lines from base, then reads them back in order, all due at cycle 0.
inline std::vector<TraceRecord> sequential_trace(const hw::dram::Preset& p, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const uint64_t lines = dram::AddressMap(p).capacity_bytes() / p.request_bytes;
  const uint64_t base = (rng() % (lines / 2)) * p.request_bytes;
  std::vector<TraceRecord> t;
  t.reserve(n);
  for (size_t i = 0; i < n / 2; ++i) t.push_back(TraceRecord{base + i * p.request_bytes, true, 0});
  for (size_t i = 0; t.size() < n; ++i) t.push_back(TraceRecord{base + i * p.request_bytes, false, 0});
  return t;
}

// Phases with arrival times (bursts and idle gaps long enough for refresh to
// run): a small hot region read and written (same-address ordering), short
// sequential streams, random lines, and unaligned addresses.
inline std::vector<TraceRecord> mixed_trace(const hw::dram::Preset& p, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const uint64_t lines = dram::AddressMap(p).capacity_bytes() / p.request_bytes;
  const uint64_t hot = (rng() % (lines - 64)) * p.request_bytes;
  std::vector<TraceRecord> t;
  t.reserve(n);
  uint64_t cycle = 0, stream = 0;
  std::uniform_real_distribution<> u(0, 1);
  while (t.size() < n) {
    const double x = u(rng);
    TraceRecord r;
    if (x < 0.35) {
      r.addr = hot + (rng() % 64) * p.request_bytes + (rng() % p.request_bytes);
      r.write = u(rng) < 0.5;
    } else if (x < 0.7) {
      if (rng() % 32 == 0) stream = (rng() % lines) * p.request_bytes;
      r.addr = stream;
      stream = (stream + p.request_bytes) % (lines * p.request_bytes);
      r.write = u(rng) < 0.3;
    } else {
      r.addr = (rng() % lines) * p.request_bytes;
      r.write = u(rng) < 0.3;
    }
    // Mostly back to back; now and then a gap, rarely a long one.
    const double g = u(rng);
    if (g < 0.01) cycle += 2000 + rng() % 6000;
    else if (g < 0.2) cycle += rng() % 40;
    r.cycle = cycle;
    t.push_back(r);
  }
  return t;
}

}  // namespace kmtsim::test
