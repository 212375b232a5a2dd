// First-word-fall-through FIFO over a RAM with a registered read (the style
// Yosys maps to block RAM): Depth entries in the RAM plus one in the output
// register, so Depth + 1 in all. A word written into an empty FIFO shows on
// rdata_o two cycles later (write, then the RAM read into the register).

`default_nettype none

module kmt_mc_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4,
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CntW = $clog2(Depth + 1)
) (
  input  logic             clk_i,
  input  logic             rst_ni,

  input  logic             wvalid_i,
  output logic             wready_o,
  input  logic [Width-1:0] wdata_i,

  output logic             rvalid_o,
  input  logic             rready_i,
  output logic [Width-1:0] rdata_o,
  // Nothing held: neither in the RAM nor in the output register.
  output logic             empty_o
);

  logic [Width-1:0] mem_q [Depth];
  logic [Width-1:0] out_q;
  logic             out_valid_q, out_valid_d;
  logic [PtrW-1:0]  wptr_q, wptr_d, rptr_q, rptr_d;
  logic [CntW-1:0]  cnt_q, cnt_d;
  logic             push, load;

  function automatic logic [PtrW-1:0] next_ptr(input logic [PtrW-1:0] ptr);
    if (ptr == PtrW'(Depth - 1)) begin
      next_ptr = '0;
    end else begin
      next_ptr = ptr + PtrW'(1);
    end
  endfunction

  assign wready_o = (cnt_q != CntW'(Depth));
  assign push     = wvalid_i && wready_o;
  // Refill the output register when it is empty or being read.
  assign load     = (cnt_q != '0) && (!out_valid_q || rready_i);
  assign rvalid_o = out_valid_q;
  assign rdata_o  = out_q;
  assign empty_o  = !out_valid_q && (cnt_q == '0);

  always_comb begin
    wptr_d      = wptr_q;
    rptr_d      = rptr_q;
    cnt_d       = cnt_q;
    out_valid_d = out_valid_q;
    if (push) begin
      wptr_d = next_ptr(wptr_q);
    end
    if (load) begin
      rptr_d      = next_ptr(rptr_q);
      out_valid_d = 1'b1;
    end else if (rready_i) begin
      out_valid_d = 1'b0;
    end
    if (push && !load) begin
      cnt_d = cnt_q + CntW'(1);
    end else if (load && !push) begin
      cnt_d = cnt_q - CntW'(1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q      <= '0;
      rptr_q      <= '0;
      cnt_q       <= '0;
      out_valid_q <= 1'b0;
    end else begin
      wptr_q      <= wptr_d;
      rptr_q      <= rptr_d;
      cnt_q       <= cnt_d;
      out_valid_q <= out_valid_d;
    end
  end

  // RAM: no reset, one write port, one registered read port.
  always_ff @(posedge clk_i) begin
    if (push) begin
      mem_q[wptr_q] <= wdata_i;
    end
    if (load) begin
      out_q <= mem_q[rptr_q];
    end
  end

endmodule

`default_nettype wire
