// FR-FCFS command picker of one channel (combinational). The transaction
// queue is age-ordered: entry 0 is the oldest. For each entry the next
// command is RD/WR (its bank is open on its row: a row hit), ACT (its bank
// is closed) or PRE (its bank is open on another row). An entry is ready when
// that command's timing is met and nothing blocks it. Choice, first match:
//   1. the oldest ready entry that has been bypassed StarveCap times (urgent);
//   2. the oldest ready row hit (first-ready);
//   3. the oldest ready ACT or PRE (first-come).
// Starvation cap: a row hit is held back when an older urgent entry waits for
// another row of its bank (a "blocked" hit); a PRE waits until the bank has
// no unblocked hits queued. So hits older than the urgent entry drain, the
// younger ones wait, the row closes and the urgent entry gets its ACT.
// Refresh blocks ACT and column commands channel-wide (act_block_i,
// col_block_i) or everything for the banks in bank_block_i.

`include "rtl/mc/kmt_dram_pkg.sv"

`default_nettype none

module kmt_mc_sched #(
  parameter int unsigned Depth = 8,
  parameter int unsigned NumBanks = 16,
  parameter int unsigned RowW = 15,
  localparam int unsigned BankW = (NumBanks > 1) ? $clog2(NumBanks) : 1,
  localparam int unsigned IdxW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic [Depth-1:0]          ent_valid_i,
  input  logic [Depth-1:0]          ent_write_i,
  input  logic [Depth-1:0]          ent_urgent_i,
  input  logic [Depth*BankW-1:0]    ent_bank_i,
  input  logic [Depth*RowW-1:0]     ent_row_i,

  input  logic [NumBanks-1:0]       bank_open_i,
  input  logic [NumBanks*RowW-1:0]  bank_row_i,
  input  logic [NumBanks-1:0]       can_act_i,
  input  logic [NumBanks-1:0]       can_pre_i,
  input  logic [NumBanks-1:0]       can_rd_i,
  input  logic [NumBanks-1:0]       can_wr_i,
  input  logic [NumBanks-1:0]       bank_block_i,
  input  logic                      act_block_i,
  input  logic                      col_block_i,
  input  logic                      rd_credit_i,  // room for read data
  input  logic                      wr_credit_i,  // room for a write acknowledgement

  output logic                      pick_valid_o,
  output logic [IdxW-1:0]           pick_idx_o,
  output kmt_dram_pkg::cmd_e        pick_cmd_o
);

  logic [Depth-1:0]    hit, conflict, closed, col_rdy, act_rdy, pre_rdy, rdy;
  logic [Depth-1:0]    live_hit;
  logic [NumBanks-1:0] urgent_seen, live_hit_any;
  logic [BankW-1:0]    b;
  logic                found;

  always_comb begin
    hit          = '0;
    conflict     = '0;
    closed       = '0;
    live_hit     = '0;
    urgent_seen  = '0;
    live_hit_any = '0;
    for (int unsigned i = 0; i < Depth; i++) begin
      b = ent_bank_i[i*BankW +: BankW];
      if (ent_valid_i[i]) begin
        if (!bank_open_i[b]) begin
          closed[i] = 1'b1;
        end else if (bank_row_i[b*RowW +: RowW] == ent_row_i[i*RowW +: RowW]) begin
          hit[i] = 1'b1;
        end else begin
          conflict[i] = 1'b1;
        end
      end
      // Oldest first: urgent_seen[b] says an older urgent entry wants another row of b.
      if (hit[i] && !urgent_seen[b]) begin
        live_hit[i]     = 1'b1;
        live_hit_any[b] = 1'b1;
      end
      if (ent_valid_i[i] && ent_urgent_i[i] && !hit[i]) begin
        urgent_seen[b] = 1'b1;
      end
    end

    for (int unsigned i = 0; i < Depth; i++) begin
      b = ent_bank_i[i*BankW +: BankW];
      col_rdy[i] = live_hit[i] && !bank_block_i[b] && !col_block_i &&
                   (ent_write_i[i] ? (can_wr_i[b] && wr_credit_i) : (can_rd_i[b] && rd_credit_i));
      act_rdy[i] = closed[i] && !bank_block_i[b] && !act_block_i && can_act_i[b];
      pre_rdy[i] = conflict[i] && !bank_block_i[b] && can_pre_i[b] && !live_hit_any[b];
      rdy[i]     = col_rdy[i] || act_rdy[i] || pre_rdy[i];
    end

    // Oldest first within each class: scan from the youngest, the last match wins.
    found      = 1'b0;
    pick_idx_o = '0;
    for (int i = Depth - 1; i >= 0; i--) begin
      if (rdy[i] && ent_urgent_i[i]) begin
        found      = 1'b1;
        pick_idx_o = IdxW'(i);
      end
    end
    if (!found) begin
      for (int i = Depth - 1; i >= 0; i--) begin
        if (col_rdy[i]) begin
          found      = 1'b1;
          pick_idx_o = IdxW'(i);
        end
      end
    end
    if (!found) begin
      for (int i = Depth - 1; i >= 0; i--) begin
        if (act_rdy[i] || pre_rdy[i]) begin
          found      = 1'b1;
          pick_idx_o = IdxW'(i);
        end
      end
    end

    pick_valid_o = found;
    pick_cmd_o   = kmt_dram_pkg::CmdNop;
    if (found) begin
      if (col_rdy[pick_idx_o]) begin
        pick_cmd_o = ent_write_i[pick_idx_o] ? kmt_dram_pkg::CmdWr : kmt_dram_pkg::CmdRd;
      end else if (act_rdy[pick_idx_o]) begin
        pick_cmd_o = kmt_dram_pkg::CmdAct;
      end else begin
        pick_cmd_o = kmt_dram_pkg::CmdPre;
      end
    end
  end

endmodule

`default_nettype wire
