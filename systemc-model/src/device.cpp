#include "kmtsim/sc/device.h"

#include "kmtsim/dram/address_map.h"
#include "kmtsim/hw/dram_presets.h"
#include "kmtsim/hw/regs.h"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>

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

namespace {
const hw::dram::Preset& preset_of(const std::string& name) {
  const hw::dram::Preset* p = hw::dram::find_preset(name);
  if (p == nullptr) throw std::invalid_argument("unknown DRAM preset '" + name + "' (hbm2, gddr6, ice40)");
  return *p;
}
}  // namespace

sc_core::sc_time clock_period(const std::string& preset) {
  return sc_core::sc_time(static_cast<double>(preset_of(preset).tck_ps), sc_core::SC_PS);
}

void Device::VramUnmap::operator()(uint8_t* p) const { ::munmap(p, bytes); }

uint64_t vram_bytes(const std::string& preset) { return dram::AddressMap(preset_of(preset)).capacity_bytes(); }

Device::Device(const sc_core::sc_module_name& name, const DeviceConfig& config)
    : sc_core::sc_module(name), mmio("mmio"), irq("irq"), config_(config), clock_(clock_period(config.preset)) {
  const uint64_t bytes = vram_bytes(config.preset);
  if (config.vram != nullptr) {
    if (config.vram_size != bytes)
      throw std::invalid_argument("the VRAM given is " + std::to_string(config.vram_size) + " bytes; preset " +
                                  config.preset + " has " + std::to_string(bytes));
    vram_ = config.vram;
  } else {
    // Zero pages on first touch: 4 GiB of hbm2 costs what is used.
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot reserve " + std::to_string(bytes) + " bytes of VRAM");
    own_vram_ = std::unique_ptr<uint8_t, VramUnmap>(static_cast<uint8_t*>(p), VramUnmap{bytes});
    vram_ = own_vram_.get();
  }
  config_.vram = vram_;
  config_.vram_size = bytes;
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

}  // namespace kmtsim::sc
