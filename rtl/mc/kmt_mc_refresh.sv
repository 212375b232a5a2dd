// Refresh manager of one channel. One refresh is owed per interval (tREFI
// all-bank, tREFIb per-bank); refreshes owed are counted (up to MaxOwed) and
// paid as soon as the banks allow. The intervals are kept on the system
// timebase (timebase_i, device clock cycles since reset): due_o is the
// timebase value at which the next refresh falls due, loaded in the first
// enabled cycle after reset as timebase + interval and moved on by one
// interval each time it is reached. So the manager changes nothing in the
// cycles between two due times while it owes nothing (quiet_o), and a host
// may skip clocking them: the due time does not depend on being clocked.
// DueW below 64 keeps the due time modulo 2^DueW and compares it with the
// timebase by the sign of their difference: the same while the timebase
// never runs more than 2^(DueW-1) cycles past the due time or short of it,
// as when it is clocked every cycle and the interval is below 2^(DueW-1)
// (the board build); due_o is then rebuilt from the timebase.
//
// All-bank (per_bank_i = 0): StDrain stops new ACTs and lets row hits go on
// until every open bank has met tRAS; StClose also stops column commands and
// sends PREA once every open bank may be precharged; StRef sends REF once
// every bank has met tRP (and tRFC of the previous REF).
//
// Per-bank (per_bank_i = 1): each round refreshes every bank once, in any
// order. A refresh owed picks a bank of the round that no queued request
// targets (so streams are not disturbed); when ForceOwed refreshes are owed it
// takes the lowest bank of the round regardless. The chosen bank is blocked,
// precharged if open (StPbClose), then sent REFB (StPbRef).
//
// req_o sends cmd_o / bank_o on the command bus this cycle: the command is
// legal whenever req_o is high, and the channel always gives refresh the bus.

`include "rtl/mc/kmt_dram_pkg.sv"

`default_nettype none

module kmt_mc_refresh #(
  parameter int unsigned NumBanks = 16,
  parameter int unsigned MaxOwed = 8,
  parameter int unsigned ForceOwed = 4,
  parameter int unsigned DueW = 64,
  localparam int unsigned BankW = (NumBanks > 1) ? $clog2(NumBanks) : 1,
  localparam int unsigned OwedW = $clog2(MaxOwed + 1)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  en_i,         // low while the configuration is loading
  input  logic [15:0]           refi_i,
  input  logic [15:0]           refib_i,
  input  logic                  per_bank_i,
  input  logic [63:0]           timebase_i,

  input  logic [NumBanks-1:0]   bank_open_i,
  input  logic [NumBanks-1:0]   bank_act_ok_i,
  input  logic [NumBanks-1:0]   bank_pre_ok_i,
  input  logic [NumBanks-1:0]   bank_ras_ok_i,
  input  logic [NumBanks-1:0]   bank_busy_i,

  output logic                  req_o,
  output kmt_dram_pkg::cmd_e    cmd_o,
  output logic [BankW-1:0]      bank_o,

  output logic                  act_block_o,
  output logic                  col_block_o,
  output logic [NumBanks-1:0]   bank_block_o,
  output logic [OwedW-1:0]      owed_o,
  output logic [63:0]           due_o,
  // Nothing owed and nothing due this cycle: the next clock changes nothing.
  output logic                  quiet_o
);

  typedef enum logic [2:0] {
    StIdle,
    StDrain,
    StClose,
    StRef,
    StPbClose,
    StPbRef
  } ref_state_e;

  ref_state_e           state_q, state_d;
  logic [DueW-1:0]      due_q, due_d;
  logic                 reached;
  logic [63:0]          due_full;
  logic [15:0]          interval;
  logic [OwedW-1:0]     owed_q, owed_d;
  logic [NumBanks-1:0]  round_q, round_d;
  logic [BankW-1:0]     target_q, target_d;
  logic                 tick, all_ras_ok, all_pre_ok, all_act_ok, any_open;
  logic                 idle_found, any_found;
  logic [BankW-1:0]     idle_bank, any_bank;

  if (DueW >= 64) begin : g_due_full
    assign reached  = timebase_i >= 64'(due_q);
    assign due_full = 64'(due_q);
  end else begin : g_due_mod
    logic [DueW-1:0] ahead;  // due time minus timebase, modulo 2^DueW
    assign ahead    = due_q - timebase_i[DueW-1:0];
    assign reached  = (ahead == '0) || ahead[DueW-1];
    assign due_full = timebase_i + {{(64 - DueW){ahead[DueW-1]}}, ahead};
  end

  always_comb begin
    all_ras_ok = 1'b1;
    all_pre_ok = 1'b1;
    all_act_ok = 1'b1;
    any_open   = 1'b0;
    for (int unsigned b = 0; b < NumBanks; b++) begin
      if (bank_open_i[b]) begin
        any_open = 1'b1;
        all_ras_ok = all_ras_ok && bank_ras_ok_i[b];
        all_pre_ok = all_pre_ok && bank_pre_ok_i[b];
      end
      all_act_ok = all_act_ok && bank_act_ok_i[b];
    end
    // Candidates of the round: lowest idle one, lowest one.
    idle_found = 1'b0;
    any_found  = 1'b0;
    idle_bank  = '0;
    any_bank   = '0;
    for (int b = NumBanks - 1; b >= 0; b--) begin
      if (round_q[b]) begin
        any_found = 1'b1;
        any_bank  = BankW'(b);
        if (!bank_busy_i[b]) begin
          idle_found = 1'b1;
          idle_bank  = BankW'(b);
        end
      end
    end
  end

  always_comb begin
    state_d  = state_q;
    due_d    = due_q;
    owed_d   = owed_q;
    round_d  = round_q;
    target_d = target_q;
    req_o    = 1'b0;
    cmd_o    = kmt_dram_pkg::CmdNop;
    bank_o   = target_q;
    act_block_o  = 1'b0;
    col_block_o  = 1'b0;
    bank_block_o = '0;

    // Refreshes fall due at a fixed rate whatever the state.
    tick = 1'b0;
    if (!en_i) begin
      due_d = DueW'(timebase_i) + DueW'(interval);
    end else if (reached) begin
      tick  = 1'b1;
      due_d = due_q + DueW'(interval);
    end

    unique case (state_q)
      StIdle: begin
        if (owed_q != '0) begin
          if (!per_bank_i) begin
            state_d = StDrain;
          end else if (idle_found) begin
            target_d = idle_bank;
            state_d  = StPbClose;
          end else if (owed_q >= OwedW'(ForceOwed) && any_found) begin
            target_d = any_bank;
            state_d  = StPbClose;
          end
        end
      end
      StDrain: begin
        act_block_o = 1'b1;
        if (all_ras_ok) begin
          state_d = StClose;
        end
      end
      StClose: begin
        act_block_o = 1'b1;
        col_block_o = 1'b1;
        if (!any_open) begin
          state_d = StRef;
        end else if (all_pre_ok) begin
          req_o = 1'b1;
          cmd_o = kmt_dram_pkg::CmdPrea;
          state_d = StRef;
        end
      end
      StRef: begin
        act_block_o = 1'b1;
        col_block_o = 1'b1;
        if (all_act_ok) begin
          req_o = 1'b1;
          cmd_o = kmt_dram_pkg::CmdRef;
          state_d = StIdle;
        end
      end
      StPbClose: begin
        bank_block_o[target_q] = 1'b1;
        if (!bank_open_i[target_q]) begin
          state_d = StPbRef;
        end else if (bank_pre_ok_i[target_q]) begin
          req_o = 1'b1;
          cmd_o = kmt_dram_pkg::CmdPre;
          state_d = StPbRef;
        end
      end
      StPbRef: begin
        bank_block_o[target_q] = 1'b1;
        if (bank_act_ok_i[target_q]) begin
          req_o = 1'b1;
          cmd_o = kmt_dram_pkg::CmdRefb;
          state_d = StIdle;
          round_d[target_q] = 1'b0;
          if (round_d == '0) begin
            round_d = '1;
          end
        end
      end
      default: state_d = StIdle;
    endcase

    // Owed count: +1 per interval, -1 per REF/REFB sent.
    if (tick && !(req_o && (cmd_o == kmt_dram_pkg::CmdRef || cmd_o == kmt_dram_pkg::CmdRefb))) begin
      if (owed_q != OwedW'(MaxOwed)) begin
        owed_d = owed_q + OwedW'(1);
      end
    end else if (!tick && req_o &&
                 (cmd_o == kmt_dram_pkg::CmdRef || cmd_o == kmt_dram_pkg::CmdRefb)) begin
      owed_d = owed_q - OwedW'(1);
    end
  end

  assign interval = per_bank_i ? refib_i : refi_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= StIdle;
      due_q    <= '0;
      owed_q   <= '0;
      round_q  <= '1;
      target_q <= '0;
    end else begin
      state_q  <= state_d;
      due_q    <= due_d;
      owed_q   <= owed_d;
      round_q  <= round_d;
      target_q <= target_d;
    end
  end

  assign owed_o  = owed_q;
  assign due_o   = due_full;
  assign quiet_o = en_i && (state_q == StIdle) && (owed_q == '0) && !tick;

  // The owed count saturating would lose a refresh: it never gets there.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
    end else begin
      assert (owed_q != OwedW'(MaxOwed));
    end
  end

endmodule

`default_nettype wire
