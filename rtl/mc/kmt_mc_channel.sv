// One DRAM channel of the memory controller: transaction queue, FR-FCFS
// scheduler, one state machine per bank, tFAW window, refresh manager, the
// channel's command bus, and the response path.
//
// Command bus: at most one command per cycle, combinational from state
// (dram_cmd_o = CmdNop when idle); the DRAM samples it at the clock edge that
// ends the cycle. Write data follows its WR one cycle later on dram_wdata_o,
// with its byte strobe on dram_wstrb_o (the DRAM's data mask: only bytes
// whose strobe bit is set are written); the write-data buffer is a
// synchronous RAM, and CWL counts from the WR. Read
// data comes back on dram_rvalid_i/dram_rdata_i, in RD order, at least two
// cycles after the RD (CL >= 2).
//
// Responses: one per request, with the request's port and id; a write is
// acknowledged when its WR is sent. An RD or WR is sent only when its
// response has room, so read data is never dropped.
//
// quiet_o: no request queued or in flight, every bank and tFAW counter run
// out, the gaps loaded, no refresh owed or due: the next clock changes
// nothing, and neither does any later one before the timebase reaches
// ref_due_o or a request arrives.

`include "rtl/mc/kmt_dram_pkg.sv"
`include "rtl/mc/kmt_mc_pkg.sv"

`default_nettype none

module kmt_mc_channel #(
  parameter int unsigned NumBg = 4,          // bank groups
  parameter int unsigned NumBa = 4,          // banks per group
  parameter int unsigned RowW = 15,
  parameter int unsigned ColW = 4,
  parameter int unsigned DataW = 512,
  parameter int unsigned IdW = 8,
  parameter int unsigned PortW = 3,
  parameter int unsigned Depth = 32,         // transaction queue
  parameter int unsigned RespDepth = 8,      // read responses in flight or waiting
  parameter int unsigned StarveCap = 16,
  parameter int unsigned RefMaxOwed = 8,
  parameter int unsigned RefForceOwed = 4,
  parameter int unsigned GapW = kmt_mc_pkg::CntW,  // wait counters' width: every gap - 1 fits
  parameter bit          CfgConst = 1'b0,          // cfg_i is a constant (kmt_mc_gaps)
  parameter bit          WdataBram = 1'b0,         // the write-data buffer in block RAM, however small
  parameter int unsigned DueW = 64,                // refresh due time's width (kmt_mc_refresh)
  localparam int unsigned NumBanks = NumBg * NumBa,
  localparam int unsigned BgBits = $clog2(NumBg),
  localparam int unsigned BaBits = $clog2(NumBa),
  localparam int unsigned BankW = (BgBits + BaBits > 0) ? BgBits + BaBits : 1,
  localparam int unsigned BgW = (BgBits > 0) ? BgBits : 1,
  localparam int unsigned BaW = (BaBits > 0) ? BaBits : 1,
  localparam int unsigned StrbW = DataW / 8
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  kmt_dram_pkg::timing_t  cfg_i,
  input  logic                   per_bank_ref_i,
  input  logic [63:0]            timebase_i,

  // Requests (from the channel's arbiter).
  input  logic                   req_valid_i,
  output logic                   req_ready_o,
  input  logic                   req_write_i,
  input  logic [BankW-1:0]       req_bank_i,   // {bank group, bank}
  input  logic [RowW-1:0]        req_row_i,
  input  logic [ColW-1:0]        req_col_i,
  input  logic [IdW-1:0]         req_id_i,
  input  logic [PortW-1:0]       req_port_i,
  input  logic [DataW-1:0]       req_wdata_i,
  input  logic [StrbW-1:0]       req_wstrb_i,

  // Responses.
  output logic                   rsp_valid_o,
  input  logic                   rsp_ready_i,
  output logic                   rsp_write_o,
  output logic [IdW-1:0]         rsp_id_o,
  output logic [PortW-1:0]       rsp_port_o,
  output logic [DataW-1:0]       rsp_data_o,

  // DRAM command bus.
  output kmt_dram_pkg::cmd_e     dram_cmd_o,
  output logic [BgW-1:0]         dram_bg_o,
  output logic [BaW-1:0]         dram_ba_o,
  output logic [RowW-1:0]        dram_row_o,   // ACT: the row; RD/WR: the open row (for checking)
  output logic [ColW-1:0]        dram_col_o,
  output logic                   dram_wdata_valid_o,
  output logic [DataW-1:0]       dram_wdata_o,
  output logic [StrbW-1:0]       dram_wstrb_o,
  input  logic                   dram_rvalid_i,
  input  logic [DataW-1:0]       dram_rdata_i,

  output logic                   quiet_o,
  output logic [63:0]            ref_due_o
);

  localparam int unsigned IdxW = (Depth > 1) ? $clog2(Depth) : 1;
  localparam int unsigned SlotW = IdxW;
  localparam int unsigned TagW = SlotW + PortW + IdW;
  localparam int unsigned MetaW = PortW + IdW;
  localparam int unsigned RespCntW = $clog2(RespDepth + 1);
  localparam int unsigned RespPtrW = (RespDepth > 1) ? $clog2(RespDepth) : 1;
  localparam int unsigned W = GapW;
  localparam int unsigned OwedW = $clog2(RefMaxOwed + 1);

  // ---------------------------------------------------------------- timing
  kmt_mc_pkg::gaps_t gaps;
  logic              gaps_valid, gaps_stable;

  kmt_mc_gaps #(
    .GapW     (GapW),
    .CfgConst (CfgConst)
  ) u_gaps (
    .clk_i,
    .rst_ni,
    .cfg_i,
    .gaps_o   (gaps),
    .valid_o  (gaps_valid),
    .stable_o (gaps_stable)
  );

  // ---------------------------------------------------------------- queue
  logic                   q_full, q_hazard, q_push, q_pop;
  logic [Depth-1:0]       ent_valid, ent_write, ent_urgent;
  logic [Depth*BankW-1:0] ent_bank;
  logic [Depth*RowW-1:0]  ent_row;
  logic [NumBanks-1:0]    bank_busy;
  logic [ColW-1:0]        pick_col;
  logic [TagW-1:0]        pick_tag;
  logic [Depth-1:0]       slot_free_q, slot_free_d;
  logic [SlotW-1:0]       alloc_slot, pick_slot;
  logic [PortW-1:0]       pick_port;
  logic [IdW-1:0]         pick_id;

  // Lowest free write-data slot; there is one whenever the queue has room.
  always_comb begin
    alloc_slot = '0;
    for (int i = Depth - 1; i >= 0; i--) begin
      if (slot_free_q[i]) begin
        alloc_slot = SlotW'(i);
      end
    end
  end

  assign req_ready_o = !q_full && !q_hazard;
  assign q_push      = req_valid_i && req_ready_o;

  // ---------------------------------------------------------------- scheduler
  logic [NumBanks-1:0]      bank_open, bank_act_ok, bank_pre_ok, bank_ras_ok, bank_rd_ok, bank_wr_ok;
  logic [NumBanks*RowW-1:0] bank_row;
  logic [NumBanks-1:0]      can_act, ref_bank_block;
  logic                     pick_valid, faw_ok, ref_act_block, ref_col_block;
  logic [IdxW-1:0]          pick_idx;
  kmt_dram_pkg::cmd_e       pick_cmd;
  logic                     rd_credit, wr_credit;

  assign can_act = bank_act_ok & {NumBanks{faw_ok}};

  kmt_mc_queue #(
    .Depth     (Depth),
    .NumBanks  (NumBanks),
    .RowW      (RowW),
    .ColW      (ColW),
    .TagW      (TagW),
    .StarveCap (StarveCap)
  ) u_queue (
    .clk_i,
    .rst_ni,
    .push_i       (q_push),
    .push_write_i (req_write_i),
    .push_bank_i  (req_bank_i),
    .push_row_i   (req_row_i),
    .push_col_i   (req_col_i),
    .push_tag_i   ({alloc_slot, req_port_i, req_id_i}),
    .full_o       (q_full),
    .hazard_o     (q_hazard),
    .pop_i        (q_pop),
    .pop_idx_i    (pick_idx),
    .ent_valid_o  (ent_valid),
    .ent_write_o  (ent_write),
    .ent_urgent_o (ent_urgent),
    .ent_bank_o   (ent_bank),
    .ent_row_o    (ent_row),
    .bank_busy_o  (bank_busy),
    .rd_idx_i     (pick_idx),
    .rd_col_o     (pick_col),
    .rd_tag_o     (pick_tag)
  );

  assign {pick_slot, pick_port, pick_id} = pick_tag;

  kmt_mc_sched #(
    .Depth    (Depth),
    .NumBanks (NumBanks),
    .RowW     (RowW)
  ) u_sched (
    .ent_valid_i  (ent_valid),
    .ent_write_i  (ent_write),
    .ent_urgent_i (ent_urgent),
    .ent_bank_i   (ent_bank),
    .ent_row_i    (ent_row),
    .bank_open_i  (bank_open),
    .bank_row_i   (bank_row),
    .can_act_i    (can_act),
    .can_pre_i    (bank_pre_ok),
    .can_rd_i     (bank_rd_ok),
    .can_wr_i     (bank_wr_ok),
    .bank_block_i (ref_bank_block),
    .act_block_i  (ref_act_block),
    .col_block_i  (ref_col_block),
    .rd_credit_i  (rd_credit),
    .wr_credit_i  (wr_credit),
    .pick_valid_o (pick_valid),
    .pick_idx_o   (pick_idx),
    .pick_cmd_o   (pick_cmd)
  );

  // ---------------------------------------------------------------- refresh
  logic               ref_req;
  kmt_dram_pkg::cmd_e ref_cmd;
  logic [BankW-1:0]   ref_bank;
  logic [OwedW-1:0]   ref_owed;
  logic               ref_quiet;

  kmt_mc_refresh #(
    .NumBanks  (NumBanks),
    .MaxOwed   (RefMaxOwed),
    .ForceOwed (RefForceOwed),
    .DueW      (DueW)
  ) u_refresh (
    .clk_i,
    .rst_ni,
    .en_i          (gaps_valid),
    .refi_i        (cfg_i.refi),
    .refib_i       (cfg_i.refib),
    .per_bank_i    (per_bank_ref_i),
    .timebase_i,
    .bank_open_i   (bank_open),
    .bank_act_ok_i (bank_act_ok),
    .bank_pre_ok_i (bank_pre_ok),
    .bank_ras_ok_i (bank_ras_ok),
    .bank_busy_i   (bank_busy),
    .req_o         (ref_req),
    .cmd_o         (ref_cmd),
    .bank_o        (ref_bank),
    .act_block_o   (ref_act_block),
    .col_block_o   (ref_col_block),
    .bank_block_o  (ref_bank_block),
    .owed_o        (ref_owed),
    .due_o         (ref_due_o),
    .quiet_o       (ref_quiet)
  );

  logic unused_owed;
  assign unused_owed = ^ref_owed;

  // ---------------------------------------------------------------- command bus
  kmt_dram_pkg::cmd_e cmd;
  logic [BankW-1:0]   cmd_bank;
  logic [RowW-1:0]    cmd_row;
  logic [BankW-1:0]   cmd_group;

  always_comb begin
    cmd      = kmt_dram_pkg::CmdNop;
    cmd_bank = '0;
    cmd_row  = '0;
    q_pop    = 1'b0;
    if (gaps_valid) begin
      if (ref_req) begin
        cmd      = ref_cmd;
        cmd_bank = ref_bank;
      end else if (pick_valid) begin
        cmd      = pick_cmd;
        cmd_bank = ent_bank[pick_idx*BankW +: BankW];
        cmd_row  = ent_row[pick_idx*RowW +: RowW];
        q_pop    = (pick_cmd == kmt_dram_pkg::CmdRd) || (pick_cmd == kmt_dram_pkg::CmdWr);
      end
    end
  end

  assign cmd_group = cmd_bank >> BaBits;

  logic [NumBanks-1:0] bank_quiet;

  for (genvar b = 0; b < NumBanks; b++) begin : g_bank
    kmt_mc_bank #(
      .RowW (RowW),
      .GapW (GapW)
    ) u_bank (
      .clk_i,
      .rst_ni,
      .gaps_i           (gaps),
      .cmd_i            (cmd),
      .cmd_this_bank_i  (cmd_bank == BankW'(b)),
      .cmd_same_group_i (cmd_group == BankW'(b >> BaBits)),
      .cmd_row_i        (cmd_row),
      .open_o           (bank_open[b]),
      .row_o            (bank_row[b*RowW +: RowW]),
      .act_ok_o         (bank_act_ok[b]),
      .pre_ok_o         (bank_pre_ok[b]),
      .ras_ok_o         (bank_ras_ok[b]),
      .rd_ok_o          (bank_rd_ok[b]),
      .wr_ok_o          (bank_wr_ok[b]),
      .quiet_o          (bank_quiet[b])
    );
  end

  // tFAW: the last four ACTs' windows; an ACT may go while one of them has run out.
  logic [W-1:0] faw_q [4];
  logic [W-1:0] faw_d [4];
  logic         faw_loaded;

  always_comb begin
    faw_ok     = 1'b0;
    faw_loaded = 1'b0;
    for (int unsigned k = 0; k < 4; k++) begin
      faw_ok   = faw_ok || (faw_q[k] == '0);
      faw_d[k] = (faw_q[k] == '0) ? '0 : faw_q[k] - W'(1);
    end
    if (cmd == kmt_dram_pkg::CmdAct) begin
      for (int unsigned k = 0; k < 4; k++) begin
        if (!faw_loaded && faw_q[k] == '0) begin
          faw_loaded = 1'b1;
          faw_d[k]   = W'(gaps.faw);
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned k = 0; k < 4; k++) begin
        faw_q[k] <= '0;
      end
    end else begin
      for (int unsigned k = 0; k < 4; k++) begin
        faw_q[k] <= faw_d[k];
      end
    end
  end

  assign dram_cmd_o = cmd;
  assign dram_row_o = cmd_row;
  assign dram_col_o = pick_col;
  if (BgBits > 0) begin : g_bg
    assign dram_bg_o = cmd_bank[BankW-1 -: BgW];
  end else begin : g_no_bg
    assign dram_bg_o = '0;
  end
  if (BaBits > 0) begin : g_ba
    assign dram_ba_o = cmd_bank[BaW-1:0];
  end else begin : g_no_ba
    assign dram_ba_o = '0;
  end

  // ---------------------------------------------------------------- write data
  logic             issue_rd, issue_wr;
  logic [DataW+StrbW-1:0] wdata_out_q;
  logic                   wdata_valid_q;

  assign issue_rd = q_pop && (cmd == kmt_dram_pkg::CmdRd);
  assign issue_wr = q_pop && (cmd == kmt_dram_pkg::CmdWr);

  always_comb begin
    slot_free_d = slot_free_q;
    if (q_pop) begin
      slot_free_d[pick_slot] = 1'b1;
    end
    if (q_push) begin
      slot_free_d[alloc_slot] = 1'b0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      slot_free_q   <= '1;
      wdata_valid_q <= 1'b0;
    end else begin
      slot_free_q   <= slot_free_d;
      wdata_valid_q <= issue_wr;
    end
  end

  // Block RAM style: one write port, one registered read port, no reset.
  // A WR reads a slot that is taken and a push writes a free one, so the
  // ports never meet at one place.
  if (WdataBram) begin : g_wdata_bram
    (* ram_style = "block", no_rw_check *)
    logic [DataW+StrbW-1:0] wdata_mem_q [Depth];

    always_ff @(posedge clk_i) begin
      if (q_push && req_write_i) begin
        wdata_mem_q[alloc_slot] <= {req_wstrb_i, req_wdata_i};
      end
      if (issue_wr) begin
        wdata_out_q <= wdata_mem_q[pick_slot];
      end
    end
  end else begin : g_wdata_ram
    logic [DataW+StrbW-1:0] wdata_mem_q [Depth];

    always_ff @(posedge clk_i) begin
      if (q_push && req_write_i) begin
        wdata_mem_q[alloc_slot] <= {req_wstrb_i, req_wdata_i};
      end
      if (issue_wr) begin
        wdata_out_q <= wdata_mem_q[pick_slot];
      end
    end
  end

  assign dram_wdata_valid_o = wdata_valid_q;
  assign dram_wdata_o       = wdata_out_q[DataW-1:0];
  assign dram_wstrb_o       = wdata_out_q[DataW +: StrbW];

  // ---------------------------------------------------------------- responses
  // Reads in flight: {port, id} in RD order, a small register file.
  logic [MetaW-1:0]    meta_q [RespDepth];
  logic [RespPtrW-1:0] meta_wptr_q, meta_rptr_q;
  logic [RespCntW-1:0] rd_cnt_q, rd_cnt_d;
  logic                rd_fifo_wready, rd_fifo_rvalid, rd_fifo_rready;
  logic [MetaW+DataW-1:0] rd_fifo_rdata;
  logic                wack_fifo_wready, wack_fifo_rvalid, wack_fifo_rready;
  logic                rd_fifo_empty, wack_fifo_empty;
  logic [MetaW-1:0]    wack_fifo_rdata;
  logic                sel_wack, prefer_wack_q;
  logic [$clog2(RespDepth + 2)-1:0] unused_rd_fifo_level, unused_wack_fifo_level;

  function automatic logic [RespPtrW-1:0] meta_next(input logic [RespPtrW-1:0] p);
    meta_next = (p == RespPtrW'(RespDepth - 1)) ? '0 : p + RespPtrW'(1);
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      meta_wptr_q <= '0;
      meta_rptr_q <= '0;
    end else begin
      if (issue_rd) begin
        meta_wptr_q <= meta_next(meta_wptr_q);
      end
      if (dram_rvalid_i) begin
        meta_rptr_q <= meta_next(meta_rptr_q);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (issue_rd) begin
      meta_q[meta_wptr_q] <= {pick_port, pick_id};
    end
  end

  assign rd_credit = (rd_cnt_q != RespCntW'(RespDepth));
  assign wr_credit = wack_fifo_wready;

  kmt_fifo #(
    .Width    (MetaW + DataW),
    .Depth    (RespDepth),
    .OutReg   (1'b1),
    .BlockRam (1'b1)   // read data: wide, kept out of the logic cells
  ) u_rd_fifo (
    .clk_i,
    .rst_ni,
    .clr_i    (1'b0),
    .wvalid_i (dram_rvalid_i),
    .wready_o (rd_fifo_wready),
    .wdata_i  ({meta_q[meta_rptr_q], dram_rdata_i}),
    .rvalid_o (rd_fifo_rvalid),
    .rready_i (rd_fifo_rready),
    .rdata_o  (rd_fifo_rdata),
    .level_o  (unused_rd_fifo_level),
    .empty_o  (rd_fifo_empty)
  );

  // Room is reserved at RD time, so the FIFO always takes the data.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
    end else if (dram_rvalid_i) begin
      assert (rd_fifo_wready);
    end
  end

  kmt_fifo #(
    .Width  (MetaW),
    .Depth  (RespDepth),
    .OutReg (1'b1)
  ) u_wack_fifo (
    .clk_i,
    .rst_ni,
    .clr_i    (1'b0),
    .wvalid_i (issue_wr),
    .wready_o (wack_fifo_wready),
    .wdata_i  ({pick_port, pick_id}),
    .rvalid_o (wack_fifo_rvalid),
    .rready_i (wack_fifo_rready),
    .rdata_o  (wack_fifo_rdata),
    .level_o  (unused_wack_fifo_level),
    .empty_o  (wack_fifo_empty)
  );

  // Read data and write acknowledgements take turns when both wait.
  assign sel_wack = wack_fifo_rvalid && (!rd_fifo_rvalid || prefer_wack_q);
  assign rsp_valid_o      = rd_fifo_rvalid || wack_fifo_rvalid;
  assign rsp_write_o      = sel_wack;
  assign rsp_port_o       = sel_wack ? wack_fifo_rdata[MetaW-1 -: PortW] : rd_fifo_rdata[MetaW+DataW-1 -: PortW];
  assign rsp_id_o         = sel_wack ? wack_fifo_rdata[IdW-1:0] : rd_fifo_rdata[DataW +: IdW];
  assign rsp_data_o       = sel_wack ? '0 : rd_fifo_rdata[DataW-1:0];
  assign rd_fifo_rready   = rsp_ready_i && !sel_wack;
  assign wack_fifo_rready = rsp_ready_i && sel_wack;

  always_comb begin
    rd_cnt_d = rd_cnt_q;
    if (issue_rd && !(rd_fifo_rvalid && rd_fifo_rready)) begin
      rd_cnt_d = rd_cnt_q + RespCntW'(1);
    end else if (!issue_rd && rd_fifo_rvalid && rd_fifo_rready) begin
      rd_cnt_d = rd_cnt_q - RespCntW'(1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_cnt_q      <= '0;
      prefer_wack_q <= 1'b0;
    end else begin
      rd_cnt_q <= rd_cnt_d;
      if (rsp_valid_o && rsp_ready_i) begin
        prefer_wack_q <= !sel_wack;
      end
    end
  end

  // ---------------------------------------------------------------- quiet
  logic faw_quiet;
  always_comb begin
    faw_quiet = 1'b1;
    for (int unsigned k = 0; k < 4; k++) begin
      faw_quiet = faw_quiet && (faw_q[k] == '0);
    end
  end

  assign quiet_o = gaps_stable && ref_quiet && (ent_valid == '0) && (rd_cnt_q == '0) && rd_fifo_empty &&
                   wack_fifo_empty && !wdata_valid_q && (bank_quiet == '1) && faw_quiet;

endmodule

`default_nettype wire
