// Synchronous first-word-fall-through FIFO in flops: rdata_o shows the head
// whenever rvalid_o is high. A write and a read may happen in the same cycle,
// also when the FIFO is full. clr_i empties it.

`default_nettype none

module kmt_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4,
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CntW = $clog2(Depth + 1)
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

  output logic [CntW-1:0]  level_o
);

  logic [Width-1:0] mem_q [Depth];
  logic [PtrW-1:0]  wptr_q, wptr_d, rptr_q, rptr_d;
  logic [CntW-1:0]  level_q, level_d;
  logic             do_write, do_read;

  function automatic logic [PtrW-1:0] next_ptr(input logic [PtrW-1:0] ptr);
    if (ptr == PtrW'(Depth - 1)) begin
      next_ptr = '0;
    end else begin
      next_ptr = ptr + PtrW'(1);
    end
  endfunction

  assign rvalid_o = (level_q != '0);
  assign rdata_o  = mem_q[rptr_q];
  // A full FIFO accepts a write in the cycle its head is read.
  assign wready_o = (level_q != CntW'(Depth)) || rready_i;
  assign level_o  = level_q;

  assign do_read  = rvalid_o && rready_i;
  assign do_write = wvalid_i && wready_o;

  always_comb begin
    wptr_d  = wptr_q;
    rptr_d  = rptr_q;
    level_d = level_q;
    if (clr_i) begin
      wptr_d  = '0;
      rptr_d  = '0;
      level_d = '0;
    end else begin
      if (do_write) begin
        wptr_d = next_ptr(wptr_q);
      end
      if (do_read) begin
        rptr_d = next_ptr(rptr_q);
      end
      if (do_write && !do_read) begin
        level_d = level_q + CntW'(1);
      end else if (do_read && !do_write) begin
        level_d = level_q - CntW'(1);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      level_q <= '0;
    end else begin
      wptr_q  <= wptr_d;
      rptr_q  <= rptr_d;
      level_q <= level_d;
    end
  end

  // Storage has no reset: only entries below level_q are ever read.
  always_ff @(posedge clk_i) begin
    if (do_write && !clr_i) begin
      mem_q[wptr_q] <= wdata_i;
    end
  end

endmodule

`default_nettype wire
