// UART transmitter, 8N1, ClksPerBit clock cycles per bit. A byte is taken
// on valid_i && ready_o; tx_o idles high.

`default_nettype none

module kmt_uart_tx #(
  parameter int unsigned ClksPerBit = 104,
  localparam int unsigned CntW = $clog2(ClksPerBit + 1)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       valid_i,
  output logic       ready_o,
  input  logic [7:0] data_i,
  output logic       tx_o
);

  // Start bit, eight data bits, stop bit: shifted out LSB first.
  logic [9:0]      frame_q, frame_d;
  logic [3:0]      left_q, left_d;
  logic [CntW-1:0] cnt_q, cnt_d;

  assign ready_o = (left_q == '0);
  assign tx_o    = frame_q[0];

  always_comb begin
    frame_d = frame_q;
    left_d  = left_q;
    cnt_d   = cnt_q;
    if (left_q == '0) begin
      if (valid_i) begin
        frame_d = {1'b1, data_i, 1'b0};
        left_d  = 4'd10;
        cnt_d   = CntW'(ClksPerBit - 1);
      end
    end else if (cnt_q != '0) begin
      cnt_d = cnt_q - CntW'(1);
    end else begin
      frame_d = {1'b1, frame_q[9:1]};
      left_d  = left_q - 4'd1;
      cnt_d   = CntW'(ClksPerBit - 1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      frame_q <= '1;
      left_q  <= '0;
      cnt_q   <= '0;
    end else begin
      frame_q <= frame_d;
      left_q  <= left_d;
      cnt_q   <= cnt_d;
    end
  end

endmodule

`default_nettype wire
