// Interrupt records and their coalescing. Records (fence, value, source,
// ring, critical) enter a first-word-fall-through FIFO of Depth entries; one
// that finds the FIFO full (and not popped in that cycle) is dropped, and
// dropped_o pulses (IRQ_STATUS.OVERFLOW). Each record keeps the timebase of
// its push; its wait starts in the next cycle, the first it is visible.
//
// fence_o (IRQ_STATUS.FENCE) is high while records wait and, since the FIFO
// was last empty, the coalescing condition has held at some cycle: a
// latency-critical record waits, or at least max(COUNT, 1) records wait, or
// TIME != 0 and the oldest waiting record has waited TIME cycles (timebase
// minus its visible cycle >= TIME). It is combinational in the cycle the
// condition first holds and then held by fence_q until the FIFO empties.
//
// quiet_o: the next clock changes nothing here unless a record is pushed or
// popped; wake_o is the timebase at which the TIME condition will raise
// fence_o if nothing else happens first (all ones: never).
//
// OutReg = 1 (the board build) keeps the FIFO's head in the block RAM's
// output register instead of a bypass register of a whole record beside
// it: a record becomes visible two cycles after its push instead of one,
// the FIFO holds Depth + 1 records, and a full FIFO drops a record even in
// a cycle the head is popped. The head's wait still counts from the cycle
// after its push.

`include "rtl/kmt_arith_pkg.sv"

`default_nettype none

module kmt_irq #(
  parameter int unsigned Depth = 16,
  parameter int unsigned IdxW  = 6,
  parameter bit          OutReg = 1'b0,
  localparam int unsigned LvlW = $clog2(Depth + 1 + 32'(OutReg))
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic [63:0]     timebase_i,

  // IRQ_COALESCE.
  input  logic [7:0]      count_i,
  input  logic [23:0]     time_i,

  input  logic            push_i,
  input  logic [IdxW-1:0] push_fence_i,
  input  logic [63:0]     push_value_i,
  input  logic            push_src_i,     // 1: a ring signalled
  input  logic [3:0]      push_ring_i,
  input  logic            push_crit_i,
  output logic            dropped_o,

  output logic            head_valid_o,
  output logic [IdxW-1:0] head_fence_o,
  output logic [63:0]     head_value_o,
  output logic            head_src_o,
  output logic [3:0]      head_ring_o,
  output logic            head_crit_o,
  input  logic            pop_i,

  output logic            fence_o,
  output logic            quiet_o,
  output logic [63:0]     wake_o
);

  localparam int unsigned RecW = 1 + 1 + 4 + IdxW + 64 + 32;

  logic            wready, rvalid, do_push, do_pop, unused_fifo_empty;
  logic [RecW-1:0] rdata;
  logic [LvlW-1:0] level, level_d;
  logic [31:0]     head_ts, elapsed;
  logic [LvlW-1:0] crit_q, crit_d;
  logic            fence_q, fence_d, time_hit, cond;
  logic [8:0]      count_thr;
  logic [31:0]     time_left;

  kmt_fifo #(
    .Width    (RecW),
    .Depth    (Depth),
    .OutReg   (OutReg),
    .BlockRam (OutReg)
  ) u_fifo (
    .clk_i,
    .rst_ni,
    .clr_i    (1'b0),
    .wvalid_i (push_i),
    .wready_o (wready),
    .wdata_i  ({push_crit_i, push_src_i, push_ring_i, push_fence_i, push_value_i, timebase_i[31:0]}),
    .rvalid_o (rvalid),
    .rready_i (pop_i),
    .rdata_o  (rdata),
    .level_o  (level),
    .empty_o  (unused_fifo_empty)
  );

  assign {head_crit_o, head_src_o, head_ring_o, head_fence_o, head_value_o, head_ts} = rdata;
  assign head_valid_o = rvalid;
  assign do_push      = push_i && wready;
  assign do_pop       = pop_i && rvalid;
  assign dropped_o    = push_i && !wready;

  always_comb begin
    level_d = level;
    crit_d  = crit_q;
    if (do_push && !do_pop) begin
      level_d = level + LvlW'(1);
    end else if (do_pop && !do_push) begin
      level_d = level - LvlW'(1);
    end
    if (do_push && push_crit_i && !(do_pop && head_crit_o)) begin
      crit_d = crit_q + LvlW'(1);
    end else if (do_pop && head_crit_o && !(do_push && push_crit_i)) begin
      crit_d = crit_q - LvlW'(1);
    end
  end

  // Wait of the head record (modulo 2^32: the TIME limit is below 2^24 and a
  // waiting record is looked at no later than its deadline): timebase minus
  // (push timebase + 1), which is timebase + ~push timebase.
  assign elapsed   = timebase_i[31:0] + ~head_ts;
  assign time_hit  = (time_i != '0) && ((elapsed[31:24] != '0) || !kmt_arith_pkg::lt(64'(elapsed[23:0]), 64'(time_i)));
  assign time_left = 32'(time_i) - elapsed;
  assign count_thr = (count_i <= 8'd1) ? 9'd1 : 9'(count_i);
  assign cond      = (crit_q != '0) || (9'(level) >= count_thr) || time_hit;
  assign fence_o   = rvalid && (fence_q || cond);
  assign fence_d   = fence_o && (level_d != '0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      crit_q  <= '0;
      fence_q <= 1'b0;
    end else begin
      crit_q  <= crit_d;
      fence_q <= fence_d;
    end
  end

  // With OutReg a record moves from the RAM to the head register by itself.
  assign quiet_o = (fence_d == fence_q) && (rvalid || level == '0);
  always_comb begin
    wake_o = '1;
    if (rvalid && !fence_o && time_i != '0) begin
      wake_o = timebase_i + 64'(time_left);
    end
  end

endmodule

`default_nettype wire
