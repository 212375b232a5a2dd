// The SystemC model of the device: the registers and commands of
// docs/registers.md computed at transaction level rather than ticked.
//
// Inside, the model is a discrete-event simulation in device cycles: every
// unit (the register port, the rings' fetchers and parsers, the DMA engine,
// the fence engine, the record FIFO) schedules what it does next, and the
// memory (the memory-controller model behind the five ports) hands back
// completions. Register accesses come annotated ahead of SystemC time (the
// host is temporally decoupled): an access first runs every event up to its
// own cycle. So the state can be ahead of SystemC time; the interrupt line is
// therefore driven from a list of timed edges, as the RTL adapter does. While
// events are pending a SystemC event is armed for the next one; an idle model
// leaves no pending activity.
#pragma once

#include "kmtsim/hw/regs.h"
#include "kmtsim/sc/device.h"
#include "memory.h"

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace kmtsim::sc {

class ModelDevice final : public Device {
 public:
  ModelDevice(const sc_core::sc_module_name& name, const DeviceConfig& config);
  ~ModelDevice() override;
  Backend backend() const override { return Backend::Model; }

 private:
  // --- Event engine ---------------------------------------------------------
  void at(uint64_t cycle, std::function<void()> fn);
  void run_until(uint64_t cycle);  // every device event and memory completion up to `cycle`
  void wake_method();              // SystemC: run to now, re-arm for the next event
  void arm();
  uint64_t cycle_of(const sc_core::sc_time& t) const;  // rounded up to a whole cycle
  sc_core::sc_time time_of(uint64_t cycle) const;

  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) override;
  // Each returns the cycles the access keeps the register port, or nothing
  // for an unmapped offset.
  std::optional<unsigned> read_reg(uint32_t addr, uint32_t& data);
  std::optional<unsigned> write_reg(uint32_t addr, uint32_t data);

  // --- Memory ports -----------------------------------------------------------
  enum Port : unsigned { kPortWriteBack = 0, kPortFetch = 1, kPortDmaRead = 2, kPortDmaWrite = 3, kPortHost = 4 };
  struct Pending {  // a line request and what to do when it completes
    MemRequest request;
    std::vector<uint8_t> data;        // write: the line's bytes
    std::vector<uint8_t> strobe;      // write: 1 per byte written
    std::function<void(uint64_t cycle, const uint8_t* line)> done;
    std::function<void(uint64_t cycle)> accepted;  // the memory took it (the RTL's valid && ready)
    unsigned source = 0;  // the ring of a fetch (the fetch port serves the rings in round robin)
  };
  // Queues a line request on its port; ports offer one request a cycle, in
  // order, retrying while the memory refuses.
  void request(unsigned port, uint64_t addr, bool write, std::vector<uint8_t> data, std::vector<uint8_t> strobe,
               std::function<void(uint64_t, const uint8_t*)> done, std::function<void(uint64_t)> accepted = nullptr,
               unsigned source = 0);
  static constexpr unsigned kPorts = 5;
  static constexpr uint64_t kLateEvent = uint64_t{1} << 63;  // sequence bit: after the cycle's other events
  void arm_pump(uint64_t cycle);
  void pump_ports();
  void complete(const MemCompletion& c);
  bool in_vram(uint64_t addr, uint64_t bytes) const { return addr < vram_bytes_ && bytes <= vram_bytes_ - addr; }
  uint64_t line_bytes() const { return line_bytes_; }

  // --- Fence engine -------------------------------------------------------------
  struct Signal {
    uint32_t fence;
    uint64_t value;
    bool store;  // CPU signal: store; ring signal: max
    int ring;    // -1: the CPU
  };
  // Takes a signal into the engine at `cycle`; `granted` runs when the engine
  // accepted it (the table is written the cycle after).
  void engine_signal(const Signal& s, uint64_t cycle, std::function<void(uint64_t)> granted);
  uint64_t engine_grant(uint64_t cycle);  // the host's request: the engine takes one request a cycle
  // A ring's request from `cycle` on: the rings' requests of a cycle are
  // arbitrated together, after the cycle's other events, in round robin
  // with the host (kmt_fence_engine's u_arb); granted(g) in the grant cycle.
  void engine_request(unsigned ring, uint64_t cycle, std::function<void(uint64_t)> granted);
  void arm_engine(uint64_t cycle);
  void engine_arbitrate();
  void apply(const Signal& s, uint64_t cycle);
  void write_back(uint32_t fence, uint64_t value, int ring, uint64_t cycle, std::function<void(uint64_t)> acked);
  void queue_record(uint32_t fence, uint64_t value, int ring, bool critical, uint64_t cycle);
  void slot_ready(uint64_t id, uint64_t cycle);

  // --- Interrupts -----------------------------------------------------------------
  bool fence_cause(uint64_t cycle) const;
  void update_irq(uint64_t cycle);
  void irq_method();

  // --- Rings ------------------------------------------------------------------------
  // A ring as kmt_ring runs it: read and write positions unwrapped (ur, uw),
  // one line buffer filled on demand (no prefetch: a line is read when the
  // parser needs a word that is not in it), the parser taking one word a
  // cycle, and a command executing in the cycle after its last word.
  struct Ring {
    uint64_t base = 0;
    uint32_t size_log2 = 12;
    uint32_t wptr = 0;       // RING_WPTR as last taken
    uint32_t ur = 0, uw = 0;  // unwrapped read and write positions (bytes)
    bool enabled = false;
    bool halted = false;
    uint8_t error = 0, error_opcode = 0;
    uint32_t completed = 0;
    uint64_t epoch = 0;      // bumped by RESET: events and completions of older work are dropped
    // The line buffer: ring bytes [buf_lo, buf_hi), unwrapped, of the line at buf_line.
    bool buf_valid = false;
    uint32_t buf_line = 0, buf_lo = 0, buf_hi = 0;
    std::vector<uint32_t> buf;
    bool fetching = false;
    // The parser: words of the current command taken so far.
    unsigned k = 0;
    std::array<uint32_t, 6> cmd{};
    uint64_t parse_free = 0;  // the first cycle the parser may take a word
    bool collect_armed = false;  // a collect is scheduled at collect_at
    uint64_t collect_at = 0;
    bool busy = false;        // a command is executing (StExec)
    bool nop_pending = false; // a NOP waits for its padding to be written
    bool waiting = false;
    uint32_t wait_fence = 0;
    uint64_t wait_value = 0;
    unsigned writes_in_flight = 0;  // DMA writes of this ring not yet acknowledged
    uint64_t drained_from = 0;      // the ring sees an acknowledgement the cycle after it
    std::function<void(uint64_t)> on_drained;  // a SIGNAL or TIMESTAMP waiting for them
    uint32_t size() const { return 1u << size_log2; }
    uint32_t mask() const { return size() - 1; }
    uint32_t rptr() const { return ur & mask(); }
  };
  void ring_doorbell(unsigned r, uint32_t wptr, uint64_t cycle);
  void ring_control(unsigned r, uint32_t value, uint64_t cycle);
  void ring_collect(unsigned r, uint64_t cycle);  // take words of the next command from `cycle` on
  void ring_fetch(unsigned r, uint32_t pos);        // read the line holding ring position `pos`, now
  void ring_exec(unsigned r, uint64_t cycle);     // the command is whole: run it
  void ring_complete(unsigned r, uint32_t bytes, uint64_t cycle);
  void ring_halt(unsigned r, hw::RingError error, uint8_t opcode, uint64_t cycle);
  void ring_after_writes(unsigned r, uint64_t cycle, std::function<void(uint64_t)> fn);
  void ring_check_drained(unsigned r, uint64_t cycle);
  bool ring_drained(unsigned r) const;
  void release_waits(uint32_t fence, uint64_t cycle);
  uint32_t ring_state(const Ring& ring) const;

  // --- DMA --------------------------------------------------------------------------
  // kmt_dma: one command at a time, rings in round robin when the engine is
  // free; a command is taken (and its ring goes on) in the cycle of the grant,
  // the engine works from the next cycle. Writes go line by line, one a
  // cycle; COPY reads each source line once, in order, into kDmaReads slots,
  // takes them in order into a two-line window, and writes destination line i
  // once the source lines it needs are in the window.
  struct DmaJob {
    unsigned ring = 0;
    hw::CpOpcode op = hw::CpOpcode::COPY;
    uint64_t dst = 0, src = 0, bytes = 0;
    uint32_t pattern = 0;
    uint64_t since = 0;                     // the cycle the ring asked
    std::function<void(uint64_t)> granted;  // the engine took the command
  };
  struct DmaSlot {
    bool back = false;
    uint64_t valid = 0;  // the cycle its data is in the slot
    std::vector<uint8_t> data;
  };
  struct DmaRun {
    DmaRun() = default;
    explicit DmaRun(DmaJob j) : job(std::move(j)) {}
    DmaJob job;
    uint64_t stamp = 0;                 // TIMESTAMP: the timebase when taken
    uint64_t dline0 = 0, sline0 = 0;    // first destination and source line addresses
    uint64_t lines_w = 0, lines_r = 0;  // lines to write and to read
    uint64_t written = 0, read = 0, consumed = 0;
    bool ahead = false;                 // the source's offset in its line is past the destination's
    std::deque<DmaSlot> slots;          // reads issued and not consumed, in order
    std::map<uint64_t, std::vector<uint8_t>> window;  // consumed source lines by index
    bool rd_wait = false, wr_wait = false;             // a request offered, not yet taken
    uint64_t rd_next = 0, wr_next = 0;  // the first cycle the next request may go
  };
  static constexpr unsigned kDmaReads = 4;  // kmt_device DmaRdSlots
  void dma_request(DmaJob job, uint64_t cycle);
  void dma_arbitrate(uint64_t cycle);
  void dma_tick_at(uint64_t cycle);
  void dma_tick(uint64_t cycle);
  void dma_write_line(uint64_t cycle);

  // --- State ------------------------------------------------------------------------
  uint8_t* vram_;
  uint64_t vram_bytes_;
  unsigned line_bytes_;
  std::unique_ptr<Memory> memory_;

  std::map<std::pair<uint64_t, uint64_t>, std::function<void()>> events_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;  // the cycle events have run to
  sc_core::sc_event wake_;
  std::vector<MemCompletion> completions_;

  std::array<std::deque<Pending>, kPorts> port_queue_;
  unsigned fetch_ptr_ = 0;  // the fetch port's round robin: the ring first in line
  // A once-per-cycle step run after the cycle's other events (kLateEvent):
  // armed for the earliest cycle asked; an event armed for a later cycle
  // finds itself re-armed and does nothing.
  struct LateStep {
    bool armed = false;
    uint64_t at = 0;
  };
  void arm_late(LateStep& step, uint64_t cycle, void (ModelDevice::*fn)());
  LateStep pump_step_;
  std::map<uint64_t, Pending> in_flight_;  // by tag
  uint64_t next_tag_ = 1;

  // Registers.
  uint64_t port_free_ = 0;  // the register port's next free cycle
  uint32_t irq_enable_ = 0, fence_sel_ = 0, value_hi_ = 0, cycle_hi_ = 0;
  uint64_t wdata_ = 0;
  uint32_t coalesce_ = 0;
  uint64_t wb_base_ = 0;
  bool wb_enable_ = false;
  uint64_t host_addr_ = 0;
  uint32_t host_errors_ = 0;
  uint32_t dram_control_ = 0;
  bool memory_stale_ = false;
  bool fence_held_ = false;  // IRQ_STATUS.FENCE: the coalescing condition held since the FIFO was last empty  // DRAM_CONTROL or DRAM_TIMING written since memory_ was made
  std::unique_ptr<Memory> make_memory() const;
  std::vector<uint32_t> dram_timing_;

  // Fence engine.
  std::vector<uint64_t> fences_;
  std::vector<bool> critical_;
  uint64_t init_done_;       // the table clears for num_fences cycles after reset
  uint64_t engine_free_ = 0;
  struct EngineRequest {
    uint64_t ready = 0;
    uint64_t epoch = 0;  // a ring reset drops its request
    std::function<void(uint64_t)> granted;
  };
  std::vector<std::optional<EngineRequest>> engine_req_;  // per ring
  unsigned engine_rr_ = 0;  // round robin over the rings and the host (index: the number of rings)
  LateStep engine_step_;
  uint32_t signal_count_ = 0, rewind_count_ = 0, fence_errors_ = 0, wb_count_ = 0;

  // Interrupt records.
  struct Record {
    uint32_t fence;
    uint64_t value;
    int ring;
    bool critical;
    uint64_t queued;  // cycle it entered the FIFO
  };
  std::deque<Record> records_;
  struct Slot {  // a signal whose record is not queued yet
    uint32_t fence;
    uint64_t value;
    int ring;
    bool critical;
    std::optional<uint64_t> ready;
  };
  std::deque<Slot> slots_;
  uint64_t slot_base_ = 0;   // id of slots_.front()
  uint64_t last_record_ = 0;
  bool overflow_ = false;
  bool ring_error_ = false;
  bool irq_level_ = false;
  std::deque<std::pair<uint64_t, bool>> irq_edges_;  // (cycle, level), in time order
  sc_core::sc_event irq_update_;

  std::vector<Ring> rings_;
  std::vector<std::optional<DmaJob>> dma_req_;  // per ring: a command waiting for the engine
  DmaRun dma_;
  bool dma_busy_ = false;     // the engine works on dma_ (kmt_dma act_q)
  uint64_t dma_free_ = 0;     // the first cycle the engine may take a command
  uint64_t dma_last_tick_ = ~uint64_t{0};
  unsigned dma_rr_ = 0;
};

}  // namespace kmtsim::sc
