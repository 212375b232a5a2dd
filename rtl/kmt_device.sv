// The kmtsim device, register map v2 (docs/device.md): the host register
// block, NumRings command rings, the DMA engine, the fence engine with its
// write-back, the interrupt record FIFO, and the memory controller (kmt_mc)
// with its five client ports:
//   0 fence write-back (priority), 1 ring fetch (every ring, round robin),
//   2 DMA read, 3 DMA write, 4 host VRAM access (VRAM_WDATA / VRAM_RDATA).
// The DRAM command buses of the controller's channels are brought out; the
// DRAM itself (its storage is the VRAM) sits outside the device.
//
// Preset (kmt_regs_pkg::dram_preset_e) selects the memory: the address map,
// the line (request) size, the VRAM size and the number of channels all come
// from kmt_dram_pkg, so one parameter builds hbm2, gddr6 or the iCE40 board.
//
// busy_o (STATUS.BUSY): work in flight that runs without the host. quiet_o:
// no clock changes anything until a host request arrives or timebase_i
// reaches wake_o (a refresh falls due, or a coalescing TIME limit runs
// out), so a simulation host may skip those cycles. irq_wake_o is the part
// of wake_o that can change the interrupt line (all ones: none).
//
// prb_* are trace outputs for simulation (the probes of docs/device.md),
// valid in the cycle the event happens; synthesis leaves them unconnected.
//
// Vectors per ring are flattened, ring r at [r*W +: W].
//
// Board-build parameters (their defaults keep the full device): AddrNarrow
// keeps VRAM addresses and ring positions in registers only as wide as the
// VRAM needs (kmt_ring, kmt_regs); RefDueW narrows the refresh due time
// (kmt_mc_refresh: only for a timebase clocked every cycle); McIdW is the
// memory request id's width, at least the widest id a client uses (the
// write-back queue index, the DMA read slot, the ring); IrqOutReg keeps the
// interrupt records' head in block RAM (kmt_irq OutReg: a record shows a
// cycle later); McWdataBram puts the controller's write-data buffer in block
// RAM however few entries it has; SharedRings builds the rings as one
// kmt_ring whose fetcher and parser serve them all, one command at a time
// (kmt_ring NumCtx: a ring that cannot go on gives way to the next);
// Ice40Dsp keeps the 32-bit counters (RING_COMPLETED, FENCE_SIGNALS,
// FENCE_REWINDS, FENCE_WB_COUNT, FENCE_ERRORS, HOST_ERRORS) in the iCE40
// UP5K's SB_MAC16 blocks (kmt_counter), one block each; HeldBram keeps
// FENCE_WDATA, CYCLE_HI and FENCE_VALUE_HI in block RAM (kmt_regs: a read of
// one of them is answered a cycle later).

`include "rtl/mc/kmt_dram_pkg.sv"
`include "rtl/mc/kmt_mc_pkg.sv"
`include "rtl/kmt_regs_pkg.sv"

`default_nettype none

module kmt_device #(
  parameter int unsigned NumFences    = 64,
  parameter int unsigned NumRings     = 2,
  parameter int unsigned IrqFifoDepth = 16,
  parameter int unsigned Preset       = 0,    // kmt_regs_pkg::dram_preset_e: 0 hbm2, 1 gddr6, 2 ice40
  parameter int unsigned McQueueDepth = 16,
  parameter int unsigned McRespDepth  = 8,
  parameter int unsigned WbDepth      = 8,
  parameter int unsigned DmaRdSlots   = 4,
  parameter bit          TimingWritable = 1'b1,  // 0: DRAM_TIMING fixed at the preset (kmt_regs)
  parameter bit          AddrNarrow   = 1'b0,
  parameter int unsigned RefDueW      = 64,
  parameter int unsigned McIdW        = 8,
  parameter bit          IrqOutReg    = 1'b0,
  parameter bit          McWdataBram  = 1'b0,
  parameter bit          SharedRings  = 1'b0,
  parameter bit          Ice40Dsp     = 1'b0,
  parameter bit          HeldBram     = 1'b0,
  localparam int unsigned Aw       = kmt_regs_pkg::BlockAw,
  localparam int unsigned IdxW     = (NumFences > 1) ? $clog2(NumFences) : 1,
  // The preset's memory.
  localparam int unsigned ChBits   = (Preset == 2) ? kmt_dram_pkg::Ice40ChBits :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6ChBits : kmt_dram_pkg::Hbm2ChBits,
  localparam int unsigned ChLsb    = (Preset == 2) ? kmt_dram_pkg::Ice40ChLsb :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6ChLsb : kmt_dram_pkg::Hbm2ChLsb,
  localparam int unsigned BgBits   = (Preset == 2) ? kmt_dram_pkg::Ice40BgBits :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6BgBits : kmt_dram_pkg::Hbm2BgBits,
  localparam int unsigned BgLsb    = (Preset == 2) ? kmt_dram_pkg::Ice40BgLsb :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6BgLsb : kmt_dram_pkg::Hbm2BgLsb,
  localparam int unsigned BaBits   = (Preset == 2) ? kmt_dram_pkg::Ice40BaBits :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6BaBits : kmt_dram_pkg::Hbm2BaBits,
  localparam int unsigned BaLsb    = (Preset == 2) ? kmt_dram_pkg::Ice40BaLsb :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6BaLsb : kmt_dram_pkg::Hbm2BaLsb,
  localparam int unsigned RoBits   = (Preset == 2) ? kmt_dram_pkg::Ice40RoBits :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6RoBits : kmt_dram_pkg::Hbm2RoBits,
  localparam int unsigned RoLsb    = (Preset == 2) ? kmt_dram_pkg::Ice40RoLsb :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6RoLsb : kmt_dram_pkg::Hbm2RoLsb,
  localparam int unsigned CoBits   = (Preset == 2) ? kmt_dram_pkg::Ice40CoBits :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6CoBits : kmt_dram_pkg::Hbm2CoBits,
  localparam int unsigned CoLsb    = (Preset == 2) ? kmt_dram_pkg::Ice40CoLsb :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6CoLsb : kmt_dram_pkg::Hbm2CoLsb,
  localparam int unsigned VramLog2 = (Preset == 2) ? kmt_dram_pkg::Ice40AddrBits :
                                     (Preset == 1) ? kmt_dram_pkg::Gddr6AddrBits : kmt_dram_pkg::Hbm2AddrBits,
  localparam int unsigned DataW    = 8 * ((Preset == 2) ? kmt_dram_pkg::Ice40RequestBytes :
                                          (Preset == 1) ? kmt_dram_pkg::Gddr6RequestBytes :
                                                          kmt_dram_pkg::Hbm2RequestBytes),
  localparam int unsigned NumCh    = 1 << ChBits,
  localparam int unsigned StrbW    = DataW / 8,
  localparam int unsigned BgW      = (BgBits > 0) ? BgBits : 1,
  localparam int unsigned BaW      = (BaBits > 0) ? BaBits : 1,
  localparam int unsigned RowW     = (RoBits > 0) ? RoBits : 1,
  localparam int unsigned ColW     = (CoBits > 0) ? CoBits : 1
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic [63:0]            timebase_i,   // the system timebase: device clock cycles since reset

  // Host bus: one 32-bit access at a time.
  input  logic                   host_req_valid_i,
  output logic                   host_req_ready_o,
  input  logic                   host_req_write_i,
  input  logic [Aw-1:0]          host_req_addr_i,
  input  logic [31:0]            host_req_wdata_i,
  output logic                   host_rsp_valid_o,
  output logic [31:0]            host_rsp_rdata_o,
  output logic                   host_rsp_error_o,

  output logic                   irq_o,
  output logic                   busy_o,
  output logic                   quiet_o,
  output logic [63:0]            wake_o,
  output logic [63:0]            irq_wake_o,

  // DRAM command buses, one per channel (kmt_mc).
  output logic [NumCh-1:0]       dram_cmd_valid_o,
  output logic [NumCh*3-1:0]     dram_cmd_o,
  output logic [NumCh*BgW-1:0]   dram_bg_o,
  output logic [NumCh*BaW-1:0]   dram_ba_o,
  output logic [NumCh*RowW-1:0]  dram_row_o,
  output logic [NumCh*ColW-1:0]  dram_col_o,
  output logic [NumCh-1:0]       dram_wdata_valid_o,
  output logic [NumCh*DataW-1:0] dram_wdata_o,
  output logic [NumCh*StrbW-1:0] dram_wstrb_o,
  input  logic [NumCh-1:0]       dram_rvalid_i,
  input  logic [NumCh*DataW-1:0] dram_rdata_i,

  // Probes. A ring parsed a SIGNAL:
  output logic [NumRings-1:0]    prb_fetch_valid_o,
  output logic [NumRings*16-1:0] prb_fetch_fence_o,
  output logic [NumRings*64-1:0] prb_fetch_value_o,
  // the fence table took a value:
  output logic                   prb_upd_valid_o,
  output logic [15:0]            prb_upd_fence_o,
  output logic [63:0]            prb_upd_value_o,
  output logic                   prb_upd_src_o,     // 1: a ring
  output logic [3:0]             prb_upd_ring_o,
  // a write-back was acknowledged:
  output logic                   prb_wb_valid_o,
  output logic [15:0]            prb_wb_fence_o,
  output logic [63:0]            prb_wb_value_o,
  output logic                   prb_wb_src_o,
  output logic [3:0]             prb_wb_ring_o,
  // a record entered the FIFO (or was dropped):
  output logic                   prb_rec_valid_o,
  output logic                   prb_rec_dropped_o,
  output logic [15:0]            prb_rec_fence_o,
  output logic [63:0]            prb_rec_value_o,
  output logic                   prb_rec_src_o,
  output logic [3:0]             prb_rec_ring_o
);

  localparam int unsigned NumPorts = 5;
  localparam int unsigned NumReq   = NumRings + 1;
  localparam int unsigned CntW     = (VramLog2 + 1 > 32) ? 32 : VramLog2 + 1;
  localparam int unsigned RingW    = (NumRings > 1) ? $clog2(NumRings) : 1;
  // The controller's wait counters: wide enough for any timing a host may
  // write; with the ice40 timing fixed, its largest gap minus one (tRFC and
  // tFAW, 8 cycles) fits in 3 bits (kmt_mc_gaps asserts that every gap fits).
  localparam int unsigned McGapW   = (!TimingWritable && Preset == 2) ? 3 : kmt_mc_pkg::CntW;

  localparam int unsigned PortWb   = 0;
  localparam int unsigned PortRing = 1;
  localparam int unsigned PortRd   = 2;
  localparam int unsigned PortWr   = 3;
  localparam int unsigned PortHost = 4;

  // ---------------------------------------------------------------- memory controller ports
  logic [NumPorts-1:0]          mc_req_valid, mc_req_ready, mc_req_write;
  logic [NumPorts*VramLog2-1:0] mc_req_addr;
  logic [NumPorts*McIdW-1:0]    mc_req_id;
  logic [NumPorts*DataW-1:0]    mc_req_wdata;
  logic [NumPorts*StrbW-1:0]    mc_req_wstrb;
  logic [NumPorts-1:0]          mc_rsp_valid, mc_rsp_write;
  logic [NumPorts*McIdW-1:0]    mc_rsp_id;
  logic [NumPorts*DataW-1:0]    mc_rsp_data;
  logic                         mc_quiet;
  logic [63:0]                  mc_wake;

  kmt_dram_pkg::timing_t timing;
  logic                  per_bank_ref;

  // ---------------------------------------------------------------- fence engine wiring
  logic                 fe_init, fe_busy;
  logic [NumReq-1:0]    fe_req_valid, fe_req_ready, fe_rsp_valid;
  logic [NumReq*2-1:0]  fe_req_op;
  logic [NumReq*IdxW-1:0] fe_req_fence;
  logic [NumReq*64-1:0] fe_req_value;
  logic [63:0]          fe_rsp_value;
  logic                 upd_valid;
  logic [IdxW-1:0]      upd_fence;
  logic [63:0]          upd_value;
  logic                 crit_we, crit_set;
  logic [IdxW-1:0]      crit_fence;
  logic [31:0]          signal_count, rewind_count, wb_count;
  logic [31:0]          unused_wb_errors;   // FENCE_ERRORS counts wb_error in kmt_regs
  logic                 wb_error;
  logic                 wb_enable;
  logic [63:12]         wb_base;

  logic                 rec_valid, rec_src, rec_crit;
  logic [IdxW-1:0]      rec_fence;
  logic [63:0]          rec_value;
  logic [3:0]           rec_ring;
  logic                 prb_upd_valid, prb_wb_valid;
  logic [IdxW-1:0]      prb_upd_fence, prb_wb_fence;

  // ---------------------------------------------------------------- irq wiring
  logic                 head_valid, head_src, head_crit, rec_pop, rec_dropped, fence_irq;
  logic [IdxW-1:0]      head_fence;
  logic [63:0]          head_value;
  logic [3:0]           head_ring;
  logic [7:0]           coalesce_count;
  logic [23:0]          coalesce_time;
  logic                 irq_quiet;

  // ---------------------------------------------------------------- ring wiring
  logic [NumRings-1:0]          ring_we, ring_halt, ring_busy, ring_quiet;
  logic [2:0]                   ring_sel;
  logic [5:0]                   ring_addr;
  logic [31:0]                  ring_wdata;
  logic [NumRings*32-1:0]       ring_rdata;
  logic [NumRings-1:0]          fetch_valid, fetch_ready, fetch_rsp_valid;
  logic [NumRings-1:0]          dma_valid, dma_ready, dma_drained;
  logic [NumRings*2-1:0]        dma_op;
  logic [NumRings*VramLog2-1:0] dma_dst, dma_src;
  logic [NumRings*CntW-1:0]     dma_count;
  logic [NumRings*32-1:0]       dma_pattern;
  logic                         dma_busy;

  logic regs_busy, regs_quiet, work;

  // ---------------------------------------------------------------- registers
  kmt_regs #(
    .NumFences    (NumFences),
    .NumRings     (NumRings),
    .IrqFifoDepth (IrqFifoDepth),
    .Preset       (Preset),
    .NumCh        (NumCh),
    .VramLog2     (VramLog2),
    .DataW          (DataW),
    .TimingWritable (TimingWritable),
    .AddrNarrow     (AddrNarrow),
    .Ice40Dsp       (Ice40Dsp),
    .HeldBram       (HeldBram)
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
    .work_i           (work),
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
    .ring_halt_i      (ring_halt),
    .timing_o         (timing),
    .per_bank_ref_o   (per_bank_ref),
    .mem_req_valid_o  (mc_req_valid[PortHost]),
    .mem_req_ready_i  (mc_req_ready[PortHost]),
    .mem_req_write_o  (mc_req_write[PortHost]),
    .mem_req_addr_o   (mc_req_addr[PortHost*VramLog2 +: VramLog2]),
    .mem_req_wdata_o  (mc_req_wdata[PortHost*DataW +: DataW]),
    .mem_req_wstrb_o  (mc_req_wstrb[PortHost*StrbW +: StrbW]),
    .mem_rsp_valid_i  (mc_rsp_valid[PortHost]),
    .mem_rsp_data_i   (mc_rsp_data[PortHost*DataW +: DataW])
  );

  assign mc_req_id[PortHost*McIdW +: McIdW] = '0;

  // ---------------------------------------------------------------- rings
  logic [VramLog2-1:0] ring_fetch_addr [NumRings];

  if (SharedRings && NumRings > 1) begin : g_rings_shared
    logic [VramLog2-1:0] fetch_addr_shared;
    logic [31:0]         rdata_shared;
    logic [1:0]          fe_op_shared;
    logic [IdxW-1:0]     fe_fence_shared;
    logic [63:0]         fe_value_shared, prb_value_shared;
    logic [1:0]          dma_op_shared;
    logic [VramLog2-1:0] dma_dst_shared, dma_src_shared;
    logic [CntW-1:0]     dma_count_shared;
    logic [31:0]         dma_pattern_shared;
    logic [15:0]         prb_fence_shared;
    logic                busy_shared, quiet_shared;
    logic                unused_sel;

    assign unused_sel = ^ring_sel;

    kmt_ring #(
      .NumFences  (NumFences),
      .VramLog2   (VramLog2),
      .DataW      (DataW),
      .AddrNarrow (AddrNarrow),
      .NumCtx     (NumRings),
      .Ice40Dsp   (Ice40Dsp)
    ) u_ring (
      .clk_i,
      .rst_ni,
      .reg_we_i          (ring_we),
      .reg_ctx_i         (RingW'(ring_sel)),
      .reg_addr_i        (ring_addr),
      .reg_wdata_i       (ring_wdata),
      .reg_rdata_o       (rdata_shared),
      .halt_o            (ring_halt),
      .fetch_valid_o     (fetch_valid),
      .fetch_ready_i     (fetch_ready),
      .fetch_addr_o      (fetch_addr_shared),
      .fetch_rsp_valid_i (fetch_rsp_valid),
      .fetch_rsp_data_i  (mc_rsp_data[PortRing*DataW +: DataW]),
      .fe_valid_o        (fe_req_valid[NumRings-1:0]),
      .fe_ready_i        (fe_req_ready[NumRings-1:0]),
      .fe_op_o           (fe_op_shared),
      .fe_fence_o        (fe_fence_shared),
      .fe_value_o        (fe_value_shared),
      .fe_rsp_valid_i    (fe_rsp_valid[NumRings-1:0]),
      .fe_rsp_value_i    (fe_rsp_value),
      .upd_valid_i       (upd_valid),
      .upd_fence_i       (upd_fence),
      .upd_value_i       (upd_value),
      .dma_valid_o       (dma_valid),
      .dma_ready_i       (dma_ready),
      .dma_op_o          (dma_op_shared),
      .dma_dst_o         (dma_dst_shared),
      .dma_src_o         (dma_src_shared),
      .dma_count_o       (dma_count_shared),
      .dma_pattern_o     (dma_pattern_shared),
      .dma_drained_i     (dma_drained),
      .prb_valid_o       (prb_fetch_valid_o),
      .prb_fence_o       (prb_fence_shared),
      .prb_value_o       (prb_value_shared),
      .busy_o            (busy_shared),
      .quiet_o           (quiet_shared)
    );

    for (genvar r = 0; r < NumRings; r++) begin : g_ring
      assign ring_rdata[r*32 +: 32]          = rdata_shared;
      assign ring_fetch_addr[r]              = fetch_addr_shared;
      assign fe_req_op[r*2 +: 2]             = fe_op_shared;
      assign fe_req_fence[r*IdxW +: IdxW]    = fe_fence_shared;
      assign fe_req_value[r*64 +: 64]        = fe_value_shared;
      assign dma_op[r*2 +: 2]                = dma_op_shared;
      assign dma_dst[r*VramLog2 +: VramLog2] = dma_dst_shared;
      assign dma_src[r*VramLog2 +: VramLog2] = dma_src_shared;
      assign dma_count[r*CntW +: CntW]       = dma_count_shared;
      assign dma_pattern[r*32 +: 32]         = dma_pattern_shared;
      assign prb_fetch_fence_o[r*16 +: 16]   = prb_fence_shared;
      assign prb_fetch_value_o[r*64 +: 64]   = prb_value_shared;
      assign ring_busy[r]                    = busy_shared;
      assign ring_quiet[r]                   = quiet_shared;
      // A line read's id is its ring.
      assign fetch_rsp_valid[r] = mc_rsp_valid[PortRing] &&
                                  mc_rsp_id[PortRing*McIdW +: McIdW] == McIdW'(r);
    end
  end else begin : g_rings
    logic unused_sel;

    assign unused_sel = ^ring_sel;

    for (genvar r = 0; r < NumRings; r++) begin : g_ring
      logic [15:0] prb_fence;

      kmt_ring #(
        .NumFences  (NumFences),
        .VramLog2   (VramLog2),
        .DataW      (DataW),
        .AddrNarrow (AddrNarrow),
        .NumCtx     (1),
        .Ice40Dsp   (Ice40Dsp)
      ) u_ring (
        .clk_i,
        .rst_ni,
        .reg_we_i          (ring_we[r]),
        .reg_ctx_i         (1'b0),
        .reg_addr_i        (ring_addr),
        .reg_wdata_i       (ring_wdata),
        .reg_rdata_o       (ring_rdata[r*32 +: 32]),
        .halt_o            (ring_halt[r]),
        .fetch_valid_o     (fetch_valid[r]),
        .fetch_ready_i     (fetch_ready[r]),
        .fetch_addr_o      (ring_fetch_addr[r]),
        .fetch_rsp_valid_i (fetch_rsp_valid[r]),
        .fetch_rsp_data_i  (mc_rsp_data[PortRing*DataW +: DataW]),
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
        .dma_ready_i       (dma_ready[r]),
        .dma_op_o          (dma_op[r*2 +: 2]),
        .dma_dst_o         (dma_dst[r*VramLog2 +: VramLog2]),
        .dma_src_o         (dma_src[r*VramLog2 +: VramLog2]),
        .dma_count_o       (dma_count[r*CntW +: CntW]),
        .dma_pattern_o     (dma_pattern[r*32 +: 32]),
        .dma_drained_i     (dma_drained[r]),
        .prb_valid_o       (prb_fetch_valid_o[r]),
        .prb_fence_o       (prb_fence),
        .prb_value_o       (prb_fetch_value_o[r*64 +: 64]),
        .busy_o            (ring_busy[r]),
        .quiet_o           (ring_quiet[r])
      );

      assign prb_fetch_fence_o[r*16 +: 16] = prb_fence;
      // A line read's id is its ring.
      assign fetch_rsp_valid[r] = mc_rsp_valid[PortRing] &&
                                  mc_rsp_id[PortRing*McIdW +: McIdW] == McIdW'(r);
    end
  end

  // Port 1: the rings' fetchers in round robin.
  logic [NumRings-1:0] fetch_gnt;
  logic [RingW-1:0]    fetch_idx;
  logic                fetch_any, fetch_arb_idle;

  kmt_mc_arb #(
    .N       (NumRings),
    .PrioEn  (1'b0),
    .PrioCap (0)
  ) u_fetch_arb (
    .clk_i,
    .rst_ni,
    .req_i       (fetch_valid),
    .ack_i       (mc_req_ready[PortRing]),
    .gnt_o       (fetch_gnt),
    .gnt_idx_o   (fetch_idx),
    .gnt_valid_o (fetch_any),
    .idle_o      (fetch_arb_idle)
  );

  assign mc_req_valid[PortRing]                       = fetch_any;
  assign mc_req_write[PortRing]                       = 1'b0;
  assign mc_req_addr[PortRing*VramLog2 +: VramLog2]   = ring_fetch_addr[fetch_idx];
  assign mc_req_id[PortRing*McIdW +: McIdW]           = McIdW'(fetch_idx);
  assign mc_req_wdata[PortRing*DataW +: DataW]        = '0;
  assign mc_req_wstrb[PortRing*StrbW +: StrbW]        = '0;
  assign fetch_ready = fetch_gnt & {NumRings{mc_req_ready[PortRing]}};

  // ---------------------------------------------------------------- DMA
  kmt_dma #(
    .NumRings (NumRings),
    .VramLog2 (VramLog2),
    .DataW    (DataW),
    .RdSlots  (DmaRdSlots),
    .IdW      (McIdW)
  ) u_dma (
    .clk_i,
    .rst_ni,
    .timebase_i,
    .cmd_valid_i    (dma_valid),
    .cmd_ready_o    (dma_ready),
    .cmd_op_i       (dma_op),
    .cmd_dst_i      (dma_dst),
    .cmd_src_i      (dma_src),
    .cmd_count_i    (dma_count),
    .cmd_pattern_i  (dma_pattern),
    .drained_o      (dma_drained),
    .rd_req_valid_o (mc_req_valid[PortRd]),
    .rd_req_ready_i (mc_req_ready[PortRd]),
    .rd_req_addr_o  (mc_req_addr[PortRd*VramLog2 +: VramLog2]),
    .rd_req_id_o    (mc_req_id[PortRd*McIdW +: McIdW]),
    .rd_rsp_valid_i (mc_rsp_valid[PortRd]),
    .rd_rsp_id_i    (mc_rsp_id[PortRd*McIdW +: McIdW]),
    .rd_rsp_data_i  (mc_rsp_data[PortRd*DataW +: DataW]),
    .wr_req_valid_o (mc_req_valid[PortWr]),
    .wr_req_ready_i (mc_req_ready[PortWr]),
    .wr_req_addr_o  (mc_req_addr[PortWr*VramLog2 +: VramLog2]),
    .wr_req_id_o    (mc_req_id[PortWr*McIdW +: McIdW]),
    .wr_req_wdata_o (mc_req_wdata[PortWr*DataW +: DataW]),
    .wr_req_wstrb_o (mc_req_wstrb[PortWr*StrbW +: StrbW]),
    .wr_rsp_valid_i (mc_rsp_valid[PortWr]),
    .wr_rsp_id_i    (mc_rsp_id[PortWr*McIdW +: McIdW]),
    .busy_o         (dma_busy)
  );

  assign mc_req_write[PortRd]                 = 1'b0;
  assign mc_req_wdata[PortRd*DataW +: DataW]  = '0;
  assign mc_req_wstrb[PortRd*StrbW +: StrbW]  = '0;
  assign mc_req_write[PortWr]                 = 1'b1;

  // ---------------------------------------------------------------- fence engine
  logic [15:0] prb_upd_fence_w, prb_wb_fence_w;

  kmt_fence_engine #(
    .NumFences (NumFences),
    .NumRings  (NumRings),
    .VramLog2  (VramLog2),
    .DataW     (DataW),
    .WbDepth   (WbDepth),
    .IdW       (McIdW),
    .Ice40Dsp  (Ice40Dsp)
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
    .wb_req_valid_o  (mc_req_valid[PortWb]),
    .wb_req_ready_i  (mc_req_ready[PortWb]),
    .wb_req_addr_o   (mc_req_addr[PortWb*VramLog2 +: VramLog2]),
    .wb_req_id_o     (mc_req_id[PortWb*McIdW +: McIdW]),
    .wb_req_wdata_o  (mc_req_wdata[PortWb*DataW +: DataW]),
    .wb_req_wstrb_o  (mc_req_wstrb[PortWb*StrbW +: StrbW]),
    .wb_rsp_valid_i  (mc_rsp_valid[PortWb]),
    .wb_rsp_id_i     (mc_rsp_id[PortWb*McIdW +: McIdW]),
    .rec_valid_o     (rec_valid),
    .rec_fence_o     (rec_fence),
    .rec_value_o     (rec_value),
    .rec_src_o       (rec_src),
    .rec_ring_o      (rec_ring),
    .rec_crit_o      (rec_crit),
    .signal_count_o  (signal_count),
    .rewind_count_o  (rewind_count),
    .wb_count_o      (wb_count),
    .wb_errors_o     (unused_wb_errors),
    .wb_error_o      (wb_error),
    .prb_upd_valid_o (prb_upd_valid),
    .prb_upd_fence_o (prb_upd_fence),
    .prb_upd_value_o (prb_upd_value_o),
    .prb_upd_src_o   (prb_upd_src_o),
    .prb_upd_ring_o  (prb_upd_ring_o),
    .prb_wb_valid_o  (prb_wb_valid),
    .prb_wb_fence_o  (prb_wb_fence),
    .prb_wb_value_o  (prb_wb_value_o),
    .prb_wb_src_o    (prb_wb_src_o),
    .prb_wb_ring_o   (prb_wb_ring_o)
  );

  assign mc_req_write[PortWb] = 1'b1;
  assign prb_upd_fence_w = 16'(prb_upd_fence);
  assign prb_wb_fence_w  = 16'(prb_wb_fence);
  assign prb_upd_valid_o = prb_upd_valid;
  assign prb_upd_fence_o = prb_upd_fence_w;
  assign prb_wb_valid_o  = prb_wb_valid;
  assign prb_wb_fence_o  = prb_wb_fence_w;

  // ---------------------------------------------------------------- interrupt records
  logic [63:0] irq_wake;

  kmt_irq #(
    .Depth  (IrqFifoDepth),
    .IdxW   (IdxW),
    .OutReg (IrqOutReg)
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

  assign prb_rec_valid_o   = rec_valid;
  assign prb_rec_dropped_o = rec_dropped;
  assign prb_rec_fence_o   = 16'(rec_fence);
  assign prb_rec_value_o   = rec_value;
  assign prb_rec_src_o     = rec_src;
  assign prb_rec_ring_o    = rec_ring;

  // ---------------------------------------------------------------- memory controller
  kmt_mc #(
    .NumPorts   (NumPorts),
    .NumCh      (NumCh),
    .AddrW      (VramLog2),
    .IdW        (McIdW),
    .DataW      (DataW),
    .ChBits     (ChBits),
    .ChLsb      (ChLsb),
    .BgBits     (BgBits),
    .BgLsb      (BgLsb),
    .BaBits     (BaBits),
    .BaLsb      (BaLsb),
    .RoBits     (RoBits),
    .RoLsb      (RoLsb),
    .CoBits     (CoBits),
    .CoLsb      (CoLsb),
    .QueueDepth (McQueueDepth),
    .RespDepth  (McRespDepth),
    .GapW       (McGapW),
    .CfgConst   (!TimingWritable),
    .WdataBram  (McWdataBram),
    .DueW       (RefDueW)
  ) u_mc (
    .clk_i,
    .rst_ni,
    .cfg_i              (timing),
    .per_bank_ref_i     (per_bank_ref),
    .timebase_i,
    .req_valid_i        (mc_req_valid),
    .req_ready_o        (mc_req_ready),
    .req_write_i        (mc_req_write),
    .req_addr_i         (mc_req_addr),
    .req_id_i           (mc_req_id),
    .req_wdata_i        (mc_req_wdata),
    .req_wstrb_i        (mc_req_wstrb),
    .rsp_valid_o        (mc_rsp_valid),
    .rsp_ready_i        ({NumPorts{1'b1}}),  // every client takes its responses at once
    .rsp_write_o        (mc_rsp_write),
    .rsp_id_o           (mc_rsp_id),
    .rsp_data_o         (mc_rsp_data),
    .dram_cmd_valid_o,
    .dram_cmd_o,
    .dram_bg_o,
    .dram_ba_o,
    .dram_row_o,
    .dram_col_o,
    .dram_wdata_valid_o,
    .dram_wdata_o,
    .dram_wstrb_o,
    .dram_rvalid_i,
    .dram_rdata_i,
    .quiet_o            (mc_quiet),
    .wake_o             (mc_wake)
  );

  // ---------------------------------------------------------------- activity
  // Memory requests taken and not yet answered (refresh and timing counters
  // of an idle controller are not work: quiet_o covers them).
  // Requests taken and responses given this cycle are counted first (up to
  // NumPorts each), so one adder and one subtractor move the total.
  logic [9:0] mc_out_q, mc_out_d;
  logic [2:0] mc_taken, mc_answered;
  always_comb begin
    mc_taken    = '0;
    mc_answered = '0;
    for (int unsigned p = 0; p < NumPorts; p++) begin
      mc_taken    = mc_taken + 3'(mc_req_valid[p] && mc_req_ready[p]);
      mc_answered = mc_answered + 3'(mc_rsp_valid[p]);
    end
    mc_out_d = mc_out_q + 10'(mc_taken) - 10'(mc_answered);
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mc_out_q <= '0;
    end else begin
      mc_out_q <= mc_out_d;
    end
  end

  assign work    = (ring_busy != '0) || dma_busy || fe_busy || (mc_req_valid != '0) || (mc_out_q != '0);
  assign busy_o  = regs_busy;
  assign quiet_o = regs_quiet && (ring_quiet == '1) && !dma_busy && !fe_busy && irq_quiet && mc_quiet &&
                   fetch_arb_idle;
  assign irq_wake_o = irq_wake;
  assign wake_o     = (irq_wake < mc_wake) ? irq_wake : mc_wake;

  // Response kinds are known from the port; the DMA tells reads by port too.
  logic unused_rsp;
  assign unused_rsp = ^{mc_rsp_write, mc_rsp_id[PortHost*McIdW +: McIdW], mc_rsp_id[PortRing*McIdW +: McIdW],
                        mc_rsp_data[PortWb*DataW +: DataW], mc_rsp_data[PortWr*DataW +: DataW]};

endmodule

`default_nettype wire
