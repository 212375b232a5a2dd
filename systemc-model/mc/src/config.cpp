#include <bit>
#include <stdexcept>
#include <string>

#include "kmtsim/mc/config.h"
#include "kmtsim/mc/policy.h"

namespace kmtsim::mc {

McConfig McConfig::for_preset(const hw::dram::Preset& p) {
  McConfig c;
  c.preset = p;
  c.timing = p.timing;
  c.queue_depth = p.trans_queue_depth;
  return c;
}

void McConfig::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("memory controller model: " + what); };
  if (ports < 2 || ports > 64) fail("ports must be 2..64 (port 0 has priority over the others)");
  if (queue_depth < 1 || queue_depth > kMaxQueue) fail("queue_depth must be 1.." + std::to_string(kMaxQueue));
  if (resp_depth < 1) fail("resp_depth must be at least 1");
  if (starve_cap > 255) fail("starve_cap must be at most 255");
  if (banks() < 1 || banks() > kMaxBanks) fail("at most " + std::to_string(kMaxBanks) + " banks per channel");
  if (!std::has_single_bit(preset.banks_per_group)) fail("banks_per_group must be a power of two");
  if (preset.channels < 1 || preset.channels > 64) fail("channels must be 1..64");
  if (timing.CL < 2) fail("CL must be at least 2 (read data returns at least two cycles after its RD)");
  if (timing.tREFI == 0 || timing.tREFIb == 0) fail("tREFI and tREFIb must not be 0");
  if (ref_force_owed < 1) fail("ref_force_owed must be at least 1");
}

}  // namespace kmtsim::mc
