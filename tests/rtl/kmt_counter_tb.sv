// kmt_counter twice, in the iCE40 DSP block (SB_MAC16) and in flops, on the
// same increments: test_counter checks they count alike, cycle for cycle.
// Wide: 32 bits, increments up to 16 bits (the 16-bit halves' carry and the
// wrap come within about 2^16 cycles); narrow: 12 bits, increments of 3.

`default_nettype none

module kmt_counter_tb (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic [15:0] inc_i,
  output logic [31:0] dsp_count_o,
  output logic        dsp_carry_o,
  output logic [31:0] fab_count_o,
  output logic        fab_carry_o,
  output logic [11:0] dsp_narrow_o,
  output logic        dsp_narrow_carry_o,
  output logic [11:0] fab_narrow_o,
  output logic        fab_narrow_carry_o
);

  kmt_counter #(.W(32), .IncW(16), .Ice40Dsp(1'b1)) u_dsp (
    .clk_i, .rst_ni, .inc_i, .count_o(dsp_count_o), .carry_o(dsp_carry_o)
  );
  kmt_counter #(.W(32), .IncW(16), .Ice40Dsp(1'b0)) u_fab (
    .clk_i, .rst_ni, .inc_i, .count_o(fab_count_o), .carry_o(fab_carry_o)
  );
  kmt_counter #(.W(12), .IncW(3), .Ice40Dsp(1'b1)) u_dsp_narrow (
    .clk_i, .rst_ni, .inc_i(inc_i[2:0]), .count_o(dsp_narrow_o), .carry_o(dsp_narrow_carry_o)
  );
  kmt_counter #(.W(12), .IncW(3), .Ice40Dsp(1'b0)) u_fab_narrow (
    .clk_i, .rst_ni, .inc_i(inc_i[2:0]), .count_o(fab_narrow_o), .carry_o(fab_narrow_carry_o)
  );

endmodule

`default_nettype wire
