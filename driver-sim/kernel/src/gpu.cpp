// GPU work: contexts queue packets of whole commands; the scheduler gives each
// context with work one of the device's rings, writes its packets into the
// ring buffer in VRAM and rings the doorbell. A context keeps its ring while
// it has work in flight; when another context needs a ring and none is free,
// a ring stalled on a WAIT is preempted (disabled, its unrun commands taken
// back, reset) and a ring that is running is asked for an interrupt when it
// drains (a SIGNAL of its progress fence). So no context's WAIT can hold up
// another's work for good, whatever the number of contexts.
//
// SubmitCommand's command buffers are validated before they go anywhere:
// known opcodes only (SIGNAL and WAIT go through the sync-object calls), and
// every range a command names inside an allocation the caller holds (with
// write access where the GPU writes). The device has no MMU: this check is
// what keeps one process's GPU work out of another's memory.
#include "internal.h"
#include "kmtsim/hw/regs.h"
#include "kmtsim/util/clock.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace kmtsim::kernel {

namespace reg = hw::reg;
namespace field = hw::field;
using Op = hw::CpOpcode;

namespace {

uint32_t header(Op op, uint32_t low) { return (uint32_t{static_cast<uint8_t>(op)} << 24) | low; }

void append_fence_command(std::vector<uint32_t>& w, Op op, int slot, uint64_t value) {
  w.push_back(header(op, static_cast<uint32_t>(slot)));
  w.push_back(static_cast<uint32_t>(value));
  w.push_back(static_cast<uint32_t>(value >> 32));
}

// Words of the command whose header is `h`; 0 for an unknown opcode.
unsigned command_words(uint32_t h) {
  const auto op = static_cast<Op>(h >> 24);
  if (op == Op::NOP) return 1 + (h & 0xFFFF);
  return hw::command_words(op);
}

// Splits `p` after its first `words` words (a command boundary).
Packet split_front(Packet& p, size_t words) {
  Packet front;
  front.words.assign(p.words.begin(), p.words.begin() + static_cast<ptrdiff_t>(words));
  p.words.erase(p.words.begin(), p.words.begin() + static_cast<ptrdiff_t>(words));
  std::vector<SignalNote> rest;
  for (auto& n : p.signals) {
    if (n.word < words) {
      front.signals.push_back(std::move(n));
    } else {
      n.word -= words;
      rest.push_back(std::move(n));
    }
  }
  p.signals = std::move(rest);
  front.refs = p.refs;  // both halves keep what the packet names alive
  return front;
}

// Drops the first `words` words of `p` (already run).
void drop_front(Packet& p, size_t words) { (void)split_front(p, words); }

}  // namespace

// --- Contexts ------------------------------------------------------------------------

std::shared_ptr<ContextObj> Kernel::new_context(std::shared_ptr<DeviceObj> device, uint32_t node) {
  std::shared_ptr<ContextObj> c(new ContextObj, [this](ContextObj* p) {
    context_gone(p);
    delete p;
  });
  c->device = std::move(device);
  c->node = node;
  c->id = next_context_id_++;
  contexts_[c->id] = c.get();
  return c;
}

void Kernel::context_gone(ContextObj* context) {
  contexts_.erase(context->id);
  ring_waiters_.erase(std::remove(ring_waiters_.begin(), ring_waiters_.end(), context), ring_waiters_.end());
  if (context->ring >= 0) {
    // Work already on the ring runs to its end; the ring is free after it.
    HwRing& r = *rings_[static_cast<size_t>(context->ring)];
    if (r.owner == context) r.owner = nullptr;
  }
  for (auto& r : rings_)
    for (auto& f : r->in_flight)
      if (f.context == context) f.context = nullptr;
  context->queue.clear();
}

void Kernel::submit(ContextObj& context, Packet&& packet) {
  ++stats_.packets;
  context.queue.push_back(std::move(packet));
  if (context.ring < 0 && !context.waiting_for_ring) {
    context.waiting_for_ring = true;
    ring_waiters_.push_back(&context);
  }
  schedule();
}

int32_t Kernel::signal_after(const std::vector<ContextObj*>& contexts,
                             const std::vector<std::pair<std::shared_ptr<SyncObject>, uint64_t>>& signals,
                             uint64_t received_host_ns) {
  // Each context but the last signals its join fence; the last waits for
  // all of them, then signals: the signal follows every context's work.
  Packet last;
  for (size_t k = 0; k + 1 < contexts.size(); ++k) {
    ContextObj& c = *contexts[k];
    if (c.ring < 0 && c.queue.empty() && !c.join) continue;  // nothing queued: nothing to wait for
    if (!c.join) {
      c.join = new_sync_object(D3DDDI_MONITORED_FENCE, 0, 0);
      if (!c.join) return STATUS_NO_MEMORY;
    }
    Packet p;
    append_fence_command(p.words, Op::SIGNAL, c.join->slot, ++c.join_value);
    p.refs.push_back(c.join);
    append_fence_command(last.words, Op::WAIT, c.join->slot, c.join_value);
    last.refs.push_back(c.join);
    submit(c, std::move(p));
  }
  for (const auto& [fence, value] : signals) {
    SignalNote note;
    note.word = last.words.size();
    note.fence = fence;
    note.hop.value = value;
    note.hop.from_gpu = 1;
    note.hop.submit_host_ns = received_host_ns;
    append_fence_command(last.words, Op::SIGNAL, fence->slot, value);
    last.signals.push_back(std::move(note));
  }
  submit(*contexts.back(), std::move(last));
  return STATUS_SUCCESS;
}

// --- The scheduler ------------------------------------------------------------------------

void Kernel::reap(HwRing& r) {
  if (r.wpos == r.rpos) return;
  const uint32_t rptr = hw_.read32(reg::RING_RPTR_AT(r.index));
  const uint32_t have = static_cast<uint32_t>(r.rpos % r.size);
  r.rpos += (rptr + r.size - have) % r.size;
  while (!r.in_flight.empty() && r.in_flight.front().end <= r.rpos) r.in_flight.pop_front();
}

void Kernel::kick(HwRing& r) {
  if (r.kicked || r.wpos == r.rpos || r.free_bytes() < 12) return;
  Packet p;
  append_fence_command(p.words, Op::SIGNAL, r.progress->slot, ++r.progress_value);
  const uint64_t start = r.wpos;
  for (uint32_t w : p.words) {
    std::memcpy(vram_->at(r.base + r.wpos % r.size), &w, 4);
    r.wpos += 4;
  }
  r.in_flight.push_back({start, r.wpos, nullptr, std::move(p)});
  r.kicked = true;
  hw_.write32(reg::RING_WPTR_AT(r.index), static_cast<uint32_t>(r.wpos % r.size));
}

void Kernel::forget_signals(const Packet& dropped) {
  // Their hops wait in the fences' pending lists: a signal that never runs
  // would be matched with a later one's interrupt.
  for (const SignalNote& n : dropped.signals) {
    if (!n.logged) continue;
    auto& pending = n.fence->pending_gpu;
    const auto it = std::find_if(pending.begin(), pending.end(), [&](const Hop& h) {
      return h.value == n.hop.value && h.submit_sim_ps == n.hop.submit_sim_ps && h.submit_host_ns == n.hop.submit_host_ns;
    });
    if (it != pending.end()) pending.erase(it);
  }
}

void Kernel::preempt(HwRing& r, bool skip_faulty) {
  // Stop it after the command it is in (a WAIT still retires if released),
  // see how far it got, then reset it.
  hw_.write32(reg::RING_CONTROL_AT(r.index), 0);
  reap(r);
  hw_.write32(reg::RING_CONTROL_AT(r.index), field::RING_CONTROL_RESET.put(1) | field::RING_CONTROL_ENABLE.put(1));
  std::deque<Packet> back;
  ContextObj* owner = r.owner;
  bool skipped = !skip_faulty;
  for (auto& f : r.in_flight) {
    Packet p = std::move(f.packet);
    if (r.rpos > f.start) drop_front(p, static_cast<size_t>((r.rpos - f.start) / 4));
    if (!skipped && !p.words.empty()) {
      forget_signals(split_front(p, std::min<size_t>(command_words(p.words.front()), p.words.size())));
      skipped = true;
    }
    if (f.context != nullptr && f.context == owner && !p.words.empty()) back.push_back(std::move(p));
    else forget_signals(p);  // a destroyed context's: it never runs
  }
  r.in_flight.clear();
  r.wpos = r.rpos = 0;
  r.kicked = false;
  for (auto& q : quarantine_) q.positions[r.index] = 0;  // nothing from before can run now
  if (owner != nullptr) {
    owner->queue.insert(owner->queue.begin(), std::make_move_iterator(back.begin()), std::make_move_iterator(back.end()));
    owner->ring = -1;
    r.owner = nullptr;
    if (!owner->queue.empty() && !owner->waiting_for_ring) {
      owner->waiting_for_ring = true;
      ring_waiters_.push_back(owner);
    }
  }
}

bool Kernel::write_packets(HwRing& r) {
  bool wrote = false;
  ContextObj* c = r.owner;
  while (c != nullptr && !c->queue.empty()) {
    // Another context waits: finish what is written, then hand the ring over.
    if (!ring_waiters_.empty() && wrote) break;
    Packet& p = c->queue.front();
    const uint32_t reserve = 12;  // room for a progress SIGNAL
    uint64_t need = p.words.size() * 4;
    if (need + reserve > r.free_bytes()) reap(r);
    if (need + reserve > r.free_bytes()) {
      if (need + reserve <= r.size - 4 || r.free_bytes() <= reserve) {
        kick(r);  // an interrupt when there is room
        break;
      }
      // Larger than the room there is: split at a command boundary.
      size_t words = 0;
      while (words < p.words.size()) {
        const size_t n = command_words(p.words[words]);
        if ((words + n) * 4 + reserve > r.free_bytes()) break;
        words += n;
      }
      if (words == 0) {
        kick(r);
        break;
      }
      c->queue.insert(c->queue.begin() + 1, std::move(p));
      Packet front = split_front(c->queue[1], words);
      c->queue.front() = std::move(front);
      continue;
    }
    const uint64_t start = r.wpos;
    for (uint32_t w : p.words) {
      std::memcpy(vram_->at(r.base + r.wpos % r.size), &w, 4);
      r.wpos += 4;
    }
    r.in_flight.push_back({start, r.wpos, c, std::move(p)});
    c->queue.pop_front();
    wrote = true;
  }
  if (!wrote) return false;
  hw_.write32(reg::RING_WPTR_AT(r.index), static_cast<uint32_t>(r.wpos % r.size));
  // The signals just written: their hops start at the doorbell.
  const uint64_t now = hw_.now_ps();
  for (auto& f : r.in_flight) {
    for (auto& n : f.packet.signals) {
      if (n.logged) continue;
      n.logged = true;
      n.hop.submit_sim_ps = now;
      if (options_.record_hops) n.fence->pending_gpu.push_back(n.hop);
    }
  }
  return true;
}

void Kernel::schedule() {
  if (removed_ || rings_.empty()) return;
  // Freed VRAM that no queued command can reach any more goes back.
  if (!quarantine_.empty()) {
    for (auto& r : rings_) reap(*r);
    std::erase_if(quarantine_, [&](const Quarantined& q) {
      for (size_t k = 0; k < rings_.size(); ++k)
        if (rings_[k]->rpos < q.positions[k]) return false;
      vram_->release(q.addr, q.bytes);
      return true;
    });
    if (!quarantine_.empty())
      for (auto& r : rings_) kick(*r);
  }
  // Twice at most: rings handed over in the first round serve the waiting
  // contexts in the second.
  for (int round = 0; round < 2; ++round) {
    bind_waiting();
    for (auto& r : rings_) write_packets(*r);
    if (ring_waiters_.empty()) return;
    // Contexts wait: owners whose work has drained hand their ring over and
    // go to the back of the line; the others tell us when they drain.
    bool freed = false;
    for (auto& r : rings_) {
      if (r->owner == nullptr) continue;
      reap(*r);
      if (r->in_flight.empty()) {
        ContextObj* o = r->owner;
        o->ring = -1;
        r->owner = nullptr;
        freed = true;
        if (!o->queue.empty() && !o->waiting_for_ring) {
          o->waiting_for_ring = true;
          ring_waiters_.push_back(o);
        }
      } else {
        kick(*r);
      }
    }
    if (!freed) return;
  }
}

bool Kernel::ready(const ContextObj& c) const {
  if (c.queue.empty() || c.queue.front().words.size() < 3) return !c.queue.empty();
  const auto& w = c.queue.front().words;
  if (static_cast<Op>(w[0] >> 24) != Op::WAIT) return true;
  const size_t slot = w[0] & 0xFFFF;
  if (slot >= slots_.size() || slots_[slot] == nullptr) return true;
  const SyncObject& o = *slots_[slot];
  const uint64_t have = std::max(o.value, o.page ? o.page->load() : 0);
  return have >= (uint64_t{w[1]} | (uint64_t{w[2]} << 32));
}

Kernel::HwRing* Kernel::free_ring() {
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& r : rings_) {
      if (pass == 1) {
        reap(*r);
        // An owner with nothing left to run gives its ring up.
        if (r->owner != nullptr && r->owner->queue.empty() && r->in_flight.empty()) {
          r->owner->ring = -1;
          r->owner = nullptr;
        }
      }
      if (r->owner == nullptr && r->in_flight.empty()) return r.get();
    }
  }
  return nullptr;
}

void Kernel::bind_waiting() {
  std::erase_if(ring_waiters_, [](ContextObj* c) {
    if (!c->queue.empty() && c->ring < 0) return false;
    c->waiting_for_ring = false;
    return true;
  });
  while (!ring_waiters_.empty()) {
    // A free ring goes to the first in line, ready or not: a WAIT the GPU
    // releases by itself costs nobody anything.
    ContextObj* c = ring_waiters_.front();
    HwRing* ring = free_ring();
    if (ring == nullptr) {
      // None free: a ring stalled on a WAIT is taken back, but only for a
      // context that can run now (else the two would only swap stalls).
      const auto it = std::find_if(ring_waiters_.begin(), ring_waiters_.end(), [this](ContextObj* w) { return ready(*w); });
      if (it == ring_waiters_.end()) {
        for (auto& r : rings_) kick(*r);  // each tells us when it drains
        return;
      }
      c = *it;
      for (auto& r : rings_) {
        // An ownerless ring with work has what a destroyed context left
        // (drop_orphans): preempting it drops that.
        if (r->owner == nullptr && r->in_flight.empty()) continue;
        const uint32_t state = field::RING_STATUS_STATE.get(hw_.read32(reg::RING_STATUS_AT(r->index)));
        if (state != static_cast<uint32_t>(hw::RingState::WAITING)) continue;
        preempt(*r, false);  // its owner goes to the back of the line
        ++stats_.preemptions;
        if (r->owner == nullptr && r->in_flight.empty()) {
          ring = r.get();
          break;
        }
      }
      if (ring == nullptr) {
        for (auto& r : rings_) kick(*r);
        return;
      }
    }
    ring_waiters_.erase(std::find(ring_waiters_.begin(), ring_waiters_.end(), c));
    c->waiting_for_ring = false;
    ring->owner = c;
    c->ring = static_cast<int>(ring->index);
  }
}

void Kernel::drop_orphans() {
  // What a destroyed context left on a ring runs to its end, unless it stalls
  // on a WAIT: nobody can take that work back, and it would hold its ring,
  // the VRAM freed behind it and every object it names, maybe for good.
  for (auto& r : rings_) {
    if (r->owner != nullptr || r->in_flight.empty()) continue;
    reap(*r);
    if (r->in_flight.empty()) continue;
    const uint32_t state = field::RING_STATUS_STATE.get(hw_.read32(reg::RING_STATUS_AT(r->index)));
    if (state == static_cast<uint32_t>(hw::RingState::WAITING)) preempt(*r, false);
  }
}

void Kernel::device_idle() {
  if (removed_) return;
  drop_orphans();
  // A ring that stalled on a WAIT since the scheduler last looked may be
  // wanted by a context that can run: once per stretch of device time.
  if (ring_waiters_.empty() || hw_.now_ps() == idle_checked_ps_) return;
  idle_checked_ps_ = hw_.now_ps();
  if (std::any_of(ring_waiters_.begin(), ring_waiters_.end(), [this](ContextObj* w) { return ready(*w); })) schedule();
}

void Kernel::ring_fault(HwRing& r) {
  const uint32_t status = hw_.read32(reg::RING_STATUS_AT(r.index));
  const uint32_t rptr = hw_.read32(reg::RING_RPTR_AT(r.index));
  ++stats_.ring_errors;
  std::fprintf(stderr, "kmtsimd: ring %u halted at offset 0x%x: %s (opcode 0x%02x); skipping the command\n", r.index,
               rptr, hw::to_string(static_cast<hw::RingError>(field::RING_STATUS_ERROR.get(status))),
               field::RING_STATUS_ERROR_OPCODE.get(status));
  preempt(r, true);
}

// --- Allocations and command buffers ----------------------------------------------------------

std::shared_ptr<Allocation> Kernel::new_allocation() {
  return std::shared_ptr<Allocation>(new Allocation, [this](Allocation* a) {
    if (!a->standard && a->memory && vram_) {
      // Queued commands may still reach it: its VRAM goes back once they ran.
      Quarantined q{a->gpu_va, a->size, {}};
      bool busy = false;
      for (auto& r : rings_) {
        q.positions.push_back(r->wpos);
        busy = busy || r->rpos < r->wpos;
      }
      if (busy) quarantine_.push_back(std::move(q));
      else vram_->release(a->gpu_va, a->size);
    }
    delete a;
  });
}

int32_t Kernel::reach(Process& process, uint64_t va, uint64_t bytes, bool write) {
  bool read_only = false;
  for (const auto& [h, obj] : process.handles) {
    const auto* ref = std::get_if<AllocationRef>(&obj);
    if (ref == nullptr) continue;
    const Allocation& a = *ref->allocation;
    if (a.standard || va < a.gpu_va || bytes > a.size || va - a.gpu_va > a.size - bytes) continue;
    // A write through a handle opened without SHARED_ALLOCATION_WRITE is
    // denied (spec §10.1), unless another handle of the process may write.
    if (write && options_.access_checks && (ref->access & SHARED_ALLOCATION_WRITE) == 0) {
      read_only = true;
      continue;
    }
    return STATUS_SUCCESS;
  }
  return read_only ? STATUS_ACCESS_DENIED : STATUS_INVALID_PARAMETER;
}

int32_t Kernel::validate_commands(Process& process, std::span<const uint32_t> w) {
  auto u64 = [&](size_t k) { return uint64_t{w[k]} | (uint64_t{w[k + 1]} << 32); };
  for (size_t k = 0; k < w.size();) {
    const uint32_t h = w[k];
    const auto op = static_cast<Op>(h >> 24);
    const size_t n = command_words(h);
    if (n == 0 || n > w.size() - k) return STATUS_INVALID_PARAMETER;  // unknown, or cut short
    switch (op) {
      case Op::NOP:
        if ((h & 0xFFFF) > 1024) return STATUS_INVALID_PARAMETER;  // padding beyond what a ring takes
        break;
      case Op::COPY: {
        const uint64_t dst = u64(k + 1), src = u64(k + 3), bytes = w[k + 5];
        if (bytes == 0 || bytes % 4 != 0 || dst % 4 != 0 || src % 4 != 0) return STATUS_INVALID_PARAMETER;
        if (const int32_t st = reach(process, src, bytes, false); st != STATUS_SUCCESS) return st;
        if (const int32_t st = reach(process, dst, bytes, true); st != STATUS_SUCCESS) return st;
        break;
      }
      case Op::FILL: {
        const uint64_t dst = u64(k + 1), bytes = w[k + 3];
        if (bytes == 0 || bytes % 4 != 0 || dst % 4 != 0) return STATUS_INVALID_PARAMETER;
        if (const int32_t st = reach(process, dst, bytes, true); st != STATUS_SUCCESS) return st;
        break;
      }
      case Op::TIMESTAMP: {
        const uint64_t dst = u64(k + 1);
        if (dst % 8 != 0) return STATUS_INVALID_PARAMETER;
        if (const int32_t st = reach(process, dst, 8, true); st != STATUS_SUCCESS) return st;
        break;
      }
      default: return STATUS_INVALID_PARAMETER;  // SIGNAL and WAIT: through the sync-object calls
    }
    k += n;
  }
  return STATUS_SUCCESS;
}

}  // namespace kmtsim::kernel
