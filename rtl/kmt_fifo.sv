// Synchronous first-word-fall-through FIFO, in one of two read styles:
//
//   OutReg = 0: Depth entries: rdata_o shows the head whenever rvalid_o is
//     high, a word written into an empty FIFO shows the next cycle, and a
//     full FIFO accepts a write in the cycle its head is read. The storage is
//     still a RAM with a registered read (block RAM on an FPGA): it reads the
//     next cycle's head every cycle, and a bypass register stands in for a
//     word written in the same cycle to the place being read.
//   OutReg = 1: Depth entries in a RAM with a registered read (the style
//     Yosys maps to block RAM) plus one in the output register, Depth + 1 in
//     all; a word written into an empty FIFO shows on rdata_o two cycles
//     later (the write, then the RAM read into the register), and a full
//     RAM takes no write.
//
// BlockRam = 1 asks synthesis for block RAM whatever the size (an iCE40
// maps a small RAM to flops otherwise). Either way the RAM is marked as never
// read at the place written in the same cycle: with OutReg = 1 that cannot
// happen (the RAM is never both empty and full), with OutReg = 0 the bypass
// register stands in for such a read.
//
// A write and a read may happen in the same cycle. clr_i empties the FIFO
// (OutReg = 0 only; tie it low otherwise). level_o counts the words held;
// empty_o: none, in the RAM or in the output register.

`default_nettype none

module kmt_fifo #(
  parameter int unsigned Width  = 8,
  parameter int unsigned Depth  = 4,
  parameter bit          OutReg = 1'b0,
  parameter bit          BlockRam = 1'b0,
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CntW = $clog2(Depth + 1),
  localparam int unsigned LvlW = $clog2(Depth + 1 + 32'(OutReg))
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             clr_i,

  input  logic             wvalid_i,
  output logic             wready_o,
  input  logic [Width-1:0] wdata_i,

  output logic             rvalid_o,
  input  logic             rready_i,
  output logic [Width-1:0] rdata_o,

  output logic [LvlW-1:0]  level_o,
  output logic             empty_o
);

  logic [PtrW-1:0]  wptr_q, wptr_d, rptr_q, rptr_d;
  logic [CntW-1:0]  cnt_q, cnt_d;   // words in mem_q
  logic             push, take;     // a word enters mem_q; the head leaves it

  function automatic logic [PtrW-1:0] next_ptr(input logic [PtrW-1:0] ptr);
    if (ptr == PtrW'(Depth - 1)) begin
      next_ptr = '0;
    end else begin
      next_ptr = ptr + PtrW'(1);
    end
  endfunction

  assign push = wvalid_i && wready_o;

  always_comb begin
    wptr_d = wptr_q;
    rptr_d = rptr_q;
    cnt_d  = cnt_q;
    if (clr_i) begin
      wptr_d = '0;
      rptr_d = '0;
      cnt_d  = '0;
    end else begin
      if (push) begin
        wptr_d = next_ptr(wptr_q);
      end
      if (take) begin
        rptr_d = next_ptr(rptr_q);
      end
      if (push && !take) begin
        cnt_d = cnt_q + CntW'(1);
      end else if (take && !push) begin
        cnt_d = cnt_q - CntW'(1);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q <= '0;
      rptr_q <= '0;
      cnt_q  <= '0;
    end else begin
      wptr_q <= wptr_d;
      rptr_q <= rptr_d;
      cnt_q  <= cnt_d;
    end
  end

  // Storage has no reset: only words between the pointers are ever read.
  // Its read port is registered: ram_rdata_q takes the word at ram_raddr in
  // the cycles ram_ren is high.
  logic [Width-1:0] ram_rdata_q;
  logic [PtrW-1:0]  ram_raddr;
  logic             ram_ren;

  if (BlockRam) begin : g_bram
    (* ram_style = "block", no_rw_check *)
    logic [Width-1:0] mem_q [Depth];

    always_ff @(posedge clk_i) begin
      if (push && !clr_i) begin
        mem_q[wptr_q] <= wdata_i;
      end
      if (ram_ren) begin
        ram_rdata_q <= mem_q[ram_raddr];
      end
    end
  end else begin : g_ram
    (* no_rw_check *)
    logic [Width-1:0] mem_q [Depth];

    always_ff @(posedge clk_i) begin
      if (push && !clr_i) begin
        mem_q[wptr_q] <= wdata_i;
      end
      if (ram_ren) begin
        ram_rdata_q <= mem_q[ram_raddr];
      end
    end
  end

  if (OutReg) begin : g_out_reg
    logic out_valid_q, out_valid_d;

    assign wready_o = (cnt_q != CntW'(Depth));
    // Refill the output register when it is empty or being read.
    assign take     = (cnt_q != '0) && (!out_valid_q || rready_i);
    assign rvalid_o = out_valid_q;
    assign rdata_o  = ram_rdata_q;
    assign level_o  = LvlW'(cnt_q) + LvlW'(out_valid_q);
    assign empty_o  = !out_valid_q && (cnt_q == '0);

    always_comb begin
      out_valid_d = out_valid_q;
      if (take) begin
        out_valid_d = 1'b1;
      end else if (rready_i) begin
        out_valid_d = 1'b0;
      end
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        out_valid_q <= 1'b0;
      end else begin
        out_valid_q <= out_valid_d;
      end
    end

    // The output register is the RAM's read port, refilled on take.
    assign ram_raddr = rptr_q;
    assign ram_ren   = take;
  end else begin : g_out_comb
    logic [Width-1:0] byp_q;
    logic             use_byp_q;

    // The read port reads the next head every cycle: ram_rdata_q is the word
    // at rptr_q as it was before the last clock edge's write; byp_q is that
    // write, when it went to the same place.
    assign ram_raddr = rptr_d;
    assign ram_ren   = 1'b1;

    always_ff @(posedge clk_i) begin
      byp_q     <= wdata_i;
      use_byp_q <= push && !clr_i && (wptr_q == rptr_d);
    end

    assign rvalid_o = (cnt_q != '0);
    assign rdata_o  = use_byp_q ? byp_q : ram_rdata_q;
    // A full FIFO accepts a write in the cycle its head is read.
    assign wready_o = (cnt_q != CntW'(Depth)) || rready_i;
    assign take     = rvalid_o && rready_i;
    assign level_o  = LvlW'(cnt_q);
    assign empty_o  = (cnt_q == '0);
  end

endmodule

`default_nettype wire
