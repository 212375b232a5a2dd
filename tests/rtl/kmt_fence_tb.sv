// Test bench top (simulation only) for the fence and interrupt blocks: the
// host register block (kmt_regs), NumRings command rings (kmt_ring), the
// fence engine (kmt_fence_engine) and the interrupt record FIFO with its
// coalescing (kmt_irq), wired as in kmt_device. What kmt_device puts behind
// the memory controller comes out as ports for the C++ bench: each ring's
// line fetch, the fence write-back port. The DMA engine is absent (rings get
// no COPY/FILL/TIMESTAMP here: its port is always ready and drained) and so
// is the host's VRAM window (never ready: the bench does not use it).
//
// mon_* are monitor outputs for the bench's scoreboard: the fence engine's
// request ports, answers and update broadcast, the records it retires into
// the FIFO, the FIFO's pop and drop, and the coalesced fence interrupt.

`default_nettype none

module kmt_fence_tb #(
  parameter int unsigned NumFences    = 16,
  parameter int unsigned NumRings     = 2,
  parameter int unsigned IrqFifoDepth = 8,
  parameter int unsigned WbDepth      = 4,
  localparam int unsigned VramLog2 = 32,
  localparam int unsigned DataW    = 512,
  localparam int unsigned StrbW    = DataW / 8,
  localparam int unsigned IdW      = 4,
  localparam int unsigned IdxW     = (NumFences > 1) ? $clog2(NumFences) : 1,
  localparam int unsigned NumReq   = NumRings + 1,
  localparam int unsigned Aw       = kmt_regs_pkg::BlockAw
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic [63:0]              timebase_i,

  input  logic                     host_req_valid_i,
  output logic                     host_req_ready_o,
  input  logic                     host_req_write_i,
  input  logic [Aw-1:0]            host_req_addr_i,
  input  logic [31:0]              host_req_wdata_i,
  output logic                     host_rsp_valid_o,
  output logic [31:0]              host_rsp_rdata_o,
  output logic                     host_rsp_error_o,
  output logic                     irq_o,

  // Line fetch of ring r; the answer (one ring at a time) on fetch_rsp_data_i.
  output logic [NumRings-1:0]          fetch_valid_o,
  input  logic [NumRings-1:0]          fetch_ready_i,
  output logic [NumRings*VramLog2-1:0] fetch_addr_o,
  input  logic [NumRings-1:0]          fetch_rsp_valid_i,
  input  logic [DataW-1:0]             fetch_rsp_data_i,
  output logic [NumRings-1:0]          ring_halt_o,

  // Fence write-back (memory-controller port 0 of kmt_device).
  output logic                     wb_req_valid_o,
  input  logic                     wb_req_ready_i,
  output logic [VramLog2-1:0]      wb_req_addr_o,
  output logic [IdW-1:0]           wb_req_id_o,
  output logic [63:0]              wb_req_wdata_o,   // bytes 0..7 of the line
  output logic                     wb_req_wdata_rest_o,  // any bit of the rest of the line set
  output logic [StrbW-1:0]         wb_req_wstrb_o,
  input  logic                     wb_rsp_valid_i,
  input  logic [IdW-1:0]           wb_rsp_id_i,

  output logic                     mon_init_o,
  output logic [NumReq-1:0]        mon_req_valid_o,
  output logic [NumReq-1:0]        mon_req_ready_o,
  output logic [NumReq*2-1:0]      mon_req_op_o,
  output logic [NumReq*IdxW-1:0]   mon_req_fence_o,
  output logic [NumReq*64-1:0]     mon_req_value_o,
  output logic [NumReq-1:0]        mon_rsp_valid_o,
  output logic [63:0]              mon_rsp_value_o,
  output logic                     mon_upd_valid_o,
  output logic [IdxW-1:0]          mon_upd_fence_o,
  output logic [63:0]              mon_upd_value_o,
  output logic                     mon_prb_upd_valid_o,
  output logic [IdxW-1:0]          mon_prb_upd_fence_o,
  output logic [63:0]              mon_prb_upd_value_o,
  output logic                     mon_rec_valid_o,
  output logic [IdxW-1:0]          mon_rec_fence_o,
  output logic [63:0]              mon_rec_value_o,
  output logic                     mon_rec_src_o,
  output logic [3:0]               mon_rec_ring_o,
  output logic                     mon_rec_crit_o,
  output logic                     mon_rec_pop_o,
  output logic                     mon_rec_dropped_o,
  output logic                     mon_fence_irq_o,
  output logic [31:0]              mon_wb_errors_o
);

  // ---------------------------------------------------------------- fence engine
  logic [NumReq-1:0]      fe_req_valid, fe_req_ready, fe_rsp_valid;
  logic [NumReq*2-1:0]    fe_req_op;
  logic [NumReq*IdxW-1:0] fe_req_fence;
  logic [NumReq*64-1:0]   fe_req_value;
  logic [63:0]            fe_rsp_value;
  logic                   fe_init, fe_busy;
  logic                   upd_valid;
  logic [IdxW-1:0]        upd_fence;
  logic [63:0]            upd_value;
  logic                   crit_we, crit_set;
  logic [IdxW-1:0]        crit_fence;
  logic [31:0]            signal_count, rewind_count, wb_count, wb_errors;
  logic                   wb_error;
  logic                   wb_enable;
  logic [63:12]           wb_base;
  logic                   rec_valid, rec_src, rec_crit;
  logic [IdxW-1:0]        rec_fence;
  logic [63:0]            rec_value;
  logic [3:0]             rec_ring;
  logic [DataW-1:0]       wb_wdata;

  // ---------------------------------------------------------------- interrupt records
  logic                   head_valid, head_src, head_crit, rec_pop, rec_dropped, fence_irq;
  logic [IdxW-1:0]        head_fence;
  logic [63:0]            head_value;
  logic [3:0]             head_ring;
  logic [7:0]             coalesce_count;
  logic [23:0]            coalesce_time;

  // ---------------------------------------------------------------- rings
  logic [NumRings-1:0]    ring_we;
  logic [5:0]             ring_addr;
  logic [2:0]             ring_sel;
  logic [31:0]            ring_wdata;
  logic [NumRings*32-1:0] ring_rdata;

  // ---------------------------------------------------------------- outputs nobody here uses
  logic                    regs_busy, regs_quiet, irq_quiet;
  logic [63:0]             irq_wake;
  kmt_dram_pkg::timing_t   timing;
  logic                    per_bank_ref;
  logic                    mem_req_valid, mem_req_write;
  logic [VramLog2-1:0]     mem_req_addr;
  logic [DataW-1:0]        mem_req_wdata;
  logic [StrbW-1:0]        mem_req_wstrb;
  logic [NumRings-1:0]     ring_busy, ring_quiet, dma_valid, prb_valid;
  logic [NumRings*2-1:0]   dma_op;
  logic [NumRings*VramLog2-1:0] dma_dst, dma_src;
  logic [NumRings*32-1:0]  dma_count, dma_pattern;
  logic [NumRings*16-1:0]  prb_fence;
  logic [NumRings*64-1:0]  prb_value;
  logic                    prb_upd_src, prb_wb_valid, prb_wb_src;
  logic [3:0]              prb_upd_ring, prb_wb_ring;
  logic [IdxW-1:0]         prb_wb_fence;
  logic [63:0]             prb_wb_value;

  kmt_regs #(
    .NumFences    (NumFences),
    .NumRings     (NumRings),
    .IrqFifoDepth (IrqFifoDepth),
    .Preset       (0),
    .NumCh        (1),
    .VramLog2     (VramLog2),
    .DataW        (DataW)
  ) u_regs (
    .clk_i,
    .rst_ni,
    .req_valid_i      (host_req_valid_i),
    .req_ready_o      (host_req_ready_o),
    .req_write_i      (host_req_write_i),
    .req_addr_i       (host_req_addr_i),
    .req_wdata_i      (host_req_wdata_i),
    .rsp_valid_o      (host_rsp_valid_o),
    .rsp_rdata_o      (host_rsp_rdata_o),
    .rsp_error_o      (host_rsp_error_o),
    .irq_o,
    .busy_o           (regs_busy),
    .quiet_o          (regs_quiet),
    .timebase_i,
    .work_i           (fe_busy),
    .fe_init_i        (fe_init),
    .fe_req_valid_o   (fe_req_valid[NumRings]),
    .fe_req_ready_i   (fe_req_ready[NumRings]),
    .fe_req_op_o      (fe_req_op[NumRings*2 +: 2]),
    .fe_req_fence_o   (fe_req_fence[NumRings*IdxW +: IdxW]),
    .fe_req_value_o   (fe_req_value[NumRings*64 +: 64]),
    .fe_rsp_valid_i   (fe_rsp_valid[NumRings]),
    .fe_rsp_value_i   (fe_rsp_value),
    .crit_we_o        (crit_we),
    .crit_fence_o     (crit_fence),
    .crit_set_o       (crit_set),
    .signal_count_i   (signal_count),
    .rewind_count_i   (rewind_count),
    .wb_count_i       (wb_count),
    .wb_error_i       (wb_error),
    .wb_enable_o      (wb_enable),
    .wb_base_o        (wb_base),
    .rec_valid_i      (head_valid),
    .rec_fence_i      (head_fence),
    .rec_value_i      (head_value),
    .rec_src_i        (head_src),
    .rec_ring_i       (head_ring),
    .rec_crit_i       (head_crit),
    .rec_pop_o        (rec_pop),
    .rec_fence_irq_i  (fence_irq),
    .rec_dropped_i    (rec_dropped),
    .coalesce_count_o (coalesce_count),
    .coalesce_time_o  (coalesce_time),
    .ring_we_o        (ring_we),
    .ring_sel_o       (ring_sel),
    .ring_addr_o      (ring_addr),
    .ring_wdata_o     (ring_wdata),
    .ring_rdata_i     (ring_rdata),
    .ring_halt_i      (ring_halt_o),
    .timing_o         (timing),
    .per_bank_ref_o   (per_bank_ref),
    .mem_req_valid_o  (mem_req_valid),
    .mem_req_ready_i  (1'b0),
    .mem_req_write_o  (mem_req_write),
    .mem_req_addr_o   (mem_req_addr),
    .mem_req_wdata_o  (mem_req_wdata),
    .mem_req_wstrb_o  (mem_req_wstrb),
    .mem_rsp_valid_i  (1'b0),
    .mem_rsp_data_i   ('0)
  );

  for (genvar r = 0; r < NumRings; r++) begin : g_ring
    kmt_ring #(
      .NumFences (NumFences),
      .VramLog2  (VramLog2),
      .DataW     (DataW)
    ) u_ring (
      .clk_i,
      .rst_ni,
      .reg_we_i          (ring_we[r]),
      .reg_ctx_i         (1'b0),
      .reg_addr_i        (ring_addr),
      .reg_wdata_i       (ring_wdata),
      .reg_rdata_o       (ring_rdata[r*32 +: 32]),
      .halt_o            (ring_halt_o[r]),
      .fetch_valid_o     (fetch_valid_o[r]),
      .fetch_ready_i     (fetch_ready_i[r]),
      .fetch_addr_o      (fetch_addr_o[r*VramLog2 +: VramLog2]),
      .fetch_rsp_valid_i (fetch_rsp_valid_i[r]),
      .fetch_rsp_data_i  (fetch_rsp_data_i),
      .fe_valid_o        (fe_req_valid[r]),
      .fe_ready_i        (fe_req_ready[r]),
      .fe_op_o           (fe_req_op[r*2 +: 2]),
      .fe_fence_o        (fe_req_fence[r*IdxW +: IdxW]),
      .fe_value_o        (fe_req_value[r*64 +: 64]),
      .fe_rsp_valid_i    (fe_rsp_valid[r]),
      .fe_rsp_value_i    (fe_rsp_value),
      .upd_valid_i       (upd_valid),
      .upd_fence_i       (upd_fence),
      .upd_value_i       (upd_value),
      .dma_valid_o       (dma_valid[r]),
      .dma_ready_i       (1'b1),
      .dma_op_o          (dma_op[r*2 +: 2]),
      .dma_dst_o         (dma_dst[r*VramLog2 +: VramLog2]),
      .dma_src_o         (dma_src[r*VramLog2 +: VramLog2]),
      .dma_count_o       (dma_count[r*32 +: 32]),
      .dma_pattern_o     (dma_pattern[r*32 +: 32]),
      .dma_drained_i     (1'b1),
      .prb_valid_o       (prb_valid[r]),
      .prb_fence_o       (prb_fence[r*16 +: 16]),
      .prb_value_o       (prb_value[r*64 +: 64]),
      .busy_o            (ring_busy[r]),
      .quiet_o           (ring_quiet[r])
    );
  end

  kmt_fence_engine #(
    .NumFences (NumFences),
    .NumRings  (NumRings),
    .VramLog2  (VramLog2),
    .DataW     (DataW),
    .WbDepth   (WbDepth),
    .IdW       (IdW)
  ) u_fence_engine (
    .clk_i,
    .rst_ni,
    .init_o          (fe_init),
    .busy_o          (fe_busy),
    .req_valid_i     (fe_req_valid),
    .req_ready_o     (fe_req_ready),
    .req_op_i        (fe_req_op),
    .req_fence_i     (fe_req_fence),
    .req_value_i     (fe_req_value),
    .rsp_valid_o     (fe_rsp_valid),
    .rsp_value_o     (fe_rsp_value),
    .upd_valid_o     (upd_valid),
    .upd_fence_o     (upd_fence),
    .upd_value_o     (upd_value),
    .crit_we_i       (crit_we),
    .crit_fence_i    (crit_fence),
    .crit_set_i      (crit_set),
    .wb_enable_i     (wb_enable),
    .wb_base_i       (wb_base),
    .wb_req_valid_o  (wb_req_valid_o),
    .wb_req_ready_i  (wb_req_ready_i),
    .wb_req_addr_o   (wb_req_addr_o),
    .wb_req_id_o     (wb_req_id_o),
    .wb_req_wdata_o  (wb_wdata),
    .wb_req_wstrb_o  (wb_req_wstrb_o),
    .wb_rsp_valid_i  (wb_rsp_valid_i),
    .wb_rsp_id_i     (wb_rsp_id_i),
    .rec_valid_o     (rec_valid),
    .rec_fence_o     (rec_fence),
    .rec_value_o     (rec_value),
    .rec_src_o       (rec_src),
    .rec_ring_o      (rec_ring),
    .rec_crit_o      (rec_crit),
    .signal_count_o  (signal_count),
    .rewind_count_o  (rewind_count),
    .wb_count_o      (wb_count),
    .wb_errors_o     (wb_errors),
    .wb_error_o      (wb_error),
    .prb_upd_valid_o (mon_prb_upd_valid_o),
    .prb_upd_fence_o (mon_prb_upd_fence_o),
    .prb_upd_value_o (mon_prb_upd_value_o),
    .prb_upd_src_o   (prb_upd_src),
    .prb_upd_ring_o  (prb_upd_ring),
    .prb_wb_valid_o  (prb_wb_valid),
    .prb_wb_fence_o  (prb_wb_fence),
    .prb_wb_value_o  (prb_wb_value),
    .prb_wb_src_o    (prb_wb_src),
    .prb_wb_ring_o   (prb_wb_ring)
  );

  assign wb_req_wdata_o      = wb_wdata[63:0];
  assign wb_req_wdata_rest_o = |wb_wdata[DataW-1:64];

  kmt_irq #(
    .Depth (IrqFifoDepth),
    .IdxW  (IdxW)
  ) u_irq (
    .clk_i,
    .rst_ni,
    .timebase_i,
    .count_i      (coalesce_count),
    .time_i       (coalesce_time),
    .push_i       (rec_valid),
    .push_fence_i (rec_fence),
    .push_value_i (rec_value),
    .push_src_i   (rec_src),
    .push_ring_i  (rec_ring),
    .push_crit_i  (rec_crit),
    .dropped_o    (rec_dropped),
    .head_valid_o (head_valid),
    .head_fence_o (head_fence),
    .head_value_o (head_value),
    .head_src_o   (head_src),
    .head_ring_o  (head_ring),
    .head_crit_o  (head_crit),
    .pop_i        (rec_pop),
    .fence_o      (fence_irq),
    .quiet_o      (irq_quiet),
    .wake_o       (irq_wake)
  );

  assign mon_init_o        = fe_init;
  assign mon_req_valid_o   = fe_req_valid;
  assign mon_req_ready_o   = fe_req_ready;
  assign mon_req_op_o      = fe_req_op;
  assign mon_req_fence_o   = fe_req_fence;
  assign mon_req_value_o   = fe_req_value;
  assign mon_rsp_valid_o   = fe_rsp_valid;
  assign mon_rsp_value_o   = fe_rsp_value;
  assign mon_upd_valid_o   = upd_valid;
  assign mon_upd_fence_o   = upd_fence;
  assign mon_upd_value_o   = upd_value;
  assign mon_rec_valid_o   = rec_valid;
  assign mon_rec_fence_o   = rec_fence;
  assign mon_rec_value_o   = rec_value;
  assign mon_rec_src_o     = rec_src;
  assign mon_rec_ring_o    = rec_ring;
  assign mon_rec_crit_o    = rec_crit;
  assign mon_rec_pop_o     = rec_pop;
  assign mon_rec_dropped_o = rec_dropped;
  assign mon_fence_irq_o   = fence_irq;
  assign mon_wb_errors_o   = wb_errors;

  logic unused_outputs;
  assign unused_outputs = ^{ring_sel, regs_busy, regs_quiet, irq_quiet, irq_wake, timing, per_bank_ref, mem_req_valid,
                            mem_req_write, mem_req_addr, mem_req_wdata, mem_req_wstrb, ring_busy, ring_quiet,
                            dma_valid, dma_op, dma_dst, dma_src, dma_count, dma_pattern, prb_valid, prb_fence,
                            prb_value, prb_upd_src, prb_upd_ring, prb_wb_valid, prb_wb_src, prb_wb_ring,
                            prb_wb_fence, prb_wb_value, signal_count, rewind_count, wb_count};

endmodule

`default_nettype wire
