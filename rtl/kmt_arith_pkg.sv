// Arithmetic helpers that map well to the iCE40's carry chain.
//
// lt(a, b): unsigned a < b, as the borrow of the subtraction a - b. Yosys
// 0.23 maps a relational operator to a carry chain plus a LUT per bit that
// inverts one operand (about 2 logic cells a bit); a subtraction folds the
// inversion into the chain (1 a bit). Operands narrower than 64 bits are
// passed zero-extended: the unused top of the chain folds away. Verilator
// computes it in 64-bit arithmetic, as fast as the operator.

`ifndef KMT_ARITH_PKG_SV
`define KMT_ARITH_PKG_SV

`default_nettype none

package kmt_arith_pkg;

  function automatic logic lt(input logic [63:0] a, input logic [63:0] b);
    // With equal top bits the difference's sign is the borrow; otherwise
    // the operand with its top bit set is the larger.
    lt = (a[63] == b[63]) ? 1'((a - b) >> 63) : b[63];
  endfunction

endpackage

`default_nettype wire

`endif  // KMT_ARITH_PKG_SV
