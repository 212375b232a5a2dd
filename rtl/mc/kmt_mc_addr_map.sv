// Splits a byte address into channel, bank group, bank, row and column (the
// request index within the row) by the preset's mapping: each field is a
// contiguous bit range (kmt_dram_pkg gives <Preset><Field>Lsb/Bits). A field
// of 0 bits decodes as 0. The byte offset within a request, the rank bits
// (one rank) and the bits above the mapped range are ignored.

`include "rtl/mc/kmt_dram_pkg.sv"

`default_nettype none

module kmt_mc_addr_map #(
  parameter int unsigned AddrW = 32,
  parameter int unsigned ChBits = 3,
  parameter int unsigned ChLsb = 10,
  parameter int unsigned BgBits = 2,
  parameter int unsigned BgLsb = 15,
  parameter int unsigned BaBits = 2,
  parameter int unsigned BaLsb = 13,
  parameter int unsigned RoBits = 15,
  parameter int unsigned RoLsb = 17,
  parameter int unsigned CoBits = 4,
  parameter int unsigned CoLsb = 6,
  localparam int unsigned ChW = (ChBits > 0) ? ChBits : 1,
  localparam int unsigned BgW = (BgBits > 0) ? BgBits : 1,
  localparam int unsigned BaW = (BaBits > 0) ? BaBits : 1,
  localparam int unsigned RoW = (RoBits > 0) ? RoBits : 1,
  localparam int unsigned CoW = (CoBits > 0) ? CoBits : 1
) (
  input  logic [AddrW-1:0] addr_i,
  output logic [ChW-1:0]   ch_o,
  output logic [BgW-1:0]   bg_o,
  output logic [BaW-1:0]   ba_o,
  output logic [RoW-1:0]   row_o,
  output logic [CoW-1:0]   col_o
);

  // Bits that select nothing (byte offset, rank, above the map) are unused by design.
  function automatic logic [AddrW-1:0] field_mask(input int unsigned lsb, input int unsigned bits);
    field_mask = '0;
    for (int unsigned i = 0; i < AddrW; i++) begin
      if (i >= lsb && i < lsb + bits) begin
        field_mask[i] = 1'b1;
      end
    end
  endfunction

  localparam logic [AddrW-1:0] UsedMask = field_mask(ChLsb, ChBits) | field_mask(BgLsb, BgBits) |
                                          field_mask(BaLsb, BaBits) | field_mask(RoLsb, RoBits) |
                                          field_mask(CoLsb, CoBits);

  logic unused_addr;
  assign unused_addr = ^(addr_i & ~UsedMask);

  if (ChBits > 0) begin : g_ch
    assign ch_o = addr_i[ChLsb +: ChW];
  end else begin : g_no_ch
    assign ch_o = '0;
  end
  if (BgBits > 0) begin : g_bg
    assign bg_o = addr_i[BgLsb +: BgW];
  end else begin : g_no_bg
    assign bg_o = '0;
  end
  if (BaBits > 0) begin : g_ba
    assign ba_o = addr_i[BaLsb +: BaW];
  end else begin : g_no_ba
    assign ba_o = '0;
  end
  if (RoBits > 0) begin : g_ro
    assign row_o = addr_i[RoLsb +: RoW];
  end else begin : g_no_ro
    assign row_o = '0;
  end
  if (CoBits > 0) begin : g_co
    assign col_o = addr_i[CoLsb +: CoW];
  end else begin : g_no_co
    assign col_o = '0;
  end

endmodule

`default_nettype wire
