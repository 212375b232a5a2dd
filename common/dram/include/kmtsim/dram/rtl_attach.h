// The DRAM side of a Verilated memory controller (kmt_mc, or kmt_device,
// which brings its channels' buses out): each channel's command bus and write
// data go to a DramModel (storage and checker), and read data comes back on
// the read pins CL cycles after its RD.
//
// Per DRAM clock cycle t: drive(m, t) before the model is evaluated with the
// clock low, sample(m, t) after that evaluation (the DRAM takes the command
// bus at the rising edge that ends the cycle). Header only: it is a template
// over the Verilated class, whose ports it names:
//   dram_cmd_valid_o, dram_cmd_o, dram_bg_o, dram_ba_o, dram_row_o,
//   dram_col_o, dram_wdata_valid_o, dram_wdata_o, dram_wstrb_o,
//   dram_rvalid_i, dram_rdata_i.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/storage.h"
#include "kmtsim/dram/vl_bits.h"

namespace kmtsim::dram {

template <class Model>
class RtlDramPins {
 public:
  // data_w: bits of one line (the controller's DataW).
  RtlDramPins(DramModel& dram, const AddressMap& map, unsigned channels, unsigned data_w)
      : dram_(dram),
        channels_(channels),
        data_w_(data_w),
        bgw_(std::max(1u, map.bankgroup().width)),
        baw_(std::max(1u, map.bank().width)),
        roww_(std::max(1u, map.row().width)),
        colw_(std::max(1u, map.column().width)),
        has_bg_(map.bankgroup().width != 0),
        has_ba_(map.bank().width != 0),
        has_col_(map.column().width != 0),
        buf_(data_w / 32),
        strobe_((data_w / 8 + 31) / 32) {}

  // Read data due in cycle `cycle`.
  void drive(Model& m, uint64_t cycle) {
    if (!rvalid_driven_ && dram_.next_read_due() > cycle) return;
    rvalid_driven_ = false;
    for (unsigned c = 0; c < channels_; ++c) {
      const bool v = dram_.read_return(c, cycle, buf_);
      set_bits(m.dram_rvalid_i, c, 1, v);
      if (v) {
        set_words(m.dram_rdata_i, c * data_w_, std::span<const uint32_t>(buf_));
        rvalid_driven_ = true;
      }
    }
  }

  // The commands and write data of cycle `cycle`.
  void sample(Model& m, uint64_t cycle) {
    if (get_bits(m.dram_wdata_valid_o, 0, channels_) != 0) {
      for (unsigned c = 0; c < channels_; ++c) {
        if (!get_bits(m.dram_wdata_valid_o, c, 1)) continue;
        get_words(m.dram_wdata_o, c * data_w_, std::span<uint32_t>(buf_));
        const unsigned sw = data_w_ / 8;
        for (unsigned i = 0; i < strobe_.size(); ++i) {
          const unsigned n = std::min(32u, sw - 32 * i);
          strobe_[i] = static_cast<uint32_t>(get_bits(m.dram_wstrb_o, c * sw + 32 * i, n));
        }
        dram_.write_data(c, cycle, buf_, strobe_);
      }
    }
    if (get_bits(m.dram_cmd_valid_o, 0, channels_) == 0) return;
    for (unsigned c = 0; c < channels_; ++c) {
      if (!get_bits(m.dram_cmd_valid_o, c, 1)) continue;
      DramCommand dc;
      dc.cmd = static_cast<Cmd>(get_bits(m.dram_cmd_o, 3 * c, 3));
      dc.bankgroup = has_bg_ ? static_cast<uint32_t>(get_bits(m.dram_bg_o, c * bgw_, bgw_)) : 0;
      dc.bank = has_ba_ ? static_cast<uint32_t>(get_bits(m.dram_ba_o, c * baw_, baw_)) : 0;
      dc.row = static_cast<uint32_t>(get_bits(m.dram_row_o, c * roww_, roww_));
      dc.column = has_col_ ? static_cast<uint32_t>(get_bits(m.dram_col_o, c * colw_, colw_)) : 0;
      dram_.command(c, cycle, dc);
      if (on_command) on_command(c, cycle, dc);
    }
  }

  // Called with every command after the model took it.
  std::function<void(unsigned channel, uint64_t cycle, const DramCommand&)> on_command;

 private:
  DramModel& dram_;
  unsigned channels_, data_w_;
  unsigned bgw_, baw_, roww_, colw_;
  bool has_bg_, has_ba_, has_col_;
  bool rvalid_driven_ = true;  // the pins start undefined: drive them once
  std::vector<uint32_t> buf_;
  std::vector<uint32_t> strobe_;
};

}  // namespace kmtsim::dram
