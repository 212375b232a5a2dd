// Schedulers (scheduler.h): the factory.
#include "scheduler.h"

#include <stdexcept>

namespace kmtsim::mc {

std::unique_ptr<Scheduler> make_scheduler(const McConfig& c) {
  if (c.scheduler == "frfcfs") return std::make_unique<FrFcfs>();
  if (c.scheduler == "fcfs") return std::make_unique<Fcfs>();
  throw std::invalid_argument("unknown scheduler '" + c.scheduler + "' (known: frfcfs, fcfs)");
}

}  // namespace kmtsim::mc
