// UART receiver, 8N1: a start bit, eight data bits (LSB first), a stop bit.
// ClksPerBit clock cycles per bit; rx_i is synchronised here. A byte is
// offered on valid_o for one cycle after the middle of its stop bit; a frame
// whose stop bit reads 0 is dropped.

`default_nettype none

module kmt_uart_rx #(
  parameter int unsigned ClksPerBit = 104,
  localparam int unsigned CntW = $clog2(ClksPerBit + 1)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       rx_i,
  output logic       valid_o,
  output logic [7:0] data_o
);

  typedef enum logic [1:0] {
    StIdle,
    StStart,
    StData,
    StStop
  } state_e;

  state_e          state_q, state_d;
  logic [1:0]      sync_q;
  logic [CntW-1:0] cnt_q, cnt_d;
  logic [2:0]      bit_q, bit_d;
  logic [7:0]      shift_q, shift_d;
  logic            valid_q, valid_d;
  logic            rx;

  assign rx = sync_q[1];

  always_comb begin
    state_d = state_q;
    cnt_d   = cnt_q;
    bit_d   = bit_q;
    shift_d = shift_q;
    valid_d = 1'b0;
    unique case (state_q)
      StIdle: begin
        if (!rx) begin
          state_d = StStart;
          cnt_d   = CntW'(ClksPerBit / 2);
        end
      end
      StStart: begin
        // Middle of the start bit: still low, or it was a glitch.
        if (cnt_q != '0) begin
          cnt_d = cnt_q - CntW'(1);
        end else if (rx) begin
          state_d = StIdle;
        end else begin
          state_d = StData;
          cnt_d   = CntW'(ClksPerBit - 1);
          bit_d   = '0;
        end
      end
      StData: begin
        if (cnt_q != '0) begin
          cnt_d = cnt_q - CntW'(1);
        end else begin
          shift_d = {rx, shift_q[7:1]};
          cnt_d   = CntW'(ClksPerBit - 1);
          bit_d   = bit_q + 3'd1;
          if (bit_q == 3'd7) begin
            state_d = StStop;
          end
        end
      end
      default: begin  // StStop
        if (cnt_q != '0) begin
          cnt_d = cnt_q - CntW'(1);
        end else begin
          valid_d = rx;
          state_d = StIdle;
        end
      end
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      sync_q  <= 2'b11;
      cnt_q   <= '0;
      bit_q   <= '0;
      shift_q <= '0;
      valid_q <= 1'b0;
    end else begin
      state_q <= state_d;
      sync_q  <= {sync_q[0], rx_i};
      cnt_q   <= cnt_d;
      bit_q   <= bit_d;
      shift_q <= shift_d;
      valid_q <= valid_d;
    end
  end

  assign valid_o = valid_q;
  assign data_o  = shift_q;

endmodule

`default_nettype wire
