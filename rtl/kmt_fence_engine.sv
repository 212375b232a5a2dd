// Monitored-fence engine: a table of NumFences 64-bit fence values in block
// RAM, updated by CPU signals (store: the value may go down) and command
// signals (max: a GPU signal never lowers a fence), and read by the host.
//
// Every signal queues an interrupt record (source, fence, new value). When the record
// FIFO is full the record is dropped and overflow_o pulses; the value itself is
// never lost, so the driver resynchronises by reading the table.
//
// Pipeline: stage A arbitrates (round robin) and reads the table; stage B
// computes the new value, writes it back and emits the record or the read
// response. A one-entry bypass covers a back-to-back update of one fence.
// Every update is also broadcast (upd_*) for the command processor's WAITs.
// After reset the table is swept to zero (init_o) before requests are taken.

`default_nettype none

module kmt_fence_engine #(
  parameter int unsigned NumFences    = 64,
  parameter int unsigned IrqFifoDepth = 16,
  localparam int unsigned IdxW  = (NumFences > 1) ? $clog2(NumFences) : 1,
  localparam int unsigned RecLvlW = $clog2(IrqFifoDepth + 1)
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  output logic               init_o,
  output logic               busy_o,

  // CPU signal (store).
  input  logic               cpu_sig_valid_i,
  output logic               cpu_sig_ready_o,
  input  logic [IdxW-1:0]    cpu_sig_fence_i,
  input  logic [63:0]        cpu_sig_value_i,

  // Command signal from the command processor (max).
  input  logic               cmd_sig_valid_i,
  output logic               cmd_sig_ready_o,
  input  logic [IdxW-1:0]    cmd_sig_fence_i,
  input  logic [63:0]        cmd_sig_value_i,

  // Host read of a fence value; the response comes two cycles after the grant.
  input  logic               rd_req_valid_i,
  output logic               rd_req_ready_o,
  input  logic [IdxW-1:0]    rd_req_fence_i,
  output logic               rd_rsp_valid_o,
  output logic [63:0]        rd_rsp_value_o,

  // Command-processor read (a WAIT's first look), answered like the host's.
  input  logic               cp_rd_req_valid_i,
  output logic               cp_rd_req_ready_o,
  input  logic [IdxW-1:0]    cp_rd_req_fence_i,
  output logic               cp_rd_rsp_valid_o,

  // Every applied signal: the fence and its new value.
  output logic               upd_valid_o,
  output logic [IdxW-1:0]    upd_fence_o,
  output logic [63:0]        upd_value_o,

  // Interrupt records, first-word-fall-through.
  output logic               rec_valid_o,
  output logic               rec_from_cmd_o,  // 1: command signal, 0: CPU signal
  output logic [IdxW-1:0]    rec_fence_o,
  output logic [63:0]        rec_value_o,
  input  logic               rec_pop_i,
  output logic [RecLvlW-1:0] rec_level_o,
  output logic               overflow_o,

  output logic [31:0]        signal_count_o,
  output logic [31:0]        rewind_count_o
);

  typedef enum logic [1:0] {
    OpRead     = 2'd0,
    OpSigStore = 2'd1,
    OpSigMax   = 2'd2,
    OpCpRead   = 2'd3
  } op_e;

  // Requesters in round-robin order.
  localparam int unsigned NumReq = 4;
  localparam int unsigned ReqCmd = 0;
  localparam int unsigned ReqCpu = 1;
  localparam int unsigned ReqRd  = 2;
  localparam int unsigned ReqCpRd = 3;

  // ---------------------------------------------------------------------------
  // Table clear after reset.
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

  // ---------------------------------------------------------------------------
  // Stage A: arbitration and table read.
  logic [NumReq-1:0] req, gnt;
  logic [1:0]        rr_q, rr_d;  // requester with the highest priority next
  logic              a_valid_q, a_valid_d;
  op_e               a_op_q, a_op_d;
  logic [IdxW-1:0]   a_fence_q, a_fence_d;
  logic [63:0]       a_value_q, a_value_d;

  assign req = init_q ? '0 : {cp_rd_req_valid_i, rd_req_valid_i, cpu_sig_valid_i, cmd_sig_valid_i};

  always_comb begin
    gnt  = '0;
    rr_d = rr_q;
    for (int unsigned k = 0; k < NumReq; k++) begin
      // Candidate k places after the round-robin pointer (3-bit sum: no wrap).
      logic [2:0] sum;
      logic [1:0] cand;
      sum  = 3'(rr_q) + 3'(k);
      cand = (sum >= 3'(NumReq)) ? 2'(sum - 3'(NumReq)) : 2'(sum);
      if (gnt == '0 && req[cand]) begin
        gnt[cand] = 1'b1;
        rr_d      = (cand == 2'(NumReq - 1)) ? 2'd0 : cand + 2'd1;
      end
    end
  end

  assign cmd_sig_ready_o = gnt[ReqCmd];
  assign cpu_sig_ready_o = gnt[ReqCpu];
  assign rd_req_ready_o  = gnt[ReqRd];
  assign cp_rd_req_ready_o = gnt[ReqCpRd];

  always_comb begin
    a_valid_d = |gnt;
    a_op_d    = OpRead;
    a_fence_d = rd_req_fence_i;
    a_value_d = '0;
    if (gnt[ReqCmd]) begin
      a_op_d    = OpSigMax;
      a_fence_d = cmd_sig_fence_i;
      a_value_d = cmd_sig_value_i;
    end else if (gnt[ReqCpu]) begin
      a_op_d    = OpSigStore;
      a_fence_d = cpu_sig_fence_i;
      a_value_d = cpu_sig_value_i;
    end else if (gnt[ReqCpRd]) begin
      a_op_d    = OpCpRead;
      a_fence_d = cp_rd_req_fence_i;
    end
  end

  // ---------------------------------------------------------------------------
  // The table (block RAM: synchronous read, one write port).
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

  // ---------------------------------------------------------------------------
  // Stage B: update, write back, record.
  logic            wb_valid_q;       // the table write of the previous cycle
  logic [IdxW-1:0] wb_fence_q;
  logic [63:0]     wb_value_q;
  logic [63:0]     old_value, new_value;
  logic            b_signal, rewind;
  logic            rec_wready;

  assign old_value = (wb_valid_q && wb_fence_q == a_fence_q) ? wb_value_q : table_rdata_q;
  assign b_signal  = a_valid_q && (a_op_q == OpSigStore || a_op_q == OpSigMax);
  assign rewind    = a_valid_q && (a_op_q == OpSigStore) && (a_value_q < old_value);

  always_comb begin
    new_value = old_value;
    if (a_op_q == OpSigStore) begin
      new_value = a_value_q;
    end else if (a_op_q == OpSigMax && a_value_q > old_value) begin
      new_value = a_value_q;
    end
  end

  assign table_we    = init_q || b_signal;
  assign table_waddr = init_q ? init_idx_q : a_fence_q;
  assign table_wdata = init_q ? 64'd0 : new_value;

  assign rd_rsp_valid_o    = a_valid_q && (a_op_q == OpRead);
  assign cp_rd_rsp_valid_o = a_valid_q && (a_op_q == OpCpRead);
  assign rd_rsp_value_o    = old_value;

  assign upd_valid_o = b_signal;
  assign upd_fence_o = a_fence_q;
  assign upd_value_o = new_value;

  kmt_fifo #(
    .Width(1 + IdxW + 64),
    .Depth(IrqFifoDepth)
  ) u_rec_fifo (
    .clk_i,
    .rst_ni,
    .clr_i    (1'b0),
    .wvalid_i (b_signal),
    .wready_o (rec_wready),
    .wdata_i  ({a_op_q == OpSigMax, a_fence_q, new_value}),
    .rvalid_o (rec_valid_o),
    .rready_i (rec_pop_i),
    .rdata_o  ({rec_from_cmd_o, rec_fence_o, rec_value_o}),
    .level_o  (rec_level_o)
  );

  assign overflow_o = b_signal && !rec_wready;
  assign init_o     = init_q;
  assign busy_o     = init_q || a_valid_q;

  // ---------------------------------------------------------------------------
  // Flops.
  logic [31:0] signal_count_q, rewind_count_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      init_q         <= 1'b1;
      init_idx_q     <= '0;
      rr_q           <= '0;
      a_valid_q      <= 1'b0;
      a_op_q         <= OpRead;
      a_fence_q      <= '0;
      a_value_q      <= '0;
      wb_valid_q     <= 1'b0;
      wb_fence_q     <= '0;
      wb_value_q     <= '0;
      signal_count_q <= '0;
      rewind_count_q <= '0;
    end else begin
      init_q         <= init_d;
      init_idx_q     <= init_idx_d;
      rr_q           <= rr_d;
      a_valid_q      <= a_valid_d;
      a_op_q         <= a_op_d;
      a_fence_q      <= a_fence_d;
      a_value_q      <= a_value_d;
      wb_valid_q     <= b_signal;
      wb_fence_q     <= a_fence_q;
      wb_value_q     <= new_value;
      if (b_signal) begin
        signal_count_q <= signal_count_q + 32'd1;
      end
      if (rewind) begin
        rewind_count_q <= rewind_count_q + 32'd1;
      end
    end
  end

  assign signal_count_o = signal_count_q;
  assign rewind_count_o = rewind_count_q;

endmodule

`default_nettype wire
