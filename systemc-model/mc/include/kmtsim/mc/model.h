// Fast model of the memory controller (rtl/mc, kmt_mc): plain C++, no
// SystemC, event driven. It computes what the RTL does from bank state and
// time stamps, and visits only the cycles in which something can happen.
//
// Behaviour reproduced: per channel, an arbiter over the client ports (port
// 0 first, capped at prio_cap grants in a row while others wait; the others
// round robin), a transaction queue of queue_depth entries (a request is
// refused while the queue is full or while it touches the address of a
// queued request where either one writes), FR-FCFS with the starvation cap,
// open-page banks, every timing gap of the RTL, all-bank or per-bank
// refresh, response room (resp_depth), and the response path (read data
// CL + 2 cycles after its RD, a write acknowledged 2 cycles after its WR,
// each channel alternating the two, each port taking one response a cycle
// from its channels in round robin). Cycle 0 is the first cycle after reset.
//
// Use:
//   McModel mc(McConfig::for_preset(hw::dram::kHbm2));
//   mc.offer(port, {addr, write, id, tag}, cycle);  // valid from `cycle` until accepted (like req_valid)
//   mc.advance(until);                  // simulate cycles [now(), until)
//   for (const McEvent& e : mc.events()) ...   // Accepted / Completed, in time order
//   mc.clear_events();
//   mc.next_event_cycle();              // sleep until then (kNever: until the next offer)
//
// A port holds one request at a time; after its Accepted event (cycle t) the
// port may offer the next one from cycle t + 1. Completed: a read's data is
// back at its port (the cycle the RTL's rsp_valid/rsp_ready handshake
// happens); a write was sent to DRAM (its WR) and acknowledged. Responses are
// always taken (rsp_ready high). Functionally, requests to one address take
// effect in acceptance order: apply a write's data at its Completed event and
// read at a read's Completed event, in event order, and every read sees the
// last write accepted before it. The model is deterministic: the same calls
// give the same events.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "kmtsim/dram/address_map.h"
#include "kmtsim/dram/checker.h"
#include "kmtsim/mc/config.h"
#include "kmtsim/mc/policy.h"

namespace kmtsim::mc {

struct McRequest {
  uint64_t addr = 0;   // byte address; the offset within a request and bits above the map are ignored
  bool write = false;
  uint32_t id = 0;     // returned in the events (the RTL carries IdW bits)
  uint64_t tag = 0;    // returned in the events, for the caller's use
};

struct McEvent {
  enum class Kind : uint8_t { Accepted, Completed };
  Kind kind = Kind::Accepted;
  bool write = false;
  uint16_t port = 0;
  uint32_t id = 0;
  uint64_t cycle = 0;
  uint64_t tag = 0;
};

// A DRAM command as the model sends it, for observers (checkers, traces,
// functional storage).
struct McCommand {
  uint64_t cycle = 0;
  unsigned channel = 0;
  dram::DramCommand cmd;   // bank group, bank, row, column (RD/WR/ACT and the scheduler's PRE)
  bool refresh = false;    // sent by the refresh manager (PREA, REF, and PRE/REFB in per-bank mode)
  uint16_t port = 0;       // RD/WR: the request's port, id and tag
  uint32_t id = 0;
  uint64_t tag = 0;
  uint64_t addr = 0;       // RD/WR: the request's line address
};

class McObserver {
 public:
  virtual ~McObserver() = default;
  virtual void on_command(const McCommand& c) = 0;
};

struct McChannelStats {
  uint64_t commands[8] = {};  // by hw::dram::Cmd
  uint64_t reads = 0, writes = 0;  // completed
  uint64_t accepted = 0;
};

class McModel {
 public:
  explicit McModel(const McConfig& cfg);  // throws std::invalid_argument on a bad configuration
  ~McModel();
  McModel(const McModel&) = delete;
  McModel& operator=(const McModel&) = delete;

  const McConfig& config() const;
  const dram::AddressMap& address_map() const;
  unsigned channel_of(uint64_t addr) const;

  // The first cycle not yet simulated.
  uint64_t now() const;

  // Presents r on port from cycle `at` (>= now()) until it is accepted.
  // False if the port already holds a request.
  bool offer(unsigned port, const McRequest& r, uint64_t at);
  bool offer(unsigned port, const McRequest& r) { return offer(port, r, now()); }
  bool holding(unsigned port) const;
  // Takes back a request that was not yet accepted.
  void withdraw(unsigned port);
  // Whether a request to addr would be accepted in cycle now() if it were
  // the only one offered to its channel (queue room, no same-address hazard).
  bool can_accept(uint64_t addr, bool write) const;

  // offer(port, r) if the port holds nothing and can_accept(r.addr, r.write):
  // what a host that offers only what the controller takes right away needs
  // (the address decoded once). False: nothing offered.
  bool offer_if_accepted(unsigned port, const McRequest& r);

  // For a host that learns of a request after it has simulated the cycle
  // (it advanced to now() to collect that cycle's completions): decides
  // right away whether r, offered alone to its channel in cycle now() - 1,
  // was accepted then, from the queue as it was at the start of that cycle
  // (what the RTL's ready depends on). Accepted: the Accepted event is
  // appended with cycle now() - 1 and the request is queued as if it had
  // entered at the end of that cycle. False also when the channel already
  // accepted a request in that cycle, or the port holds one.
  bool accept_late(unsigned port, const McRequest& r);
  // The same for requests of several ports offered together in cycle
  // now() - 1 (at most one per port): each channel's arbiter picks among
  // those sent to it, as in the RTL (port 0 first within its cap, the others
  // round robin), and the pick is taken if the queue allowed it. Returns the
  // accepted ones as a mask over `offers`' indices.
  uint64_t accept_late(std::span<const std::pair<unsigned, McRequest>> offers);

  // Simulates cycles now() .. until-1; their events are appended to events().
  void advance(uint64_t until);
  // The same, but stops at the end of the first cycle in which a request
  // leaves a transaction queue (departures() moves), if that comes first.
  void advance_until_departure(uint64_t until);
  // The same, but stops at the end of the cycle in which the request port
  // holds is accepted (at once if it holds none).
  void advance_until_taken(unsigned port, uint64_t until);

  // Events of the cycles simulated so far, oldest first (within a cycle:
  // acceptances, then completions, each by port).
  std::span<const McEvent> events() const;
  void clear_events();

  // Earliest cycle at which an event may happen (the model may find there
  // is none yet: call again after advancing); kNever when nothing is held
  // or outstanding, so only a new offer can cause one.
  uint64_t next_event_cycle() const;
  // Earliest cycle at which the model's state changes (refresh included).
  uint64_t next_activity_cycle() const;
  // Something held or outstanding.
  bool busy() const;
  uint64_t outstanding() const;  // accepted, not completed
  // Requests that have left the transaction queues (their RD or WR sent):
  // can_accept() changes its answer only when this count moves (or the
  // queue takes a request).
  uint64_t departures() const;

  void set_observer(McObserver* o);
  const McChannelStats& channel_stats(unsigned ch) const;
  uint64_t refresh_owed(unsigned ch) const;  // at now()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kmtsim::mc
