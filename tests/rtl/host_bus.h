// The host bus of kmt_device (and of test benches that bring it out: ports
// host_req_* and host_rsp_*), one access at a time, run to completion.
// The bench's step() clocks one cycle and calls seen(model) after
// evaluating the low phase, where the handshakes of the cycle are visible.
#pragma once

#include <cstdint>
#include <optional>

namespace kmtsim::test {

template <class Model>
class HostBus {
 public:
  void seen(const Model& m) {
    if (m.host_req_ready_o) taken_ = true;
    if (m.host_rsp_valid_o) {
      answered_ = true;
      rdata_ = m.host_rsp_rdata_o;
      error_ = m.host_rsp_error_o;
    }
  }

  // The answer, or nothing when the device did not take the request or did
  // not answer it within `timeout` cycles each.
  template <class Step>
  std::optional<uint32_t> access(Model& m, Step&& step, bool write, uint32_t addr, uint32_t data,
                                 uint64_t timeout = 100000) {
    m.host_req_valid_i = 1;
    m.host_req_write_i = write;
    m.host_req_addr_i = static_cast<uint16_t>(addr);
    m.host_req_wdata_i = data;
    taken_ = answered_ = false;
    for (uint64_t n = 0; !taken_ && n < timeout; ++n) step();
    m.host_req_valid_i = 0;
    if (!taken_) return std::nullopt;
    for (uint64_t n = 0; !answered_ && n < timeout; ++n) step();
    if (!answered_) return std::nullopt;
    return rdata_;
  }
  // The error flag of the last answer (an unmapped register).
  bool error() const { return error_; }

 private:
  bool taken_ = false, answered_ = false, error_ = false;
  uint32_t rdata_ = 0;
};

}  // namespace kmtsim::test
