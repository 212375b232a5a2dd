// The device's sources, relative to the repository root; the build reads this
// list. Packages come first for tools that read files one by one; a file that
// uses a package also includes it (`include "rtl/...", guarded), so the files
// can be read in any order from the repository root, or from anywhere with
// -I<repository root>:
//   verilator --lint-only -Wall --top-module kmt_device -f rtl/kmt_device.f
//   verilator --lint-only -Wall $(find rtl -name '*.sv')
rtl/mc/kmt_dram_pkg.sv
rtl/mc/kmt_mc_pkg.sv
rtl/kmt_arith_pkg.sv
rtl/kmt_regs_pkg.sv
rtl/mc/kmt_mc_gaps.sv
rtl/kmt_fifo.sv
rtl/kmt_counter.sv
rtl/mc/kmt_mc_addr_map.sv
rtl/mc/kmt_mc_arb.sv
rtl/mc/kmt_mc_bank.sv
rtl/mc/kmt_mc_sched.sv
rtl/mc/kmt_mc_queue.sv
rtl/mc/kmt_mc_refresh.sv
rtl/mc/kmt_mc_channel.sv
rtl/mc/kmt_mc.sv
rtl/kmt_irq.sv
rtl/kmt_fence_engine.sv
rtl/kmt_dma.sv
rtl/kmt_ring.sv
rtl/kmt_regs.sv
rtl/kmt_device.sv
