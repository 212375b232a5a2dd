// The device's sources in the order tools that read files one by one need
// (packages first), relative to the repository root; the build reads this list:
//   verilator --lint-only -Wall --top-module kmt_device -f rtl/kmt_device.f
rtl/mc/kmt_dram_pkg.sv
rtl/mc/kmt_mc_pkg.sv
rtl/kmt_regs_pkg.sv
rtl/mc/kmt_mc_gaps.sv
rtl/kmt_fifo.sv
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
