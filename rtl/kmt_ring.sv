// Command rings: their registers (RING_* of kmt_regs_pkg, one block of
// RING_STRIDE bytes each), fetcher, parser, and WAIT state. NumCtx = 1 (the
// simulated device: one instance per ring) is one ring with its own fetcher
// and parser. NumCtx > 1 (the board build) is one fetcher and parser shared
// by NumCtx rings, each ring's registers and positions its own (see "Shared
// rings" below).
//
// Positions: the ring keeps its read and write positions unwrapped (32-bit
// byte counters ur_q, uw_q; RING_RPTR is ur_q modulo the size, and a doorbell
// moves uw_q on by (RING_WPTR - uw_q) modulo the size), so "word p was
// written before the last doorbell" is p - ur_q < uw_q - ur_q.
//
// Fetch: one line buffer and at most one line read in flight (memory port
// 1, through the device's fetch arbiter). A line read at unwrapped position
// f holds the words from f up to min(f + line, uw_q at the request): words a
// later doorbell adds to the same line are read again. The buffer keeps the
// line's number (the position's bits above the line offset) and how many of
// its bytes are held (0 to a line): the same test as p - lo < hi - lo on the
// byte range [lo, hi) it stands for, without the 32-bit subtractions.
//
// Parse: one word a cycle from the line buffer into the command register,
// header first; a command of n words is taken in n cycles and runs in the
// cycle after its last word (StExec), when its checks are made: BAD_OPCODE,
// BAD_FENCE, BAD_LENGTH, BAD_ALIGN, BAD_ADDRESS, in that order of
// precedence. An error halts the ring with RPTR at the command. A NOP reads
// only its header and runs once its 1 + SKIP words are all before WPTR; one
// that cannot fit in the ring (4 * (1 + SKIP) > size - 4) is BAD_LENGTH.
//
// Execution: SIGNAL waits until every earlier COPY/FILL/TIMESTAMP of the ring
// has been acknowledged (dma_drained_i), then asks the fence engine for
// max(fence, value); WAIT reads the fence, and if it is below the value
// listens to the engine's update broadcast until an update of that fence
// reaches it; COPY and FILL go to the DMA engine; TIMESTAMP waits as SIGNAL
// does, then goes to the DMA engine. A command is finished (RPTR moves past
// it, RING_COMPLETED counts it) in the cycle its request is taken, or, for a
// WAIT, in the cycle it is released.
//
// Control: ENABLE = 0 stops the ring before its next command: a command
// whose words are all taken runs to its end (a WAIT retires when released),
// one still being taken waits, with RPTR at it, until the ring is enabled
// again or reset. Enabling checks RING_SIZE (8..24) and that the
// buffer lies in VRAM (BAD_RING), and RING_WPTR against the size
// (BAD_POINTER). A RING_WPTR write that is unaligned or not below the size
// halts the ring with BAD_POINTER (and is not taken); a halted ring ignores
// RING_WPTR writes. RESET stops the ring, clears RPTR, WPTR,
// a pending WAIT and the error, forgets the line buffer and any line in
// flight; ENABLE takes the written value. Requests are not made in the cycle
// of a RESET write.
//
// AddrNarrow (the board build, VRAM of 2^VramLog2 bytes with VramLog2 < 31):
// RING_BASE keeps its bits below VramLog2 and, for the bits above, whether
// any is set (so BAD_RING is found as before; the register reads back the
// kept bits and those flags, at bit VramLog2 and at bit 32); the unwrapped
// positions are kept modulo 2^(VramLog2 + 1), which gives the same answers
// for every ring that fits in VRAM as long as RING_SIZE is written while the
// ring is disabled. Command words 3 and 5 (COPY's source low word and
// count, FILL's count) keep their bits up to VramLog2 and whether any bit
// above is set: the checks, and what goes to the DMA engine, are the same.
//
// Shared rings (NumCtx > 1): the parser works for one ring at a time (the
// current one); the others keep their positions, registers and error state,
// and their requests wait. The parser moves on, in round robin, to the next
// ring that can run (enabled, not halted, words before its WPTR, not parked)
// when the current ring finishes a command, or has nothing to take (idle,
// disabled, halted), or is stopped by something only another agent can
// change: a command whose words are not all written yet, a NOP waiting for
// its last words (both wait, parked, for that ring's next doorbell), a WAIT
// below its value (parked until an update of its fence: then it is taken
// again from its first word and reads the fence again, even if the ring was
// disabled meanwhile, since a WAIT retires when released). A ring left or
// parked this way keeps RPTR at the command and its words are fetched again;
// the line buffer belongs to the current ring (a line in flight for a ring
// left is dropped). SIGNAL and TIMESTAMP waiting for their ring's DMA
// writes, and requests waiting for a grant, keep the parser: those waits end
// by themselves. With one ring runnable the shared parser runs it as an
// unshared ring does, cycle for cycle.

`include "rtl/kmt_arith_pkg.sv"
`include "rtl/kmt_regs_pkg.sv"

`default_nettype none

module kmt_ring #(
  parameter int unsigned NumFences = 64,
  parameter int unsigned VramLog2  = 32,
  parameter int unsigned DataW     = 512,
  parameter bit          AddrNarrow = 1'b0,
  parameter int unsigned NumCtx    = 1,     // rings served by this parser
  parameter bit          Ice40Dsp  = 1'b0,  // RING_COMPLETED in SB_MAC16 blocks (kmt_counter)
  localparam int unsigned CtxW     = (NumCtx > 1) ? $clog2(NumCtx) : 1,
  localparam int unsigned IdxW     = (NumFences > 1) ? $clog2(NumFences) : 1,
  localparam int unsigned LineLog2 = $clog2(DataW / 8),
  localparam int unsigned CntW     = (VramLog2 + 1 > 32) ? 32 : VramLog2 + 1,
  localparam int unsigned PosW     = AddrNarrow ? VramLog2 + 1 : 32   // unwrapped positions
) (
  input  logic                clk_i,
  input  logic                rst_ni,

  // Register block (offsets within a ring's RING_STRIDE window): ring
  // reg_ctx_i's register reg_addr_i is read, and written when its reg_we_i
  // bit is set (the bit of ring reg_ctx_i).
  input  logic [NumCtx-1:0]   reg_we_i,
  input  logic [CtxW-1:0]     reg_ctx_i,
  input  logic [5:0]          reg_addr_i,
  input  logic [31:0]         reg_wdata_i,
  output logic [31:0]         reg_rdata_o,
  output logic [NumCtx-1:0]   halt_o,        // pulse: the ring halts

  // Line fetch (memory port 1 through the fetch arbiter), one port per ring.
  output logic [NumCtx-1:0]   fetch_valid_o,
  input  logic [NumCtx-1:0]   fetch_ready_i,
  output logic [VramLog2-1:0] fetch_addr_o,
  input  logic [NumCtx-1:0]   fetch_rsp_valid_i,
  input  logic [DataW-1:0]    fetch_rsp_data_i,

  // Fence engine: requests (op 0 read, 2 max), read answers, update broadcast.
  output logic [NumCtx-1:0]   fe_valid_o,
  input  logic [NumCtx-1:0]   fe_ready_i,
  output logic [1:0]          fe_op_o,
  output logic [IdxW-1:0]     fe_fence_o,
  output logic [63:0]         fe_value_o,
  input  logic [NumCtx-1:0]   fe_rsp_valid_i,
  input  logic [63:0]         fe_rsp_value_i,
  input  logic                upd_valid_i,
  input  logic [IdxW-1:0]     upd_fence_i,
  input  logic [63:0]         upd_value_i,

  // DMA engine (op 0 COPY, 1 FILL, 2 TIMESTAMP).
  output logic [NumCtx-1:0]   dma_valid_o,
  input  logic [NumCtx-1:0]   dma_ready_i,
  output logic [1:0]          dma_op_o,
  output logic [VramLog2-1:0] dma_dst_o,
  output logic [VramLog2-1:0] dma_src_o,
  output logic [CntW-1:0]     dma_count_o,
  output logic [31:0]         dma_pattern_o,
  input  logic [NumCtx-1:0]   dma_drained_i,  // no command of the ring in the DMA, every write acknowledged

  // Probe: a SIGNAL was parsed (the first cycle it runs).
  output logic [NumCtx-1:0]   prb_valid_o,
  output logic [15:0]         prb_fence_o,
  output logic [63:0]         prb_value_o,

  output logic                busy_o,
  output logic                quiet_o
);

  localparam int unsigned LineBytes = DataW / 8;

  // Register offsets within the block.
  localparam logic [5:0] OffBaseLo    = 6'(kmt_regs_pkg::KMT_RING_BASE_LO_OFFSET);
  localparam logic [5:0] OffBaseHi    = 6'(kmt_regs_pkg::KMT_RING_BASE_HI_OFFSET);
  localparam logic [5:0] OffSize      = 6'(kmt_regs_pkg::KMT_RING_SIZE_OFFSET);
  localparam logic [5:0] OffWptr      = 6'(kmt_regs_pkg::KMT_RING_WPTR_OFFSET);
  localparam logic [5:0] OffRptr      = 6'(kmt_regs_pkg::KMT_RING_RPTR_OFFSET);
  localparam logic [5:0] OffControl   = 6'(kmt_regs_pkg::KMT_RING_CONTROL_OFFSET);
  localparam logic [5:0] OffStatus    = 6'(kmt_regs_pkg::KMT_RING_STATUS_OFFSET);
  localparam logic [5:0] OffWaitFence = 6'(kmt_regs_pkg::KMT_RING_WAIT_FENCE_OFFSET);
  localparam logic [5:0] OffCompleted = 6'(kmt_regs_pkg::KMT_RING_COMPLETED_OFFSET);

  localparam logic [1:0] FeRead = 2'd0;
  localparam logic [1:0] FeMax  = 2'd2;
  localparam logic [1:0] DmaCopy = 2'd0;
  localparam logic [1:0] DmaFill = 2'd1;
  localparam logic [1:0] DmaTs   = 2'd2;

  // The parser's state (a halted ring: its halted_q bit, the parser idle).
  typedef enum logic [1:0] {
    StCollect,
    StExec,
    StWaitRsp,
    StWaitListen
  } state_e;

  // A range [addr, addr + count) lies inside VRAM. Every caller passes a
  // count above 0, so addr itself must lie inside and count below twice the
  // VRAM: the sum then needs VramLog2 + 2 bits, not 65.
  localparam int unsigned SumW = VramLog2 + 2;
  function automatic logic in_vram(input logic [63:0] addr, input logic [31:0] count);
    in_vram = ((addr >> VramLog2) == 64'd0) && ((33'(count) >> (VramLog2 + 1)) == 33'd0) &&
              ((SumW'(addr[VramLog2-1:0]) + SumW'(count)) <= (SumW'(1) << VramLog2));
  endfunction

  // Words of a command, known from its header (an unknown opcode: 1).
  function automatic logic [2:0] cmd_words(input logic [7:0] op);
    unique case (op)
      kmt_regs_pkg::CpOpSignal,
      kmt_regs_pkg::CpOpWait,
      kmt_regs_pkg::CpOpTimestamp: cmd_words = 3'd3;
      kmt_regs_pkg::CpOpCopy:      cmd_words = 3'd6;
      kmt_regs_pkg::CpOpFill:      cmd_words = 3'd5;
      default:                     cmd_words = 3'd1;
    endcase
  endfunction

  // ---------------------------------------------------------------- state
  // The parser.
  state_e        state_q, state_d;
  logic [CtxW-1:0] cur, cur_d;   // the ring it works for
  logic [2:0]    k_q, k_d;
  logic [31:0]   word_in;   // the word as the command register keeps it
  logic [2:0]    cmd_slot;  // where it goes
  logic [191:0]  cmd_q, cmd_d;
  logic          buf_valid_q, buf_valid_d;
  logic [PosW-1:LineLog2] buf_line_q, f_line_q;
  logic [LineLog2:0]  buf_len_q, f_len_q;
  logic [DataW-1:0] buf_q;
  logic          fpend_q, fpend_d, fdisc_q, fdisc_d;
  logic          prb_q, prb_d;

  // Each ring's, ring x at [x*W +: W].
  logic [NumCtx*52-1:0]   base_v;     // RING_BASE[63:12] as the checks and reads see it
  logic [NumCtx*5-1:0]    size_q, size_d;
  logic [NumCtx*24-1:0]   wptr_q, wptr_d;
  logic [NumCtx-1:0]      enable_q, enable_d, halted_q, halted_d;
  logic [NumCtx*4-1:0]    error_q, error_d;
  logic [NumCtx*8-1:0]    err_op_q, err_op_d;
  logic [NumCtx*IdxW-1:0] wait_fence_q, wait_fence_d;  // a WAIT runs only with a fence below NumFences
  logic [NumCtx*32-1:0]   completed_q;
  logic [NumCtx*PosW-1:0] uw_q, uw_d, ur_q, ur_d;
  // Shared rings only (constant 0 with NumCtx = 1): a WAIT parked, an update
  // of its fence seen since, a command waiting for a doorbell.
  logic [NumCtx-1:0]      parked_q, parked_d, wake_q, wake_d, blocked_q, blocked_d;

  // The current ring's (c) and the register access's ring's (h).
  logic [CtxW-1:0] h;
  logic [63:12]    base_c, base_h;
  logic [4:0]      size_c, size_h;
  logic [23:0]     wptr_h;
  logic            enable_c, enable_h, halted_c, halted_h, parked_c, parked_h;
  logic [PosW-1:0] uw_c, ur_c, uw_h, ur_h;

  assign h           = (NumCtx > 1) ? reg_ctx_i : '0;
  assign base_c      = base_v[cur*52 +: 52];
  assign base_h      = base_v[h*52 +: 52];
  assign size_c      = size_q[cur*5 +: 5];
  assign size_h      = size_q[h*5 +: 5];
  assign wptr_h      = wptr_q[h*24 +: 24];
  assign enable_c    = enable_q[cur];
  assign enable_h    = enable_q[h];
  assign halted_c    = halted_q[cur];
  assign halted_h    = halted_q[h];
  assign parked_c    = parked_q[cur];
  assign parked_h    = parked_q[h];
  assign uw_c        = uw_q[cur*PosW +: PosW];
  assign ur_c        = ur_q[cur*PosW +: PosW];
  assign uw_h        = uw_q[h*PosW +: PosW];
  assign ur_h        = ur_q[h*PosW +: PosW];

  logic fetch_ready_c, fetch_rsp_valid, fe_ready_c, fe_rsp_valid_c, dma_ready_c, dma_drained_c;
  assign fetch_ready_c   = fetch_ready_i[cur];
  assign fetch_rsp_valid = fetch_rsp_valid_i != '0;  // one line in flight at most, whichever ring asked
  assign fe_ready_c      = fe_ready_i[cur];
  assign fe_rsp_valid_c  = fe_rsp_valid_i[cur];
  assign dma_ready_c     = dma_ready_i[cur];
  assign dma_drained_c   = dma_drained_i[cur];

  // ---------------------------------------------------------------- positions
  logic [31:0] size_mask, size_mask_h, avail, word;
  logic [PosW-1:0] avail_p, ppos, f_lo;
  logic [LineLog2:0] f_len;
  logic        word_exists, in_buf, word_ok, can_start;

  assign size_mask   = ~(32'hFFFF_FFFF << size_c);  // 2^size - 1, without a subtractor
  assign size_mask_h = ~(32'hFFFF_FFFF << size_h);
  assign avail_p     = uw_c - ur_c;
  assign avail       = 32'(avail_p);
  assign ppos        = ur_c + PosW'({k_q, 2'b00});
  assign word_exists = (avail[31:5] != '0) || ({k_q, 2'b00} < avail[4:0]);
  assign in_buf      = buf_valid_q && ppos[PosW-1:LineLog2] == buf_line_q &&
                       {1'b0, ppos[LineLog2-1:0]} < buf_len_q;
  assign word        = buf_q[ppos[LineLog2-1:2]*32 +: 32];
  assign word_ok     = word_exists && in_buf;
  // A command not yet fully taken waits with its words; a parked WAIT
  // released is taken again whatever ENABLE says.
  assign can_start   = (enable_c || parked_c) && !halted_c;
  assign f_lo        = ppos & ~PosW'(LineBytes - 1);
  // Bytes of the line at f_lo written before the last doorbell: up to uw_c
  // when uw_c is in that line, else the whole line (uw_c - f_lo < line).
  assign f_len       = (uw_c[PosW-1:LineLog2] == ppos[PosW-1:LineLog2]) ? {1'b0, uw_c[LineLog2-1:0]} :
                                                                         (LineLog2+1)'(LineBytes);

  // ---------------------------------------------------------------- the command
  logic [31:0] c0, c1, c2, c3, c4, c5;
  logic [7:0]  op;
  logic [15:0] fence16;
  logic        fence_ok;
  logic [63:0] value, dst, src;
  logic [31:0] nop_bytes;
  logic        nop_too_long, nop_whole;
  logic [3:0]  cmd_err;
  logic [31:0] cmd_bytes;
  logic        len_bad;
  logic [31:0] dst_count;
  logic        dst_ok;

  assign {c5, c4, c3, c2, c1, c0} = cmd_q;
  assign op       = c0[31:24];
  assign fence16  = c0[15:0];
  assign fence_ok = 32'(fence16) < NumFences;
  assign value    = {c2, c1};
  assign dst      = {c2, c1};
  assign src      = {c4, c3};
  // 4 * (1 + SKIP); too long: 4 * (1 + SKIP) + 4 > 2^size, that is
  // 4 * (1 + SKIP) + 3 has a bit at or above size.
  assign nop_bytes    = {13'd0, 17'(c0[15:0]) + 17'd1, 2'b00};
  assign nop_too_long = ({nop_bytes[31:2], 2'b11} & ~size_mask) != '0;
  assign nop_whole    = (avail[31:19] != '0) ||   // nop_bytes <= 2^18
                        !kmt_arith_pkg::lt(64'(avail[18:0]), 64'(nop_bytes[18:0]));
  // The count of a COPY (word 5) or a FILL (word 3): the parser keeps a
  // FILL's word 3 in c5, so both are c5.
  assign len_bad      = (c5 == '0) || (c5[1:0] != 2'b00);
  // The destination's range check, one for COPY, FILL and TIMESTAMP (only
  // the command's own opcode reads it).
  assign dst_count    = (op == kmt_regs_pkg::CpOpTimestamp) ? 32'd8 : c5;
  assign dst_ok       = in_vram(dst, dst_count);

  always_comb begin
    cmd_err   = kmt_regs_pkg::RingErrNone;
    cmd_bytes = 32'(cmd_words(op)) << 2;
    unique case (op)
      kmt_regs_pkg::CpOpNop: begin
        cmd_bytes = nop_bytes;
        if (nop_too_long) cmd_err = kmt_regs_pkg::RingErrBadLength;
      end
      kmt_regs_pkg::CpOpSignal,
      kmt_regs_pkg::CpOpWait: begin
        if (!fence_ok) cmd_err = kmt_regs_pkg::RingErrBadFence;
      end
      kmt_regs_pkg::CpOpCopy: begin
        if (len_bad) begin
          cmd_err = kmt_regs_pkg::RingErrBadLength;
        end else if (dst[1:0] != 2'b00 || src[1:0] != 2'b00) begin
          cmd_err = kmt_regs_pkg::RingErrBadAlign;
        end else if (!dst_ok || !in_vram(src, c5)) begin
          cmd_err = kmt_regs_pkg::RingErrBadAddress;
        end
      end
      kmt_regs_pkg::CpOpFill: begin
        if (len_bad) begin
          cmd_err = kmt_regs_pkg::RingErrBadLength;
        end else if (dst[1:0] != 2'b00) begin
          cmd_err = kmt_regs_pkg::RingErrBadAlign;
        end else if (!dst_ok) begin
          cmd_err = kmt_regs_pkg::RingErrBadAddress;
        end
      end
      kmt_regs_pkg::CpOpTimestamp: begin
        if (dst[2:0] != 3'b000) begin
          cmd_err = kmt_regs_pkg::RingErrBadAlign;
        end else if (!dst_ok) begin
          cmd_err = kmt_regs_pkg::RingErrBadAddress;
        end
      end
      default: cmd_err = kmt_regs_pkg::RingErrBadOpcode;
    endcase
  end

  // ---------------------------------------------------------------- register writes (ring h)
  logic        we_h, we_size, we_wptr, we_control, reset_now, reset_cur;
  logic        wptr_bad, ring_bad, enable_rise;

  assign we_h        = reg_we_i[h];
  assign we_size     = we_h && reg_addr_i == OffSize;
  assign we_wptr     = we_h && reg_addr_i == OffWptr;
  assign we_control  = we_h && reg_addr_i == OffControl;
  assign reset_now   = we_control && reg_wdata_i[kmt_regs_pkg::KMT_RING_CONTROL_RESET_LSB];
  assign reset_cur   = reset_now && h == cur;
  // x > size_mask, with size_mask = 2^size - 1: x has a bit at or above size.
  assign wptr_bad    = (reg_wdata_i[1:0] != 2'b00) || ((reg_wdata_i[23:0] & ~size_mask_h[23:0]) != '0);
  assign ring_bad    = (size_h < 5'd8) || (size_h > 5'd24) || !in_vram({base_h, 12'd0}, 32'd1 << size_h);
  assign enable_rise = we_control && reg_wdata_i[kmt_regs_pkg::KMT_RING_CONTROL_ENABLE_LSB] &&
                       (reset_now || !enable_h);

  // ---------------------------------------------------------------- the next ring
  // Shared rings: the first ring after the current one, in round robin, that
  // can run: a parked WAIT whose fence was updated, or an enabled ring with
  // words before its WPTR that does not wait for a doorbell.
  logic [NumCtx-1:0] runnable;
  logic [CtxW-1:0]   other;
  logic              other_ok;

  if (NumCtx > 1) begin : g_next
    logic [CtxW:0] x;
    always_comb begin
      for (int i = 0; i < NumCtx; i++) begin
        runnable[i] = !halted_q[i] &&
                      (parked_q[i] ? wake_q[i]
                                   : (enable_q[i] && !blocked_q[i] && uw_q[i*PosW +: PosW] != ur_q[i*PosW +: PosW]));
      end
      other_ok = 1'b0;
      other    = cur;
      x        = '0;
      for (int i = 1; i < NumCtx; i++) begin
        x = (CtxW+1)'(cur) + (CtxW+1)'(i);
        if (x >= (CtxW+1)'(NumCtx)) x = x - (CtxW+1)'(NumCtx);
        if (!other_ok && runnable[x[CtxW-1:0]]) begin
          other_ok = 1'b1;
          other    = x[CtxW-1:0];
        end
      end
    end
  end else begin : g_next_none
    assign runnable = '0;
    assign other    = '0;
    assign other_ok = 1'b0;
  end

  // ---------------------------------------------------------------- next state
  logic fetch_need, fe_req, dma_req, complete, c_halt, h_halt, yield;
  logic [3:0] h_err;

  // Requests depend on the state alone (the answers come back combinationally).
  always_comb begin
    fetch_need = 1'b0;
    fe_req     = 1'b0;
    fe_op_o    = FeMax;
    dma_req    = 1'b0;
    unique case (state_q)
      StCollect: fetch_need = can_start && word_exists && !in_buf && !fpend_q;
      StExec: begin
        if (cmd_err == kmt_regs_pkg::RingErrNone) begin
          unique case (op)
            kmt_regs_pkg::CpOpSignal: fe_req = dma_drained_c;
            kmt_regs_pkg::CpOpWait: begin
              fe_req  = 1'b1;
              fe_op_o = FeRead;
            end
            kmt_regs_pkg::CpOpCopy,
            kmt_regs_pkg::CpOpFill:      dma_req = 1'b1;
            kmt_regs_pkg::CpOpTimestamp: dma_req = dma_drained_c;
            default: ;
          endcase
        end
      end
      default: ;
    endcase
  end

  logic yield_block, yield_park, halt_cur;
  logic [PosW-1:0] ur_next, uw_next;

  assign ur_next        = ur_c + PosW'(cmd_bytes);
  assign uw_next        = uw_h + PosW'((32'(reg_wdata_i[23:0]) - 32'(uw_h)) & size_mask_h);

  // The parser.
  always_comb begin
    state_d      = state_q;
    cur_d        = cur;
    k_d          = k_q;
    cmd_d        = cmd_q;
    buf_valid_d  = buf_valid_q;
    fpend_d      = fpend_q;
    fdisc_d      = fdisc_q;
    prb_d        = 1'b0;
    c_halt       = 1'b0;   // the current ring halts on its command
    h_halt       = 1'b0;   // ring h halts on a register write
    h_err        = kmt_regs_pkg::RingErrNone;
    complete     = 1'b0;
    yield        = 1'b0;
    yield_block  = 1'b0;
    yield_park   = 1'b0;

    unique case (state_q)
      StCollect: begin
        if (can_start && word_ok) begin
          cmd_d[cmd_slot*32 +: 32] = word_in;
          if (k_q + 3'd1 == cmd_words((k_q == 3'd0) ? word[31:24] : op)) begin
            state_d = StExec;
            k_d     = 3'd0;
            prb_d   = ((k_q == 3'd0) ? word[31:24] : op) == kmt_regs_pkg::CpOpSignal;
          end else begin
            k_d = k_q + 3'd1;
          end
        end
      end
      StExec: begin
        if (cmd_err != kmt_regs_pkg::RingErrNone) begin
          c_halt = 1'b1;
        end else begin
          unique case (op)
            kmt_regs_pkg::CpOpNop: complete = nop_whole;
            kmt_regs_pkg::CpOpSignal: complete = fe_req && fe_ready_c;
            kmt_regs_pkg::CpOpWait: begin
              if (fe_ready_c) state_d = StWaitRsp;
            end
            default: complete = dma_req && dma_ready_c;  // COPY, FILL, TIMESTAMP
          endcase
        end
      end
      StWaitRsp: begin
        if (fe_rsp_valid_c) begin
          if (!kmt_arith_pkg::lt(fe_rsp_value_i, value)) begin
            complete = 1'b1;
          end else begin
            state_d = StWaitListen;
          end
        end
      end
      default: begin  // StWaitListen
        complete = upd_valid_i && upd_fence_i == fence16[IdxW-1:0] &&
                   !kmt_arith_pkg::lt(upd_value_i, value);
      end
    endcase
    if (complete) begin
      state_d = StCollect;
    end
    if (fetch_need && fetch_ready_c) begin
      fpend_d = 1'b1;
      fdisc_d = 1'b0;
    end
    if (fpend_q && fetch_rsp_valid) begin
      fpend_d     = 1'b0;
      fdisc_d     = 1'b0;
      buf_valid_d = buf_valid_q || !fdisc_q;
    end

    // Shared rings: leave the current ring for the next one that can run.
    if (other_ok) begin
      if (complete || (state_q == StCollect && !(can_start && word_exists))) begin
        // A command finished, or nothing to take; a command begun but not
        // all written waits for a doorbell.
        yield       = 1'b1;
        yield_block = !complete && can_start && k_q != 3'd0;
      end else if (state_q == StExec && cmd_err == kmt_regs_pkg::RingErrNone && op == kmt_regs_pkg::CpOpNop) begin
        yield       = 1'b1;   // a NOP waiting for its last words (complete: taken above)
        yield_block = 1'b1;
      end else if (state_q == StWaitListen) begin
        yield      = 1'b1;    // a WAIT below its value (complete: taken above)
        yield_park = 1'b1;
      end
    end
    if (yield) cur_d = other;

    // Register writes of ring h (the rings' registers: below).
    // A halted ring ignores the doorbell; a bad pointer is not taken.
    if (we_wptr && !halted_h && wptr_bad) begin
      h_halt = 1'b1;
      h_err  = kmt_regs_pkg::RingErrBadPointer;
    end
    if (reset_now) begin
      h_halt = 1'b0;
      if (reset_cur) c_halt = 1'b0;
    end
    if (enable_rise && (reset_now || !halted_h)) begin
      if (ring_bad) begin
        h_halt = 1'b1;
        h_err  = kmt_regs_pkg::RingErrBadRing;
      end else if (!reset_now && (wptr_h & ~size_mask_h[23:0]) != '0) begin
        h_halt = 1'b1;
        h_err  = kmt_regs_pkg::RingErrBadPointer;
      end
    end
    halt_cur = c_halt || (h_halt && h == cur);
    // The parser drops what it holds of the current ring's command: it moves
    // to another ring, or the ring is reset or halts.
    if (yield || reset_cur || halt_cur) begin
      state_d     = StCollect;
      k_d         = '0;
      buf_valid_d = 1'b0;
      fdisc_d     = fpend_d;
      prb_d       = 1'b0;
    end
  end

  // Each ring's registers: the parser's changes to the current ring, then
  // the register write to ring h, then a halt.
  always_comb begin
    size_d       = size_q;
    wptr_d       = wptr_q;
    enable_d     = enable_q;
    halted_d     = halted_q;
    error_d      = error_q;
    err_op_d     = err_op_q;
    wait_fence_d = wait_fence_q;
    uw_d         = uw_q;
    ur_d         = ur_q;
    parked_d     = parked_q;
    wake_d       = wake_q;
    blocked_d    = blocked_q;
    for (int x = 0; x < NumCtx; x++) begin
      if (CtxW'(x) == cur) begin
        if (state_q == StExec && cmd_err == kmt_regs_pkg::RingErrNone && op == kmt_regs_pkg::CpOpWait) begin
          wait_fence_d[x*IdxW +: IdxW] = fence16[IdxW-1:0];
        end
        if (complete) begin   // RPTR and RING_COMPLETED move even if a RESET comes with it
          ur_d[x*PosW +: PosW]   = ur_next;
          parked_d[x]            = 1'b0;
          wake_d[x]              = 1'b0;
        end
        if (yield_block) blocked_d[x] = 1'b1;
        if (yield_park) begin
          parked_d[x] = 1'b1;
          wake_d[x]   = 1'b0;
        end
      end else if (parked_q[x] && upd_valid_i && upd_fence_i == wait_fence_q[x*IdxW +: IdxW]) begin
        wake_d[x] = 1'b1;   // a parked WAIT's fence was updated
      end
      if (CtxW'(x) == h) begin
        if (we_size) size_d[x*5 +: 5] = reg_wdata_i[4:0];
        if (we_wptr && !halted_h && !wptr_bad) begin
          wptr_d[x*24 +: 24]  = reg_wdata_i[23:0];
          uw_d[x*PosW +: PosW] = uw_next;
          blocked_d[x]        = 1'b0;
        end
        if (we_control) enable_d[x] = reg_wdata_i[kmt_regs_pkg::KMT_RING_CONTROL_ENABLE_LSB];
        if (reset_now) begin
          wptr_d[x*24 +: 24]   = '0;
          uw_d[x*PosW +: PosW] = '0;
          ur_d[x*PosW +: PosW] = '0;
          error_d[x*4 +: 4]    = kmt_regs_pkg::RingErrNone;
          err_op_d[x*8 +: 8]   = '0;
          halted_d[x]          = 1'b0;
          parked_d[x]          = 1'b0;
          wake_d[x]            = 1'b0;
          blocked_d[x]         = 1'b0;
        end
      end
      halt_o[x] = (CtxW'(x) == cur && c_halt) || (CtxW'(x) == h && h_halt);
      if (halt_o[x]) begin
        halted_d[x]        = 1'b1;
        error_d[x*4 +: 4]  = (CtxW'(x) == h && h_halt) ? h_err : cmd_err;
        err_op_d[x*8 +: 8] = (CtxW'(x) == h && h_halt) ? 8'd0 : op;
        parked_d[x]        = 1'b0;
        wake_d[x]          = 1'b0;
        blocked_d[x]       = 1'b0;
      end
    end
  end

  // RING_COMPLETED: a counter a ring (a shared incrementer would keep
  // each count's flops apart from its adder on the iCE40).
  logic [NumCtx-1:0] completed_carry;
  for (genvar x = 0; x < NumCtx; x++) begin : g_completed
    kmt_counter #(.Ice40Dsp(Ice40Dsp)) u_completed (
      .clk_i, .rst_ni, .inc_i(complete && cur == CtxW'(x)),
      .count_o(completed_q[x*32 +: 32]), .carry_o(completed_carry[x])
    );
  end
  logic unused_completed_carry;
  assign unused_completed_carry = ^completed_carry;

  // ---------------------------------------------------------------- flops
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= StCollect;
      size_q       <= {NumCtx{5'd12}};
      wptr_q       <= '0;
      enable_q     <= '0;
      halted_q     <= '0;
      error_q      <= '0;   // RingErrNone
      err_op_q     <= '0;
      wait_fence_q <= '0;
      uw_q         <= '0;
      ur_q         <= '0;
      k_q          <= '0;
      cmd_q        <= '0;
      buf_valid_q  <= 1'b0;
      fpend_q      <= 1'b0;
      fdisc_q      <= 1'b0;
      prb_q        <= 1'b0;
      buf_line_q   <= '0;
      buf_len_q    <= '0;
      f_line_q     <= '0;
      f_len_q      <= '0;
    end else begin
      state_q      <= state_d;
      size_q       <= size_d;
      wptr_q       <= wptr_d;
      enable_q     <= enable_d;
      halted_q     <= halted_d;
      error_q      <= error_d;
      err_op_q     <= err_op_d;
      wait_fence_q <= wait_fence_d;
      uw_q         <= uw_d;
      ur_q         <= ur_d;
      k_q          <= k_d;
      cmd_q        <= cmd_d;
      buf_valid_q  <= buf_valid_d;
      fpend_q      <= fpend_d;
      fdisc_q      <= fdisc_d;
      prb_q        <= prb_d;
      if (fetch_valid_o[cur] && fetch_ready_c) begin
        f_line_q <= f_lo[PosW-1:LineLog2];
        f_len_q  <= f_len;
      end
      if (fpend_q && fetch_rsp_valid && !fdisc_q) begin
        buf_line_q <= f_line_q;
        buf_len_q  <= f_len_q;
      end
    end
  end

  // The shared rings' state: which ring the parser works for, parked WAITs,
  // commands waiting for a doorbell.
  if (NumCtx > 1) begin : g_shared
    logic [CtxW-1:0] cur_q;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        cur_q     <= '0;
        parked_q  <= '0;
        wake_q    <= '0;
        blocked_q <= '0;
      end else begin
        cur_q     <= cur_d;
        parked_q  <= parked_d;
        wake_q    <= wake_d;
        blocked_q <= blocked_d;
      end
    end

    assign cur = cur_q;
  end else begin : g_single
    logic unused_shared;

    assign unused_shared = ^{cur_d, parked_d, wake_d, blocked_d, reg_ctx_i, yield, runnable, other};
    assign cur       = '0;
    assign parked_q  = '0;
    assign wake_q    = '0;
    assign blocked_q = '0;
  end

  // RING_BASE: every bit, or (AddrNarrow) the bits below VramLog2 and a flag
  // per register half for a bit set above them, at bits VramLog2 (low half)
  // and 32 (high half) of the ring's base.
  for (genvar x = 0; x < NumCtx; x++) begin : g_base
    logic we_lo, we_hi;

    assign we_lo = reg_we_i[x] && reg_addr_i == OffBaseLo;
    assign we_hi = reg_we_i[x] && reg_addr_i == OffBaseHi;

    if (AddrNarrow) begin : g_narrow
      logic [VramLog2-1:12] base_lo_q;
      logic                 far_lo_q, far_hi_q;

      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          base_lo_q <= '0;
          far_lo_q  <= 1'b0;
          far_hi_q  <= 1'b0;
        end else begin
          if (we_lo) begin
            base_lo_q <= reg_wdata_i[VramLog2-1:12];
            far_lo_q  <= reg_wdata_i[31:VramLog2] != '0;
          end
          if (we_hi) begin
            far_hi_q <= reg_wdata_i != '0;
          end
        end
      end

      always_comb begin
        base_v[x*52 +: 52]                = '0;
        base_v[x*52 +: VramLog2-12]       = base_lo_q;
        base_v[x*52 + VramLog2-12]        = far_lo_q;
        base_v[x*52 + 32-12]              = far_hi_q;
      end
    end else begin : g_full
      logic [63:12] base_full_q;

      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          base_full_q <= '0;
        end else begin
          if (we_lo) base_full_q[31:12] <= reg_wdata_i[31:12];
          if (we_hi) base_full_q[63:32] <= reg_wdata_i;
        end
      end

      assign base_v[x*52 +: 52] = base_full_q;
    end
  end

  // Word k of the command goes to c<k>, but a FILL's count (word 3) to c5,
  // where a COPY has its count.
  assign cmd_slot = (k_q == 3'd3 && op == kmt_regs_pkg::CpOpFill) ? 3'd5 : k_q;

  if (AddrNarrow) begin : g_word_narrow
    logic unused_cmd_bytes;

    assign unused_cmd_bytes = ^cmd_bytes[31:PosW];  // a command is shorter than the ring
    assign word_in = (k_q == 3'd3 || k_q == 3'd5) ? 32'({word[31:VramLog2+1] != '0, word[VramLog2:0]}) : word;
  end else begin : g_word_full
    assign word_in = word;
  end

  // The line buffer: no reset (buf_valid_q guards it).
  always_ff @(posedge clk_i) begin
    if (fpend_q && fetch_rsp_valid && !fdisc_q) begin
      buf_q <= fetch_rsp_data_i;
    end
  end

  // ---------------------------------------------------------------- outputs
  logic unused_hdr;
  assign unused_hdr = ^c0[23:16];  // reserved header bits

  always_comb begin
    fetch_valid_o = '0;
    fe_valid_o    = '0;
    dma_valid_o   = '0;
    prb_valid_o   = '0;
    fetch_valid_o[cur] = fetch_need && !reset_cur;
    fe_valid_o[cur]    = fe_req && !reset_cur;
    dma_valid_o[cur]   = dma_req && !reset_cur;
    prb_valid_o[cur]   = prb_q && fence_ok;
  end
  assign fetch_addr_o  = VramLog2'({base_c, 12'd0}) + VramLog2'(32'(f_lo) & size_mask);
  assign fe_fence_o    = fence16[IdxW-1:0];
  assign fe_value_o    = value;

  assign dma_op_o      = (op == kmt_regs_pkg::CpOpCopy) ? DmaCopy :
                         (op == kmt_regs_pkg::CpOpFill) ? DmaFill : DmaTs;
  assign dma_dst_o     = dst[VramLog2-1:0];
  assign dma_src_o     = src[VramLog2-1:0];
  assign dma_count_o   = (op == kmt_regs_pkg::CpOpTimestamp) ? CntW'(8) :
                         CntW'(c5);
  assign dma_pattern_o = c4;

  assign prb_fence_o = fence16;
  assign prb_value_o = value;

  // Work that goes on without anything from outside: fetching or taking
  // words, running a command (a NOP waits for its last words only on a
  // doorbell), a WAIT's read, a line in flight, another ring to run.
  always_comb begin
    busy_o = fpend_q || prb_q || other_ok;
    unique case (state_q)
      StCollect: busy_o = busy_o || (can_start && word_exists);
      StExec:    busy_o = busy_o || !(op == kmt_regs_pkg::CpOpNop && cmd_err == kmt_regs_pkg::RingErrNone &&
                                      !nop_whole);
      StWaitRsp: busy_o = 1'b1;
      default: ;
    endcase
  end
  assign quiet_o = !busy_o;

  // RING_STATUS.STATE of ring h.
  logic [2:0] state_code;
  logic       waiting_h;
  assign waiting_h = parked_h || (h == cur && (state_q == StWaitRsp || state_q == StWaitListen));
  always_comb begin
    if (halted_h) begin
      state_code = kmt_regs_pkg::RingStateHalted;
    end else if (!enable_h) begin
      state_code = kmt_regs_pkg::RingStateDisabled;
    end else if (waiting_h) begin
      state_code = kmt_regs_pkg::RingStateWaiting;
    end else if ((h == cur && (state_q != StCollect || k_q != 3'd0)) || uw_h != ur_h) begin
      state_code = kmt_regs_pkg::RingStateRunning;
    end else begin
      state_code = kmt_regs_pkg::RingStateIdle;
    end
  end

  always_comb begin
    reg_rdata_o = '0;
    unique case (reg_addr_i)
      OffBaseLo:    reg_rdata_o = {base_h[31:12], 12'd0};
      OffBaseHi:    reg_rdata_o = base_h[63:32];
      OffSize:      reg_rdata_o = {27'd0, size_h};
      OffWptr:      reg_rdata_o = {8'd0, wptr_h};
      OffRptr:      reg_rdata_o = {8'd0, 24'(32'(ur_h) & size_mask_h)};
      OffControl:   reg_rdata_o = {31'd0, enable_h};
      OffStatus:    reg_rdata_o = {8'd0, err_op_q[h*8 +: 8], 4'd0, error_q[h*4 +: 4], 5'd0, state_code};
      OffWaitFence: reg_rdata_o = waiting_h ? 32'(wait_fence_q[h*IdxW +: IdxW]) : '0;
      OffCompleted: reg_rdata_o = completed_q[h*32 +: 32];
      default:      reg_rdata_o = '0;
    endcase
  end

endmodule

`default_nettype wire
