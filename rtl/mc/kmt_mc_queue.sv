// Transaction queue of one channel: a collapsing queue, so an entry's index
// is its age rank (0 = oldest). One request may enter per cycle (at the
// tail) and one leave (from any index: the one whose RD/WR was issued); the
// younger entries then move down one place. Each entry counts how many
// younger entries left before it (saturating at StarveCap): at the cap it is
// urgent for the scheduler. A new request that touches the address of a
// queued one where either writes is refused (hazard_o) until that one has
// left, so reads and writes to one address keep their order.

`default_nettype none

module kmt_mc_queue #(
  parameter int unsigned Depth = 8,
  parameter int unsigned NumBanks = 16,
  parameter int unsigned RowW = 15,
  parameter int unsigned ColW = 4,
  parameter int unsigned TagW = 8,     // carried untouched: id, port, data slot
  parameter int unsigned StarveCap = 8,
  localparam int unsigned BankW = (NumBanks > 1) ? $clog2(NumBanks) : 1,
  localparam int unsigned IdxW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CntW = $clog2(Depth + 1),
  localparam int unsigned CapW = $clog2(StarveCap + 1)
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,

  // Enqueue (the caller checks full_o and hazard_o first).
  input  logic                     push_i,
  input  logic                     push_write_i,
  input  logic [BankW-1:0]         push_bank_i,
  input  logic [RowW-1:0]          push_row_i,
  input  logic [ColW-1:0]          push_col_i,
  input  logic [TagW-1:0]          push_tag_i,
  output logic                     full_o,
  output logic                     hazard_o,    // push_* conflicts with a queued entry

  // Dequeue of any entry.
  input  logic                     pop_i,
  input  logic [IdxW-1:0]          pop_idx_i,

  // Entry fields, flattened, for the scheduler.
  output logic [Depth-1:0]         ent_valid_o,
  output logic [Depth-1:0]         ent_write_o,
  output logic [Depth-1:0]         ent_urgent_o,
  output logic [Depth*BankW-1:0]   ent_bank_o,
  output logic [Depth*RowW-1:0]    ent_row_o,
  output logic [NumBanks-1:0]      bank_busy_o,  // some entry targets the bank

  // Read port: the fields of entry rd_idx_i.
  input  logic [IdxW-1:0]          rd_idx_i,
  output logic [ColW-1:0]          rd_col_o,
  output logic [TagW-1:0]          rd_tag_o
);

  logic [CntW-1:0]  count_q, count_d;
  logic [Depth-1:0] valid_q, valid_d, write_q, write_d;
  logic [BankW-1:0] bank_q [Depth];
  logic [BankW-1:0] bank_d [Depth];
  logic [RowW-1:0]  row_q [Depth];
  logic [RowW-1:0]  row_d [Depth];
  logic [ColW-1:0]  col_q [Depth];
  logic [ColW-1:0]  col_d [Depth];
  logic [TagW-1:0]  tag_q [Depth];
  logic [TagW-1:0]  tag_d [Depth];
  logic [CapW-1:0]  age_q [Depth];
  logic [CapW-1:0]  age_d [Depth];
  logic [CntW-1:0]  tail;
  logic             shift;

  assign full_o = (count_q == CntW'(Depth));

  always_comb begin
    hazard_o = 1'b0;
    for (int unsigned i = 0; i < Depth; i++) begin
      if (valid_q[i] && bank_q[i] == push_bank_i && row_q[i] == push_row_i && col_q[i] == push_col_i &&
          (write_q[i] || push_write_i)) begin
        hazard_o = 1'b1;
      end
    end
  end

  always_comb begin
    count_d = count_q;
    for (int unsigned i = 0; i < Depth; i++) begin
      // After a pop at pop_idx_i, entry i takes the place of entry i + 1.
      shift = pop_i && (CntW'(i) >= CntW'(pop_idx_i));
      if (shift) begin
        valid_d[i] = (i == Depth - 1) ? 1'b0 : valid_q[(i + 1) % Depth];
        write_d[i] = write_q[(i + 1) % Depth];
        bank_d[i]  = bank_q[(i + 1) % Depth];
        row_d[i]   = row_q[(i + 1) % Depth];
        col_d[i]   = col_q[(i + 1) % Depth];
        tag_d[i]   = tag_q[(i + 1) % Depth];
        age_d[i]   = age_q[(i + 1) % Depth];
      end else begin
        valid_d[i] = valid_q[i];
        write_d[i] = write_q[i];
        bank_d[i]  = bank_q[i];
        row_d[i]   = row_q[i];
        col_d[i]   = col_q[i];
        tag_d[i]   = tag_q[i];
        age_d[i]   = age_q[i];
      end
      // A younger entry leaving bypasses every older one.
      if (pop_i && CntW'(i) < CntW'(pop_idx_i) && age_q[i] != CapW'(StarveCap)) begin
        age_d[i] = age_q[i] + CapW'(1);
      end
    end

    tail = pop_i ? count_q - CntW'(1) : count_q;
    if (push_i) begin
      for (int unsigned i = 0; i < Depth; i++) begin
        if (CntW'(i) == tail) begin
          valid_d[i] = 1'b1;
          write_d[i] = push_write_i;
          bank_d[i]  = push_bank_i;
          row_d[i]   = push_row_i;
          col_d[i]   = push_col_i;
          tag_d[i]   = push_tag_i;
          age_d[i]   = '0;
        end
      end
    end
    if (push_i && !pop_i) begin
      count_d = count_q + CntW'(1);
    end else if (pop_i && !push_i) begin
      count_d = count_q - CntW'(1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      count_q <= '0;
      valid_q <= '0;
      write_q <= '0;
      for (int unsigned i = 0; i < Depth; i++) begin
        bank_q[i] <= '0;
        row_q[i]  <= '0;
        col_q[i]  <= '0;
        tag_q[i]  <= '0;
        age_q[i]  <= '0;
      end
    end else begin
      count_q <= count_d;
      valid_q <= valid_d;
      write_q <= write_d;
      for (int unsigned i = 0; i < Depth; i++) begin
        bank_q[i] <= bank_d[i];
        row_q[i]  <= row_d[i];
        col_q[i]  <= col_d[i];
        tag_q[i]  <= tag_d[i];
        age_q[i]  <= age_d[i];
      end
    end
  end

  always_comb begin
    bank_busy_o = '0;
    for (int unsigned i = 0; i < Depth; i++) begin
      ent_valid_o[i]                = valid_q[i];
      ent_write_o[i]                = write_q[i];
      ent_urgent_o[i]               = (age_q[i] == CapW'(StarveCap));
      ent_bank_o[i*BankW +: BankW]  = bank_q[i];
      ent_row_o[i*RowW +: RowW]     = row_q[i];
      if (valid_q[i]) begin
        bank_busy_o[bank_q[i]] = 1'b1;
      end
    end
  end

  // The caller pushes only into room and pops only a queued entry.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
    end else begin
      assert (!push_i || !full_o || pop_i);
      assert (!pop_i || valid_q[pop_idx_i]);
    end
  end

  assign rd_col_o = col_q[rd_idx_i];
  assign rd_tag_o = tag_q[rd_idx_i];

endmodule

`default_nettype wire
