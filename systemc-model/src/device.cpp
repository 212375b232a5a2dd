#include "kmtsim/sc/device.h"

#include "kmtsim/hw/regs.h"
#include "model_device.h"
#include "rtl_device.h"

namespace kmtsim::sc {

std::optional<Backend> parse_backend(std::string_view name) {
  if (name == "model") return Backend::Model;
  if (name == "rtl") return Backend::Rtl;
  return std::nullopt;
}

const char* to_string(Backend backend) {
  switch (backend) {
    case Backend::Model: return "model";
    case Backend::Rtl: return "rtl";
  }
  return "?";
}

Device::Device(const sc_core::sc_module_name& name, const DeviceConfig& config)
    : sc_core::sc_module(name), mmio("mmio"), irq("irq"), config_(config) {
  mmio.register_b_transport(this, &Device::b_transport);
}

std::optional<Device::Access> Device::decode(tlm::tlm_generic_payload& trans) {
  const auto cmd = trans.get_command();
  if (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND) {
    trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return std::nullopt;
  }
  if (trans.get_byte_enable_ptr() != nullptr) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return std::nullopt;
  }
  if (trans.get_data_length() != 4 || trans.get_streaming_width() < 4) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return std::nullopt;
  }
  const uint64_t addr = trans.get_address();
  if (addr % 4 != 0 || addr >= hw::kMmioSize) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return std::nullopt;
  }
  return Access{cmd == tlm::TLM_WRITE_COMMAND, static_cast<uint32_t>(addr),
                reinterpret_cast<uint32_t*>(trans.get_data_ptr())};
}

std::unique_ptr<Device> make_device(Backend backend, const sc_core::sc_module_name& name,
                                    const DeviceConfig& config) {
  switch (backend) {
    case Backend::Model: return std::make_unique<ModelDevice>(name, config);
    case Backend::Rtl: return std::make_unique<RtlDevice>(name, config);
  }
  return nullptr;
}

}  // namespace kmtsim::sc
