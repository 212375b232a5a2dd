// make_device: the one place that knows both backends.
#include "kmtsim/sc/device.h"
#include "model_device.h"
#if KMTSIM_WITH_RTL
#include "rtl_device.h"
#endif

#include <stdexcept>

namespace kmtsim::sc {

std::unique_ptr<Device> make_device(Backend backend, const sc_core::sc_module_name& name,
                                    const DeviceConfig& config) {
  switch (backend) {
    case Backend::Model: return std::make_unique<ModelDevice>(name, config);
    case Backend::Rtl:
#if KMTSIM_WITH_RTL
      return std::make_unique<RtlDevice>(name, config);
#else
      throw std::invalid_argument("this build has no RTL backend (configured with KMTSIM_WITH_RTL=OFF)");
#endif
  }
  return nullptr;
}

}  // namespace kmtsim::sc
