// The device as a host sees it, whichever backend implements it: 32-bit
// registers (common/include/kmtsim/hw/regs.h) behind a TLM-2.0 target socket
// (loosely timed: blocking transport, the access time added to the delay
// argument) and one level-sensitive interrupt output.
//
// b_transport may be called from an SC_THREAD or from sc_main between
// sc_start calls; it never calls wait().
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace kmtsim::sc {

enum class Backend { Model, Rtl };

std::optional<Backend> parse_backend(std::string_view name);
const char* to_string(Backend backend);

struct DeviceConfig {
  unsigned num_fences = 64;
  unsigned irq_fifo_depth = 16;
  unsigned cp_queue_depth = 16;
  sc_core::sc_time clock_period{1, sc_core::SC_NS};

  bool operator==(const DeviceConfig&) const = default;
};

class Device : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Device> mmio;
  sc_core::sc_out<bool> irq;

  virtual Backend backend() const = 0;
  const DeviceConfig& config() const { return config_; }

 protected:
  Device(const sc_core::sc_module_name& name, const DeviceConfig& config);
  virtual void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) = 0;

  // A single aligned 32-bit access inside the register window, or nothing
  // (and the payload's response status set to the TLM error that says why).
  struct Access {
    bool write;
    uint32_t addr;
    uint32_t* data;
  };
  static std::optional<Access> decode(tlm::tlm_generic_payload& trans);

 private:
  DeviceConfig config_;
};

// Builds the chosen backend. Throws std::invalid_argument when the RTL was
// built with other parameters than `config` asks for.
std::unique_ptr<Device> make_device(Backend backend, const sc_core::sc_module_name& name,
                                    const DeviceConfig& config = {});

}  // namespace kmtsim::sc
