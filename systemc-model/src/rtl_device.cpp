// The Verilated model is a plain C++ (--cc) model: its headers must come
// before any SystemC header, or verilated.h takes this for a SystemC build.
#include "Vkmt_device.h"
#include "verilated.h"
#include "verilated_fst_c.h"

#include "rtl_device.h"

#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/rtl_attach.h"
#include "kmtsim/dram/storage.h"
#include "kmtsim/dram/vl_bits.h"
#include "kmtsim/hw/dram_presets.h"

#include <cstdlib>
#include <span>
#include <sstream>
#include <stdexcept>

namespace kmtsim::sc {

using dram::get_bits;
using sc_core::sc_time;

namespace {
// Cycles the adapter runs ahead of SystemC time before it synchronises.
constexpr uint64_t kChunkCycles = 256;
// A register access that takes longer than this is a device fault.
constexpr uint64_t kAccessTimeoutCycles = 100'000;
constexpr uint64_t kNever = ~uint64_t{0};
}  // namespace

DeviceConfig RtlDevice::built_config() {
  DeviceConfig c;
  c.preset = KMTSIM_RTL_PRESET;
  c.num_fences = KMTSIM_RTL_NUM_FENCES;
  c.num_rings = KMTSIM_RTL_NUM_RINGS;
  c.irq_fifo_depth = KMTSIM_RTL_IRQ_FIFO_DEPTH;
  return c;
}

RtlDevice::RtlDevice(const sc_core::sc_module_name& name, const DeviceConfig& config)
    : Device(name, config), context_(std::make_unique<VerilatedContext>()) {
  const DeviceConfig built = built_config();
  if (built.preset != config.preset || built.num_fences != config.num_fences || built.num_rings != config.num_rings ||
      built.irq_fifo_depth != config.irq_fifo_depth) {
    std::ostringstream msg;
    msg << "the RTL was built for preset " << built.preset << " with " << built.num_fences << " fences, "
        << built.num_rings << " rings and an interrupt FIFO of " << built.irq_fifo_depth << "; asked for preset "
        << config.preset << ", " << config.num_fences << ", " << config.num_rings << " and " << config.irq_fifo_depth
        << " (reconfigure with -DKMTSIM_RTL_PRESET=... -DKMTSIM_RTL_NUM_FENCES=... -DKMTSIM_RTL_NUM_RINGS=... "
           "-DKMTSIM_RTL_IRQ_FIFO_DEPTH=...)";
    throw std::invalid_argument(msg.str());
  }
  const hw::dram::Preset& preset = *hw::dram::find_preset(this->config().preset);
  map_ = std::make_unique<dram::AddressMap>(preset);
  dram_ = std::make_unique<dram::DramModel>(preset, std::span<uint8_t>(vram(), this->config().vram_size));
  pins_ = std::make_unique<dram::RtlDramPins<Vkmt_device>>(*dram_, *map_, preset.channels,
                                                            preset.request_bytes * 8);

  context_->commandArgs(0, static_cast<const char**>(nullptr));
  skip_idle_ = std::getenv("KMTSIM_RTL_TICK_IDLE") == nullptr;
  const char* fst_path = std::getenv("KMTSIM_FST");
  if (fst_path != nullptr && *fst_path != '\0') context_->traceEverOn(true);
  top_ = std::make_unique<Vkmt_device>(context_.get(), "kmt_device");
  if (fst_path != nullptr && *fst_path != '\0') {
    fst_ = std::make_unique<VerilatedFstC>();
    top_->trace(fst_.get(), 99);
    fst_->open(fst_path);
  }
  // Reset: a falling edge of rst_ni (the model starts with it low, which is
  // no edge) and a clock edge while it is low, as mc_harness does.
  top_->clk_i = 0;
  top_->rst_ni = 1;
  top_->host_req_valid_i = 0;
  top_->timebase_i = 0;
  top_->eval();
  top_->rst_ni = 0;
  top_->eval();
  top_->clk_i = 1;
  top_->eval();
  top_->clk_i = 0;
  top_->eval();
  top_->rst_ni = 1;
  top_->eval();
  irq_level_ = top_->irq_o;

  SC_HAS_PROCESS(RtlDevice);
  SC_THREAD(clock_thread);
  SC_METHOD(irq_method);
  sensitive << irq_update_;
  dont_initialize();
}

RtlDevice::~RtlDevice() {
  if (fst_) fst_->close();
  if (top_) top_->final();
}

uint64_t RtlDevice::cycle_of(const sc_time& t) const {
  const uint64_t period = clock().value();
  return (t.value() + period - 1) / period;
}

void RtlDevice::tick() {
  Vkmt_device& m = *top_;
  pins_->drive(m, cycle_);
  m.timebase_i = cycle_;
  m.clk_i = 0;
  m.eval();
  if (fst_) fst_->dump(2 * cycle_);
  pins_->sample(m, cycle_);
  req_ready_ = m.host_req_ready_o;
  rsp_valid_ = m.host_rsp_valid_o;
  rsp_rdata_ = m.host_rsp_rdata_o;
  rsp_error_ = m.host_rsp_error_o;
  if (static_cast<bool>(m.irq_o) != irq_level_) {
    irq_level_ = m.irq_o;
    irq_edges_.push_back({cycle_, irq_level_});
    const sc_time when = time_of(cycle_), now = sc_core::sc_time_stamp();
    irq_update_.notify(when > now ? when - now : sc_core::SC_ZERO_TIME);
  }
  sample_probes();
  check_dram();
  m.clk_i = 1;
  m.eval();
  if (fst_) fst_->dump(2 * cycle_ + 1);
  ++cycle_;
}

void RtlDevice::sample_probes() {
  const Vkmt_device& m = *top_;
  const sc_time t = time_of(cycle_);
  if (m.prb_fetch_valid_o != 0) {
    for (unsigned r = 0; r < config().num_rings; ++r) {
      if (!get_bits(m.prb_fetch_valid_o, r, 1)) continue;
      probes_.push_back({ProbeKind::CommandFetched, static_cast<uint32_t>(get_bits(m.prb_fetch_fence_o, 16 * r, 16)),
                         get_bits(m.prb_fetch_value_o, 64 * r, 64), static_cast<int>(r), false, t});
    }
  }
  if (m.prb_upd_valid_o) {
    probes_.push_back({ProbeKind::FenceUpdated, m.prb_upd_fence_o, m.prb_upd_value_o,
                       m.prb_upd_src_o ? static_cast<int>(m.prb_upd_ring_o) : -1, false, t});
  }
  if (m.prb_wb_valid_o) {
    probes_.push_back({ProbeKind::WrittenBack, m.prb_wb_fence_o, m.prb_wb_value_o,
                       m.prb_wb_src_o ? static_cast<int>(m.prb_wb_ring_o) : -1, false, t});
  }
  if (m.prb_rec_valid_o) {
    probes_.push_back({ProbeKind::RecordQueued, m.prb_rec_fence_o, m.prb_rec_value_o,
                       m.prb_rec_src_o ? static_cast<int>(m.prb_rec_ring_o) : -1,
                       static_cast<bool>(m.prb_rec_dropped_o), t});
  }
}

// Probe events go out after the access or the chunk of cycles that made
// them, as the model's do: a caller that notes a signal when its register
// write returns sees the signal's events after that.
void RtlDevice::flush_probes() {
  while (!probes_.empty()) {
    const ProbeEvent e = probes_.front();
    probes_.pop_front();
    probe(e);
  }
}

// A timing or protocol violation on a DRAM bus is a bug of the memory
// controller: say so once, with the first violations.
void RtlDevice::check_dram() {
  if (dram_reported_ || dram_->checker().ok()) return;
  dram_reported_ = true;
  SC_REPORT_WARNING(name(), ("DRAM checker: " + dram_->checker().summary(5)).c_str());
}

void RtlDevice::catch_up(uint64_t target) {
  while (cycle_ < target) {
    if (skip_idle_ && top_->quiet_o) {
      // Nothing changes before wake_o (the timebase is an input): skip.
      const uint64_t wake = top_->wake_o;
      if (wake > cycle_) {
        cycle_ = wake < target ? wake : target;
        continue;
      }
    }
    tick();
  }
}

bool RtlDevice::bus_access(bool write, uint32_t addr, uint32_t& data, bool& error) {
  top_->host_req_valid_i = 1;
  top_->host_req_write_i = write;
  top_->host_req_addr_i = static_cast<uint16_t>(addr);
  top_->host_req_wdata_i = write ? data : 0;
  const uint64_t deadline = cycle_ + kAccessTimeoutCycles;
  for (;;) {
    tick();
    if (req_ready_) break;
    if (cycle_ >= deadline) {
      top_->host_req_valid_i = 0;
      return false;
    }
  }
  top_->host_req_valid_i = 0;
  for (;;) {
    tick();
    if (rsp_valid_) break;
    if (cycle_ >= deadline) return false;
  }
  if (!write) data = rsp_rdata_;
  error = rsp_error_;
  return true;
}

void RtlDevice::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  const auto access = decode(trans);
  if (!access) return;
  catch_up(cycle_of(sc_core::sc_time_stamp() + delay));
  flush_probes();
  bool error = false;
  if (!bus_access(access->write, access->addr, *access->data, error)) {
    SC_REPORT_ERROR(name(), "register access timed out: the device did not answer");
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  } else {
    trans.set_response_status(error ? tlm::TLM_ADDRESS_ERROR_RESPONSE : tlm::TLM_OK_RESPONSE);
  }
  delay = time_of(cycle_) - sc_core::sc_time_stamp();
  if (!top_->quiet_o || top_->irq_wake_o != kNever || !probes_.empty()) kick_.notify(delay);
}

void RtlDevice::clock_thread() {
  for (;;) {
    catch_up(cycle_of(sc_core::sc_time_stamp()));
    flush_probes();
    const sc_time now = sc_core::sc_time_stamp();
    if (top_->quiet_o) {
      // Only a coalescing time limit can change anything before the next access.
      const uint64_t wake = top_->irq_wake_o;
      if (wake == kNever) {
        wait(kick_);
      } else {
        const sc_time when = time_of(wake > cycle_ ? wake : cycle_);
        if (when > now) {
          wait(when - now, kick_);
        } else {
          tick();
        }
      }
      continue;
    }
    const bool irq_before = irq_level_;
    for (uint64_t n = 0; n < kChunkCycles && irq_level_ == irq_before; ++n) {
      if (top_->quiet_o) break;
      tick();
    }
    flush_probes();
    const sc_time lead = time_of(cycle_) - sc_core::sc_time_stamp();
    if (lead > sc_core::SC_ZERO_TIME) wait(lead);
  }
}

void RtlDevice::irq_method() {
  const sc_time now = sc_core::sc_time_stamp();
  bool level = irq.read();
  while (!irq_edges_.empty() && time_of(irq_edges_.front().cycle) <= now) {
    level = irq_edges_.front().level;
    irq_edges_.pop_front();
  }
  irq.write(level);
  if (!irq_edges_.empty()) irq_update_.notify(time_of(irq_edges_.front().cycle) - now);
}

}  // namespace kmtsim::sc
