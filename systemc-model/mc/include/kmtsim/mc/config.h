// Configuration of the memory-controller model: the DRAM preset (geometry,
// address map, timing) and the controller's parameters, which are those of
// the RTL's kmt_mc (NumPorts, QueueDepth, RespDepth, StarveCap, PrioCap,
// RefForceOwed, per_bank_ref_i) with the same defaults. The policies are
// named, so a configuration is plain data.
#pragma once

#include <string>

#include "kmtsim/dram/checker.h"
#include "kmtsim/hw/dram_presets.h"

namespace kmtsim::mc {

struct McConfig {
  hw::dram::Preset preset = hw::dram::kHbm2;  // geometry, address map, request size
  hw::dram::Timing timing = hw::dram::kHbm2.timing;  // what the controller is given (CSRs)
  unsigned ports = 5;           // client ports; port 0 has priority, capped at prio_cap grants in a row
  unsigned queue_depth = 32;    // transaction queue per channel
  unsigned resp_depth = 8;      // read responses in flight or waiting, write acknowledgements waiting
  unsigned starve_cap = 16;     // younger requests that may overtake one before it is urgent
  unsigned prio_cap = 4;        // 0: port 0 is never capped
  unsigned ref_force_owed = 4;  // per-bank refresh: owed count at which a busy bank is refreshed anyway
  dram::RefreshMode refresh = dram::RefreshMode::AllBank;
  std::string scheduler = "frfcfs";  // "frfcfs" (FR-FCFS with starvation cap, the RTL's) or "fcfs"
  std::string checker = "gaps";      // "gaps": the RTL's command-to-command gaps

  // The controller's defaults with the preset's queue depth and timing.
  static McConfig for_preset(const hw::dram::Preset& p);

  unsigned banks() const { return preset.bankgroups * preset.banks_per_group; }
  // Throws std::invalid_argument naming what is out of range.
  void validate() const;
};

}  // namespace kmtsim::mc
