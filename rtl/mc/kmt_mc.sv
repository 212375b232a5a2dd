// Multi-channel DRAM memory controller.
//
//   NumPorts client ports (valid/ready requests: address, write, one
//   request-sized line of write data with a byte strobe, id; responses: id,
//   write flag, read data) -> per-port address decode by the preset's mapping -> one arbiter
//   per channel (port 0, the fence write-back port, has priority, capped at
//   PrioCap grants in a row while others wait; the rest round robin) ->
//   NumCh channels (kmt_mc_channel: queue, FR-FCFS, bank machines, refresh)
//   -> one DRAM command bus per channel.
//   Responses: per port, a round-robin choice among the channels that hold a
//   response for it. Responses of one port may come back out of order (use
//   the id); requests to the same address keep their order.
//
// Timing comes in on cfg_i (kmt_dram_pkg::timing_t, the same for every
// channel; CSRs in the device, a preset in tests) and must be stable while
// requests run. per_bank_ref_i selects per-bank refresh (REFB every tREFIb)
// instead of all-bank refresh (REF every tREFI). Refresh falls due on the
// system timebase (timebase_i: device clock cycles since reset).
//
// quiet_o: nothing requested, queued or in flight, every timing counter run
// out, no refresh owed: no clock changes anything until a request arrives or
// the timebase reaches wake_o (the earliest refresh due), so a simulation
// host may skip those cycles.
//
// Vectors per port or per channel are flattened, element i at [i*W +: W].

`include "rtl/mc/kmt_dram_pkg.sv"
`include "rtl/mc/kmt_mc_pkg.sv"

`default_nettype none

module kmt_mc #(
  parameter int unsigned NumPorts = 5,
  parameter int unsigned NumCh = 8,
  parameter int unsigned AddrW = 32,
  parameter int unsigned IdW = 8,
  parameter int unsigned DataW = 512,
  // Address mapping (kmt_dram_pkg::<Preset>*Bits/*Lsb); defaults: hbm2.
  parameter int unsigned ChBits = kmt_dram_pkg::Hbm2ChBits,
  parameter int unsigned ChLsb = kmt_dram_pkg::Hbm2ChLsb,
  parameter int unsigned BgBits = kmt_dram_pkg::Hbm2BgBits,
  parameter int unsigned BgLsb = kmt_dram_pkg::Hbm2BgLsb,
  parameter int unsigned BaBits = kmt_dram_pkg::Hbm2BaBits,
  parameter int unsigned BaLsb = kmt_dram_pkg::Hbm2BaLsb,
  parameter int unsigned RoBits = kmt_dram_pkg::Hbm2RoBits,
  parameter int unsigned RoLsb = kmt_dram_pkg::Hbm2RoLsb,
  parameter int unsigned CoBits = kmt_dram_pkg::Hbm2CoBits,
  parameter int unsigned CoLsb = kmt_dram_pkg::Hbm2CoLsb,
  // Controller.
  parameter int unsigned QueueDepth = 32,
  parameter int unsigned RespDepth = 8,
  parameter int unsigned StarveCap = 16,
  parameter int unsigned PrioCap = 4,
  parameter int unsigned RefMaxOwed = 8,
  parameter int unsigned RefForceOwed = 4,
  parameter int unsigned GapW = kmt_mc_pkg::CntW,  // timing counters' width: every gap - 1 must fit
  parameter bit          CfgConst = 1'b0,          // cfg_i is a constant: the gaps need no register
  parameter bit          WdataBram = 1'b0,         // channels' write-data buffers in block RAM
  // Width of the refresh due time (kmt_mc_refresh); below 64 only where
  // the timebase is clocked every cycle.
  parameter int unsigned DueW = 64,
  localparam int unsigned StrbW = DataW / 8,
  localparam int unsigned PortW = (NumPorts > 1) ? $clog2(NumPorts) : 1,
  localparam int unsigned ChW = (ChBits > 0) ? ChBits : 1,
  localparam int unsigned BgW = (BgBits > 0) ? BgBits : 1,
  localparam int unsigned BaW = (BaBits > 0) ? BaBits : 1,
  localparam int unsigned RowW = (RoBits > 0) ? RoBits : 1,
  localparam int unsigned ColW = (CoBits > 0) ? CoBits : 1,
  localparam int unsigned BankW = (BgBits + BaBits > 0) ? BgBits + BaBits : 1
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  kmt_dram_pkg::timing_t     cfg_i,
  input  logic                      per_bank_ref_i,
  input  logic [63:0]               timebase_i,

  // Client ports.
  input  logic [NumPorts-1:0]       req_valid_i,
  output logic [NumPorts-1:0]       req_ready_o,
  input  logic [NumPorts-1:0]       req_write_i,
  input  logic [NumPorts*AddrW-1:0] req_addr_i,
  input  logic [NumPorts*IdW-1:0]   req_id_i,
  input  logic [NumPorts*DataW-1:0] req_wdata_i,
  input  logic [NumPorts*StrbW-1:0] req_wstrb_i,

  output logic [NumPorts-1:0]       rsp_valid_o,
  input  logic [NumPorts-1:0]       rsp_ready_i,
  output logic [NumPorts-1:0]       rsp_write_o,
  output logic [NumPorts*IdW-1:0]   rsp_id_o,
  output logic [NumPorts*DataW-1:0] rsp_data_o,

  // DRAM command buses, one per channel (cmd: kmt_dram_pkg::cmd_e, CmdNop
  // whenever dram_cmd_valid_o is low).
  output logic [NumCh-1:0]          dram_cmd_valid_o,
  output logic [NumCh*3-1:0]        dram_cmd_o,
  output logic [NumCh*BgW-1:0]      dram_bg_o,
  output logic [NumCh*BaW-1:0]      dram_ba_o,
  output logic [NumCh*RowW-1:0]     dram_row_o,
  output logic [NumCh*ColW-1:0]     dram_col_o,
  output logic [NumCh-1:0]          dram_wdata_valid_o,
  output logic [NumCh*DataW-1:0]    dram_wdata_o,
  output logic [NumCh*StrbW-1:0]    dram_wstrb_o,
  input  logic [NumCh-1:0]          dram_rvalid_i,
  input  logic [NumCh*DataW-1:0]    dram_rdata_i,

  output logic                      quiet_o,
  output logic [63:0]               wake_o
);

  localparam int unsigned ChIdxW = (NumCh > 1) ? $clog2(NumCh) : 1;

  // ---------------------------------------------------------------- decode
  logic [ChW-1:0]   port_ch   [NumPorts];
  logic [BankW-1:0] port_bank [NumPorts];
  logic [RowW-1:0]  port_row  [NumPorts];
  logic [ColW-1:0]  port_col  [NumPorts];

  for (genvar p = 0; p < NumPorts; p++) begin : g_port
    logic [BgW-1:0] bg;
    logic [BaW-1:0] ba;

    kmt_mc_addr_map #(
      .AddrW  (AddrW),
      .ChBits (ChBits),
      .ChLsb  (ChLsb),
      .BgBits (BgBits),
      .BgLsb  (BgLsb),
      .BaBits (BaBits),
      .BaLsb  (BaLsb),
      .RoBits (RoBits),
      .RoLsb  (RoLsb),
      .CoBits (CoBits),
      .CoLsb  (CoLsb)
    ) u_map (
      .addr_i (req_addr_i[p*AddrW +: AddrW]),
      .ch_o   (port_ch[p]),
      .bg_o   (bg),
      .ba_o   (ba),
      .row_o  (port_row[p]),
      .col_o  (port_col[p])
    );

    if (BgBits > 0 && BaBits > 0) begin : g_bank_both
      assign port_bank[p] = {bg, ba};
    end else if (BgBits > 0) begin : g_bank_bg
      assign port_bank[p] = bg;
      logic unused_ba;
      assign unused_ba = ^ba;
    end else begin : g_bank_ba
      assign port_bank[p] = ba;
      logic unused_bg;
      assign unused_bg = ^bg;
    end
  end

  // ---------------------------------------------------------------- channels
  logic [NumPorts-1:0] ch_gnt   [NumCh];
  logic [NumCh-1:0]    ch_ready;
  logic [NumCh-1:0]    ch_rsp_valid, ch_rsp_ready, ch_rsp_write;
  logic [PortW-1:0]    ch_rsp_port [NumCh];
  logic [IdW-1:0]      ch_rsp_id   [NumCh];
  logic [DataW-1:0]    ch_rsp_data [NumCh];
  logic [NumCh-1:0]    ch_quiet, ch_arb_idle;
  logic [63:0]         ch_due [NumCh];

  for (genvar c = 0; c < NumCh; c++) begin : g_ch
    logic [NumPorts-1:0] req;
    logic [PortW-1:0]    gnt_idx;
    logic                gnt_valid;
    logic                ch_valid;
    kmt_dram_pkg::cmd_e  cmd;

    always_comb begin
      for (int unsigned p = 0; p < NumPorts; p++) begin
        req[p] = req_valid_i[p] && (NumCh == 1 || port_ch[p] == ChW'(c));
      end
    end

    kmt_mc_arb #(
      .N       (NumPorts),
      .PrioEn  (1'b1),
      .PrioCap (PrioCap)
    ) u_arb (
      .clk_i,
      .rst_ni,
      .req_i       (req),
      .ack_i       (ch_ready[c]),
      .gnt_o       (ch_gnt[c]),
      .gnt_idx_o   (gnt_idx),
      .gnt_valid_o (gnt_valid),
      .idle_o      (ch_arb_idle[c])
    );

    assign ch_valid = gnt_valid;

    // The granted port's request: each port's fields under its grant bit,
    // ORed (one bit at most is set), where a binary-indexed multiplexer
    // would also decode the ports that never write.
    logic             sel_write;
    logic [BankW-1:0] sel_bank;
    logic [RowW-1:0]  sel_row;
    logic [ColW-1:0]  sel_col;
    logic [IdW-1:0]   sel_id;
    logic [DataW-1:0] sel_wdata;
    logic [StrbW-1:0] sel_wstrb;
    always_comb begin
      sel_write = 1'b0;
      sel_bank  = '0;
      sel_row   = '0;
      sel_col   = '0;
      sel_id    = '0;
      sel_wdata = '0;
      sel_wstrb = '0;
      for (int unsigned p = 0; p < NumPorts; p++) begin
        sel_write |= ch_gnt[c][p] && req_write_i[p];
        sel_bank  |= {BankW{ch_gnt[c][p]}} & port_bank[p];
        sel_row   |= {RowW{ch_gnt[c][p]}} & port_row[p];
        sel_col   |= {ColW{ch_gnt[c][p]}} & port_col[p];
        sel_id    |= {IdW{ch_gnt[c][p]}} & req_id_i[p*IdW +: IdW];
        sel_wdata |= {DataW{ch_gnt[c][p]}} & req_wdata_i[p*DataW +: DataW];
        sel_wstrb |= {StrbW{ch_gnt[c][p]}} & req_wstrb_i[p*StrbW +: StrbW];
      end
    end

    kmt_mc_channel #(
      .NumBg        (1 << BgBits),
      .NumBa        (1 << BaBits),
      .RowW         (RowW),
      .ColW         (ColW),
      .DataW        (DataW),
      .IdW          (IdW),
      .PortW        (PortW),
      .Depth        (QueueDepth),
      .RespDepth    (RespDepth),
      .StarveCap    (StarveCap),
      .RefMaxOwed   (RefMaxOwed),
      .RefForceOwed (RefForceOwed),
      .GapW         (GapW),
      .CfgConst     (CfgConst),
      .WdataBram    (WdataBram),
      .DueW         (DueW)
    ) u_channel (
      .clk_i,
      .rst_ni,
      .cfg_i,
      .per_bank_ref_i,
      .timebase_i,
      .req_valid_i        (ch_valid),
      .req_ready_o        (ch_ready[c]),
      .req_write_i        (sel_write),
      .req_bank_i         (sel_bank),
      .req_row_i          (sel_row),
      .req_col_i          (sel_col),
      .req_id_i           (sel_id),
      .req_port_i         (gnt_idx),
      .req_wdata_i        (sel_wdata),
      .req_wstrb_i        (sel_wstrb),
      .rsp_valid_o        (ch_rsp_valid[c]),
      .rsp_ready_i        (ch_rsp_ready[c]),
      .rsp_write_o        (ch_rsp_write[c]),
      .rsp_id_o           (ch_rsp_id[c]),
      .rsp_port_o         (ch_rsp_port[c]),
      .rsp_data_o         (ch_rsp_data[c]),
      .dram_cmd_o         (cmd),
      .dram_bg_o          (dram_bg_o[c*BgW +: BgW]),
      .dram_ba_o          (dram_ba_o[c*BaW +: BaW]),
      .dram_row_o         (dram_row_o[c*RowW +: RowW]),
      .dram_col_o         (dram_col_o[c*ColW +: ColW]),
      .dram_wdata_valid_o (dram_wdata_valid_o[c]),
      .dram_wdata_o       (dram_wdata_o[c*DataW +: DataW]),
      .dram_wstrb_o       (dram_wstrb_o[c*StrbW +: StrbW]),
      .dram_rvalid_i      (dram_rvalid_i[c]),
      .dram_rdata_i       (dram_rdata_i[c*DataW +: DataW]),
      .quiet_o            (ch_quiet[c]),
      .ref_due_o          (ch_due[c])
    );

    assign dram_cmd_o[c*3 +: 3] = cmd;
    assign dram_cmd_valid_o[c]  = (cmd != kmt_dram_pkg::CmdNop);
  end

  // A port's request is taken by the channel it addresses.
  always_comb begin
    req_ready_o = '0;
    for (int unsigned c = 0; c < NumCh; c++) begin
      for (int unsigned p = 0; p < NumPorts; p++) begin
        if (ch_gnt[c][p] && ch_ready[c]) begin
          req_ready_o[p] = 1'b1;
        end
      end
    end
  end

  // ---------------------------------------------------------------- responses
  logic [NumCh-1:0]    port_gnt [NumPorts];
  logic [NumPorts-1:0] rsp_arb_idle;

  for (genvar p = 0; p < NumPorts; p++) begin : g_rsp
    logic [NumCh-1:0]  want;
    logic [ChIdxW-1:0] sel;
    logic              sel_valid;

    always_comb begin
      for (int unsigned c = 0; c < NumCh; c++) begin
        want[c] = ch_rsp_valid[c] && ch_rsp_port[c] == PortW'(p);
      end
    end

    kmt_mc_arb #(
      .N       (NumCh),
      .PrioEn  (1'b0),
      .PrioCap (0)
    ) u_arb (
      .clk_i,
      .rst_ni,
      .req_i       (want),
      .ack_i       (rsp_ready_i[p]),
      .gnt_o       (port_gnt[p]),
      .gnt_idx_o   (sel),
      .gnt_valid_o (sel_valid),
      .idle_o      (rsp_arb_idle[p])
    );

    assign rsp_valid_o[p]            = sel_valid;
    assign rsp_write_o[p]            = ch_rsp_write[sel];
    assign rsp_id_o[p*IdW +: IdW]    = ch_rsp_id[sel];
    assign rsp_data_o[p*DataW +: DataW] = ch_rsp_data[sel];
  end

  always_comb begin
    ch_rsp_ready = '0;
    for (int unsigned p = 0; p < NumPorts; p++) begin
      for (int unsigned c = 0; c < NumCh; c++) begin
        if (port_gnt[p][c] && rsp_ready_i[p]) begin
          ch_rsp_ready[c] = 1'b1;
        end
      end
    end
  end

  // ---------------------------------------------------------------- quiet
  always_comb begin
    wake_o = '1;
    for (int unsigned c = 0; c < NumCh; c++) begin
      if (ch_due[c] < wake_o) begin
        wake_o = ch_due[c];
      end
    end
  end

  assign quiet_o = (req_valid_i == '0) && (ch_quiet == '1) && (ch_arb_idle == '1) && (rsp_arb_idle == '1);

endmodule

`default_nettype wire
