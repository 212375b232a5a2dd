// Command processor, first form: the host pushes command words into a queue
// (CP_PUSH) and the parser executes them in order. A malformed command halts
// the queue with an error code and an error pulse for the interrupt logic;
// nothing else stops. Words pushed while halted are dropped, and
// CP_CONTROL.RESUME flushes the queue and restarts it.
//
// Command format (kmt_regs_pkg::cp_opcode_e): word 0 carries the opcode in
// [31:24]; SIGNAL and WAIT carry the fence index in [15:0] and are followed by
// the 64-bit value, low word first. A WAIT stalls the queue until the fence
// reaches the value: it reads the fence once, then watches the fence engine's
// updates. A waiting queue is not busy: only a signal from outside can move it.

`default_nettype none

module kmt_cp #(
  parameter int unsigned NumFences  = 64,
  parameter int unsigned QueueDepth = 16,
  localparam int unsigned IdxW = (NumFences > 1) ? $clog2(NumFences) : 1,
  localparam int unsigned LvlW = $clog2(QueueDepth + 1)
) (
  input  logic            clk_i,
  input  logic            rst_ni,

  input  logic            push_i,
  input  logic [31:0]     push_word_i,
  input  logic            resume_i,

  // Signal port of the fence engine.
  output logic            sig_valid_o,
  input  logic            sig_ready_i,
  output logic [IdxW-1:0] sig_fence_o,
  output logic [63:0]     sig_value_o,

  // Read port of the fence engine, and its update broadcast.
  output logic            rd_valid_o,
  input  logic            rd_ready_i,
  output logic [IdxW-1:0] rd_fence_o,
  input  logic            rd_rsp_valid_i,
  input  logic [63:0]     rd_rsp_value_i,
  input  logic            upd_valid_i,
  input  logic [IdxW-1:0] upd_fence_i,
  input  logic [63:0]     upd_value_i,

  output logic [LvlW-1:0] level_o,
  output logic            halted_o,
  output logic            waiting_o,
  output logic [3:0]      error_o,
  output logic [7:0]      error_opcode_o,
  output logic            error_pulse_o,
  output logic            busy_o,
  output logic [31:0]     completed_o
);

  typedef enum logic [2:0] {
    StHeader,
    StValueLo,
    StValueHi,
    StSignal,
    StWaitRead,
    StWaitResp,
    StWaitListen,
    StHalted
  } state_e;

  state_e          state_q, state_d;
  logic [7:0]      opcode_q, opcode_d;
  logic [IdxW-1:0] fence_q, fence_d;
  logic [63:0]     value_q, value_d;
  logic [3:0]      error_q, error_d;
  logic [31:0]     completed_q, completed_d;

  logic        q_wready, q_rvalid, q_rready;
  logic [31:0] q_rdata;
  logic        overflow;

  assign overflow = push_i && !q_wready && (state_q != StHalted);

  kmt_fifo #(
    .Width(32),
    .Depth(QueueDepth)
  ) u_queue (
    .clk_i,
    .rst_ni,
    .clr_i    (resume_i && state_q == StHalted),
    .wvalid_i (push_i && state_q != StHalted),
    .wready_o (q_wready),
    .wdata_i  (push_word_i),
    .rvalid_o (q_rvalid),
    .rready_i (q_rready),
    .rdata_o  (q_rdata),
    .level_o  (level_o)
  );

  logic [7:0]  head_opcode;
  logic [15:0] head_fence;
  logic        is_wait;
  assign head_opcode = q_rdata[31:24];
  assign head_fence  = q_rdata[15:0];
  assign is_wait     = (opcode_q == kmt_regs_pkg::CpOpWait);

  always_comb begin
    state_d     = state_q;
    opcode_d    = opcode_q;
    fence_d     = fence_q;
    value_d     = value_q;
    error_d     = error_q;
    completed_d = completed_q;
    q_rready    = 1'b0;
    sig_valid_o = 1'b0;
    rd_valid_o  = 1'b0;

    unique case (state_q)
      StHeader: begin
        if (q_rvalid) begin
          q_rready = 1'b1;
          opcode_d = head_opcode;
          fence_d  = head_fence[IdxW-1:0];
          if (head_opcode == kmt_regs_pkg::CpOpNop) begin
            completed_d = completed_q + 32'd1;
          end else if (head_opcode == kmt_regs_pkg::CpOpSignal || head_opcode == kmt_regs_pkg::CpOpWait) begin
            if (32'(head_fence) >= NumFences) begin
              error_d = kmt_regs_pkg::CpErrBadFence;
              state_d = StHalted;
            end else begin
              state_d = StValueLo;
            end
          end else begin
            error_d = kmt_regs_pkg::CpErrBadOpcode;
            state_d = StHalted;
          end
        end
      end
      StValueLo: begin
        if (q_rvalid) begin
          q_rready       = 1'b1;
          value_d[31:0]  = q_rdata;
          state_d        = StValueHi;
        end
      end
      StValueHi: begin
        if (q_rvalid) begin
          q_rready       = 1'b1;
          value_d[63:32] = q_rdata;
          state_d        = is_wait ? StWaitRead : StSignal;
        end
      end
      StSignal: begin
        sig_valid_o = 1'b1;
        if (sig_ready_i) begin
          completed_d = completed_q + 32'd1;
          state_d     = StHeader;
        end
      end
      StWaitRead: begin
        rd_valid_o = 1'b1;
        if (rd_ready_i) begin
          state_d = StWaitResp;
        end
      end
      StWaitResp: begin
        // No update can land in the cycle of the answer (one operation per
        // engine stage); one in the next cycle is seen while listening.
        if (rd_rsp_valid_i) begin
          if (rd_rsp_value_i >= value_q) begin
            completed_d = completed_q + 32'd1;
            state_d     = StHeader;
          end else begin
            state_d = StWaitListen;
          end
        end
      end
      StWaitListen: begin
        if (upd_valid_i && upd_fence_i == fence_q && upd_value_i >= value_q) begin
          completed_d = completed_q + 32'd1;
          state_d     = StHeader;
        end
      end
      StHalted: begin
        if (resume_i) begin
          error_d = kmt_regs_pkg::CpErrNone;
          state_d = StHeader;
        end
      end
      default: begin
        state_d = StHalted;
      end
    endcase

    // A word pushed into a full queue is lost, so the stream can no longer
    // be trusted: stop here whatever the parser was doing.
    if (overflow) begin
      error_d  = kmt_regs_pkg::CpErrQueueOverflow;
      opcode_d = 8'd0;
      state_d  = StHalted;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StHeader;
      opcode_q    <= '0;
      fence_q     <= '0;
      value_q     <= '0;
      error_q     <= kmt_regs_pkg::CpErrNone;
      completed_q <= '0;
    end else begin
      state_q     <= state_d;
      opcode_q    <= opcode_d;
      fence_q     <= fence_d;
      value_q     <= value_d;
      error_q     <= error_d;
      completed_q <= completed_d;
    end
  end

  assign sig_fence_o    = fence_q;
  assign sig_value_o    = value_q;
  assign rd_fence_o     = fence_q;
  assign halted_o       = (state_q == StHalted);
  assign waiting_o      = (state_q == StWaitListen);
  assign error_o        = error_q;
  assign error_opcode_o = opcode_q;
  assign error_pulse_o  = (state_d == StHalted) && (state_q != StHalted);
  assign busy_o         = (state_q != StHalted) && (state_q != StWaitListen) && (q_rvalid || state_q != StHeader);
  assign completed_o    = completed_q;

endmodule

`default_nettype wire
