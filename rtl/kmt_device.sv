// The kmtsim device: host register block, command processor and monitored-
// fence engine behind one 32-bit MMIO port and one interrupt line.
// busy_o is high while any work is in flight. While it is low nothing in the
// device changes until the next register access, so a simulation host may
// stop clocking it; the timebase (the CYCLE register) comes from outside and
// keeps counting.

`default_nettype none

module kmt_device #(
  parameter int unsigned NumFences    = 64,
  parameter int unsigned IrqFifoDepth = 16,
  parameter int unsigned CpQueueDepth = 16,
  localparam int unsigned Aw = kmt_regs_pkg::BlockAw
) (
  input  logic          clk_i,
  input  logic          rst_ni,

  input  logic          host_req_valid_i,
  output logic          host_req_ready_o,
  input  logic          host_req_write_i,
  input  logic [Aw-1:0] host_req_addr_i,
  input  logic [31:0]   host_req_wdata_i,
  output logic          host_rsp_valid_o,
  output logic [31:0]   host_rsp_rdata_o,
  output logic          host_rsp_error_o,

  output logic          irq_o,
  output logic          busy_o,

  input  logic [63:0]   timebase_i
);

  localparam int unsigned IdxW    = (NumFences > 1) ? $clog2(NumFences) : 1;
  localparam int unsigned RecLvlW = $clog2(IrqFifoDepth + 1);
  localparam int unsigned CpLvlW  = $clog2(CpQueueDepth + 1);

  logic               fe_init, fe_busy;
  logic               cpu_sig_valid, cpu_sig_ready;
  logic [IdxW-1:0]    cpu_sig_fence;
  logic [63:0]        cpu_sig_value;
  logic               cmd_sig_valid, cmd_sig_ready;
  logic [IdxW-1:0]    cmd_sig_fence;
  logic [63:0]        cmd_sig_value;
  logic               rd_valid, rd_ready, rd_rsp_valid;
  logic [IdxW-1:0]    rd_fence;
  logic [63:0]        rd_rsp_value;
  logic               rec_valid, rec_from_cmd, rec_pop, overflow;
  logic [IdxW-1:0]    rec_fence;
  logic [63:0]        rec_value;
  logic [RecLvlW-1:0] rec_level;
  logic [31:0]        signal_count, rewind_count;

  logic               cp_push, cp_resume, cp_halted, cp_waiting, cp_error_pulse, cp_busy;
  logic               cp_rd_valid, cp_rd_ready, cp_rd_rsp_valid;
  logic [IdxW-1:0]    cp_rd_fence;
  logic               upd_valid;
  logic [IdxW-1:0]    upd_fence;
  logic [63:0]        upd_value;
  logic [31:0]        cp_push_word, cp_completed;
  logic [CpLvlW-1:0]  cp_level;
  logic [3:0]         cp_error;
  logic [7:0]         cp_error_opcode;

  kmt_regs #(
    .NumFences   (NumFences),
    .IrqFifoDepth(IrqFifoDepth),
    .CpQueueDepth(CpQueueDepth)
  ) u_regs (
    .clk_i,
    .rst_ni,
    .req_valid_i       (host_req_valid_i),
    .req_ready_o       (host_req_ready_o),
    .req_write_i       (host_req_write_i),
    .req_addr_i        (host_req_addr_i),
    .req_wdata_i       (host_req_wdata_i),
    .rsp_valid_o       (host_rsp_valid_o),
    .rsp_rdata_o       (host_rsp_rdata_o),
    .rsp_error_o       (host_rsp_error_o),
    .irq_o,
    .busy_o,
    .timebase_i,
    .fe_init_i         (fe_init),
    .fe_busy_i         (fe_busy),
    .fe_sig_valid_o    (cpu_sig_valid),
    .fe_sig_ready_i    (cpu_sig_ready),
    .fe_sig_fence_o    (cpu_sig_fence),
    .fe_sig_value_o    (cpu_sig_value),
    .fe_rd_valid_o     (rd_valid),
    .fe_rd_ready_i     (rd_ready),
    .fe_rd_fence_o     (rd_fence),
    .fe_rd_rsp_valid_i (rd_rsp_valid),
    .fe_rd_rsp_value_i (rd_rsp_value),
    .fe_rec_valid_i    (rec_valid),
    .fe_rec_from_cmd_i (rec_from_cmd),
    .fe_rec_fence_i    (rec_fence),
    .fe_rec_value_i    (rec_value),
    .fe_rec_pop_o      (rec_pop),
    .fe_rec_level_i    (rec_level),
    .fe_overflow_i     (overflow),
    .fe_signal_count_i (signal_count),
    .fe_rewind_count_i (rewind_count),
    .cp_push_o         (cp_push),
    .cp_push_word_o    (cp_push_word),
    .cp_resume_o       (cp_resume),
    .cp_level_i        (cp_level),
    .cp_halted_i       (cp_halted),
    .cp_waiting_i      (cp_waiting),
    .cp_error_i        (cp_error),
    .cp_error_opcode_i (cp_error_opcode),
    .cp_error_pulse_i  (cp_error_pulse),
    .cp_busy_i         (cp_busy),
    .cp_completed_i    (cp_completed)
  );

  kmt_cp #(
    .NumFences (NumFences),
    .QueueDepth(CpQueueDepth)
  ) u_cp (
    .clk_i,
    .rst_ni,
    .push_i         (cp_push),
    .push_word_i    (cp_push_word),
    .resume_i       (cp_resume),
    .sig_valid_o    (cmd_sig_valid),
    .sig_ready_i    (cmd_sig_ready),
    .sig_fence_o    (cmd_sig_fence),
    .sig_value_o    (cmd_sig_value),
    .rd_valid_o     (cp_rd_valid),
    .rd_ready_i     (cp_rd_ready),
    .rd_fence_o     (cp_rd_fence),
    .rd_rsp_valid_i (cp_rd_rsp_valid),
    .rd_rsp_value_i (rd_rsp_value),
    .upd_valid_i    (upd_valid),
    .upd_fence_i    (upd_fence),
    .upd_value_i    (upd_value),
    .level_o        (cp_level),
    .halted_o       (cp_halted),
    .waiting_o      (cp_waiting),
    .error_o        (cp_error),
    .error_opcode_o (cp_error_opcode),
    .error_pulse_o  (cp_error_pulse),
    .busy_o         (cp_busy),
    .completed_o    (cp_completed)
  );

  kmt_fence_engine #(
    .NumFences   (NumFences),
    .IrqFifoDepth(IrqFifoDepth)
  ) u_fence_engine (
    .clk_i,
    .rst_ni,
    .init_o          (fe_init),
    .busy_o          (fe_busy),
    .cpu_sig_valid_i (cpu_sig_valid),
    .cpu_sig_ready_o (cpu_sig_ready),
    .cpu_sig_fence_i (cpu_sig_fence),
    .cpu_sig_value_i (cpu_sig_value),
    .cmd_sig_valid_i (cmd_sig_valid),
    .cmd_sig_ready_o (cmd_sig_ready),
    .cmd_sig_fence_i (cmd_sig_fence),
    .cmd_sig_value_i (cmd_sig_value),
    .rd_req_valid_i  (rd_valid),
    .rd_req_ready_o  (rd_ready),
    .rd_req_fence_i  (rd_fence),
    .rd_rsp_valid_o  (rd_rsp_valid),
    .rd_rsp_value_o  (rd_rsp_value),
    .cp_rd_req_valid_i (cp_rd_valid),
    .cp_rd_req_ready_o (cp_rd_ready),
    .cp_rd_req_fence_i (cp_rd_fence),
    .cp_rd_rsp_valid_o (cp_rd_rsp_valid),
    .upd_valid_o     (upd_valid),
    .upd_fence_o     (upd_fence),
    .upd_value_o     (upd_value),
    .rec_valid_o     (rec_valid),
    .rec_from_cmd_o  (rec_from_cmd),
    .rec_fence_o     (rec_fence),
    .rec_value_o     (rec_value),
    .rec_pop_i       (rec_pop),
    .rec_level_o     (rec_level),
    .overflow_o      (overflow),
    .signal_count_o  (signal_count),
    .rewind_count_o  (rewind_count)
  );

endmodule

`default_nettype wire
