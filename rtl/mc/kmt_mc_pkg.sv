// Memory controller: types shared by its modules. The DRAM command encoding
// and the timing configuration come from the generated kmt_dram_pkg.

`ifndef KMT_MC_PKG_SV
`define KMT_MC_PKG_SV

`include "rtl/mc/kmt_dram_pkg.sv"

`default_nettype none

package kmt_mc_pkg;

  // Width of every timing down-counter: covers tRFC (10 bits) and the sums below.
  localparam int unsigned CntW = 10;

  // Command-to-command gaps of one channel, derived once from the timing
  // configuration. Each value is the gap minus one (saturating at 0): the
  // number a wait counter is loaded with in the cycle of the first command,
  // so that the second may go when the counter reads 0.
  typedef struct packed {
    logic [CntW-1:0] rcd_rd;    // ACT -> RD, same bank
    logic [CntW-1:0] rcd_wr;    // ACT -> WR, same bank
    logic [CntW-1:0] ras;       // ACT -> PRE, same bank
    logic [CntW-1:0] rc;        // ACT -> ACT, same bank
    logic [CntW-1:0] rp;        // PRE -> ACT/REF, same bank
    logic [CntW-1:0] rrd_s;     // ACT/REFB -> ACT/REFB, other bank group
    logic [CntW-1:0] rrd_l;     // ACT/REFB -> ACT/REFB, same bank group
    logic [CntW-1:0] rtp;       // RD -> PRE, same bank
    logic [CntW-1:0] wr2pre;    // WR -> PRE, same bank: CWL + tBURST + tWR
    logic [CntW-1:0] rd2rd_s;   // max(tCCD_S, tBURST)
    logic [CntW-1:0] rd2rd_l;   // max(tCCD_L, tBURST)
    logic [CntW-1:0] wr2wr_s;   // max(tCCD_S, tBURST)
    logic [CntW-1:0] wr2wr_l;   // max(tCCD_L, tBURST)
    logic [CntW-1:0] rd2wr_s;   // max(tCCD_S, CL + tBURST + tRTRS - CWL)
    logic [CntW-1:0] rd2wr_l;   // max(tCCD_L, CL + tBURST + tRTRS - CWL)
    logic [CntW-1:0] wr2rd_s;   // max(tCCD_S, CWL + tBURST + tWTR_S)
    logic [CntW-1:0] wr2rd_l;   // max(tCCD_L, CWL + tBURST + tWTR_L)
    logic [CntW-1:0] rfc;       // REF -> ACT/REF
    logic [CntW-1:0] rfcb;      // REFB -> ACT/REFB, same bank
    logic [CntW-1:0] faw;       // tFAW window
  } gaps_t;

endpackage

`default_nettype wire

`endif  // KMT_MC_PKG_SV
