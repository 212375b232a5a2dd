// kmtsim fenceprof: fence-signalling latency in co-simulation, hop by hop,
// for several scenarios, against the machine's own floor (an eventfd
// ping-pong between two processes placed as the peers are).
#pragma once

#include "kmtsim/util/stats.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kmtsim::cosim {

struct ScenarioOptions {
  std::string backend = "model";
  std::string scenario = "gpu-to-cpu";  // cpu-to-cpu, gpu-to-cpu, cpu-to-gpu, gpu-to-gpu, chain
  std::string time_mode = "profiling";  // or deterministic
  int peers = 2;
  uint64_t iterations = 1000;
  bool pin = false;                     // producer on CPU 0, consumers on the last CPU
  // A shared allocation the producer fills before each signal and every
  // consumer checks after its wake (0: none).
  uint64_t buffer_bytes = 4096;
  bool progress = false;
  // Interrupt coalescing: off, on (coalesce_count records or coalesce_cycles
  // device cycles, whichever comes first), or critical (on, with the
  // measured fences marked latency-critical).
  std::string coalescing = "off";
  uint32_t coalesce_count = 8;
  uint32_t coalesce_cycles = 2000;
  // Off: kmtsimd records no hops (profiling time only); the result has the
  // host's end-to-end hop alone, to measure what the instrumentation costs.
  bool instrumentation = true;
};

// One hop: what it measures, in which time domain, and its samples (ns).
struct Hop {
  std::string name;
  std::string from, to;
  bool simulated = false;
  std::vector<double> samples_ns;
  Percentiles stats;
};

// One signal's timeline, for the trace.
struct SignalTimeline {
  uint64_t value = 0;
  double sim_submit_ns = 0, sim_irq_ns = 0, sim_isr_ns = 0;
  uint64_t host_call = 0, host_received = 0, host_isr = 0, host_dpc = 0;
  std::vector<uint64_t> host_returned;  // per consumer
};

struct ScenarioResult {
  ScenarioOptions options;
  bool complete = false;        // every consumer saw every value, in order
                                // (and, with a buffer, that value's data)
  std::vector<Hop> hops;
  std::vector<SignalTimeline> timeline;
  double wall_seconds = 0;
  const Hop* find(const std::string& name) const;
};

// Runs one scenario on a kmtsimd of its own. Throws std::runtime_error.
ScenarioResult run_scenario(const ScenarioOptions& options);

// The floor: one-way eventfd wake latency between two processes (ns).
Hop measure_eventfd_floor(uint64_t rounds, bool pin);

int fenceprof_main(int argc, char** argv);
int fenceprof_peer_main(int argc, char** argv);

}  // namespace kmtsim::cosim
