// DMA engine: COPY, FILL and TIMESTAMP of every ring, one command at a time,
// the rings taken in round robin when the engine is free (at command
// boundaries). A command is taken in the cycle its ring's request and the
// engine's grant meet; the engine works from the next cycle and is free again
// in the cycle after its last write request is taken. TIMESTAMP samples the
// timebase in the cycle it is taken.
//
// Writes (memory port 3) go line by line from the destination's first line
// to its last, one per cycle at most, each with the byte strobe of the
// command's range within the line; FILL replicates its 32-bit pattern,
// TIMESTAMP its 64-bit value (8-byte aligned) over the line. The write's id
// is the ring, so acknowledgements (which come back in any order) are counted
// per ring: drained_o[r] says ring r has no command here and every write of
// it has been acknowledged (the rings order SIGNAL and TIMESTAMP on it).
//
// COPY reads the source lines in order (memory port 2, one per cycle, into
// RdSlots reorder slots: read data comes back in any order, tagged with its
// slot) and takes them in order into a two-line window; destination line i
// is the window shifted by the source's word offset minus the destination's
// (modulo the line): so every line of the copy is read once and written
// once, whatever the alignments. With one slot (RdSlots = 1, the board
// build) there is no slot buffer: a source line is read only when the
// window will take it, and goes into the window as it arrives.

`default_nettype none

module kmt_dma #(
  parameter int unsigned NumRings = 2,
  parameter int unsigned VramLog2 = 32,
  parameter int unsigned DataW    = 512,
  parameter int unsigned RdSlots  = 4,     // a power of two
  parameter int unsigned IdW      = 4,
  localparam int unsigned CntW     = (VramLog2 + 1 > 32) ? 32 : VramLog2 + 1,
  localparam int unsigned StrbW    = DataW / 8
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  logic [63:0]                  timebase_i,

  // Commands, one slot per ring (op 0 COPY, 1 FILL, 2 TIMESTAMP).
  input  logic [NumRings-1:0]          cmd_valid_i,
  output logic [NumRings-1:0]          cmd_ready_o,
  input  logic [NumRings*2-1:0]        cmd_op_i,
  input  logic [NumRings*VramLog2-1:0] cmd_dst_i,
  input  logic [NumRings*VramLog2-1:0] cmd_src_i,
  input  logic [NumRings*CntW-1:0]     cmd_count_i,
  input  logic [NumRings*32-1:0]       cmd_pattern_i,
  output logic [NumRings-1:0]          drained_o,

  // Memory port 2: reads.
  output logic                         rd_req_valid_o,
  input  logic                         rd_req_ready_i,
  output logic [VramLog2-1:0]          rd_req_addr_o,
  output logic [IdW-1:0]               rd_req_id_o,
  input  logic                         rd_rsp_valid_i,
  input  logic [IdW-1:0]               rd_rsp_id_i,
  input  logic [DataW-1:0]             rd_rsp_data_i,

  // Memory port 3: writes.
  output logic                         wr_req_valid_o,
  input  logic                         wr_req_ready_i,
  output logic [VramLog2-1:0]          wr_req_addr_o,
  output logic [IdW-1:0]               wr_req_id_o,
  output logic [DataW-1:0]             wr_req_wdata_o,
  output logic [StrbW-1:0]             wr_req_wstrb_o,
  input  logic                         wr_rsp_valid_i,
  input  logic [IdW-1:0]               wr_rsp_id_i,

  output logic                         busy_o
);

  localparam int unsigned LineLog2 = $clog2(DataW / 8);
  localparam int unsigned Words    = DataW / 32;
  localparam int unsigned WordW    = LineLog2 - 2;
  localparam int unsigned LineW    = VramLog2 - LineLog2;
  localparam int unsigned LCntW    = LineW + 1;
  localparam int unsigned SlotW    = (RdSlots > 1) ? $clog2(RdSlots) : 1;
  localparam int unsigned UsedW    = $clog2(RdSlots + 1);
  localparam int unsigned RingW    = (NumRings > 1) ? $clog2(NumRings) : 1;
  localparam int unsigned OutW     = 8;

  localparam logic [1:0] OpCopy = 2'd0;
  localparam logic [1:0] OpFill = 2'd1;

  // ---------------------------------------------------------------- command choice
  logic [NumRings-1:0] req, gnt;
  logic [RingW-1:0]    gnt_idx;
  logic                gnt_valid, arb_idle;
  logic                act_q;

  assign req = act_q ? '0 : cmd_valid_i;

  kmt_mc_arb #(
    .N       (NumRings),
    .PrioEn  (1'b0),
    .PrioCap (0)
  ) u_arb (
    .clk_i,
    .rst_ni,
    .req_i       (req),
    .ack_i       (gnt_valid),
    .gnt_o       (gnt),
    .gnt_idx_o   (gnt_idx),
    .gnt_valid_o (gnt_valid),
    .idle_o      (arb_idle)
  );

  logic unused_arb_idle;
  assign unused_arb_idle = arb_idle;
  assign cmd_ready_o     = gnt;

  // The granted command and its geometry.
  logic [1:0]          g_op;
  logic [VramLog2-1:0] g_dst, g_src;
  logic [CntW-1:0]     g_count;
  logic [CntW:0]       g_dspan, g_sspan;

  assign g_op    = cmd_op_i[gnt_idx*2 +: 2];
  assign g_dst   = cmd_dst_i[gnt_idx*VramLog2 +: VramLog2];
  assign g_src   = cmd_src_i[gnt_idx*VramLog2 +: VramLog2];
  assign g_count = cmd_count_i[gnt_idx*CntW +: CntW];
  // The last word's place counted from the start of the first line (count
  // >= 4): as the range lies in VRAM, its line minus the first line is this
  // span's line, and its word in the line the span's word.
  assign g_dspan = (CntW+1)'(g_dst[LineLog2-1:0]) + (CntW+1)'(g_count) - (CntW+1)'(4);
  assign g_sspan = (CntW+1)'(g_src[LineLog2-1:0]) + (CntW+1)'(g_count) - (CntW+1)'(4);
  // Source lines, whether the source's word offset is past the
  // destination's, and the lines the first write needs: min(1 + ahead, nsrc).
  logic [LCntW-1:0] g_nsrc;
  logic             g_ahead, g_need2;
  assign g_nsrc  = LCntW'(g_sspan >> LineLog2) + LCntW'(1);
  assign g_ahead = g_src[LineLog2-1:2] > g_dst[LineLog2-1:2];
  assign g_need2 = g_ahead && g_nsrc != LCntW'(1);

  // ---------------------------------------------------------------- state
  logic [1:0]       op_q;
  logic [RingW-1:0] ring_q;
  logic [LineW-1:0] dline_q, sline_q;
  logic [LCntW-1:0] wleft_q, rleft_q, more_q;
  logic [1:0]       short_q;
  logic [WordW-1:0] dfirst_w_q, dlast_w_q, delta_q;
  logic             capped_q, first_q;
  logic [DataW-1:0] lo_q, hi_q;
  logic [DataW-1:0] slot_q [RdSlots];
  logic [RdSlots-1:0] slot_valid_q;
  logic [SlotW-1:0] iss_slot_q, cons_slot_q;
  logic [UsedW-1:0] used_q;
  logic [OutW-1:0]  out_q [NumRings];

  // Reorder slots in turn; with RdSlots = 1 the one slot (SlotW is 1 bit).
  function automatic logic [SlotW-1:0] slot_next(input logic [SlotW-1:0] s);
    slot_next = (s == SlotW'(RdSlots - 1)) ? '0 : s + SlotW'(1);
  endfunction

  // ---------------------------------------------------------------- reads
  logic rd_fire;
  logic window_room;   // RdSlots = 1: the window takes the next line when it comes
  assign rd_req_valid_o = act_q && (op_q == OpCopy) && (rleft_q != '0) && (used_q != UsedW'(RdSlots)) &&
                          (RdSlots > 1 || window_room);
  assign rd_req_addr_o  = {sline_q, LineLog2'(0)};
  assign rd_req_id_o    = IdW'(iss_slot_q);
  assign rd_fire        = rd_req_valid_o && rd_req_ready_i;

  logic [SlotW-1:0] rsp_slot;
  assign rsp_slot = rd_rsp_id_i[SlotW-1:0];

  // ---------------------------------------------------------------- writes
  logic             data_ready, wr_fire, consume, out_full, need_up, short_any;
  logic [DataW-1:0] lo_src, copy_data;
  logic [2*DataW-1:0] window;

  // Source lines that must be in the window for the next destination line,
  // w lines written: need = min(w + 1 + ahead, nsrc), ahead = 1 when the
  // source's word offset is past the destination's. It starts at
  // min(1 + ahead, nsrc) and goes up by one with each line written until it
  // reaches nsrc. Kept as what it lacks: short_q = need minus the lines
  // taken into the window (0 to 2: a line is written only with none
  // short), more_q = nsrc minus need (COPY only; 0 otherwise). capped_q:
  // w + 1 + ahead has passed nsrc (the last source line is already in the
  // window's top half).
  assign need_up    = wr_fire && more_q != '0;        // need goes up with this write
  assign short_any  = short_q != '0 || need_up;       // need after this cycle's write > lines taken
  assign data_ready = (op_q != OpCopy) || (short_q == '0);
  assign out_full   = (out_q[ring_q] == '1);

  assign wr_req_valid_o = act_q && (wleft_q != '0) && data_ready && !out_full;
  assign wr_fire        = wr_req_valid_o && wr_req_ready_i;
  // need never falls, so a line read while some are short can enter the
  // window when it comes.
  assign window_room    = short_q != '0;
  assign consume        = (RdSlots == 1) ? rd_rsp_valid_i :
                          act_q && (op_q == OpCopy) && slot_valid_q[cons_slot_q] && short_any;

  // Window: hi_q is the newest source line taken, lo_q the one before it.
  // When the copy's last source line is the low half of the window (or the
  // offsets agree), it is in hi_q. FILL and TIMESTAMP keep their line in
  // hi_q (taken with the command, delta_q 0): every write is copy_data.
  assign lo_src    = (delta_q == '0 || capped_q) ? hi_q : lo_q;
  assign window    = {hi_q, lo_src};
  assign copy_data = DataW'(window >> (32 * delta_q));

  assign wr_req_wdata_o = copy_data;

  always_comb begin
    for (int unsigned j = 0; j < Words; j++) begin
      logic en;
      en = (!first_q || WordW'(j) >= dfirst_w_q) && (wleft_q != LCntW'(1) || WordW'(j) <= dlast_w_q);
      wr_req_wstrb_o[j*4 +: 4] = {4{en}};
    end
  end

  assign wr_req_addr_o = {dline_q, LineLog2'(0)};
  assign wr_req_id_o   = IdW'(ring_q);

  logic [RingW-1:0] ack_ring;
  assign ack_ring = wr_rsp_id_i[RingW-1:0];

  // ---------------------------------------------------------------- flops
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      act_q        <= 1'b0;
      op_q         <= OpCopy;
      ring_q       <= '0;
      dline_q      <= '0;
      sline_q      <= '0;
      wleft_q      <= '0;
      rleft_q      <= '0;
      more_q       <= '0;
      short_q      <= '0;
      dfirst_w_q   <= '0;
      dlast_w_q    <= '0;
      delta_q      <= '0;
      capped_q     <= 1'b0;
      first_q      <= 1'b0;
      slot_valid_q <= '0;
      iss_slot_q   <= '0;
      cons_slot_q  <= '0;
      used_q       <= '0;
      for (int unsigned r = 0; r < NumRings; r++) begin
        out_q[r] <= '0;
      end
    end else begin
      if (gnt_valid) begin
        act_q      <= 1'b1;
        op_q       <= g_op;
        ring_q     <= gnt_idx;
        dline_q    <= g_dst[VramLog2-1:LineLog2];
        sline_q    <= g_src[VramLog2-1:LineLog2];
        wleft_q    <= LCntW'(g_dspan >> LineLog2) + LCntW'(1);
        rleft_q    <= (g_op == OpCopy) ? g_nsrc : '0;
        // need = min(1 + ahead, nsrc), none taken yet.
        more_q     <= (g_op != OpCopy) ? '0 : g_nsrc - (g_need2 ? LCntW'(2) : LCntW'(1));
        short_q    <= (g_op != OpCopy) ? 2'd0 : (g_need2 ? 2'd2 : 2'd1);
        capped_q   <= g_ahead && !g_need2;
        dfirst_w_q <= g_dst[LineLog2-1:2];
        dlast_w_q  <= g_dspan[LineLog2-1:2];
        delta_q    <= (g_op == OpCopy) ? g_src[LineLog2-1:2] - g_dst[LineLog2-1:2] : '0;
        first_q    <= 1'b1;
      end
      if (rd_fire) begin
        sline_q    <= sline_q + LineW'(1);
        rleft_q    <= rleft_q - LCntW'(1);
        iss_slot_q <= slot_next(iss_slot_q);
      end
      if (wr_fire) begin
        dline_q   <= dline_q + LineW'(1);
        wleft_q   <= wleft_q - LCntW'(1);
        if (more_q != '0) begin
          more_q <= more_q - LCntW'(1);
        end
        capped_q  <= capped_q || (more_q == '0);
        first_q   <= 1'b0;
        if (wleft_q == LCntW'(1)) begin
          act_q <= 1'b0;
        end
      end
      if (need_up || consume) begin   // neither in the cycle a command is taken
        short_q <= short_q + 2'(need_up) - 2'(consume);
      end
      if (consume) begin
        cons_slot_q <= slot_next(cons_slot_q);
      end
      used_q <= used_q + UsedW'(rd_fire) - UsedW'(consume);
      for (int unsigned s = 0; s < RdSlots; s++) begin
        if (rd_rsp_valid_i && rsp_slot == SlotW'(s)) begin
          slot_valid_q[s] <= 1'b1;
        end else if (consume && cons_slot_q == SlotW'(s)) begin
          slot_valid_q[s] <= 1'b0;
        end
      end
      for (int unsigned r = 0; r < NumRings; r++) begin
        out_q[r] <= out_q[r] + OutW'(wr_fire && ring_q == RingW'(r)) -
                    OutW'(wr_rsp_valid_i && ack_ring == RingW'(r));
      end
    end
  end

  // Line data: no reset.
  always_ff @(posedge clk_i) begin
    if (rd_rsp_valid_i) begin
      slot_q[rsp_slot] <= rd_rsp_data_i;
    end
    if (consume) begin
      hi_q <= (RdSlots == 1) ? rd_rsp_data_i : slot_q[cons_slot_q];
      lo_q <= hi_q;
    end else if (gnt_valid && g_op != OpCopy) begin
      // FILL: the pattern over the line; TIMESTAMP: the timebase, sampled now.
      hi_q <= (g_op == OpFill) ? {Words{cmd_pattern_i[gnt_idx*32 +: 32]}} : {(Words / 2){timebase_i}};
    end
  end

  // RdSlots = 1: a line that comes is one the window can take.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
    end else if (RdSlots == 1 && rd_rsp_valid_i) begin
      assert (act_q && op_q == OpCopy && short_any);
    end
  end

  always_comb begin
    busy_o = act_q;
    for (int unsigned r = 0; r < NumRings; r++) begin
      drained_o[r] = !(act_q && ring_q == RingW'(r)) && (out_q[r] == '0);
      busy_o       = busy_o || (out_q[r] != '0);
    end
  end

  // Ids wider than used; the spans' low bits are the offsets the lines
  // and words already take from the addresses.
  logic unused_bits;
  assign unused_bits = ^{rd_rsp_id_i, wr_rsp_id_i, g_dspan[1:0], g_sspan[LineLog2-1:0]};

endmodule

`default_nettype wire
