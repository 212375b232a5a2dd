// Monitored-fence engine: a table of NumFences 64-bit fence values in block
// RAM, its write-back to VRAM, and the interrupt records that follow.
//
// Requesters: NumRings rings and the host (index NumRings), each with one
// request port (op: read, store, max) taken in round robin, one per cycle.
// A CPU signal stores its value (it may go down: a rewind); a ring signal
// takes max(current, value). Pipeline, for a request granted in cycle t:
//   t    (A) arbitration; the table is read at the granted fence;
//   t+1  (B) the new value is computed and written to the table (a one-entry
//            bypass covers back-to-back updates of one fence: the value is
//            the one stage C holds); probe upd_*;
//   t+2  (C) the update is broadcast on upd_* (ring WAITs compare against
//            it), a read is answered on rsp_*, and a signal enters the
//            write-back queue.
// Write-back queue (WbDepth entries, in signal order): with
// FENCE_WB_CONTROL.ENABLE the value goes to FENCE_WB_BASE + fence * 4096
// (8 bytes, strobe 0xFF, at offset 0 of a line) through memory-controller
// port 0, entries issued in order, one per cycle; a page outside VRAM is not
// written and counted (wb_errors_o, and a pulse on wb_error_o). An entry whose write-back was
// acknowledged (or that needs none) leaves the queue from its head, one per
// cycle, as an interrupt record (rec_*): records keep signal order. Signals
// are not granted while the queue, counting signals still in the pipeline,
// is full.
//
// After reset the table is swept to zero (init_o, NumFences cycles) before
// requests are taken; latency-critical bits (crit_*) are flops, cleared by
// reset.

`include "rtl/kmt_arith_pkg.sv"

`default_nettype none

module kmt_fence_engine #(
  parameter int unsigned NumFences = 64,
  parameter int unsigned NumRings  = 2,
  parameter int unsigned VramLog2  = 32,
  parameter int unsigned DataW     = 512,
  parameter int unsigned WbDepth   = 8,
  parameter int unsigned IdW       = 4,
  parameter bit          Ice40Dsp  = 1'b0,   // the 32-bit counters in SB_MAC16 blocks (kmt_counter)
  localparam int unsigned IdxW     = (NumFences > 1) ? $clog2(NumFences) : 1,
  localparam int unsigned NumReq   = NumRings + 1,
  localparam int unsigned ReqW     = (NumReq > 1) ? $clog2(NumReq) : 1,
  localparam int unsigned LineLog2 = $clog2(DataW / 8),
  localparam int unsigned StrbW    = DataW / 8
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  output logic                    init_o,
  output logic                    busy_o,

  // Requests (op: kmt_fence_engine op codes below), flattened per requester.
  input  logic [NumReq-1:0]       req_valid_i,
  output logic [NumReq-1:0]       req_ready_o,
  input  logic [NumReq*2-1:0]     req_op_i,
  input  logic [NumReq*IdxW-1:0]  req_fence_i,
  input  logic [NumReq*64-1:0]    req_value_i,
  // Read answers: rsp_valid_o[i] for requester i, the value on rsp_value_o.
  output logic [NumReq-1:0]       rsp_valid_o,
  output logic [63:0]             rsp_value_o,

  // Every applied signal, two cycles after its grant.
  output logic                    upd_valid_o,
  output logic [IdxW-1:0]         upd_fence_o,
  output logic [63:0]             upd_value_o,

  // FENCE_CRITICAL.
  input  logic                    crit_we_i,
  input  logic [IdxW-1:0]         crit_fence_i,
  input  logic                    crit_set_i,

  input  logic                    wb_enable_i,
  input  logic [63:12]            wb_base_i,    // FENCE_WB_BASE (4 KiB aligned)

  // Memory-controller port 0 (write-back).
  output logic                    wb_req_valid_o,
  input  logic                    wb_req_ready_i,
  output logic [VramLog2-1:0]     wb_req_addr_o,
  output logic [IdW-1:0]          wb_req_id_o,
  output logic [DataW-1:0]        wb_req_wdata_o,
  output logic [StrbW-1:0]        wb_req_wstrb_o,
  input  logic                    wb_rsp_valid_i,
  input  logic [IdW-1:0]          wb_rsp_id_i,

  // Interrupt records, in signal order.
  output logic                    rec_valid_o,
  output logic [IdxW-1:0]         rec_fence_o,
  output logic [63:0]             rec_value_o,
  output logic                    rec_src_o,   // 1: a ring
  output logic [3:0]              rec_ring_o,
  output logic                    rec_crit_o,

  output logic [31:0]             signal_count_o,
  output logic [31:0]             rewind_count_o,
  output logic [31:0]             wb_count_o,
  output logic [31:0]             wb_errors_o,
  output logic                    wb_error_o,   // a write-back page outside VRAM, counted this cycle

  // Probes: the table write (B), the write-back acknowledgement.
  output logic                    prb_upd_valid_o,
  output logic [IdxW-1:0]         prb_upd_fence_o,
  output logic [63:0]             prb_upd_value_o,
  output logic                    prb_upd_src_o,
  output logic [3:0]              prb_upd_ring_o,
  output logic                    prb_wb_valid_o,
  output logic [IdxW-1:0]         prb_wb_fence_o,
  output logic [63:0]             prb_wb_value_o,
  output logic                    prb_wb_src_o,
  output logic [3:0]              prb_wb_ring_o
);

  // Request operations.
  localparam logic [1:0] OpRead  = 2'd0;
  localparam logic [1:0] OpStore = 2'd1;  // CPU signal
  localparam logic [1:0] OpMax   = 2'd2;  // ring signal

  localparam int unsigned WbW   = (WbDepth > 1) ? $clog2(WbDepth) : 1;
  localparam int unsigned WbCntW = $clog2(WbDepth + 1);
  localparam int unsigned LineW = VramLog2 - LineLog2;

  // ---------------------------------------------------------------- table clear
  logic            init_q, init_d;
  logic [IdxW-1:0] init_idx_q, init_idx_d;

  always_comb begin
    init_d     = init_q;
    init_idx_d = init_idx_q;
    if (init_q) begin
      if (init_idx_q == IdxW'(NumFences - 1)) begin
        init_d = 1'b0;
      end else begin
        init_idx_d = init_idx_q + IdxW'(1);
      end
    end
  end

  // ---------------------------------------------------------------- stage A
  logic [NumReq-1:0] req_ok, gnt;
  logic [ReqW-1:0]   gnt_idx;
  logic              gnt_valid, arb_idle;
  logic              a_valid_q, b_valid_q;
  logic [1:0]        a_op_q;
  logic [ReqW-1:0]   a_req_q;
  logic [IdxW-1:0]   a_fence_q;
  logic [63:0]       a_value_q;
  logic [WbCntW-1:0] wbq_count_q;
  logic              wb_room;
  logic [WbCntW+1:0] wb_need;

  // Room for one more signal once every signal in the pipeline is queued.
  always_comb begin
    wb_need = (WbCntW+2)'(wbq_count_q) + (WbCntW+2)'(1);
    if (a_valid_q && a_op_q != OpRead) begin
      wb_need = wb_need + (WbCntW+2)'(1);
    end
    if (b_valid_q) begin
      wb_need = wb_need + (WbCntW+2)'(1);
    end
  end
  assign wb_room = wb_need <= (WbCntW+2)'(WbDepth);

  always_comb begin
    for (int unsigned i = 0; i < NumReq; i++) begin
      req_ok[i] = !init_q && req_valid_i[i] && (req_op_i[i*2 +: 2] == OpRead || wb_room);
    end
  end

  kmt_mc_arb #(
    .N       (NumReq),
    .PrioEn  (1'b0),
    .PrioCap (0)
  ) u_arb (
    .clk_i,
    .rst_ni,
    .req_i       (req_ok),
    .ack_i       (gnt_valid),
    .gnt_o       (gnt),
    .gnt_idx_o   (gnt_idx),
    .gnt_valid_o (gnt_valid),
    .idle_o      (arb_idle)
  );

  logic unused_arb_idle;
  assign unused_arb_idle = arb_idle;
  assign req_ready_o     = gnt;

  logic [IdxW-1:0] a_fence_d;
  assign a_fence_d = req_fence_i[gnt_idx*IdxW +: IdxW];

  // ---------------------------------------------------------------- table
  // A read of the fence stage B writes in the same cycle is answered by the
  // bypass below (stage C's value), never by the RAM: what the RAM returns
  // then does not matter, so synthesis needs no collision logic.
  (* no_rw_check *)
  logic [63:0]     table_mem [NumFences];
  logic [63:0]     table_rdata_q;
  logic            table_we;
  logic [IdxW-1:0] table_waddr;
  logic [63:0]     table_wdata;

  always_ff @(posedge clk_i) begin
    if (table_we) begin
      table_mem[table_waddr] <= table_wdata;
    end
    table_rdata_q <= table_mem[a_fence_d];
  end

  // ---------------------------------------------------------------- stage B
  logic [NumFences-1:0] crit_q;
  logic            byp_valid_q;
  logic [63:0]     old_value, new_value;
  logic            b_signal, b_rewind, b_below;

  // One comparator serves both the rewind test and the maximum: where the
  // values are equal, either one is the maximum. The bypass is the signal
  // of the cycle before, which stage C now holds (c_fence_q, c_value_q).
  assign old_value = (byp_valid_q && c_fence_q == a_fence_q) ? c_value_q : table_rdata_q;
  assign b_below   = kmt_arith_pkg::lt(a_value_q, old_value);
  assign b_signal  = a_valid_q && (a_op_q != OpRead);
  assign b_rewind  = a_valid_q && (a_op_q == OpStore) && b_below;

  always_comb begin
    new_value = old_value;
    if (a_op_q == OpStore) begin
      new_value = a_value_q;
    end else if (a_op_q == OpMax && !b_below) begin
      new_value = a_value_q;
    end
  end

  assign table_we    = init_q || b_signal;
  assign table_waddr = init_q ? init_idx_q : a_fence_q;
  assign table_wdata = init_q ? 64'd0 : new_value;

  // The requester index is the ring; the host is the last requester.
  logic       a_is_ring;
  logic [3:0] a_ring;
  assign a_is_ring = (a_req_q != ReqW'(NumRings));
  assign a_ring    = a_is_ring ? 4'(a_req_q) : 4'd0;

  assign prb_upd_valid_o = b_signal;
  assign prb_upd_fence_o = a_fence_q;
  assign prb_upd_value_o = new_value;
  assign prb_upd_src_o   = a_is_ring;
  assign prb_upd_ring_o  = a_ring;

  // ---------------------------------------------------------------- stage C
  logic            c_sig_q, c_rd_q;
  logic [ReqW-1:0] c_req_q;
  logic [IdxW-1:0] c_fence_q;
  logic [63:0]     c_value_q;
  logic            c_src_q, c_crit_q;
  logic [3:0]      c_ring_q;

  assign upd_valid_o = c_sig_q;
  assign upd_fence_o = c_fence_q;
  assign upd_value_o = c_value_q;
  assign rsp_value_o = c_value_q;
  always_comb begin
    rsp_valid_o = '0;
    rsp_valid_o[c_req_q] = c_rd_q;
  end

  // ---------------------------------------------------------------- write-back queue
  logic [WbDepth-1:0]  e_acked_q, e_wb_q;
  logic [IdxW-1:0]     e_fence_q [WbDepth];
  logic [63:0]         e_value_q [WbDepth];
  logic [3:0]          e_ring_q  [WbDepth];
  logic [WbDepth-1:0]  e_src_q, e_crit_q;
  logic [LineW-1:0]    e_line_q  [WbDepth];
  logic [WbW-1:0]      head_q, tail_q, iss_q;
  logic [WbCntW-1:0]   iss_left_q;   // entries from iss_q to the tail
  logic                push, retire, iss_step;
  logic [63:0]         page;
  logic                page_ok;

  function automatic logic [WbW-1:0] wb_next(input logic [WbW-1:0] p);
    wb_next = (p == WbW'(WbDepth - 1)) ? '0 : p + WbW'(1);
  endfunction

  assign page    = {wb_base_i + 52'(c_fence_q), 12'd0};
  assign page_ok = (page >> VramLog2) == 64'd0;
  assign push    = c_sig_q;
  assign retire  = (wbq_count_q != '0) && e_acked_q[head_q];

  // Issue in order; an entry that needs no write-back is stepped over.
  assign wb_req_valid_o = (iss_left_q != '0) && e_wb_q[iss_q];
  assign iss_step       = (iss_left_q != '0) && (!e_wb_q[iss_q] || wb_req_ready_i);
  assign wb_req_addr_o  = {e_line_q[iss_q], LineLog2'(0)};
  assign wb_req_id_o    = IdW'(iss_q);
  assign wb_req_wdata_o = DataW'(e_value_q[iss_q]);
  assign wb_req_wstrb_o = StrbW'(8'hFF);

  logic [WbW-1:0] ack_idx;
  assign ack_idx = wb_rsp_id_i[WbW-1:0];

  logic unused_ack_id;
  if (IdW > WbW) begin : g_unused_id
    assign unused_ack_id = ^wb_rsp_id_i[IdW-1:WbW];
  end else begin : g_no_unused_id
    assign unused_ack_id = 1'b0;
  end

  assign prb_wb_valid_o = wb_rsp_valid_i;
  assign prb_wb_fence_o = e_fence_q[ack_idx];
  assign prb_wb_value_o = e_value_q[ack_idx];
  assign prb_wb_src_o   = e_src_q[ack_idx];
  assign prb_wb_ring_o  = e_ring_q[ack_idx];

  assign rec_valid_o = retire;
  assign rec_fence_o = e_fence_q[head_q];
  assign rec_value_o = e_value_q[head_q];
  assign rec_src_o   = e_src_q[head_q];
  assign rec_ring_o  = e_ring_q[head_q];
  assign rec_crit_o  = e_crit_q[head_q];

  // ---------------------------------------------------------------- flops
  logic [31:0] wb_errors_q;

  // FENCE_SIGNALS, FENCE_REWINDS, FENCE_WB_COUNT.
  logic [2:0] count_carry;
  kmt_counter #(.Ice40Dsp(Ice40Dsp)) u_signal_count (
    .clk_i, .rst_ni, .inc_i(b_signal), .count_o(signal_count_o), .carry_o(count_carry[0])
  );
  kmt_counter #(.Ice40Dsp(Ice40Dsp)) u_rewind_count (
    .clk_i, .rst_ni, .inc_i(b_rewind), .count_o(rewind_count_o), .carry_o(count_carry[1])
  );
  kmt_counter #(.Ice40Dsp(Ice40Dsp)) u_wb_count (
    .clk_i, .rst_ni, .inc_i(wb_rsp_valid_i), .count_o(wb_count_o), .carry_o(count_carry[2])
  );
  logic unused_count_carry;
  assign unused_count_carry = ^count_carry;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      init_q         <= 1'b1;
      init_idx_q     <= '0;
      a_valid_q      <= 1'b0;
      a_op_q         <= OpRead;
      a_req_q        <= '0;
      a_fence_q      <= '0;
      a_value_q      <= '0;
      b_valid_q      <= 1'b0;
      byp_valid_q    <= 1'b0;
      c_sig_q        <= 1'b0;
      c_rd_q         <= 1'b0;
      c_req_q        <= '0;
      c_fence_q      <= '0;
      c_value_q      <= '0;
      c_src_q        <= 1'b0;
      c_crit_q       <= 1'b0;
      c_ring_q       <= '0;
      crit_q         <= '0;
      wb_errors_q    <= '0;
      head_q         <= '0;
      tail_q         <= '0;
      iss_q          <= '0;
      iss_left_q     <= '0;
      wbq_count_q    <= '0;
      e_acked_q      <= '0;
      e_wb_q         <= '0;
      e_src_q        <= '0;
      e_crit_q       <= '0;
    end else begin
      init_q     <= init_d;
      init_idx_q <= init_idx_d;

      a_valid_q <= gnt_valid;
      if (gnt_valid) begin
        a_op_q    <= req_op_i[gnt_idx*2 +: 2];
        a_req_q   <= gnt_idx;
        a_fence_q <= a_fence_d;
        a_value_q <= req_value_i[gnt_idx*64 +: 64];
      end
      b_valid_q <= b_signal;

      byp_valid_q <= b_signal;

      c_sig_q <= b_signal;
      c_rd_q  <= a_valid_q && (a_op_q == OpRead);
      if (a_valid_q) begin
        c_req_q   <= a_req_q;
        c_fence_q <= a_fence_q;
        c_value_q <= (a_op_q == OpRead) ? old_value : new_value;
        c_src_q   <= a_is_ring;
        c_ring_q  <= a_ring;
        c_crit_q  <= crit_q[a_fence_q];
      end

      if (crit_we_i) begin
        crit_q[crit_fence_i] <= crit_set_i;
      end

      // Write-back queue.
      if (push) begin
        e_src_q[tail_q]   <= c_src_q;
        e_crit_q[tail_q]  <= c_crit_q;
        e_wb_q[tail_q]    <= wb_enable_i && page_ok;
        e_acked_q[tail_q] <= !(wb_enable_i && page_ok);
        tail_q            <= wb_next(tail_q);
        if (wb_enable_i && !page_ok) begin
          wb_errors_q <= wb_errors_q + 32'd1;
        end
      end
      if (iss_step) begin
        iss_q <= wb_next(iss_q);
      end
      iss_left_q <= iss_left_q + WbCntW'(push) - WbCntW'(iss_step);
      if (wb_rsp_valid_i) begin
        e_acked_q[ack_idx] <= 1'b1;
      end
      if (retire) begin
        head_q <= wb_next(head_q);
      end
      wbq_count_q <= wbq_count_q + WbCntW'(push) - WbCntW'(retire);
    end
  end

  // Entry payload: no reset, only entries between head and tail are read.
  always_ff @(posedge clk_i) begin
    if (push) begin
      e_fence_q[tail_q] <= c_fence_q;
      e_value_q[tail_q] <= c_value_q;
      e_ring_q[tail_q]  <= c_ring_q;
      e_line_q[tail_q]  <= page[VramLog2-1:LineLog2];
    end
  end

  // The queue never overflows: signals are granted only with room.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
    end else if (push) begin
      assert (wbq_count_q != WbCntW'(WbDepth) || retire);
    end
  end

  assign init_o         = init_q;
  assign busy_o         = init_q || a_valid_q || c_sig_q || c_rd_q || (wbq_count_q != '0);
  assign wb_errors_o    = wb_errors_q;
  assign wb_error_o     = push && wb_enable_i && !page_ok;

endmodule

`default_nettype wire
