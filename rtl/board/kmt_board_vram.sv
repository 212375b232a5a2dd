// VRAM of the board: one channel of the memory controller's DRAM command bus
// served by on-chip RAM (SPRAM on the UP5K, block RAM on the HX8K).
//
// It behaves as the DRAM the controller was built for, with the ice40
// preset's fixed timing. A RD or WR carries the bank's open row (kmt_mc
// drives it on dram_row_o for checking), so the RAM keeps no row state:
// ACT, PRE, PREA, REF and REFB need nothing from it. A RD in cycle t
// returns the line in cycle t + 2 (CL = 2); write data comes the cycle
// after its WR (what the controller does) and is written with its byte
// strobe. A line's place is
// {row, bank, column}; with fewer than 2^(RowW+BaW+ColW) lines of RAM
// (AddrW smaller) the upper bits are ignored and VRAM repeats.
//
// One RAM port: a RD uses it the cycle after the command, write data the
// cycle it arrives; one command per cycle keeps them apart.

`include "rtl/mc/kmt_dram_pkg.sv"

`default_nettype none

module kmt_board_vram #(
  parameter int unsigned BaW   = 1,
  parameter int unsigned RowW  = 9,
  parameter int unsigned ColW  = 4,
  parameter int unsigned DataW = 64,
  parameter int unsigned AddrW = 14,  // lines of RAM: 2^AddrW
  localparam int unsigned StrbW = DataW / 8,
  localparam int unsigned LineW = RowW + BaW + ColW
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic [2:0]       cmd_i,       // kmt_dram_pkg::cmd_e
  input  logic [BaW-1:0]   ba_i,
  input  logic [RowW-1:0]  row_i,
  input  logic [ColW-1:0]  col_i,
  input  logic             wdata_valid_i,
  input  logic [DataW-1:0] wdata_i,
  input  logic [StrbW-1:0] wstrb_i,
  output logic             rvalid_o,
  output logic [DataW-1:0] rdata_o
);

  logic [LineW-1:0] line, line_q;
  logic             rd_q, rvalid_q;
  logic [AddrW-1:0] addr;

  assign line = {row_i, ba_i, col_i};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q     <= 1'b0;
      rvalid_q <= 1'b0;
    end else begin
      rd_q     <= (cmd_i == kmt_dram_pkg::CmdRd);
      rvalid_q <= rd_q;
    end
  end

  // The address of the last RD or WR: no reset.
  always_ff @(posedge clk_i) begin
    if (cmd_i == kmt_dram_pkg::CmdRd || cmd_i == kmt_dram_pkg::CmdWr) begin
      line_q <= line;
    end
  end

  assign addr = line_q[AddrW-1:0];

  // The RAM: one port, byte writes, a registered read.
  logic [DataW-1:0] mem_q [1 << AddrW];
  logic [DataW-1:0] rdata_q;

  always_ff @(posedge clk_i) begin
    if (wdata_valid_i) begin
      for (int unsigned b = 0; b < StrbW; b++) begin
        if (wstrb_i[b]) begin
          mem_q[addr][b*8 +: 8] <= wdata_i[b*8 +: 8];
        end
      end
    end else if (rd_q) begin
      rdata_q <= mem_q[addr];
    end
  end

  assign rvalid_o = rvalid_q;
  assign rdata_o  = rdata_q;

  logic unused_line;
  if (LineW > AddrW) begin : g_alias
    assign unused_line = ^line_q[LineW-1:AddrW];
  end else begin : g_no_alias
    assign unused_line = 1'b0;
  end

endmodule

`default_nettype wire
