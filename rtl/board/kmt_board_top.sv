// The board build of kmt_device for an iCE40 (iCEBreaker UP5K, HX8K
// breakout): the whole device with the ice40 preset, one channel, small
// queues, DRAM_TIMING fixed at the preset; its VRAM is on-chip RAM behind the
// memory controller (kmt_board_vram: SPRAM on the UP5K, block RAM on the
// HX8K, VramAw lines of 8 bytes); the host reaches the register block over a
// UART (kmt_uart_bridge, 8N1 at Baud).
//
// To fit the iCE40 the device is built as kmt_board_device has it: VRAM
// addresses and ring positions only as wide as the VRAM, an 18-bit refresh
// due time, memory request ids as wide as the clients need, the interrupt
// records' head and the controller's write data in block RAM, a 2-entry
// controller queue, a 1-entry write-back queue, and the rings sharing one
// fetcher and parser.
//
// Pins: clk_i (the board's 12 MHz oscillator), rst_ni (low: reset; a
// power-on reset runs after configuration anyway), uart_rx_i / uart_tx_o,
// and three LEDs: the interrupt line, STATUS.BUSY and a heartbeat (timebase
// bit 23, about 0.7 Hz at 12 MHz). LedActiveLow marks the LEDs that light on
// a low pin (bit 0 irq, 1 busy, 2 heartbeat).
//
// The device runs at ClkHz / ClkDiv: ClkDiv = 2 (the UP5K, whose build
// closes timing near 10 MHz) halves the oscillator with a flop, which
// nextpnr puts on a global buffer; the UART's bit time follows.

`include "rtl/mc/kmt_dram_pkg.sv"
`include "rtl/kmt_regs_pkg.sv"

`default_nettype none

module kmt_board_top #(
  parameter int unsigned ClkHz        = 12_000_000,   // the oscillator on clk_i
  parameter int unsigned ClkDiv       = 1,            // the device's clock: ClkHz / ClkDiv (1 or 2)
  parameter int unsigned Baud         = 115_200,
  parameter int unsigned VramAw       = 14,   // 2^VramAw lines of VRAM (14: 128 KiB, the preset's whole space)
  parameter logic [2:0]  LedActiveLow = 3'b000,
  parameter int unsigned NumFences    = 16,
  parameter int unsigned NumRings     = 2,
  parameter int unsigned IrqFifoDepth = 8,
  parameter int unsigned McQueueDepth = 2,
  parameter int unsigned McRespDepth  = 2,
  parameter int unsigned WbDepth      = 1,
  parameter int unsigned DmaRdSlots   = 1,
  parameter bit          SharedRings  = 1'b1,  // the rings share one fetcher and parser (kmt_ring NumCtx)
  parameter bit          Ice40Dsp     = 1'b0,  // UP5K: counters in its SB_MAC16 blocks (kmt_counter)
  parameter bit          HeldBram     = 1'b0   // UP5K: held register words in block RAM (kmt_regs)
) (
  input  logic clk_i,
  input  logic rst_ni,
  input  logic uart_rx_i,
  output logic uart_tx_o,
  output logic led_irq_o,
  output logic led_busy_o,
  output logic led_alive_o
);

  localparam int unsigned BgW    = (kmt_dram_pkg::Ice40BgBits > 0) ? kmt_dram_pkg::Ice40BgBits : 1;
  localparam int unsigned BaW    = (kmt_dram_pkg::Ice40BaBits > 0) ? kmt_dram_pkg::Ice40BaBits : 1;
  localparam int unsigned RowW   = (kmt_dram_pkg::Ice40RoBits > 0) ? kmt_dram_pkg::Ice40RoBits : 1;
  localparam int unsigned ColW   = (kmt_dram_pkg::Ice40CoBits > 0) ? kmt_dram_pkg::Ice40CoBits : 1;
  localparam int unsigned DataW  = 8 * kmt_dram_pkg::Ice40RequestBytes;
  localparam int unsigned StrbW  = DataW / 8;
  localparam int unsigned Aw     = kmt_regs_pkg::BlockAw;

  // ---------------------------------------------------------------- clock
  logic clk;

  if (ClkDiv == 2) begin : g_clk_half
    logic half_q;   // starts at 0 after configuration

    always_ff @(posedge clk_i) begin
      half_q <= !half_q;
    end

    assign clk = half_q;
  end else begin : g_clk_osc
    assign clk = clk_i;
  end

  // ---------------------------------------------------------------- reset
  // Flops start at 0 after configuration: por_q counts to 8 before the
  // device leaves reset; rst_ni resets at any time.
  logic [3:0] por_q;
  logic [1:0] rst_sync_q;
  logic       rst_n;

  always_ff @(posedge clk) begin
    if (!por_q[3]) begin
      por_q <= por_q + 4'd1;
    end
  end

  always_ff @(posedge clk or negedge rst_ni) begin
    if (!rst_ni) begin
      rst_sync_q <= '0;
    end else begin
      rst_sync_q <= {rst_sync_q[0], por_q[3]};
    end
  end

  assign rst_n = rst_sync_q[1];

  // ---------------------------------------------------------------- timebase
  // The timebase: the low half a counter that may live in a DSP block, the
  // high half counting its wraps.
  logic [63:0] timebase_q;
  logic        tb_wrap, tb_carry_hi;

  kmt_counter #(.Ice40Dsp(Ice40Dsp)) u_timebase_lo (
    .clk_i(clk), .rst_ni(rst_n), .inc_i(1'b1), .count_o(timebase_q[31:0]), .carry_o(tb_wrap)
  );
  kmt_counter u_timebase_hi (
    .clk_i(clk), .rst_ni(rst_n), .inc_i(tb_wrap), .count_o(timebase_q[63:32]), .carry_o(tb_carry_hi)
  );

  // ---------------------------------------------------------------- host link
  logic          host_req_valid, host_req_ready, host_req_write;
  logic [Aw-1:0] host_req_addr;
  logic [31:0]   host_req_wdata, host_rsp_rdata;
  logic          host_rsp_valid, host_rsp_error;

  kmt_uart_bridge #(
    .ClksPerBit ((ClkHz / ClkDiv + Baud / 2) / Baud),
    .Aw         (Aw)
  ) u_bridge (
    .clk_i       (clk),
    .rst_ni      (rst_n),
    .rx_i        (uart_rx_i),
    .tx_o        (uart_tx_o),
    .req_valid_o (host_req_valid),
    .req_ready_i (host_req_ready),
    .req_write_o (host_req_write),
    .req_addr_o  (host_req_addr),
    .req_wdata_o (host_req_wdata),
    .rsp_valid_i (host_rsp_valid),
    .rsp_rdata_i (host_rsp_rdata),
    .rsp_error_i (host_rsp_error)
  );

  // ---------------------------------------------------------------- the device
  logic             irq, busy, quiet;
  logic [63:0]      wake, irq_wake;
  logic             dram_cmd_valid, dram_wdata_valid, dram_rvalid;
  logic [2:0]       dram_cmd;
  logic [BgW-1:0]   dram_bg;
  logic [BaW-1:0]   dram_ba;
  logic [RowW-1:0]  dram_row;
  logic [ColW-1:0]  dram_col;
  logic [DataW-1:0] dram_wdata, dram_rdata;
  logic [StrbW-1:0] dram_wstrb;

  // Probes are for simulation: nothing reads them here.
  logic [NumRings-1:0]    prb_fetch_valid;
  logic [NumRings*16-1:0] prb_fetch_fence;
  logic [NumRings*64-1:0] prb_fetch_value;
  logic                   prb_upd_valid, prb_upd_src, prb_wb_valid, prb_wb_src;
  logic                   prb_rec_valid, prb_rec_dropped, prb_rec_src;
  logic [15:0]            prb_upd_fence, prb_wb_fence, prb_rec_fence;
  logic [63:0]            prb_upd_value, prb_wb_value, prb_rec_value;
  logic [3:0]             prb_upd_ring, prb_wb_ring, prb_rec_ring;

  kmt_board_device #(
    .NumFences    (NumFences),
    .NumRings     (NumRings),
    .IrqFifoDepth (IrqFifoDepth),
    .McQueueDepth (McQueueDepth),
    .McRespDepth  (McRespDepth),
    .WbDepth      (WbDepth),
    .DmaRdSlots   (DmaRdSlots),
    .SharedRings  (SharedRings),
    .Ice40Dsp     (Ice40Dsp),
    .HeldBram     (HeldBram)
  ) u_device (
    .clk_i              (clk),
    .rst_ni             (rst_n),
    .timebase_i         (timebase_q),
    .host_req_valid_i   (host_req_valid),
    .host_req_ready_o   (host_req_ready),
    .host_req_write_i   (host_req_write),
    .host_req_addr_i    (host_req_addr),
    .host_req_wdata_i   (host_req_wdata),
    .host_rsp_valid_o   (host_rsp_valid),
    .host_rsp_rdata_o   (host_rsp_rdata),
    .host_rsp_error_o   (host_rsp_error),
    .irq_o              (irq),
    .busy_o             (busy),
    .quiet_o            (quiet),
    .wake_o             (wake),
    .irq_wake_o         (irq_wake),
    .dram_cmd_valid_o   (dram_cmd_valid),
    .dram_cmd_o         (dram_cmd),
    .dram_bg_o          (dram_bg),
    .dram_ba_o          (dram_ba),
    .dram_row_o         (dram_row),
    .dram_col_o         (dram_col),
    .dram_wdata_valid_o (dram_wdata_valid),
    .dram_wdata_o       (dram_wdata),
    .dram_wstrb_o       (dram_wstrb),
    .dram_rvalid_i      (dram_rvalid),
    .dram_rdata_i       (dram_rdata),
    .prb_fetch_valid_o  (prb_fetch_valid),
    .prb_fetch_fence_o  (prb_fetch_fence),
    .prb_fetch_value_o  (prb_fetch_value),
    .prb_upd_valid_o    (prb_upd_valid),
    .prb_upd_fence_o    (prb_upd_fence),
    .prb_upd_value_o    (prb_upd_value),
    .prb_upd_src_o      (prb_upd_src),
    .prb_upd_ring_o     (prb_upd_ring),
    .prb_wb_valid_o     (prb_wb_valid),
    .prb_wb_fence_o     (prb_wb_fence),
    .prb_wb_value_o     (prb_wb_value),
    .prb_wb_src_o       (prb_wb_src),
    .prb_wb_ring_o      (prb_wb_ring),
    .prb_rec_valid_o    (prb_rec_valid),
    .prb_rec_dropped_o  (prb_rec_dropped),
    .prb_rec_fence_o    (prb_rec_fence),
    .prb_rec_value_o    (prb_rec_value),
    .prb_rec_src_o      (prb_rec_src),
    .prb_rec_ring_o     (prb_rec_ring)
  );

  // ---------------------------------------------------------------- VRAM
  kmt_board_vram #(
    .BaW   (BaW),
    .RowW  (RowW),
    .ColW  (ColW),
    .DataW (DataW),
    .AddrW (VramAw)
  ) u_vram (
    .clk_i         (clk),
    .rst_ni        (rst_n),
    .cmd_i         (dram_cmd),
    .ba_i          (dram_ba),
    .row_i         (dram_row),
    .col_i         (dram_col),
    .wdata_valid_i (dram_wdata_valid),
    .wdata_i       (dram_wdata),
    .wstrb_i       (dram_wstrb),
    .rvalid_o      (dram_rvalid),
    .rdata_o       (dram_rdata)
  );

  // ---------------------------------------------------------------- LEDs
  assign led_irq_o   = irq ^ LedActiveLow[0];
  assign led_busy_o  = busy ^ LedActiveLow[1];
  assign led_alive_o = timebase_q[23] ^ LedActiveLow[2];

  logic unused_outputs;
  assign unused_outputs = ^{tb_carry_hi, quiet, wake, irq_wake, dram_cmd_valid, dram_bg,
                            prb_fetch_valid, prb_fetch_fence, prb_fetch_value,
                            prb_upd_valid, prb_upd_fence, prb_upd_value, prb_upd_src, prb_upd_ring,
                            prb_wb_valid, prb_wb_fence, prb_wb_value, prb_wb_src, prb_wb_ring,
                            prb_rec_valid, prb_rec_dropped, prb_rec_fence, prb_rec_value, prb_rec_src,
                            prb_rec_ring};

endmodule

`default_nettype wire
