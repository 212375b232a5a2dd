// Arbiter: one grant per cycle among N requesters. With PrioEn, requester 0
// (the fence write-back port) wins over the others, but after PrioCap
// consecutive grants to it while another requester waited, one of the others
// is served (PrioCap = 0: no cap). The others share in round robin: the
// pointer moves past each requester whose grant was taken. Grants are a
// function of req_i alone; ack_i says the grant was taken this cycle.

`default_nettype none

module kmt_mc_arb #(
  parameter int unsigned N = 4,
  parameter bit          PrioEn = 1'b1,
  parameter int unsigned PrioCap = 4,
  localparam int unsigned IdxW = (N > 1) ? $clog2(N) : 1,
  localparam int unsigned CapW = $clog2(PrioCap + 2)
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic [N-1:0]    req_i,
  input  logic            ack_i,
  output logic [N-1:0]    gnt_o,
  output logic [IdxW-1:0] gnt_idx_o,
  output logic            gnt_valid_o,
  // No state would change in a cycle without requests.
  output logic            idle_o
);

  localparam int unsigned First = PrioEn ? 1 : 0;  // lowest round-robin requester

  logic [IdxW-1:0] ptr_q, ptr_d;
  logic [CapW-1:0] prio_cnt_q, prio_cnt_d;
  logic            others_req, prio_win, rr_found;
  logic [IdxW-1:0] rr_idx;
  logic [IdxW:0]   idx_wide;

  always_comb begin
    others_req = 1'b0;
    for (int unsigned i = First; i < N; i++) begin
      others_req = others_req | req_i[i];
    end
    prio_win = 1'b0;
    if (PrioEn && req_i[0]) begin
      prio_win = !(others_req && PrioCap != 0 && prio_cnt_q >= CapW'(PrioCap));
    end

    // Round robin among First..N-1, starting at ptr_q.
    rr_found = 1'b0;
    rr_idx   = IdxW'(First);
    for (int unsigned k = 0; k < N - First; k++) begin
      idx_wide = (IdxW+1)'(ptr_q) + (IdxW+1)'(k);
      if (idx_wide >= (IdxW+1)'(N)) begin
        idx_wide = idx_wide - (IdxW+1)'(N - First);
      end
      if (!rr_found && req_i[idx_wide[IdxW-1:0]]) begin
        rr_found = 1'b1;
        rr_idx   = idx_wide[IdxW-1:0];
      end
    end

    gnt_o       = '0;
    gnt_valid_o = 1'b0;
    gnt_idx_o   = '0;
    if (prio_win) begin
      gnt_o[0]    = 1'b1;
      gnt_valid_o = 1'b1;
    end else if (rr_found) begin
      gnt_o[rr_idx] = 1'b1;
      gnt_idx_o     = rr_idx;
      gnt_valid_o   = 1'b1;
    end
  end

  // State update in its own process: ack_i may depend on gnt_o.
  always_comb begin
    ptr_d      = ptr_q;
    prio_cnt_d = prio_cnt_q;
    if (ack_i && gnt_valid_o) begin
      if (prio_win) begin
        if (others_req && prio_cnt_q != '1) begin
          prio_cnt_d = prio_cnt_q + CapW'(1);
        end
      end else begin
        prio_cnt_d = '0;
        if (rr_idx == IdxW'(N - 1)) begin
          ptr_d = IdxW'(First);
        end else begin
          ptr_d = rr_idx + IdxW'(1);
        end
      end
    end
    if (!others_req) begin
      prio_cnt_d = '0;
    end
  end

  assign idle_o = (prio_cnt_q == '0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ptr_q      <= IdxW'(First);
      prio_cnt_q <= '0;
    end else begin
      ptr_q      <= ptr_d;
      prio_cnt_q <= prio_cnt_d;
    end
  end

endmodule

`default_nettype wire
