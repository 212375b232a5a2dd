// Derives a channel's command-to-command gaps from its timing configuration.
// The configuration is static while traffic runs (CSRs written at set-up), so
// the gaps are registered: the adders stay off the scheduling path. Every gap
// must fit in GapW bits, the width of the wait counters that load them.
// CfgConst: cfg_i is a constant (DRAM_TIMING fixed at build time), so the
// gaps are constants too and need no register; nothing reads them before
// valid_o rises, so the channel behaves the same cycle for cycle.

`include "rtl/mc/kmt_dram_pkg.sv"
`include "rtl/mc/kmt_mc_pkg.sv"

`default_nettype none

module kmt_mc_gaps #(
  parameter int unsigned GapW     = kmt_mc_pkg::CntW,
  parameter bit          CfgConst = 1'b0
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  kmt_dram_pkg::timing_t   cfg_i,
  output kmt_mc_pkg::gaps_t       gaps_o,
  // Low in the first cycle after reset, before the gaps are loaded.
  output logic                    valid_o,
  // The gaps are loaded and follow cfg_i (the next clock changes nothing).
  output logic                    stable_o
);

  localparam int unsigned W = kmt_mc_pkg::CntW;

  kmt_mc_pkg::gaps_t gaps_d, gaps_q;
  logic [W-1:0] turn, wtr_s, wtr_l, wr2pre;
  logic [W+1:0] turn_wide;
  logic         unused_cfg;
  logic         valid_q;

  // gap - 1, saturating at 0
  function automatic logic [W-1:0] m1(input logic [W-1:0] g);
    m1 = (g == '0) ? '0 : g - W'(1);
  endfunction

  function automatic logic [W-1:0] max2(input logic [W-1:0] a, input logic [W-1:0] b);
    max2 = (a > b) ? a : b;
  endfunction

  function automatic logic [W-1:0] ext8(input logic [7:0] v);
    ext8 = W'(v);
  endfunction

  always_comb begin
    // RD -> WR turnaround: CL + tBURST + tRTRS - CWL, at least 0
    turn_wide = (W+2)'(cfg_i.cl) + (W+2)'(cfg_i.burst) + (W+2)'(cfg_i.rtrs);
    if (turn_wide > (W+2)'(cfg_i.cwl)) begin
      turn = W'(turn_wide - (W+2)'(cfg_i.cwl));
    end else begin
      turn = '0;
    end
    wtr_s  = ext8(cfg_i.cwl) + ext8(cfg_i.burst) + ext8(cfg_i.wtr_s);
    wtr_l  = ext8(cfg_i.cwl) + ext8(cfg_i.burst) + ext8(cfg_i.wtr_l);
    wr2pre = ext8(cfg_i.cwl) + ext8(cfg_i.burst) + ext8(cfg_i.wr);

    gaps_d.rcd_rd  = m1(ext8(cfg_i.rcd_rd));
    gaps_d.rcd_wr  = m1(ext8(cfg_i.rcd_wr));
    gaps_d.ras     = m1(ext8(cfg_i.ras));
    gaps_d.rc      = m1(ext8(cfg_i.rc));
    gaps_d.rp      = m1(ext8(cfg_i.rp));
    gaps_d.rrd_s   = m1(ext8(cfg_i.rrd_s));
    gaps_d.rrd_l   = m1(ext8(cfg_i.rrd_l));
    gaps_d.rtp     = m1(ext8(cfg_i.rtp));
    gaps_d.wr2pre  = m1(wr2pre);
    gaps_d.rd2rd_s = m1(max2(ext8(cfg_i.ccd_s), ext8(cfg_i.burst)));
    gaps_d.rd2rd_l = m1(max2(ext8(cfg_i.ccd_l), ext8(cfg_i.burst)));
    gaps_d.wr2wr_s = m1(max2(ext8(cfg_i.ccd_s), ext8(cfg_i.burst)));
    gaps_d.wr2wr_l = m1(max2(ext8(cfg_i.ccd_l), ext8(cfg_i.burst)));
    gaps_d.rd2wr_s = m1(max2(ext8(cfg_i.ccd_s), turn));
    gaps_d.rd2wr_l = m1(max2(ext8(cfg_i.ccd_l), turn));
    gaps_d.wr2rd_s = m1(max2(ext8(cfg_i.ccd_s), wtr_s));
    gaps_d.wr2rd_l = m1(max2(ext8(cfg_i.ccd_l), wtr_l));
    gaps_d.rfc     = m1(W'(cfg_i.rfc));
    gaps_d.rfcb    = m1(W'(cfg_i.rfcb));
    gaps_d.faw     = m1(ext8(cfg_i.faw));
  end

  // The refresh intervals are used by the refresh manager, not here.
  assign unused_cfg = ^{cfg_i.refi, cfg_i.refib};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      gaps_q  <= '0;
      valid_q <= 1'b0;
    end else begin
      gaps_q  <= gaps_d;
      valid_q <= 1'b1;
    end
  end

  assign gaps_o   = CfgConst ? gaps_d : gaps_q;
  assign valid_o  = valid_q;
  assign stable_o = valid_q && (CfgConst || gaps_q == gaps_d);

  // The wait counters are GapW bits wide: no gap may need more.
  localparam int unsigned NumGaps = $bits(gaps_q) / W;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
    end else begin
      for (int unsigned i = 0; i < NumGaps; i++) begin
        assert ((gaps_o[i*W +: W] >> GapW) == '0);
      end
    end
  end

endmodule

`default_nettype wire
