// Host register block (register map v2, kmt_regs_pkg): decodes the 32-bit
// MMIO bus (one request at a time; a request taken in cycle t is answered in
// t + 1, or later for the accesses that wait for another block) and owns the
// interrupt status and enables, interrupt coalescing, fence write-back and
// DRAM configuration, and the host's VRAM window (memory port 4). CYCLE reads
// the system timebase (timebase_i), kept outside the device.
//
// Waiting accesses: FENCE_SIGNAL (until the fence engine takes it),
// FENCE_VALUE_LO (until the engine answers), VRAM_WDATA (until the memory
// controller acknowledges the write), VRAM_RDATA (until the data comes back),
// and with HeldBram the reads of FENCE_WDATA_LO/HI, CYCLE_HI and
// FENCE_VALUE_HI (a cycle: see "Held words" below).
// The ring register blocks live in kmt_ring: writes are passed on in the
// cycle they are taken, reads are answered from the ring's read port.
//
// Unmapped offsets answer with rsp_error_o; the register blocks of rings
// k >= NumRings read 0 and ignore writes; writes to read-only registers are
// ignored, reads of write-only ones give 0.
//
// AddrNarrow (the board build, VramLog2 < 31): VRAM_ADDR and FENCE_WB_BASE
// keep their bits below VramLog2 and, per register half, whether a bit above
// them is set (read back at bit VramLog2 and at bit 32): every VRAM range
// check gives the same answer, with VRAM_ADDR's count up included.

`include "rtl/mc/kmt_dram_pkg.sv"
`include "rtl/kmt_regs_pkg.sv"

`default_nettype none

module kmt_regs #(
  parameter int unsigned NumFences    = 64,
  parameter int unsigned NumRings     = 2,
  parameter int unsigned IrqFifoDepth = 16,
  parameter int unsigned Preset       = 0,   // kmt_regs_pkg::dram_preset_e
  parameter int unsigned NumCh        = 8,
  parameter int unsigned VramLog2     = 32,
  parameter int unsigned DataW        = 512,
  // 0: DRAM_TIMING reads the preset and ignores writes (the board build:
  // constant timing lets synthesis fold the controller's gap arithmetic).
  parameter bit          TimingWritable = 1'b1,
  parameter bit          AddrNarrow     = 1'b0,
  parameter bit          Ice40Dsp       = 1'b0,   // the error counters in SB_MAC16 blocks (kmt_counter)
  parameter bit          HeldBram       = 1'b0,   // the held words in block RAM (see "Held words")
  localparam int unsigned IdxW     = (NumFences > 1) ? $clog2(NumFences) : 1,
  localparam int unsigned Aw       = kmt_regs_pkg::BlockAw,
  localparam int unsigned LineLog2 = $clog2(DataW / 8),
  localparam int unsigned StrbW    = DataW / 8
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,

  // Host bus.
  input  logic                     req_valid_i,
  output logic                     req_ready_o,
  input  logic                     req_write_i,
  input  logic [Aw-1:0]            req_addr_i,
  input  logic [31:0]              req_wdata_i,
  output logic                     rsp_valid_o,
  output logic [31:0]              rsp_rdata_o,
  output logic                     rsp_error_o,

  output logic                     irq_o,
  output logic                     busy_o,
  output logic                     quiet_o,
  input  logic [63:0]              timebase_i,
  input  logic                     work_i,      // the other blocks have work in flight

  // Fence engine: the host's request port (op 0 read, 1 store), critical bits, counters.
  input  logic                     fe_init_i,
  output logic                     fe_req_valid_o,
  input  logic                     fe_req_ready_i,
  output logic [1:0]               fe_req_op_o,
  output logic [IdxW-1:0]          fe_req_fence_o,
  output logic [63:0]              fe_req_value_o,
  input  logic                     fe_rsp_valid_i,
  input  logic [63:0]              fe_rsp_value_i,
  output logic                     crit_we_o,
  output logic [IdxW-1:0]          crit_fence_o,
  output logic                     crit_set_o,
  input  logic [31:0]              signal_count_i,
  input  logic [31:0]              rewind_count_i,
  input  logic [31:0]              wb_count_i,
  input  logic                     wb_error_i,   // a write-back error (FENCE_ERRORS counts it too)
  output logic                     wb_enable_o,
  output logic [63:12]             wb_base_o,

  // Interrupt records.
  input  logic                     rec_valid_i,
  input  logic [IdxW-1:0]          rec_fence_i,
  input  logic [63:0]              rec_value_i,
  input  logic                     rec_src_i,
  input  logic [3:0]               rec_ring_i,
  input  logic                     rec_crit_i,
  output logic                     rec_pop_o,
  input  logic                     rec_fence_irq_i,
  input  logic                     rec_dropped_i,
  output logic [7:0]               coalesce_count_o,
  output logic [23:0]              coalesce_time_o,

  // Ring register blocks.
  output logic [NumRings-1:0]      ring_we_o,
  output logic [2:0]               ring_sel_o,   // the ring of the access (its block's index)
  output logic [5:0]               ring_addr_o,
  output logic [31:0]              ring_wdata_o,
  input  logic [NumRings*32-1:0]   ring_rdata_i,
  input  logic [NumRings-1:0]      ring_halt_i,

  // DRAM configuration.
  output kmt_dram_pkg::timing_t    timing_o,
  output logic                     per_bank_ref_o,

  // Memory port 4: host VRAM access.
  output logic                     mem_req_valid_o,
  input  logic                     mem_req_ready_i,
  output logic                     mem_req_write_o,
  output logic [VramLog2-1:0]      mem_req_addr_o,
  output logic [DataW-1:0]         mem_req_wdata_o,
  output logic [StrbW-1:0]         mem_req_wstrb_o,
  input  logic                     mem_rsp_valid_i,
  input  logic [DataW-1:0]         mem_rsp_data_i
);

  localparam logic [1:0] FeRead  = 2'd0;
  localparam logic [1:0] FeStore = 2'd1;
  localparam int unsigned Words  = DataW / 32;

  localparam logic [kmt_dram_pkg::TimingW-1:0] TimingInit =
      (Preset == 2) ? kmt_dram_pkg::Ice40Timing :
      (Preset == 1) ? kmt_dram_pkg::Gddr6Timing : kmt_dram_pkg::Hbm2Timing;

  typedef enum logic [2:0] {
    StIdle,
    StFence,
    StFenceRsp,
    StMem,
    StMemRsp,
    StHeldRd
  } state_e;

  state_e           state_q, state_d;
  logic             rsp_valid_q, rsp_valid_d;
  logic [31:0]      rsp_rdata_q, rsp_rdata_d;
  logic             rsp_error_q, rsp_error_d;

  logic [15:0]      fence_sel_q, fence_sel_d;
  logic [1:0]       fe_op_q, fe_op_d;
  logic [IdxW-1:0]  fe_fence_q, fe_fence_d;
  logic [2:0]       irq_enable_q, irq_enable_d;
  logic             overflow_q, overflow_d;
  logic             ring_error_q, ring_error_d;
  logic [31:0]      fence_errors_q;   // the host's fence errors and the write-back's
  logic             fence_err;
  logic [31:0]      host_errors_q;
  logic             host_err;
  logic [31:0]      coalesce_q, coalesce_d;
  logic [63:12]     wb_base_q, wb_base_d;     // as read; AddrNarrow: see g_narrow
  logic             wb_enable_q, wb_enable_d;
  logic [63:2]      vram_addr_q, vram_addr_d, vram_addr_inc;
  logic             per_bank_q, per_bank_d;
  kmt_dram_pkg::timing_t timing_q, timing_d;
  logic             mem_write_q, mem_write_d;
  logic [31:0]      mem_word_q, mem_word_d;

  // Held words: FENCE_WDATA_LO, FENCE_WDATA_HI, CYCLE_HI, FENCE_VALUE_HI.
  // A word reads as 0 until written after reset (FENCE_VALUE_HI also after a
  // FENCE_VALUE_LO read of a fence out of range).
  localparam logic [1:0] HwWdLo = 2'd0, HwWdHi = 2'd1, HwCycHi = 2'd2, HwValHi = 2'd3;
  logic [3:0]  hw_we, hw_zero_q, hw_zero_d;
  logic [31:0] hw_wdata [4];
  logic [31:0] hw_rd [4];   // as read
  logic [1:0]  hw_sel_q, hw_sel_d;

  // ---------------------------------------------------------------- decode
  logic [2:0]  irq_status;
  logic        busy;
  logic        ring_region, ring_reg, ring_hit, ring_absent, timing_hit, vram_ok;
  logic [2:0]  ring_sel;
  logic [5:0]  ring_off;
  logic [15:0] timing_off;
  logic [4:0]  timing_k;
  logic [31:0] ring_rdata, timing_rdata;

  assign irq_status = {ring_error_q, overflow_q, rec_fence_irq_i};
  assign irq_o      = |(irq_status & irq_enable_q);
  assign busy       = work_i || (state_q != StIdle);
  assign busy_o     = busy;
  assign quiet_o    = (state_q == StIdle) && !rsp_valid_q;

  assign req_ready_o = (state_q == StIdle);
  assign rsp_valid_o = rsp_valid_q;
  assign rsp_rdata_o = rsp_rdata_q;
  assign rsp_error_o = rsp_error_q;

  // Ring blocks: RING_BASE_LO + k * RING_STRIDE + offset, registers up to RING_COMPLETED.
  assign ring_region = (req_addr_i >= kmt_regs_pkg::KMT_RING_BASE_LO_OFFSET) &&
                       (32'(req_addr_i) < 32'(kmt_regs_pkg::KMT_RING_BASE_LO_OFFSET) +
                                          kmt_regs_pkg::KMT_MAX_RINGS * kmt_regs_pkg::KMT_RING_STRIDE);
  assign ring_sel    = req_addr_i[8:6];
  assign ring_off    = req_addr_i[5:0];
  assign ring_reg    = ring_region && (ring_off[1:0] == 2'b00) &&
                       (ring_off <= 6'(kmt_regs_pkg::KMT_RING_COMPLETED_OFFSET));
  assign ring_hit    = ring_reg && (32'(ring_sel) < NumRings);
  assign ring_absent = ring_reg && !ring_hit;
  assign ring_sel_o   = ring_sel;
  assign ring_addr_o  = ring_off;
  assign ring_wdata_o = req_wdata_i;
  always_comb begin
    ring_rdata = '0;
    for (int unsigned r = 0; r < NumRings; r++) begin
      if (ring_sel == 3'(r)) ring_rdata = ring_rdata_i[r*32 +: 32];
    end
  end

  assign timing_off = req_addr_i - kmt_regs_pkg::KMT_DRAM_TIMING_OFFSET;
  assign timing_k   = timing_off[6:2];
  assign timing_hit = (req_addr_i >= kmt_regs_pkg::KMT_DRAM_TIMING_OFFSET) && (timing_off[1:0] == 2'b00) &&
                      (32'(timing_off) < kmt_regs_pkg::KMT_DRAM_TIMING_FIELDS * 4);

  assign vram_ok = (vram_addr_q >> (VramLog2 - 2)) == '0;

  // DRAM_TIMING field k, in kmt_dram_pkg::timing_t (and rtl/data/dram_presets.json) order.
  always_comb begin
    unique case (timing_k)
      5'd0:    timing_rdata = 32'(timing_q.cl);
      5'd1:    timing_rdata = 32'(timing_q.cwl);
      5'd2:    timing_rdata = 32'(timing_q.burst);
      5'd3:    timing_rdata = 32'(timing_q.rcd_rd);
      5'd4:    timing_rdata = 32'(timing_q.rcd_wr);
      5'd5:    timing_rdata = 32'(timing_q.rp);
      5'd6:    timing_rdata = 32'(timing_q.ras);
      5'd7:    timing_rdata = 32'(timing_q.rc);
      5'd8:    timing_rdata = 32'(timing_q.wr);
      5'd9:    timing_rdata = 32'(timing_q.rtp);
      5'd10:   timing_rdata = 32'(timing_q.wtr_s);
      5'd11:   timing_rdata = 32'(timing_q.wtr_l);
      5'd12:   timing_rdata = 32'(timing_q.ccd_s);
      5'd13:   timing_rdata = 32'(timing_q.ccd_l);
      5'd14:   timing_rdata = 32'(timing_q.rrd_s);
      5'd15:   timing_rdata = 32'(timing_q.rrd_l);
      5'd16:   timing_rdata = 32'(timing_q.faw);
      5'd17:   timing_rdata = 32'(timing_q.rtrs);
      5'd18:   timing_rdata = 32'(timing_q.rfc);
      5'd19:   timing_rdata = 32'(timing_q.rfcb);
      5'd20:   timing_rdata = 32'(timing_q.refi);
      default: timing_rdata = 32'(timing_q.refib);
    endcase
  end


  logic fence_sel_ok, index_ok;
  assign fence_sel_ok = 32'(fence_sel_q) < NumFences;
  assign index_ok     = 32'(req_wdata_i[15:0]) < NumFences;

  logic [31:0] caps, mem_caps;
  assign caps     = {4'd0, 4'(NumRings), 8'(IrqFifoDepth), 16'(NumFences)};
  assign mem_caps = {8'd0, 4'(Preset), 4'(LineLog2), 8'(NumCh), 8'(VramLog2)};

  logic [LineLog2-3:0] vram_word;
  assign vram_word = vram_addr_q[LineLog2-1:2];

  always_comb begin
    state_d        = state_q;
    rsp_valid_d    = 1'b0;
    rsp_rdata_d    = '0;
    rsp_error_d    = 1'b0;
    fence_sel_d    = fence_sel_q;
    hw_we          = '0;
    hw_zero_d      = hw_zero_q;
    hw_sel_d       = hw_sel_q;
    fe_op_d        = fe_op_q;
    fe_fence_d     = fe_fence_q;
    irq_enable_d   = irq_enable_q;
    overflow_d     = overflow_q || rec_dropped_i;
    ring_error_d   = ring_error_q || (ring_halt_i != '0);
    fence_err      = 1'b0;
    host_err       = 1'b0;
    coalesce_d     = coalesce_q;
    wb_base_d      = wb_base_q;
    wb_enable_d    = wb_enable_q;
    vram_addr_d    = vram_addr_q;
    per_bank_d     = per_bank_q;
    timing_d       = timing_q;
    mem_write_d    = mem_write_q;
    mem_word_d     = mem_word_q;
    fe_req_valid_o = 1'b0;
    rec_pop_o      = 1'b0;
    crit_we_o      = 1'b0;
    crit_fence_o   = req_wdata_i[IdxW-1:0];
    crit_set_o     = req_wdata_i[kmt_regs_pkg::KMT_FENCE_CRITICAL_SET_LSB];
    ring_we_o      = '0;
    mem_req_valid_o = 1'b0;

    unique case (state_q)
      StIdle: begin
        if (req_valid_i) begin
          rsp_valid_d = 1'b1;
          if (ring_hit) begin
            if (req_write_i) begin
              for (int unsigned r = 0; r < NumRings; r++) begin
                ring_we_o[r] = (ring_sel == 3'(r));
              end
            end else begin
              rsp_rdata_d = ring_rdata;
            end
          end else if (ring_absent) begin
            // A ring this build does not have: reads 0, ignores writes.
          end else if (timing_hit) begin
            if (req_write_i) begin
              // Field k of DRAM_TIMING, in kmt_dram_pkg::timing_t order.
              unique case (timing_k)
                5'd0:    timing_d.cl     = req_wdata_i[7:0];
                5'd1:    timing_d.cwl    = req_wdata_i[7:0];
                5'd2:    timing_d.burst  = req_wdata_i[7:0];
                5'd3:    timing_d.rcd_rd = req_wdata_i[7:0];
                5'd4:    timing_d.rcd_wr = req_wdata_i[7:0];
                5'd5:    timing_d.rp     = req_wdata_i[7:0];
                5'd6:    timing_d.ras    = req_wdata_i[7:0];
                5'd7:    timing_d.rc     = req_wdata_i[7:0];
                5'd8:    timing_d.wr     = req_wdata_i[7:0];
                5'd9:    timing_d.rtp    = req_wdata_i[7:0];
                5'd10:   timing_d.wtr_s  = req_wdata_i[7:0];
                5'd11:   timing_d.wtr_l  = req_wdata_i[7:0];
                5'd12:   timing_d.ccd_s  = req_wdata_i[7:0];
                5'd13:   timing_d.ccd_l  = req_wdata_i[7:0];
                5'd14:   timing_d.rrd_s  = req_wdata_i[7:0];
                5'd15:   timing_d.rrd_l  = req_wdata_i[7:0];
                5'd16:   timing_d.faw    = req_wdata_i[7:0];
                5'd17:   timing_d.rtrs   = req_wdata_i[7:0];
                5'd18:   timing_d.rfc    = req_wdata_i[9:0];
                5'd19:   timing_d.rfcb   = req_wdata_i[9:0];
                5'd20:   timing_d.refi   = req_wdata_i[15:0];
                default: timing_d.refib  = req_wdata_i[15:0];
              endcase
            end else begin
              rsp_rdata_d = timing_rdata;
            end
          end else if (req_write_i) begin
            unique case (req_addr_i)
              kmt_regs_pkg::KMT_ID_OFFSET,
              kmt_regs_pkg::KMT_VERSION_OFFSET,
              kmt_regs_pkg::KMT_CAPS_OFFSET,
              kmt_regs_pkg::KMT_STATUS_OFFSET,
              kmt_regs_pkg::KMT_CYCLE_LO_OFFSET,
              kmt_regs_pkg::KMT_CYCLE_HI_OFFSET,
              kmt_regs_pkg::KMT_MEM_CAPS_OFFSET,
              kmt_regs_pkg::KMT_FENCE_VALUE_LO_OFFSET,
              kmt_regs_pkg::KMT_FENCE_VALUE_HI_OFFSET,
              kmt_regs_pkg::KMT_IRQ_REC_INFO_OFFSET,
              kmt_regs_pkg::KMT_IRQ_REC_VALUE_LO_OFFSET,
              kmt_regs_pkg::KMT_IRQ_REC_VALUE_HI_OFFSET,
              kmt_regs_pkg::KMT_FENCE_SIGNALS_OFFSET,
              kmt_regs_pkg::KMT_FENCE_REWINDS_OFFSET,
              kmt_regs_pkg::KMT_FENCE_ERRORS_OFFSET,
              kmt_regs_pkg::KMT_FENCE_WB_COUNT_OFFSET,
              kmt_regs_pkg::KMT_VRAM_RDATA_OFFSET,
              kmt_regs_pkg::KMT_HOST_ERRORS_OFFSET: ;
              kmt_regs_pkg::KMT_IRQ_STATUS_OFFSET: begin
                if (req_wdata_i[kmt_regs_pkg::KMT_IRQ_STATUS_OVERFLOW_LSB]) begin
                  overflow_d = rec_dropped_i;
                end
                if (req_wdata_i[kmt_regs_pkg::KMT_IRQ_STATUS_RING_ERROR_LSB]) begin
                  ring_error_d = (ring_halt_i != '0);
                end
              end
              kmt_regs_pkg::KMT_IRQ_ENABLE_OFFSET:     irq_enable_d = req_wdata_i[2:0];
              kmt_regs_pkg::KMT_IRQ_COALESCE_OFFSET:   coalesce_d = req_wdata_i;
              kmt_regs_pkg::KMT_FENCE_SEL_OFFSET:      fence_sel_d = req_wdata_i[15:0];
              kmt_regs_pkg::KMT_FENCE_WDATA_LO_OFFSET: begin
                hw_we[HwWdLo]     = 1'b1;
                hw_zero_d[HwWdLo] = 1'b0;
              end
              kmt_regs_pkg::KMT_FENCE_WDATA_HI_OFFSET: begin
                hw_we[HwWdHi]     = 1'b1;
                hw_zero_d[HwWdHi] = 1'b0;
              end
              kmt_regs_pkg::KMT_FENCE_SIGNAL_OFFSET: begin
                if (index_ok) begin
                  fe_op_d     = FeStore;
                  fe_fence_d  = req_wdata_i[IdxW-1:0];
                  rsp_valid_d = 1'b0;
                  state_d     = StFence;
                end else begin
                  fence_err      = 1'b1;
                end
              end
              kmt_regs_pkg::KMT_IRQ_REC_POP_OFFSET: rec_pop_o = rec_valid_i;
              kmt_regs_pkg::KMT_FENCE_WB_BASE_LO_OFFSET: wb_base_d[31:12] = req_wdata_i[31:12];
              kmt_regs_pkg::KMT_FENCE_WB_BASE_HI_OFFSET: wb_base_d[63:32] = req_wdata_i;
              kmt_regs_pkg::KMT_FENCE_WB_CONTROL_OFFSET:
                wb_enable_d = req_wdata_i[kmt_regs_pkg::KMT_FENCE_WB_CONTROL_ENABLE_LSB];
              kmt_regs_pkg::KMT_FENCE_CRITICAL_OFFSET: begin
                if (index_ok) begin
                  crit_we_o = 1'b1;
                end else begin
                  fence_err      = 1'b1;
                end
              end
              kmt_regs_pkg::KMT_VRAM_ADDR_LO_OFFSET: vram_addr_d[31:2] = req_wdata_i[31:2];
              kmt_regs_pkg::KMT_VRAM_ADDR_HI_OFFSET: vram_addr_d[63:32] = req_wdata_i;
              kmt_regs_pkg::KMT_VRAM_WDATA_OFFSET: begin
                if (vram_ok) begin
                  mem_write_d = 1'b1;
                  mem_word_d  = req_wdata_i;
                  rsp_valid_d = 1'b0;
                  state_d     = StMem;
                end else begin
                  host_err      = 1'b1;
                  vram_addr_d   = vram_addr_inc;
                end
              end
              kmt_regs_pkg::KMT_DRAM_CONTROL_OFFSET:
                per_bank_d = req_wdata_i[kmt_regs_pkg::KMT_DRAM_CONTROL_PER_BANK_REF_LSB];
              default: rsp_error_d = 1'b1;
            endcase
          end else begin
            unique case (req_addr_i)
              kmt_regs_pkg::KMT_ID_OFFSET:       rsp_rdata_d = kmt_regs_pkg::KMT_ID_MAGIC;
              kmt_regs_pkg::KMT_VERSION_OFFSET:  rsp_rdata_d = kmt_regs_pkg::KMT_VERSION;
              kmt_regs_pkg::KMT_CAPS_OFFSET:     rsp_rdata_d = caps;
              kmt_regs_pkg::KMT_STATUS_OFFSET:   rsp_rdata_d = {30'd0, fe_init_i, busy};
              kmt_regs_pkg::KMT_IRQ_STATUS_OFFSET: rsp_rdata_d = {29'd0, irq_status};
              kmt_regs_pkg::KMT_IRQ_ENABLE_OFFSET: rsp_rdata_d = {29'd0, irq_enable_q};
              kmt_regs_pkg::KMT_CYCLE_LO_OFFSET: begin
                rsp_rdata_d        = timebase_i[31:0];
                hw_we[HwCycHi]     = 1'b1;
                hw_zero_d[HwCycHi] = 1'b0;
              end
              kmt_regs_pkg::KMT_CYCLE_HI_OFFSET: begin
                if (HeldBram) begin
                  hw_sel_d    = HwCycHi;
                  rsp_valid_d = 1'b0;
                  state_d     = StHeldRd;
                end else begin
                  rsp_rdata_d = hw_rd[HwCycHi];
                end
              end
              kmt_regs_pkg::KMT_MEM_CAPS_OFFSET:    rsp_rdata_d = mem_caps;
              kmt_regs_pkg::KMT_IRQ_COALESCE_OFFSET: rsp_rdata_d = coalesce_q;
              kmt_regs_pkg::KMT_FENCE_SEL_OFFSET:   rsp_rdata_d = {16'd0, fence_sel_q};
              kmt_regs_pkg::KMT_FENCE_VALUE_LO_OFFSET: begin
                if (fence_sel_ok) begin
                  fe_op_d     = FeRead;
                  fe_fence_d  = fence_sel_q[IdxW-1:0];
                  rsp_valid_d = 1'b0;
                  state_d     = StFence;
                end else begin
                  hw_zero_d[HwValHi] = 1'b1;
                  fence_err          = 1'b1;
                end
              end
              kmt_regs_pkg::KMT_FENCE_VALUE_HI_OFFSET,
              kmt_regs_pkg::KMT_FENCE_WDATA_LO_OFFSET,
              kmt_regs_pkg::KMT_FENCE_WDATA_HI_OFFSET: begin
                if (HeldBram) begin
                  hw_sel_d    = req_addr_i == kmt_regs_pkg::KMT_FENCE_VALUE_HI_OFFSET ? HwValHi :
                                req_addr_i == kmt_regs_pkg::KMT_FENCE_WDATA_LO_OFFSET ? HwWdLo : HwWdHi;
                  rsp_valid_d = 1'b0;
                  state_d     = StHeldRd;
                end else begin
                  rsp_rdata_d = req_addr_i == kmt_regs_pkg::KMT_FENCE_VALUE_HI_OFFSET ? hw_rd[HwValHi] :
                                req_addr_i == kmt_regs_pkg::KMT_FENCE_WDATA_LO_OFFSET ? hw_rd[HwWdLo] :
                                                                                        hw_rd[HwWdHi];
                end
              end
              kmt_regs_pkg::KMT_IRQ_REC_INFO_OFFSET:
                rsp_rdata_d = {rec_valid_i, rec_src_i, rec_crit_i, 1'b0, rec_ring_i, 8'd0, 16'(rec_fence_i)};
              kmt_regs_pkg::KMT_IRQ_REC_VALUE_LO_OFFSET: rsp_rdata_d = rec_value_i[31:0];
              kmt_regs_pkg::KMT_IRQ_REC_VALUE_HI_OFFSET: rsp_rdata_d = rec_value_i[63:32];
              kmt_regs_pkg::KMT_FENCE_SIGNALS_OFFSET:    rsp_rdata_d = signal_count_i;
              kmt_regs_pkg::KMT_FENCE_REWINDS_OFFSET:    rsp_rdata_d = rewind_count_i;
              kmt_regs_pkg::KMT_FENCE_ERRORS_OFFSET:     rsp_rdata_d = fence_errors_q;
              kmt_regs_pkg::KMT_FENCE_WB_BASE_LO_OFFSET: rsp_rdata_d = {wb_base_q[31:12], 12'd0};
              kmt_regs_pkg::KMT_FENCE_WB_BASE_HI_OFFSET: rsp_rdata_d = wb_base_q[63:32];
              kmt_regs_pkg::KMT_FENCE_WB_CONTROL_OFFSET: rsp_rdata_d = {31'd0, wb_enable_q};
              kmt_regs_pkg::KMT_FENCE_WB_COUNT_OFFSET:   rsp_rdata_d = wb_count_i;
              kmt_regs_pkg::KMT_VRAM_ADDR_LO_OFFSET:     rsp_rdata_d = {vram_addr_q[31:2], 2'b00};
              kmt_regs_pkg::KMT_VRAM_ADDR_HI_OFFSET:     rsp_rdata_d = vram_addr_q[63:32];
              kmt_regs_pkg::KMT_VRAM_RDATA_OFFSET: begin
                if (vram_ok) begin
                  mem_write_d = 1'b0;
                  rsp_valid_d = 1'b0;
                  state_d     = StMem;
                end else begin
                  host_err      = 1'b1;
                  vram_addr_d   = vram_addr_inc;
                end
              end
              kmt_regs_pkg::KMT_HOST_ERRORS_OFFSET:  rsp_rdata_d = host_errors_q;
              kmt_regs_pkg::KMT_DRAM_CONTROL_OFFSET: rsp_rdata_d = {31'd0, per_bank_q};
              kmt_regs_pkg::KMT_FENCE_SIGNAL_OFFSET,
              kmt_regs_pkg::KMT_IRQ_REC_POP_OFFSET,
              kmt_regs_pkg::KMT_FENCE_CRITICAL_OFFSET,
              kmt_regs_pkg::KMT_VRAM_WDATA_OFFSET: ;
              default: rsp_error_d = 1'b1;
            endcase
          end
        end
      end
      StFence: begin
        fe_req_valid_o = 1'b1;
        if (fe_req_ready_i) begin
          if (fe_op_q == FeRead) begin
            state_d = StFenceRsp;
          end else begin
            rsp_valid_d = 1'b1;
            state_d     = StIdle;
          end
        end
      end
      StFenceRsp: begin
        if (fe_rsp_valid_i) begin
          rsp_valid_d = 1'b1;
          rsp_rdata_d = fe_rsp_value_i[31:0];
          hw_we[HwValHi]     = 1'b1;
          hw_zero_d[HwValHi] = 1'b0;
          state_d     = StIdle;
        end
      end
      StMem: begin
        mem_req_valid_o = 1'b1;
        if (mem_req_ready_i) begin
          state_d = StMemRsp;
        end
      end
      StMemRsp: begin
        if (mem_rsp_valid_i) begin
          rsp_valid_d = 1'b1;
          rsp_rdata_d = mem_write_q ? 32'd0 : mem_rsp_data_i[vram_word*32 +: 32];
          vram_addr_d = vram_addr_inc;
          state_d     = StIdle;
        end
      end
      StHeldRd: begin
        rsp_valid_d = 1'b1;
        rsp_rdata_d = hw_rd[hw_sel_q];
        state_d     = StIdle;
      end
      default: state_d = StIdle;
    endcase

  end

  // FENCE_ERRORS: the host's bad fence indices and the write-back's pages
  // outside VRAM, in one counter (up to two a cycle). HOST_ERRORS.
  logic [1:0] err_carry;
  kmt_counter #(.IncW(2), .Ice40Dsp(Ice40Dsp)) u_fence_errors (
    .clk_i, .rst_ni, .inc_i({fence_err && wb_error_i, fence_err ^ wb_error_i}),
    .count_o(fence_errors_q), .carry_o(err_carry[0])
  );
  kmt_counter #(.Ice40Dsp(Ice40Dsp)) u_host_errors (
    .clk_i, .rst_ni, .inc_i(host_err), .count_o(host_errors_q), .carry_o(err_carry[1])
  );
  logic unused_err_carry;
  assign unused_err_carry = ^err_carry;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q        <= StIdle;
      rsp_valid_q    <= 1'b0;
      rsp_rdata_q    <= '0;
      rsp_error_q    <= 1'b0;
      fence_sel_q    <= '0;
      hw_zero_q      <= '1;
      hw_sel_q       <= HwWdLo;
      fe_op_q        <= FeRead;
      fe_fence_q     <= '0;
      irq_enable_q   <= '0;
      overflow_q     <= 1'b0;
      ring_error_q   <= 1'b0;
      coalesce_q     <= '0;
      wb_enable_q    <= 1'b0;
      per_bank_q     <= 1'b0;
      timing_q       <= TimingInit;
      mem_write_q    <= 1'b0;
      mem_word_q     <= '0;
    end else begin
      state_q        <= state_d;
      rsp_valid_q    <= rsp_valid_d;
      rsp_rdata_q    <= rsp_rdata_d;
      rsp_error_q    <= rsp_error_d;
      fence_sel_q    <= fence_sel_d;
      hw_zero_q      <= hw_zero_d;
      hw_sel_q       <= hw_sel_d;
      fe_op_q        <= fe_op_d;
      fe_fence_q     <= fe_fence_d;
      irq_enable_q   <= irq_enable_d;
      overflow_q     <= overflow_d;
      ring_error_q   <= ring_error_d;
      coalesce_q     <= coalesce_d;
      wb_enable_q    <= wb_enable_d;
      per_bank_q     <= per_bank_d;
      timing_q       <= TimingWritable ? timing_d : TimingInit;
      mem_write_q    <= mem_write_d;
      mem_word_q     <= mem_word_d;
    end
  end

  // Held words: flops, or (HeldBram, the UP5K build) one word of a block RAM
  // each, read every cycle it is not written: a write shows two cycles
  // later, so a host read of one waits a cycle (StHeldRd) and sees every
  // write before it, and FENCE_SIGNAL (its fence request a cycle after the
  // write at the earliest) sends the FENCE_WDATA written before it.
  assign hw_wdata[HwWdLo]  = req_wdata_i;
  assign hw_wdata[HwWdHi]  = req_wdata_i;
  assign hw_wdata[HwCycHi] = timebase_i[63:32];
  assign hw_wdata[HwValHi] = fe_rsp_value_i[63:32];
  for (genvar i = 0; i < 4; i++) begin : g_held
    logic [31:0] q;

    if (HeldBram) begin : g_bram
      // One word used: 256 x 32 is two iCE40 block RAMs (an address that
      // is a signal, not a literal, keeps it a memory for synthesis).
      logic [31:0] mem [256];
      logic [7:0]  addr;

      assign addr = '0;
      always_ff @(posedge clk_i) begin
        if (hw_we[i]) begin
          mem[addr] <= hw_wdata[i];
        end else begin
          q <= mem[addr];
        end
      end
    end else begin : g_flops
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          q <= '0;
        end else if (hw_we[i]) begin
          q <= hw_wdata[i];
        end
      end
    end

    assign hw_rd[i] = hw_zero_q[i] ? '0 : q;
  end

  // VRAM_ADDR and FENCE_WB_BASE: every bit, or the bits below VramLog2 and
  // the flags of the bits above (a sum carried out of the low bits sets
  // them; they stay set while counting up).
  if (AddrNarrow) begin : g_narrow
    logic [VramLog2-1:12] wb_lo_q;
    logic [VramLog2-1:2]  va_lo_q;
    logic                 wb_far_lo_q, wb_far_hi_q, va_far_lo_q, va_far_hi_q;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        wb_lo_q     <= '0;
        wb_far_lo_q <= 1'b0;
        wb_far_hi_q <= 1'b0;
        va_lo_q     <= '0;
        va_far_lo_q <= 1'b0;
        va_far_hi_q <= 1'b0;
      end else begin
        wb_lo_q     <= wb_base_d[VramLog2-1:12];
        wb_far_lo_q <= wb_base_d[31:VramLog2] != '0;
        wb_far_hi_q <= wb_base_d[63:32] != '0;
        va_lo_q     <= vram_addr_d[VramLog2-1:2];
        va_far_lo_q <= vram_addr_d[31:VramLog2] != '0;
        va_far_hi_q <= vram_addr_d[63:32] != '0;
      end
    end

    // The count up: a carry out of the low bits is a bit set above them.
    logic [VramLog2-2:0] va_sum;
    assign va_sum = {1'b0, va_lo_q} + (VramLog2-1)'(1);

    always_comb begin
      vram_addr_inc               = '0;
      vram_addr_inc[VramLog2-1:2] = va_sum[VramLog2-3:0];
      vram_addr_inc[VramLog2]     = va_far_lo_q || va_sum[VramLog2-2];
      vram_addr_inc[32]           = va_far_hi_q;
    end

    always_comb begin
      wb_base_q                  = '0;
      wb_base_q[VramLog2-1:12]   = wb_lo_q;
      wb_base_q[VramLog2]        = wb_far_lo_q;
      wb_base_q[32]              = wb_far_hi_q;
      vram_addr_q                = '0;
      vram_addr_q[VramLog2-1:2]  = va_lo_q;
      vram_addr_q[VramLog2]      = va_far_lo_q;
      vram_addr_q[32]            = va_far_hi_q;
    end
  end else begin : g_full
    assign vram_addr_inc = vram_addr_q + 62'd1;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        wb_base_q   <= '0;
        vram_addr_q <= '0;
      end else begin
        wb_base_q   <= wb_base_d;
        vram_addr_q <= vram_addr_d;
      end
    end
  end

  assign fe_req_op_o    = fe_op_q;
  assign fe_req_fence_o = fe_fence_q;
  assign fe_req_value_o = {hw_rd[HwWdHi], hw_rd[HwWdLo]};

  assign coalesce_count_o = coalesce_q[7:0];
  assign coalesce_time_o  = coalesce_q[31:8];
  assign wb_enable_o      = wb_enable_q;
  // AddrNarrow: one flag for the bits above VramLog2 keeps the fence
  // engine's page sum narrow.
  assign wb_base_o        = AddrNarrow ? 52'({wb_base_q[VramLog2] || wb_base_q[32], wb_base_q[VramLog2-1:12]}) :
                                         wb_base_q;
  assign timing_o         = TimingWritable ? timing_q : TimingInit;
  assign per_bank_ref_o   = per_bank_q;

  // The host's word, replicated over the line; the strobe picks its 4 bytes.
  assign mem_req_write_o = mem_write_q;
  assign mem_req_addr_o  = {vram_addr_q[VramLog2-1:LineLog2], LineLog2'(0)};
  assign mem_req_wdata_o = {Words{mem_word_q}};
  always_comb begin
    mem_req_wstrb_o = '0;
    mem_req_wstrb_o[vram_word*4 +: 4] = mem_write_q ? 4'hF : 4'h0;
  end

endmodule

`default_nettype wire
