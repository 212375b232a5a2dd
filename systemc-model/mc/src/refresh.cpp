// Refresh managers (refresh.h): the factory.
#include "refresh.h"

namespace kmtsim::mc {

std::unique_ptr<RefreshPolicy> make_refresh(const McConfig& c) {
  if (c.refresh == dram::RefreshMode::PerBank) return std::make_unique<PerBankRefresh>(c);
  return std::make_unique<AllBankRefresh>(c);
}

}  // namespace kmtsim::mc
