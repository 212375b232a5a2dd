// kmt_device as the iCE40 boards build it (kmt_board_top), with the same
// ports: the ice40 preset (one channel, 8-byte lines, 128 KiB), 16 fences,
// small queues, DRAM_TIMING fixed at the preset, VRAM addresses only as
// wide as the VRAM, an 18-bit refresh due time (the timebase must count
// every cycle), memory ids as wide as the clients need, the interrupt
// records' head and the controller's write data in block RAM, and the rings
// sharing one fetcher and parser; on the UP5K (Ice40Dsp) the 32-bit
// counters in its DSP blocks, and (HeldBram) the host's held words
// FENCE_WDATA, CYCLE_HI and FENCE_VALUE_HI in block RAM. One place for the board's settings: the
// board top builds it, and the device tests run it (test_device_direct_board).

`include "rtl/mc/kmt_dram_pkg.sv"
`include "rtl/kmt_regs_pkg.sv"

`default_nettype none

module kmt_board_device #(
  parameter int unsigned NumFences    = 16,
  parameter int unsigned NumRings     = 2,
  parameter int unsigned IrqFifoDepth = 8,
  parameter int unsigned McQueueDepth = 2,
  parameter int unsigned McRespDepth  = 2,
  parameter int unsigned WbDepth      = 1,
  parameter int unsigned DmaRdSlots   = 1,
  parameter bit          SharedRings  = 1'b1,
  parameter bit          Ice40Dsp     = 1'b0,   // the 32-bit counters in SB_MAC16 blocks (UP5K only)
  parameter bit          HeldBram     = 1'b0,   // FENCE_WDATA, CYCLE_HI, FENCE_VALUE_HI in block RAM (kmt_regs)
  localparam int unsigned BgW    = (kmt_dram_pkg::Ice40BgBits > 0) ? kmt_dram_pkg::Ice40BgBits : 1,
  localparam int unsigned BaW    = (kmt_dram_pkg::Ice40BaBits > 0) ? kmt_dram_pkg::Ice40BaBits : 1,
  localparam int unsigned RowW   = (kmt_dram_pkg::Ice40RoBits > 0) ? kmt_dram_pkg::Ice40RoBits : 1,
  localparam int unsigned ColW   = (kmt_dram_pkg::Ice40CoBits > 0) ? kmt_dram_pkg::Ice40CoBits : 1,
  localparam int unsigned DataW  = 8 * kmt_dram_pkg::Ice40RequestBytes,
  localparam int unsigned StrbW  = DataW / 8,
  localparam int unsigned Aw     = kmt_regs_pkg::BlockAw
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic [63:0]            timebase_i,   // counts every cycle (RefDueW)

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

  output logic                   dram_cmd_valid_o,
  output logic [2:0]             dram_cmd_o,
  output logic [BgW-1:0]         dram_bg_o,
  output logic [BaW-1:0]         dram_ba_o,
  output logic [RowW-1:0]        dram_row_o,
  output logic [ColW-1:0]        dram_col_o,
  output logic                   dram_wdata_valid_o,
  output logic [DataW-1:0]       dram_wdata_o,
  output logic [StrbW-1:0]       dram_wstrb_o,
  input  logic                   dram_rvalid_i,
  input  logic [DataW-1:0]       dram_rdata_i,

  output logic [NumRings-1:0]    prb_fetch_valid_o,
  output logic [NumRings*16-1:0] prb_fetch_fence_o,
  output logic [NumRings*64-1:0] prb_fetch_value_o,
  output logic                   prb_upd_valid_o,
  output logic [15:0]            prb_upd_fence_o,
  output logic [63:0]            prb_upd_value_o,
  output logic                   prb_upd_src_o,
  output logic [3:0]             prb_upd_ring_o,
  output logic                   prb_wb_valid_o,
  output logic [15:0]            prb_wb_fence_o,
  output logic [63:0]            prb_wb_value_o,
  output logic                   prb_wb_src_o,
  output logic [3:0]             prb_wb_ring_o,
  output logic                   prb_rec_valid_o,
  output logic                   prb_rec_dropped_o,
  output logic [15:0]            prb_rec_fence_o,
  output logic [63:0]            prb_rec_value_o,
  output logic                   prb_rec_src_o,
  output logic [3:0]             prb_rec_ring_o
);

  // Memory request ids: the widest of the write-back queue index, the DMA
  // read slot and the ring index.
  localparam int unsigned WbIdW   = (WbDepth > 1) ? $clog2(WbDepth) : 1;
  localparam int unsigned SlotIdW = (DmaRdSlots > 1) ? $clog2(DmaRdSlots) : 1;
  localparam int unsigned RingIdW = (NumRings > 1) ? $clog2(NumRings) : 1;
  localparam int unsigned McIdW   = (WbIdW > SlotIdW) ? ((WbIdW > RingIdW) ? WbIdW : RingIdW) :
                                    ((SlotIdW > RingIdW) ? SlotIdW : RingIdW);

  kmt_device #(
    .NumFences      (NumFences),
    .NumRings       (NumRings),
    .IrqFifoDepth   (IrqFifoDepth),
    .Preset         (2),    // ice40
    .McQueueDepth   (McQueueDepth),
    .McRespDepth    (McRespDepth),
    .WbDepth        (WbDepth),
    .DmaRdSlots     (DmaRdSlots),
    .TimingWritable (1'b0),
    .AddrNarrow     (1'b1),
    .RefDueW        (18),   // tREFI and tREFIb are below 2^16
    .McIdW          (McIdW),
    .IrqOutReg      (1'b1),
    .McWdataBram    (1'b1),
    .SharedRings    (SharedRings),
    .Ice40Dsp       (Ice40Dsp),
    .HeldBram       (HeldBram)
  ) u_device (
    .*
  );

endmodule

`default_nettype wire
