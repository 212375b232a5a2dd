#include "kmtsim/dram/address_map.h"

#include <bit>
#include <stdexcept>
#include <string_view>

namespace kmtsim::dram {
namespace {

unsigned exact_log2(uint64_t n, const char* what) {
  if (n == 0 || !std::has_single_bit(n)) {
    throw std::invalid_argument(std::string(what) + " is not a power of two");
  }
  return static_cast<unsigned>(std::countr_zero(n));
}

uint32_t extract(uint64_t addr, AddressField f) {
  return f.width == 0 ? 0u : static_cast<uint32_t>((addr >> f.lsb) & ((uint64_t{1} << f.width) - 1));
}

uint64_t place(uint32_t v, AddressField f) {
  return f.width == 0 ? 0u : (uint64_t{v} & ((uint64_t{1} << f.width) - 1)) << f.lsb;
}

}  // namespace

AddressMap::AddressMap(const hw::dram::Preset& p) {
  offset_bits_ = exact_log2(p.request_bytes, "request_bytes");
  if (p.bus_width / 8 * p.BL != p.request_bytes) {
    throw std::invalid_argument("bus_width/8 x BL differs from request_bytes");
  }
  const unsigned col_bits = exact_log2(p.columns, "columns");
  const unsigned bl_bits = exact_log2(p.BL, "BL");
  if (col_bits < bl_bits) throw std::invalid_argument("fewer columns than BL");
  ch_.width = exact_log2(p.channels, "channels");
  ra_.width = exact_log2(p.ranks, "ranks");
  bg_.width = exact_log2(p.bankgroups, "bankgroups");
  ba_.width = exact_log2(p.banks_per_group, "banks_per_group");
  ro_.width = exact_log2(p.rows, "rows");
  co_.width = col_bits - bl_bits;

  const std::string_view m = p.address_mapping;
  if (m.size() != 12) throw std::invalid_argument("address mapping must have six two-letter fields");
  unsigned seen = 0;
  unsigned pos = offset_bits_;
  for (size_t i = m.size(); i >= 2; i -= 2) {  // least significant field last in the string
    const std::string_view tok = m.substr(i - 2, 2);
    AddressField* f = nullptr;
    unsigned bit = 0;
    if (tok == "ch") { f = &ch_; bit = 1; }
    else if (tok == "ra") { f = &ra_; bit = 2; }
    else if (tok == "bg") { f = &bg_; bit = 4; }
    else if (tok == "ba") { f = &ba_; bit = 8; }
    else if (tok == "ro") { f = &ro_; bit = 16; }
    else if (tok == "co") { f = &co_; bit = 32; }
    if (f == nullptr) throw std::invalid_argument("unknown address mapping field '" + std::string(tok) + "'");
    if (seen & bit) throw std::invalid_argument("address mapping field '" + std::string(tok) + "' given twice");
    seen |= bit;
    f->lsb = pos;
    pos += f->width;
  }
  address_bits_ = pos;
}

DramAddress AddressMap::decode(uint64_t addr) const {
  return DramAddress{extract(addr, ch_), extract(addr, ra_), extract(addr, bg_),
                     extract(addr, ba_), extract(addr, ro_), extract(addr, co_)};
}

uint64_t AddressMap::encode(const DramAddress& a) const {
  return place(a.channel, ch_) | place(a.rank, ra_) | place(a.bankgroup, bg_) | place(a.bank, ba_) |
         place(a.row, ro_) | place(a.column, co_);
}

std::string to_string(const DramAddress& a) {
  return "ch " + std::to_string(a.channel) + " ra " + std::to_string(a.rank) + " bg " +
         std::to_string(a.bankgroup) + " ba " + std::to_string(a.bank) + " row " + std::to_string(a.row) +
         " col " + std::to_string(a.column);
}

}  // namespace kmtsim::dram
