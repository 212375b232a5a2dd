// The board top's own sources, read after rtl/kmt_device.f (scripts/fpga.py):
//   verilator --lint-only -Wall --top-module kmt_board_top -f rtl/kmt_device.f -f rtl/board/kmt_board.f
rtl/board/kmt_uart_rx.sv
rtl/board/kmt_uart_tx.sv
rtl/board/kmt_uart_bridge.sv
rtl/board/kmt_board_vram.sv
rtl/board/kmt_board_device.sv
rtl/board/kmt_board_top.sv
