// Host register block: decodes the 32-bit MMIO bus (one request at a time,
// a response one or more cycles later) into the registers of kmt_regs_pkg,
// and owns the interrupt status and enables. CYCLE reads the system
// timebase (timebase_i), a count of device clock cycles kept outside the
// device, as a SoC distributes its system timer.
//
// Unmapped offsets answer with rsp_error_o; writes to read-only registers
// are ignored. A fence read or CPU signal waits for the fence engine.

`default_nettype none

module kmt_regs #(
  parameter int unsigned NumFences    = 64,
  parameter int unsigned IrqFifoDepth = 16,
  parameter int unsigned CpQueueDepth = 16,
  localparam int unsigned IdxW    = (NumFences > 1) ? $clog2(NumFences) : 1,
  localparam int unsigned RecLvlW = $clog2(IrqFifoDepth + 1),
  localparam int unsigned CpLvlW  = $clog2(CpQueueDepth + 1),
  localparam int unsigned Aw      = kmt_regs_pkg::BlockAw
) (
  input  logic               clk_i,
  input  logic               rst_ni,

  // Host bus.
  input  logic               req_valid_i,
  output logic               req_ready_o,
  input  logic               req_write_i,
  input  logic [Aw-1:0]      req_addr_i,
  input  logic [31:0]        req_wdata_i,
  output logic               rsp_valid_o,
  output logic [31:0]        rsp_rdata_o,
  output logic               rsp_error_o,

  output logic               irq_o,
  output logic               busy_o,
  input  logic [63:0]        timebase_i,

  // Fence engine.
  input  logic               fe_init_i,
  input  logic               fe_busy_i,
  output logic               fe_sig_valid_o,
  input  logic               fe_sig_ready_i,
  output logic [IdxW-1:0]    fe_sig_fence_o,
  output logic [63:0]        fe_sig_value_o,
  output logic               fe_rd_valid_o,
  input  logic               fe_rd_ready_i,
  output logic [IdxW-1:0]    fe_rd_fence_o,
  input  logic               fe_rd_rsp_valid_i,
  input  logic [63:0]        fe_rd_rsp_value_i,
  input  logic               fe_rec_valid_i,
  input  logic               fe_rec_from_cmd_i,
  input  logic [IdxW-1:0]    fe_rec_fence_i,
  input  logic [63:0]        fe_rec_value_i,
  output logic               fe_rec_pop_o,
  input  logic [RecLvlW-1:0] fe_rec_level_i,
  input  logic               fe_overflow_i,
  input  logic [31:0]        fe_signal_count_i,
  input  logic [31:0]        fe_rewind_count_i,

  // Command processor.
  output logic               cp_push_o,
  output logic [31:0]        cp_push_word_o,
  output logic               cp_resume_o,
  input  logic [CpLvlW-1:0]  cp_level_i,
  input  logic               cp_halted_i,
  input  logic               cp_waiting_i,
  input  logic [3:0]         cp_error_i,
  input  logic [7:0]         cp_error_opcode_i,
  input  logic               cp_error_pulse_i,
  input  logic               cp_busy_i,
  input  logic [31:0]        cp_completed_i
);

  typedef enum logic [1:0] {
    StIdle,
    StCpuSignal,
    StFenceRead,
    StFenceWait
  } state_e;

  state_e          state_q, state_d;
  logic            rsp_valid_q, rsp_valid_d;
  logic [31:0]     rsp_rdata_q, rsp_rdata_d;
  logic            rsp_error_q, rsp_error_d;

  logic [15:0]     fence_sel_q, fence_sel_d;
  logic [31:0]     value_hi_q, value_hi_d;      // FENCE_VALUE_HI latch
  logic [63:0]     wdata_q, wdata_d;            // FENCE_WDATA
  logic [IdxW-1:0] sig_fence_q, sig_fence_d;
  logic [2:0]      irq_enable_q, irq_enable_d;
  logic            overflow_q, overflow_d;
  logic            cp_error_q, cp_error_d;
  logic [31:0]     cycle_hi_q, cycle_hi_d;
  logic [31:0]     fence_errors_q, fence_errors_d;

  logic [2:0]      irq_status;
  assign irq_status = {cp_error_q, overflow_q, fe_rec_valid_i};
  assign irq_o      = |(irq_status & irq_enable_q);
  assign busy_o     = fe_busy_i || cp_busy_i || (state_q != StIdle);

  assign req_ready_o = (state_q == StIdle);
  assign rsp_valid_o = rsp_valid_q;
  assign rsp_rdata_o = rsp_rdata_q;
  assign rsp_error_o = rsp_error_q;

  assign fe_sig_fence_o = sig_fence_q;
  assign fe_sig_value_o = wdata_q;
  assign fe_rd_fence_o  = fence_sel_q[IdxW-1:0];

  logic [31:0] caps;
  assign caps = {8'(CpQueueDepth), 8'(IrqFifoDepth), 16'(NumFences)};

  // The fence index bits above IdxW only take part in the range check.
  logic fence_sel_ok, signal_idx_ok;
  assign fence_sel_ok  = 32'(fence_sel_q) < NumFences;
  assign signal_idx_ok = 32'(req_wdata_i[15:0]) < NumFences;

  always_comb begin
    state_d        = state_q;
    rsp_valid_d    = 1'b0;
    rsp_rdata_d    = '0;
    rsp_error_d    = 1'b0;
    fence_sel_d    = fence_sel_q;
    value_hi_d     = value_hi_q;
    wdata_d        = wdata_q;
    sig_fence_d    = sig_fence_q;
    irq_enable_d   = irq_enable_q;
    overflow_d     = overflow_q || fe_overflow_i;
    cp_error_d     = cp_error_q || cp_error_pulse_i;
    cycle_hi_d     = cycle_hi_q;
    fence_errors_d = fence_errors_q;
    fe_sig_valid_o = 1'b0;
    fe_rd_valid_o  = 1'b0;
    fe_rec_pop_o   = 1'b0;
    cp_push_o      = 1'b0;
    cp_push_word_o = req_wdata_i;
    cp_resume_o    = 1'b0;

    unique case (state_q)
      StIdle: begin
        if (req_valid_i) begin
          rsp_valid_d = 1'b1;
          if (req_write_i) begin
            unique case (req_addr_i)
              kmt_regs_pkg::KMT_ID_OFFSET,
              kmt_regs_pkg::KMT_VERSION_OFFSET,
              kmt_regs_pkg::KMT_CAPS_OFFSET,
              kmt_regs_pkg::KMT_STATUS_OFFSET,
              kmt_regs_pkg::KMT_CYCLE_LO_OFFSET,
              kmt_regs_pkg::KMT_CYCLE_HI_OFFSET,
              kmt_regs_pkg::KMT_FENCE_VALUE_LO_OFFSET,
              kmt_regs_pkg::KMT_FENCE_VALUE_HI_OFFSET,
              kmt_regs_pkg::KMT_IRQ_REC_INFO_OFFSET,
              kmt_regs_pkg::KMT_IRQ_REC_VALUE_LO_OFFSET,
              kmt_regs_pkg::KMT_IRQ_REC_VALUE_HI_OFFSET,
              kmt_regs_pkg::KMT_FENCE_SIGNALS_OFFSET,
              kmt_regs_pkg::KMT_FENCE_REWINDS_OFFSET,
              kmt_regs_pkg::KMT_FENCE_ERRORS_OFFSET,
              kmt_regs_pkg::KMT_CP_STATUS_OFFSET,
              kmt_regs_pkg::KMT_CP_COMPLETED_OFFSET: ;
              kmt_regs_pkg::KMT_IRQ_STATUS_OFFSET: begin
                if (req_wdata_i[kmt_regs_pkg::KMT_IRQ_STATUS_OVERFLOW_LSB]) begin
                  overflow_d = fe_overflow_i;
                end
                if (req_wdata_i[kmt_regs_pkg::KMT_IRQ_STATUS_CP_ERROR_LSB]) begin
                  cp_error_d = cp_error_pulse_i;
                end
              end
              kmt_regs_pkg::KMT_IRQ_ENABLE_OFFSET: irq_enable_d = req_wdata_i[2:0];
              kmt_regs_pkg::KMT_FENCE_SEL_OFFSET:  fence_sel_d = req_wdata_i[15:0];
              kmt_regs_pkg::KMT_FENCE_WDATA_LO_OFFSET: wdata_d[31:0] = req_wdata_i;
              kmt_regs_pkg::KMT_FENCE_WDATA_HI_OFFSET: wdata_d[63:32] = req_wdata_i;
              kmt_regs_pkg::KMT_FENCE_SIGNAL_OFFSET: begin
                if (signal_idx_ok) begin
                  sig_fence_d = req_wdata_i[IdxW-1:0];
                  rsp_valid_d = 1'b0;
                  state_d     = StCpuSignal;
                end else begin
                  fence_errors_d = fence_errors_q + 32'd1;
                end
              end
              kmt_regs_pkg::KMT_IRQ_REC_POP_OFFSET: fe_rec_pop_o = fe_rec_valid_i;
              kmt_regs_pkg::KMT_CP_PUSH_OFFSET:     cp_push_o = 1'b1;
              kmt_regs_pkg::KMT_CP_CONTROL_OFFSET:
                cp_resume_o = req_wdata_i[kmt_regs_pkg::KMT_CP_CONTROL_RESUME_LSB];
              default: rsp_error_d = 1'b1;
            endcase
          end else begin
            unique case (req_addr_i)
              kmt_regs_pkg::KMT_ID_OFFSET:      rsp_rdata_d = kmt_regs_pkg::KMT_ID_MAGIC;
              kmt_regs_pkg::KMT_VERSION_OFFSET: rsp_rdata_d = kmt_regs_pkg::KMT_VERSION;
              kmt_regs_pkg::KMT_CAPS_OFFSET:    rsp_rdata_d = caps;
              kmt_regs_pkg::KMT_STATUS_OFFSET:
                rsp_rdata_d = {30'd0, fe_init_i, fe_busy_i || cp_busy_i};
              kmt_regs_pkg::KMT_IRQ_STATUS_OFFSET: rsp_rdata_d = {29'd0, irq_status};
              kmt_regs_pkg::KMT_IRQ_ENABLE_OFFSET: rsp_rdata_d = {29'd0, irq_enable_q};
              kmt_regs_pkg::KMT_CYCLE_LO_OFFSET: begin
                rsp_rdata_d = timebase_i[31:0];
                cycle_hi_d  = timebase_i[63:32];
              end
              kmt_regs_pkg::KMT_CYCLE_HI_OFFSET:  rsp_rdata_d = cycle_hi_q;
              kmt_regs_pkg::KMT_FENCE_SEL_OFFSET: rsp_rdata_d = {16'd0, fence_sel_q};
              kmt_regs_pkg::KMT_FENCE_VALUE_LO_OFFSET: begin
                if (fence_sel_ok) begin
                  rsp_valid_d = 1'b0;
                  state_d     = StFenceRead;
                end else begin
                  value_hi_d     = '0;
                  fence_errors_d = fence_errors_q + 32'd1;
                end
              end
              kmt_regs_pkg::KMT_FENCE_VALUE_HI_OFFSET: rsp_rdata_d = value_hi_q;
              kmt_regs_pkg::KMT_FENCE_WDATA_LO_OFFSET: rsp_rdata_d = wdata_q[31:0];
              kmt_regs_pkg::KMT_FENCE_WDATA_HI_OFFSET: rsp_rdata_d = wdata_q[63:32];
              kmt_regs_pkg::KMT_IRQ_REC_INFO_OFFSET:
                rsp_rdata_d = {fe_rec_valid_i, fe_rec_from_cmd_i, 14'd0, 16'(fe_rec_fence_i)};
              kmt_regs_pkg::KMT_IRQ_REC_VALUE_LO_OFFSET: rsp_rdata_d = fe_rec_value_i[31:0];
              kmt_regs_pkg::KMT_IRQ_REC_VALUE_HI_OFFSET: rsp_rdata_d = fe_rec_value_i[63:32];
              kmt_regs_pkg::KMT_FENCE_SIGNALS_OFFSET: rsp_rdata_d = fe_signal_count_i;
              kmt_regs_pkg::KMT_FENCE_REWINDS_OFFSET: rsp_rdata_d = fe_rewind_count_i;
              kmt_regs_pkg::KMT_FENCE_ERRORS_OFFSET:  rsp_rdata_d = fence_errors_q;
              kmt_regs_pkg::KMT_CP_STATUS_OFFSET:
                rsp_rdata_d = {8'd0, cp_error_opcode_i, cp_error_i, 2'd0, cp_waiting_i, cp_halted_i,
                               8'(cp_level_i)};
              kmt_regs_pkg::KMT_CP_COMPLETED_OFFSET: rsp_rdata_d = cp_completed_i;
              kmt_regs_pkg::KMT_FENCE_SIGNAL_OFFSET,
              kmt_regs_pkg::KMT_IRQ_REC_POP_OFFSET,
              kmt_regs_pkg::KMT_CP_PUSH_OFFSET,
              kmt_regs_pkg::KMT_CP_CONTROL_OFFSET: ;
              default: rsp_error_d = 1'b1;
            endcase
          end
        end
      end
      StCpuSignal: begin
        fe_sig_valid_o = 1'b1;
        if (fe_sig_ready_i) begin
          rsp_valid_d = 1'b1;
          state_d     = StIdle;
        end
      end
      StFenceRead: begin
        fe_rd_valid_o = 1'b1;
        if (fe_rd_ready_i) begin
          state_d = StFenceWait;
        end
      end
      StFenceWait: begin
        if (fe_rd_rsp_valid_i) begin
          rsp_valid_d = 1'b1;
          rsp_rdata_d = fe_rd_rsp_value_i[31:0];
          value_hi_d  = fe_rd_rsp_value_i[63:32];
          state_d     = StIdle;
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q        <= StIdle;
      rsp_valid_q    <= 1'b0;
      rsp_rdata_q    <= '0;
      rsp_error_q    <= 1'b0;
      fence_sel_q    <= '0;
      value_hi_q     <= '0;
      wdata_q        <= '0;
      sig_fence_q    <= '0;
      irq_enable_q   <= '0;
      overflow_q     <= 1'b0;
      cp_error_q     <= 1'b0;
      cycle_hi_q     <= '0;
      fence_errors_q <= '0;
    end else begin
      state_q        <= state_d;
      rsp_valid_q    <= rsp_valid_d;
      rsp_rdata_q    <= rsp_rdata_d;
      rsp_error_q    <= rsp_error_d;
      fence_sel_q    <= fence_sel_d;
      value_hi_q     <= value_hi_d;
      wdata_q        <= wdata_d;
      sig_fence_q    <= sig_fence_d;
      irq_enable_q   <= irq_enable_d;
      overflow_q     <= overflow_d;
      cp_error_q     <= cp_error_d;
      cycle_hi_q     <= cycle_hi_d;
      fence_errors_q <= fence_errors_d;
    end
  end

  // Level bits of the record FIFO are exported for debug only.
  logic unused_rec_level;
  assign unused_rec_level = ^fe_rec_level_i;

endmodule

`default_nettype wire
