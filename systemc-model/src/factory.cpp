// make_device: the one place that knows both backends.
#include "kmtsim/sc/device.h"
#include "model_device.h"
#include "rtl_device.h"

namespace kmtsim::sc {

std::unique_ptr<Device> make_device(Backend backend, const sc_core::sc_module_name& name,
                                    const DeviceConfig& config) {
  switch (backend) {
    case Backend::Model: return std::make_unique<ModelDevice>(name, config);
    case Backend::Rtl: return std::make_unique<RtlDevice>(name, config);
  }
  return nullptr;
}

}  // namespace kmtsim::sc
