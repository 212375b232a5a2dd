// The Verilated model is a plain C++ (--cc) model: its headers must come
// before any SystemC header, or verilated.h takes this for a SystemC build.
#include "Vkmt_device.h"
#include "verilated.h"

#include "rtl_device.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace kmtsim::sc {

using sc_core::sc_time;

namespace {
// Cycles the adapter runs ahead of SystemC time before it synchronises.
constexpr uint64_t kChunkCycles = 256;
// A register access that takes longer than this is a device fault.
constexpr uint64_t kAccessTimeoutCycles = 100'000;
}  // namespace

DeviceConfig RtlDevice::built_config() {
  DeviceConfig c;
  c.num_fences = KMTSIM_RTL_NUM_FENCES;
  c.irq_fifo_depth = KMTSIM_RTL_IRQ_FIFO_DEPTH;
  c.cp_queue_depth = KMTSIM_RTL_CP_QUEUE_DEPTH;
  return c;
}

RtlDevice::RtlDevice(const sc_core::sc_module_name& name, const DeviceConfig& config)
    : Device(name, config), context_(std::make_unique<VerilatedContext>()) {
  DeviceConfig built = built_config();
  built.clock_period = config.clock_period;
  if (!(built == config)) {
    std::ostringstream msg;
    msg << "the RTL was built with " << built.num_fences << " fences, an interrupt FIFO of "
        << built.irq_fifo_depth << " and a command queue of " << built.cp_queue_depth << "; asked for "
        << config.num_fences << ", " << config.irq_fifo_depth << " and " << config.cp_queue_depth;
    throw std::invalid_argument(msg.str());
  }
  context_->commandArgs(0, static_cast<const char**>(nullptr));
  skip_idle_ = std::getenv("KMTSIM_RTL_TICK_IDLE") == nullptr;
  top_ = std::make_unique<Vkmt_device>(context_.get(), "kmt_device");
  top_->clk_i = 0;
  top_->rst_ni = 0;
  top_->host_req_valid_i = 0;
  top_->eval();
  top_->rst_ni = 1;
  top_->eval();
  irq_level_ = top_->irq_o;

  SC_HAS_PROCESS(RtlDevice);
  SC_THREAD(clock_thread);
  SC_METHOD(irq_method);
  sensitive << irq_update_;
}

RtlDevice::~RtlDevice() {
  if (top_) top_->final();
}

void RtlDevice::tick() {
  top_->timebase_i = cycle_;
  top_->clk_i = 1;
  top_->eval();
  top_->clk_i = 0;
  top_->eval();
  ++cycle_;
  if (static_cast<bool>(top_->irq_o) != irq_level_) {
    irq_level_ = top_->irq_o;
    irq_edges_.push_back({cycle_, irq_level_});
    irq_update_.notify(model_time() - sc_core::sc_time_stamp());
  }
}

void RtlDevice::catch_up(const sc_time& t) {
  const uint64_t period = config().clock_period.value();
  const uint64_t target = (t.value() + period - 1) / period;
  while (cycle_ < target) {
    if (skip_idle_ && !top_->busy_o) {
      // Idle: nothing in the device changes until the next access, so the
      // cycles in between need no clock (the timebase is an input).
      cycle_ = target;
      top_->timebase_i = cycle_;
      top_->eval();
      return;
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
    top_->eval();
    const bool accepted = top_->host_req_ready_o;
    tick();
    if (accepted) break;
    if (cycle_ >= deadline) {
      top_->host_req_valid_i = 0;
      return false;
    }
  }
  top_->host_req_valid_i = 0;
  top_->eval();
  while (!top_->host_rsp_valid_o) {
    if (cycle_ >= deadline) return false;
    tick();
  }
  if (!write) data = top_->host_rsp_rdata_o;
  error = top_->host_rsp_error_o;
  return true;
}

void RtlDevice::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  const auto access = decode(trans);
  if (!access) return;
  catch_up(sc_core::sc_time_stamp() + delay);
  bool error = false;
  if (!bus_access(access->write, access->addr, *access->data, error)) {
    SC_REPORT_ERROR(name(), "register access timed out: the device did not answer");
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  } else {
    trans.set_response_status(error ? tlm::TLM_ADDRESS_ERROR_RESPONSE : tlm::TLM_OK_RESPONSE);
  }
  delay = model_time() - sc_core::sc_time_stamp();
  if (top_->busy_o) kick_.notify(delay);
}

void RtlDevice::clock_thread() {
  for (;;) {
    if (!top_->busy_o) wait(kick_);
    catch_up(sc_core::sc_time_stamp());
    const bool irq_before = top_->irq_o;
    for (uint64_t n = 0; n < kChunkCycles && top_->busy_o && top_->irq_o == irq_before; ++n) tick();
    const sc_time lead = model_time() - sc_core::sc_time_stamp();
    if (lead > sc_core::SC_ZERO_TIME) wait(lead);
  }
}

void RtlDevice::irq_method() {
  const sc_time now = sc_core::sc_time_stamp();
  bool level = irq.read();
  while (!irq_edges_.empty() &&
         config().clock_period * static_cast<double>(irq_edges_.front().cycle) <= now) {
    level = irq_edges_.front().level;
    irq_edges_.pop_front();
  }
  irq.write(level);
  if (!irq_edges_.empty()) {
    irq_update_.notify(config().clock_period * static_cast<double>(irq_edges_.front().cycle) - now);
  }
}

}  // namespace kmtsim::sc
