// Host link of the board: register reads and writes of kmt_device over a
// UART (8N1). Frames from the host, multi-byte fields most significant byte
// first:
//   'w' (0x77) addr[15:8] addr[7:0] d[31:24] d[23:16] d[15:8] d[7:0]
//        -> one status byte
//   'r' (0x72) addr[15:8] addr[7:0]
//        -> a status byte, then d[31:24] d[23:16] d[15:8] d[7:0]
// Status: 0x00 done, 0x01 the device answered with an error (an unmapped
// offset). Other command bytes are dropped, so a host that lost its place
// resynchronises by waiting for silence and starting a new frame. One access
// is in flight at a time; a slow access (a VRAM read waits for the memory
// controller) simply delays the answer.

`default_nettype none

module kmt_uart_bridge #(
  parameter int unsigned ClksPerBit = 104,
  parameter int unsigned Aw = 16
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          rx_i,
  output logic          tx_o,

  // Host bus of kmt_device.
  output logic          req_valid_o,
  input  logic          req_ready_i,
  output logic          req_write_o,
  output logic [Aw-1:0] req_addr_o,
  output logic [31:0]   req_wdata_o,
  input  logic          rsp_valid_i,
  input  logic [31:0]   rsp_rdata_i,
  input  logic          rsp_error_i
);

  localparam logic [7:0] CmdWrite = 8'h77;
  localparam logic [7:0] CmdRead  = 8'h72;

  typedef enum logic [2:0] {
    StCmd,
    StAddr,
    StData,
    StReq,
    StRsp,
    StSend
  } state_e;

  logic       rx_valid, tx_valid, tx_ready;
  logic [7:0] rx_data, tx_data;

  kmt_uart_rx #(.ClksPerBit (ClksPerBit)) u_rx (
    .clk_i,
    .rst_ni,
    .rx_i,
    .valid_o (rx_valid),
    .data_o  (rx_data)
  );

  kmt_uart_tx #(.ClksPerBit (ClksPerBit)) u_tx (
    .clk_i,
    .rst_ni,
    .valid_i (tx_valid),
    .ready_o (tx_ready),
    .data_i  (tx_data),
    .tx_o
  );

  state_e      state_q, state_d;
  logic        write_q, write_d;
  logic [15:0] addr_q, addr_d;
  logic [31:0] data_q, data_d;       // write data, then the read data
  logic [7:0]  status_q, status_d;
  logic [2:0]  cnt_q, cnt_d;         // bytes left in the field being received or sent

  assign req_valid_o = (state_q == StReq);
  assign req_write_o = write_q;
  assign req_addr_o  = Aw'(addr_q);
  assign req_wdata_o = data_q;

  // The status byte goes first (cnt 4 for a read, 0 for a write), then the data.
  assign tx_valid = (state_q == StSend);
  assign tx_data  = (cnt_q == (write_q ? 3'd0 : 3'd4)) ? status_q : data_q[31:24];

  always_comb begin
    state_d  = state_q;
    write_d  = write_q;
    addr_d   = addr_q;
    data_d   = data_q;
    status_d = status_q;
    cnt_d    = cnt_q;
    unique case (state_q)
      StCmd: begin
        if (rx_valid && (rx_data == CmdWrite || rx_data == CmdRead)) begin
          write_d = (rx_data == CmdWrite);
          cnt_d   = 3'd1;
          state_d = StAddr;
        end
      end
      StAddr: begin
        if (rx_valid) begin
          addr_d = {addr_q[7:0], rx_data};
          cnt_d  = cnt_q - 3'd1;
          if (cnt_q == 3'd0) begin
            cnt_d   = 3'd3;
            state_d = write_q ? StData : StReq;
          end
        end
      end
      StData: begin
        if (rx_valid) begin
          data_d = {data_q[23:0], rx_data};
          cnt_d  = cnt_q - 3'd1;
          if (cnt_q == 3'd0) begin
            state_d = StReq;
          end
        end
      end
      StReq: begin
        if (req_ready_i) begin
          state_d = StRsp;
        end
      end
      StRsp: begin
        if (rsp_valid_i) begin
          status_d = {7'd0, rsp_error_i};
          if (!write_q) begin
            data_d = rsp_rdata_i;
          end
          cnt_d   = write_q ? 3'd0 : 3'd4;
          state_d = StSend;
        end
      end
      default: begin  // StSend
        if (tx_ready) begin
          if (cnt_q == 3'd0) begin
            state_d = StCmd;
          end else begin
            cnt_d = cnt_q - 3'd1;
            if (cnt_q != 3'd4) begin
              data_d = {data_q[23:0], 8'd0};
            end
          end
        end
      end
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= StCmd;
      write_q  <= 1'b0;
      addr_q   <= '0;
      data_q   <= '0;
      status_q <= '0;
      cnt_q    <= '0;
    end else begin
      state_q  <= state_d;
      write_q  <= write_d;
      addr_q   <= addr_d;
      data_q   <= data_d;
      status_q <= status_d;
      cnt_q    <= cnt_d;
    end
  end

endmodule

`default_nettype wire
