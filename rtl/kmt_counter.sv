// A W-bit counter: 0 after reset, up by inc_i each cycle, wrapping.
// carry_o: it wraps at this cycle's edge (count_o + inc_i >= 2^W).
//
// Ice40Dsp (W <= 32, IncW <= 16): the count lives in one of the iCE40 UP5K's SB_MAC16
// blocks as a 32-bit accumulator (the bottom 16-bit adder takes inc_i on B
// and its register, the top one its register and the bottom's carry; the
// output is the accumulator registers), so it takes no logic cells. The
// accumulator registers reset asynchronously (ORST), like the flops. A build
// for Verilator with Ice40Dsp needs a model of the primitive: the tests take
// the one yosys installs (ice40/cells_sim.v) and check it against the flops.
//
// Otherwise: flops and an adder (one logic cell a bit on the iCE40).

`default_nettype none

module kmt_counter #(
  parameter int unsigned W        = 32,
  parameter int unsigned IncW     = 1,
  parameter bit          Ice40Dsp = 1'b0
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic [IncW-1:0] inc_i,
  output logic [W-1:0]    count_o,
  output logic            carry_o
);

  if (Ice40Dsp) begin : g_dsp
    logic [31:0] o;
    logic        co, accum_co, sign_out;

    SB_MAC16 #(
      .TOPOUTPUT_SELECT      (2'd1),   // the accumulator register
      .TOPADDSUB_LOWERINPUT  (2'd0),   // A (0)
      .TOPADDSUB_UPPERINPUT  (1'b0),   // the accumulator
      .TOPADDSUB_CARRYSELECT (2'd2),   // the bottom adder's carry
      .BOTOUTPUT_SELECT      (2'd1),
      .BOTADDSUB_LOWERINPUT  (2'd0),   // B (inc_i)
      .BOTADDSUB_UPPERINPUT  (1'b0),
      .BOTADDSUB_CARRYSELECT (2'd0)    // 0
    ) u_mac (
      .CLK        (clk_i),
      .CE         (1'b1),
      .C          (16'd0),
      .A          (16'd0),
      .B          (16'(inc_i)),
      .D          (16'd0),
      .AHOLD      (1'b0),
      .BHOLD      (1'b0),
      .CHOLD      (1'b0),
      .DHOLD      (1'b0),
      .IRSTTOP    (1'b0),
      .IRSTBOT    (1'b0),
      .ORSTTOP    (!rst_ni),
      .ORSTBOT    (!rst_ni),
      .OLOADTOP   (1'b0),
      .OLOADBOT   (1'b0),
      .ADDSUBTOP  (1'b0),
      .ADDSUBBOT  (1'b0),
      .OHOLDTOP   (1'b0),
      .OHOLDBOT   (1'b0),
      .CI         (1'b0),
      .ACCUMCI    (1'b0),
      .SIGNEXTIN  (1'b0),
      .O          (o),
      .CO         (co),
      .ACCUMCO    (accum_co),
      .SIGNEXTOUT (sign_out)
    );

    assign count_o = o[W-1:0];
    if (W == 32) begin : g_co
      assign carry_o = co;
    end else begin : g_narrow
      // A narrower count: the carry out of its top bit.
      logic [W:0] sum;
      assign sum     = {1'b0, o[W-1:0]} + (W+1)'(inc_i);
      assign carry_o = sum[W];
    end

    logic unused;
    assign unused = ^{o, accum_co, sign_out, co};
  end else begin : g_flops
    logic [W-1:0] count_q;
    logic [W:0]   sum;

    assign sum = {1'b0, count_q} + (W+1)'(inc_i);

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        count_q <= '0;
      end else begin
        count_q <= sum[W-1:0];
      end
    end

    assign count_o = count_q;
    assign carry_o = sum[W];
  end

endmodule

`default_nettype wire
