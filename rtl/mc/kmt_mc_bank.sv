// One DRAM bank: its state machine (idle / active with an open row) and the
// wait counters that say when each command may next be sent to it. Every
// command on the channel's bus is broadcast to every bank; each bank applies
// the gaps that command imposes on it (its own ACT/RD/WR/PRE, and the
// bank-group and data-bus gaps of commands to other banks). A counter at 0
// means "allowed this cycle"; on a command it loads max(counter - 1, gap - 1).
// The counters are GapW bits: every gap - 1 must fit (kmt_mc_gaps checks it),
// so a counter never holds more.

`include "rtl/mc/kmt_dram_pkg.sv"
`include "rtl/mc/kmt_mc_pkg.sv"

`default_nettype none

module kmt_mc_bank #(
  parameter int unsigned RowW = 15,
  parameter int unsigned GapW = kmt_mc_pkg::CntW
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  kmt_mc_pkg::gaps_t     gaps_i,

  // The command on the bus this cycle (CmdNop when none).
  input  kmt_dram_pkg::cmd_e    cmd_i,
  input  logic                  cmd_this_bank_i,   // addresses this bank
  input  logic                  cmd_same_group_i,  // addresses this bank's group
  input  logic [RowW-1:0]       cmd_row_i,

  output logic                  open_o,
  output logic [RowW-1:0]       row_o,
  output logic                  act_ok_o,   // ACT, REF or REFB timing met (bank closed or not)
  output logic                  pre_ok_o,   // PRE timing met (tRAS, tRTP, tWR)
  output logic                  ras_ok_o,   // tRAS met
  output logic                  rd_ok_o,    // RD timing met
  output logic                  wr_ok_o,    // WR timing met
  output logic                  quiet_o     // every wait counter has run out
);

  localparam int unsigned W = GapW;

  typedef enum logic {
    StIdle,
    StActive
  } bank_state_e;

  bank_state_e     state_q, state_d;
  logic [RowW-1:0] row_q, row_d;
  logic [W-1:0]    act_q, act_d, pre_q, pre_d, ras_q, ras_d, rd_q, rd_d, wr_q, wr_d;

  // tFAW is a channel-wide window, kept by the channel; above GapW the gaps are 0.
  logic unused_gaps;
  assign unused_gaps = ^gaps_i;

  function automatic logic [W-1:0] dec(input logic [W-1:0] c);
    dec = (c == '0) ? '0 : c - W'(1);
  endfunction

  function automatic logic [W-1:0] max2(input logic [W-1:0] a, input logic [W-1:0] b);
    max2 = (a > b) ? a : b;
  endfunction

  always_comb begin
    state_d = state_q;
    row_d   = row_q;
    act_d   = dec(act_q);
    pre_d   = dec(pre_q);
    ras_d   = dec(ras_q);
    rd_d    = dec(rd_q);
    wr_d    = dec(wr_q);

    unique case (cmd_i)
      kmt_dram_pkg::CmdAct: begin
        if (cmd_this_bank_i) begin
          state_d = StActive;
          row_d   = cmd_row_i;
          act_d   = max2(act_d, W'(gaps_i.rc));
          pre_d   = max2(pre_d, W'(gaps_i.ras));
          ras_d   = max2(ras_d, W'(gaps_i.ras));
          rd_d    = max2(rd_d, W'(gaps_i.rcd_rd));
          wr_d    = max2(wr_d, W'(gaps_i.rcd_wr));
        end else if (cmd_same_group_i) begin
          act_d = max2(act_d, W'(gaps_i.rrd_l));
        end else begin
          act_d = max2(act_d, W'(gaps_i.rrd_s));
        end
      end
      kmt_dram_pkg::CmdRd: begin
        if (cmd_same_group_i) begin
          rd_d = max2(rd_d, W'(gaps_i.rd2rd_l));
          wr_d = max2(wr_d, W'(gaps_i.rd2wr_l));
        end else begin
          rd_d = max2(rd_d, W'(gaps_i.rd2rd_s));
          wr_d = max2(wr_d, W'(gaps_i.rd2wr_s));
        end
        if (cmd_this_bank_i) begin
          pre_d = max2(pre_d, W'(gaps_i.rtp));
        end
      end
      kmt_dram_pkg::CmdWr: begin
        if (cmd_same_group_i) begin
          wr_d = max2(wr_d, W'(gaps_i.wr2wr_l));
          rd_d = max2(rd_d, W'(gaps_i.wr2rd_l));
        end else begin
          wr_d = max2(wr_d, W'(gaps_i.wr2wr_s));
          rd_d = max2(rd_d, W'(gaps_i.wr2rd_s));
        end
        if (cmd_this_bank_i) begin
          pre_d = max2(pre_d, W'(gaps_i.wr2pre));
        end
      end
      kmt_dram_pkg::CmdPre: begin
        if (cmd_this_bank_i && state_q == StActive) begin
          state_d = StIdle;
          act_d   = max2(act_d, W'(gaps_i.rp));
        end
      end
      kmt_dram_pkg::CmdPrea: begin
        if (state_q == StActive) begin
          state_d = StIdle;
          act_d   = max2(act_d, W'(gaps_i.rp));
        end
      end
      kmt_dram_pkg::CmdRef: begin
        act_d = max2(act_d, W'(gaps_i.rfc));
      end
      kmt_dram_pkg::CmdRefb: begin
        if (cmd_this_bank_i) begin
          act_d = max2(act_d, W'(gaps_i.rfcb));
        end else if (cmd_same_group_i) begin
          act_d = max2(act_d, W'(gaps_i.rrd_l));
        end else begin
          act_d = max2(act_d, W'(gaps_i.rrd_s));
        end
      end
      default: ;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      row_q   <= '0;
      act_q   <= '0;
      pre_q   <= '0;
      ras_q   <= '0;
      rd_q    <= '0;
      wr_q    <= '0;
    end else begin
      state_q <= state_d;
      row_q   <= row_d;
      act_q   <= act_d;
      pre_q   <= pre_d;
      ras_q   <= ras_d;
      rd_q    <= rd_d;
      wr_q    <= wr_d;
    end
  end

  assign open_o   = (state_q == StActive);
  assign row_o    = row_q;
  assign act_ok_o = (act_q == '0);
  assign pre_ok_o = (pre_q == '0);
  assign ras_ok_o = (ras_q == '0);
  assign rd_ok_o  = (rd_q == '0);
  assign wr_ok_o  = (wr_q == '0);
  assign quiet_o  = (act_q == '0) && (pre_q == '0) && (ras_q == '0) && (rd_q == '0) && (wr_q == '0);

endmodule

`default_nettype wire
