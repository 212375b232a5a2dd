// The DXGI-style frame hand-off between two processes: process A renders
// frames into a shared resource on the GPU (FILL and COPY command buffers)
// and hands each to process B through the resource's keyed mutex; B copies
// the frame out on the GPU, checks every byte, and hands the resource back.
// The resource, its keyed mutex and its sync object travel together as one
// NT handle (D3DKMTShareObjects of the triple), passed as a file descriptor.
#pragma once

#include "kmtsim/util/stats.h"

#include <cstdint>
#include <string>

namespace kmtsim::cosim {

struct HandoffOptions {
  std::string backend = "model";
  std::string time_mode = "profiling";
  uint64_t frames = 100;
  uint64_t frame_bytes = 256 << 10;  // a multiple of 64 KiB, up to 16 MiB
  uint64_t seed = 1;
};

struct HandoffResult {
  HandoffOptions options;
  uint64_t frames_verified = 0;  // frames B found exactly as A rendered them
  bool complete = false;         // every frame handed over and verified
  double wall_seconds = 0;
  double frames_per_second = 0;  // host: frames over the time from A's first acquire to B's last release
  double sim_us_per_frame = 0;   // simulated device time per frame
  Percentiles handoff_us;        // host: A's release of key 1 -> B's acquire of key 1 returned
  Percentiles frame_us;          // host: A's acquire of key 0 -> B's release of key 0
};

// Runs the hand-off on a kmtsimd of its own. Throws std::runtime_error.
HandoffResult run_handoff(const HandoffOptions& options);

int handoff_peer_main(int argc, char** argv);

}  // namespace kmtsim::cosim
