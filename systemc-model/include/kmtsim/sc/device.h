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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kmtsim::sc {

enum class Backend { Model, Rtl };

std::optional<Backend> parse_backend(std::string_view name);
const char* to_string(Backend backend);

struct DeviceConfig {
  std::string preset = "hbm2";  // DRAM preset (rtl/data/dram_presets.json): hbm2, gddr6, ice40
  unsigned num_fences = 64;
  unsigned num_rings = 2;
  unsigned irq_fifo_depth = 16;
  // The DRAM's storage: vram_size bytes (the preset's capacity), device
  // address a at vram[a]. Not owned; it must outlive the device. Null: the
  // device allocates its own (zeroed).
  uint8_t* vram = nullptr;
  uint64_t vram_size = 0;
};

// What the backends report about each fence signal as it happens.
enum class ProbeKind : uint8_t {
  CommandFetched,  // a ring parsed a SIGNAL command
  FenceUpdated,    // the fence table took the value
  WrittenBack,     // the write-back of the value was acknowledged
  RecordQueued,    // its interrupt record entered the FIFO (or was dropped: `dropped`)
};
struct ProbeEvent {
  ProbeKind kind;
  uint32_t fence;
  uint64_t value;
  int ring;  // -1: a CPU signal
  bool dropped = false;
  sc_core::sc_time time;
};
using Probe = std::function<void(const ProbeEvent&)>;

// The clock of a preset's device (its DRAM clock). Throws std::invalid_argument
// for an unknown preset.
sc_core::sc_time clock_period(const std::string& preset);
// The preset's VRAM capacity in bytes.
uint64_t vram_bytes(const std::string& preset);

class Device : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Device> mmio;
  sc_core::sc_out<bool> irq;

  virtual Backend backend() const = 0;
  const DeviceConfig& config() const { return config_; }
  // Called with every probe event, in time order per fence (nullptr: none).
  void set_probe(Probe probe) { probe_ = std::move(probe); }

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
  void probe(const ProbeEvent& e) const {
    if (probe_) probe_(e);
  }
  uint8_t* vram() const { return vram_; }
  sc_core::sc_time clock() const { return clock_; }

 private:
  DeviceConfig config_;
  Probe probe_;
  struct VramUnmap {
    uint64_t bytes;
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, VramUnmap> own_vram_;
  uint8_t* vram_ = nullptr;
  sc_core::sc_time clock_;
};

// Builds the chosen backend. Throws std::invalid_argument when the RTL was
// built with other parameters than `config` asks for.
std::unique_ptr<Device> make_device(Backend backend, const sc_core::sc_module_name& name,
                                    const DeviceConfig& config = {});

}  // namespace kmtsim::sc
