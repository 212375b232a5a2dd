// Address mapping of a DRAM preset: a byte address to channel, rank, bank
// group, bank, row and column, following the preset's DRAMSim3-style mapping
// string (most significant field first; the byte offset of one request is
// lowest, and the column field counts requests, not DRAM columns).
#pragma once

#include <cstdint>
#include <string>

#include "kmtsim/hw/dram_presets.h"

namespace kmtsim::dram {

struct DramAddress {
  uint32_t channel = 0;
  uint32_t rank = 0;
  uint32_t bankgroup = 0;
  uint32_t bank = 0;  // within its bank group
  uint32_t row = 0;
  uint32_t column = 0;  // request index within the row
  bool operator==(const DramAddress&) const = default;
};

struct AddressField {
  unsigned lsb = 0;
  unsigned width = 0;
};

class AddressMap {
 public:
  // Throws std::invalid_argument on a malformed mapping string or geometry.
  explicit AddressMap(const hw::dram::Preset& preset);

  DramAddress decode(uint64_t addr) const;
  uint64_t encode(const DramAddress& a) const;  // byte offset 0

  AddressField channel() const { return ch_; }
  AddressField rank() const { return ra_; }
  AddressField bankgroup() const { return bg_; }
  AddressField bank() const { return ba_; }
  AddressField row() const { return ro_; }
  AddressField column() const { return co_; }
  unsigned offset_bits() const { return offset_bits_; }
  unsigned address_bits() const { return address_bits_; }  // offset included
  uint64_t capacity_bytes() const { return uint64_t{1} << address_bits_; }

 private:
  AddressField ch_, ra_, bg_, ba_, ro_, co_;
  unsigned offset_bits_ = 0;
  unsigned address_bits_ = 0;
};

std::string to_string(const DramAddress& a);

}  // namespace kmtsim::dram
