// The memory-controller model: channels of queue + bank state + policies,
// the port arbiters in front, the response path behind, and the loop that
// visits only the cycles in which something can happen.
//
// Within a simulated cycle t, as in the RTL (everything is decided from the
// state at the start of t): each channel's arbiter picks a port and the
// queue takes its request or not; each channel sends refresh's command or
// the scheduler's; each port takes one response; then requests taken in t
// enter their queues (schedulable from t + 1).
#include "kmtsim/mc/model.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

#include "gap_checker.h"
#include "queue.h"
#include "refresh.h"
#include "response.h"
#include "scheduler.h"

namespace kmtsim::mc {

namespace {

struct Offer {
  bool held = false;
  uint64_t from = 0;
  unsigned channel = 0;
  QueueEntry entry;
};

// The scalars the cycle loop reads for every channel come first, the
// queue's entries last.
struct Channel {
  unsigned index = 0;
  BankState banks;
  RespFifo rd, wack;
  unsigned rd_cnt = 0;
  bool prefer_wack = false;
  PortArbiter arb;
  uint64_t offers = 0;        // ports holding a request for this channel
  uint64_t accept_wake = kNever;
  uint64_t last_accept_visit = 0;
  uint64_t waiting_after = 0;  // ports left requesting after the last visit
  uint64_t wake = 1;           // refresh/scheduler; no command in cycle 0 (the timing loads)
  bool credit_blocked = false;
  // FR-FCFS: the next command and its cycle (valid: still exact), and what
  // it was planned with (refresh's blocks, response room).
  bool plan_valid = false;
  bool plan_act_block = false, plan_col_block = false, plan_rd_credit = false, plan_wr_credit = false;
  uint32_t plan_bank_block = 0;
  Plan plan;
  PlanCache plan_cache;  // what the plan found per kind of candidate
  bool push_pending = false;
  QueueEntry push;
  uint64_t push_cycle = kNever;  // the last cycle in which a request was accepted
  uint64_t pop_cycle = kNever;   // the last cycle in which an RD or WR left the queue
  QueueEntry popped;             // the entry that left then
  McChannelStats stats;
  GapChecker checker;
  AllBankRefresh all_bank;  // the one of the configuration's refresh mode
  PerBankRefresh per_bank;
  TransactionQueue queue;
};

}  // namespace

struct McModel::Impl {
  McConfig cfg;
  dram::AddressMap map;
  FrFcfs frfcfs;                        // the scheduler, called directly when it is FR-FCFS
  std::unique_ptr<Scheduler> scheduler;  // otherwise
  bool use_frfcfs = false;
  bool per_bank_refresh = false;
  // The address map's fields as shifts and masks (a width-0 field: mask 0).
  struct Field {
    unsigned lsb = 0;
    uint64_t mask = 0;
    uint32_t of(uint64_t a) const { return static_cast<uint32_t>((a >> lsb) & mask); }
  };
  Field f_ch, f_bg, f_ba, f_ro, f_co;
  std::vector<Channel> ch;
  std::vector<Offer> offers;
  std::vector<unsigned> rsp_ptr;       // per port: round robin over the channels' responses
  std::vector<uint64_t> rsp_want;      // per port, scratch
  std::vector<McEvent> events;
  McObserver* observer = nullptr;
  uint64_t now = 0;
  uint64_t outstanding = 0;
  uint64_t departures = 0;
  unsigned banks = 0, bpg = 0;
  uint64_t line_mask = 0;

  explicit Impl(const McConfig& c) : cfg(c), map(c.preset) {
    cfg.validate();
    scheduler = make_scheduler(cfg);
    use_frfcfs = cfg.scheduler == "frfcfs";
    (void)make_checker(cfg);  // throws for a checker other than "gaps", the one the channels hold
    per_bank_refresh = cfg.refresh == dram::RefreshMode::PerBank;
    auto field = [](dram::AddressField f) {
      return f.width == 0 ? Field{} : Field{f.lsb, f.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << f.width) - 1};
    };
    f_ch = field(map.channel());
    f_bg = field(map.bankgroup());
    f_ba = field(map.bank());
    f_ro = field(map.row());
    f_co = field(map.column());
    banks = cfg.banks();
    bpg = cfg.preset.banks_per_group;
    line_mask = ~uint64_t{cfg.preset.request_bytes - 1} & (map.capacity_bytes() - 1);
    ch.resize(cfg.preset.channels);
    for (unsigned i = 0; i < ch.size(); ++i) {
      Channel& k = ch[i];
      k.index = i;
      k.queue.init(cfg.queue_depth, cfg.starve_cap, banks);
      k.checker.init(cfg);
      if (per_bank_refresh) k.per_bank = PerBankRefresh(cfg);
      else k.all_bank = AllBankRefresh(cfg);
      k.rd.init(cfg.resp_depth + 2);
      k.wack.init(cfg.resp_depth + 2);
      k.arb.init(cfg.ports, cfg.prio_cap);
    }
    offers.resize(cfg.ports);
    rsp_ptr.assign(cfg.ports, 0);
    rsp_want.assign(cfg.ports, 0);
  }

  QueueEntry decode(const McRequest& r, unsigned port, unsigned* channel) const {
    QueueEntry e;
    e.bank = static_cast<uint8_t>(f_bg.of(r.addr) * bpg + f_ba.of(r.addr));
    e.row = f_ro.of(r.addr);
    e.col = f_co.of(r.addr);
    e.key = queue_key(e.bank, e.row, e.col);
    e.write = r.write;
    e.id = r.id;
    e.tag = r.tag;
    e.port = static_cast<uint16_t>(port);
    e.addr = r.addr & line_mask;
    *channel = f_ch.of(r.addr);
    return e;
  }

  Offer& port_offer(unsigned port) {
    if (port >= offers.size()) throw std::out_of_range("memory controller model: no port " + std::to_string(port));
    return offers[port];
  }

  // The port presents e to channel c from cycle `from` until it is taken.
  void hold(unsigned port, const QueueEntry& e, unsigned c, uint64_t from) {
    Offer& o = offers[port];
    o.held = true;
    o.from = from;
    o.entry = e;
    o.channel = c;
    Channel& k = ch[c];
    k.offers |= uint64_t{1} << port;
    k.accept_wake = std::min(k.accept_wake, from);
  }

  ChannelView view(const Channel& k, uint64_t t) const {
    return ChannelView{k.queue.state(), k.banks, k.checker.times(), banks, bpg,
                       k.rd_cnt != cfg.resp_depth, k.wack.ram_count(t) != cfg.resp_depth};
  }

  void notify(const Channel& k, uint64_t t, Cmd c, unsigned bank, uint32_t row, uint32_t col, bool refresh,
              const QueueEntry* e) {
    if (observer == nullptr) return;
    McCommand m;
    m.cycle = t;
    m.channel = k.index;
    m.cmd = dram::DramCommand{c, bank / bpg, bank % bpg, row, col};
    m.refresh = refresh;
    if (e != nullptr) {
      m.port = e->port;
      m.id = e->id;
      m.tag = e->tag;
      m.addr = e->addr;
    }
    observer->on_command(m);
  }

  // ------------------------------------------------------------ acceptance
  void accept_stage(Channel& k, uint64_t t) {
    uint64_t req = 0, later = kNever;
    for (uint64_t m = k.offers; m != 0; m &= m - 1) {
      const unsigned p = static_cast<unsigned>(__builtin_ctzll(m));
      if (offers[p].from <= t) req |= uint64_t{1} << p;
      else later = std::min(later, offers[p].from);
    }
    if (req == 0) {
      k.arb.idle_others();
      k.last_accept_visit = t;
      k.waiting_after = 0;
      k.accept_wake = later;
      return;
    }
    // Cycles skipped since the last visit with no other port waiting ended any priority run.
    if (t > k.last_accept_visit + 1 && (k.waiting_after >> 1) == 0) k.arb.idle_others();
    const int g = k.arb.grant(req);
    const Offer& o = offers[static_cast<unsigned>(g)];
    const bool ack = !k.queue.full() && !k.queue.hazard(o.entry.key, o.entry.write);
    k.arb.update(req, g, ack);
    k.last_accept_visit = t;
    if (ack) {
      const unsigned p = static_cast<unsigned>(g);
      k.push_pending = true;
      k.push = o.entry;
      k.push_cycle = t;
      offers[p].held = false;
      k.offers &= ~(uint64_t{1} << p);
      req &= ~(uint64_t{1} << p);
      ++outstanding;
      ++k.stats.accepted;
      events.push_back(McEvent{McEvent::Kind::Accepted, o.entry.write, static_cast<uint16_t>(p), o.entry.id, t,
                               o.entry.tag});
      k.accept_wake = req != 0 ? t + 1 : later;
    } else {
      // Refused (queue full, or the granted request's address is busy): only
      // a request leaving the queue or a new offer changes that.
      k.accept_wake = later;
    }
    k.waiting_after = req;
  }

  // ------------------------------------------------------------ commands
  void issue(Channel& k, const Pick& p, uint64_t t) {
    TransactionQueue& q = k.queue;
    const unsigned b = q.state().bank(p.index);
    ++k.stats.commands[static_cast<unsigned>(p.cmd)];
    switch (p.cmd) {
      case Cmd::ACT: {
        const uint32_t row = q.state().row(p.index);
        k.banks.open |= uint32_t{1} << b;
        k.banks.row[b] = row;
        k.checker.act(b, t);
        q.bank_opened(b, row);
        notify(k, t, Cmd::ACT, b, row, q.entry(p.index).col, false, nullptr);
        break;
      }
      case Cmd::PRE:
        notify(k, t, Cmd::PRE, b, q.state().row(p.index), q.entry(p.index).col, false, nullptr);
        k.banks.open &= ~(uint32_t{1} << b);
        k.checker.pre(b, t);
        q.bank_closed(b);
        break;
      case Cmd::RD:
      case Cmd::WR: {
        const QueueEntry e = q.pop(p.index);
        if (k.plan_cache.valid) k.plan_cache.squeeze(p.index);
        ++departures;
        k.pop_cycle = t;
        k.popped = e;
        k.checker.column(p.cmd == Cmd::RD, b, t);
        if (p.cmd == Cmd::RD) {
          k.rd.push(RespEntry{t + cfg.timing.CL, e.tag, e.id, e.port});
          ++k.rd_cnt;
        } else {
          k.wack.push(RespEntry{t, e.tag, e.id, e.port});
        }
        if (k.offers != 0) k.accept_wake = std::min(k.accept_wake, t + 1);
        notify(k, t, p.cmd, b, e.row, e.col, false, &e);
        break;
      }
      default:
        break;
    }
  }

  void issue_refresh(Channel& k, const RefreshControl& rc, uint64_t t) {
    ++k.stats.commands[static_cast<unsigned>(rc.cmd)];
    switch (rc.cmd) {
      case Cmd::PREA:
        for (uint32_t o = k.banks.open; o != 0; o &= o - 1) {
          const unsigned b = static_cast<unsigned>(__builtin_ctz(o));
          k.checker.pre(b, t);
          k.queue.bank_closed(b);
        }
        k.banks.open = 0;
        notify(k, t, Cmd::PREA, rc.bank, 0, 0, true, nullptr);
        break;
      case Cmd::PRE:
        k.banks.open &= ~(uint32_t{1} << rc.bank);
        k.checker.pre(rc.bank, t);
        k.queue.bank_closed(rc.bank);
        notify(k, t, Cmd::PRE, rc.bank, 0, 0, true, nullptr);
        break;
      case Cmd::REF:
      case Cmd::REFB:
        if (rc.cmd == Cmd::REF) k.checker.ref(t);
        else k.checker.refb(rc.bank, t);
        notify(k, t, rc.cmd, rc.bank, 0, 0, true, nullptr);
        break;
      default:
        break;
    }
  }

  uint64_t refresh_next(const Channel& k, const ChannelView& v, uint64_t t) const {
    return per_bank_refresh ? k.per_bank.next_change(v, t) : k.all_bank.next_change(v, t);
  }

  // FR-FCFS's plan from cycle t on, with refresh's blocks rc and the room of v.
  // After a command: `redo` the kinds of candidate it changed, `bank` its bank.
  void make_plan(Channel& k, const ChannelView& v, const RefreshControl& rc, uint64_t t, unsigned redo = kRedoAll,
                 unsigned bank = kMaxBanks) {
    frfcfs_plan(v, rc, t, k.plan_cache, redo, bank, k.plan);
    k.plan_valid = true;
    k.plan_act_block = rc.act_block;
    k.plan_col_block = rc.col_block;
    k.plan_bank_block = rc.bank_block;
    k.plan_rd_credit = v.rd_credit;
    k.plan_wr_credit = v.wr_credit;
    k.credit_blocked = k.plan.credit_blocked;
  }

  // With a row hit waiting for response room: the first cycle room could
  // show. Read room comes back when read data leaves (response_stage wakes
  // the channel for the cycle after); write room when the write
  // acknowledgement at the head becomes visible (the write FIFO's count no
  // longer holds it from then).
  uint64_t room_wake(const Channel& k, uint64_t t) const { return std::max(t + 1, k.wack.visible()); }

  // The first cycle after t in which a read (or a write) could find
  // response room, nothing else changing: t + 1 when there is room then;
  // kNever when only a response leaving brings it (response_stage wakes a
  // credit-blocked channel then).
  uint64_t room_from(const Channel& k, bool write, uint64_t t) const {
    if (!write) return k.rd_cnt != cfg.resp_depth ? t + 1 : kNever;
    if (k.wack.ram_count(t + 1) != cfg.resp_depth) return t + 1;
    return k.wack.visible() > t + 1 ? k.wack.visible() : kNever;
  }

  // The channel's wake with a plan made in (or after a command in) cycle t:
  // the plan's cycle, refresh's next change, and with a hit waiting for
  // response room, the room's.
  void plan_wake(Channel& k, const ChannelView& v, uint64_t t) {
    k.wake = std::max(t + 1, std::min(k.plan.at, refresh_next(k, v, t)));
    // (Arithmetic: whether a hit waits is data dependent.)
    const uint64_t w = k.wake, r = room_wake(k, t) | (uint64_t{k.credit_blocked} - 1);
    k.wake = r < w ? r : w;
  }

  // FR-FCFS by plan: in a cycle in which the plan's assumptions hold, its
  // command goes at its cycle and nothing before; otherwise a new plan from
  // this cycle. After a command, the plan for the cycles after it.
  void frfcfs_step(Channel& k, const ChannelView& v, const RefreshControl& rc, uint64_t t) {
    if (!k.plan_valid || k.plan.at < t || rc.act_block != k.plan_act_block || rc.col_block != k.plan_col_block ||
        rc.bank_block != k.plan_bank_block || v.rd_credit != k.plan_rd_credit || v.wr_credit != k.plan_wr_credit) {
      make_plan(k, v, rc, t, k.plan_valid ? 0 : kRedoAll);
    }
    if (k.plan.at != t) {
      plan_wake(k, v, t);
      return;
    }
    Pick p;
    p.cmd = k.plan.cmd;
    p.index = k.plan.index;
    const unsigned bank = k.plan.bank;
    issue(k, p, t);
    // An ACT changes the ACT cycles of every bank, a column command the
    // column cycles; a PRE only its own bank's.
    const unsigned redo = p.cmd == Cmd::ACT ? kRedoAct : p.cmd == Cmd::PRE ? kRedoPre : kRedoCol;
    const ChannelView after = view(k, t + 1);
    make_plan(k, after, rc, t + 1, redo, bank);
    plan_wake(k, view(k, t), t);
  }

  void channel_step(Channel& k, uint64_t t) {
    const ChannelView v = view(k, t);
    const RefreshControl rc = per_bank_refresh ? k.per_bank.step(v, t) : k.all_bank.step(v, t);
    if (rc.cmd != Cmd::NOP) {
      issue_refresh(k, rc, t);
      k.plan_valid = false;
      k.plan_cache.valid = false;
      k.wake = t + 1;
      return;
    }
    if (use_frfcfs) {
      // A queue over at most four banks (a sequential stream): the pick,
      // whose pass is short there, not the plan, whose bookkeeping on every
      // arrival and command would cost more. Both give the same command at
      // the same cycle; the plan and its cache are made anew when more
      // banks fill.
      uint32_t more = v.queue.banks_used;
      for (int n = 0; n < 4; ++n) more &= more - 1;
      if (more != 0) {
        frfcfs_step(k, v, rc, t);
        return;
      }
      k.plan_valid = false;
      k.plan_cache.valid = false;
    }
    const Pick p = use_frfcfs ? frfcfs.pick(v, rc, t) : scheduler->pick(v, rc, t);
    if (p.cmd != Cmd::NOP) {
      issue(k, p, t);
      // Another candidate the command does not delay: the next cycle.
      // Otherwise most often nothing can go in the next cycle: sleep until
      // something could, by the bound below (a new request, a response
      // leaving and refresh wake the channel on their own).
      if (p.ready_next) {
        k.wake = t + 1;
        return;
      }
      // Room for reads and writes after the command: with none for one
      // kind, its hits wait for a response to leave, which wakes the channel.
      const uint64_t rd_room = room_from(k, false, t), wr_room = room_from(k, true, t);
      k.credit_blocked = rd_room != t + 1 || wr_room != t + 1;
      k.wake = std::max(t + 1, std::min(next_possible(k, rd_room, wr_room), refresh_next(k, view(k, t), t)));
      return;
    }
    k.credit_blocked = p.credit_blocked;
    k.wake = std::min(p.wake, refresh_next(k, v, t));
    if (k.credit_blocked) k.wake = std::min(k.wake, room_wake(k, t));
  }

  // A lower bound of the first cycle in which the scheduler could send a
  // command, from the queue and bank state alone: every entry counts as a
  // candidate for the command its bank state calls for (a hit its column
  // command, a miss in an open bank a PRE, an entry of a closed bank an
  // ACT) as soon as its timing allows. What the scheduler also waits for
  // (row hits held back by the starvation cap, a PRE held while its bank has
  // a live hit, refresh's blocks) can only make it later. Reads and writes
  // go no earlier than rd_room and wr_room (room_from).
  uint64_t next_possible(const Channel& k, uint64_t rd_room, uint64_t wr_room) const {
    const QueueState& q = k.queue.state();
    const BankTimes& tm = k.checker.times();
    uint64_t n = kNever;
    // Branch-free (x | never_if(c) is kNever when c holds, else x): which
    // commands a bank has candidates for is data dependent and would be
    // mispredicted. Banks with hits (a hit's bank is open), bank by bank:
    // their column commands, and a PRE if some entry misses.
    auto never_if = [](bool c) { return uint64_t{0} - static_cast<uint64_t>(c); };
    for (uint32_t m = q.banks_used & k.banks.open; m != 0; m &= m - 1) {
      const unsigned b = static_cast<unsigned>(__builtin_ctz(m));
      const uint64_t e = q.bank_entries[b], h = e & q.hit;
      const uint64_t w = std::max(tm.wr_at(b), wr_room) | never_if((h & q.write) == 0);
      const uint64_t r = std::max(tm.rd_at(b), rd_room) | never_if((h & ~q.write) == 0);
      const uint64_t c = tm.pre[b] | never_if((e & ~q.hit) == 0);
      n = std::min(n, std::min(std::min(w, r), c));
    }
    const uint32_t closed = q.banks_used & ~k.banks.open;
    if (closed != 0) {
      uint64_t a = kNever;
      for (uint32_t m = closed; m != 0; m &= m - 1) a = std::min(a, tm.act_at(static_cast<unsigned>(__builtin_ctz(m))));
      n = std::min(n, std::max(a, tm.faw_free));
    }
    return n;
  }

  // A lower bound of the first cycle a command could go for a new entry: a
  // new entry can only add candidates (or hold back others), so the
  // channel's wake need not come earlier than this for it.
  uint64_t earliest(const Channel& k, const QueueEntry& e, bool hit) const {
    const BankTimes& tm = k.checker.times();
    if (hit) return e.write ? tm.wr_at(e.bank) : tm.rd_at(e.bank);
    if (((k.banks.open >> e.bank) & 1u) != 0) return tm.pre[e.bank];
    return std::max(tm.act_at(e.bank), tm.faw_free);
  }

  // A new entry (a row hit or not, at the queue's tail now), whose command
  // can go at `from` at the earliest. It adds at most its own candidate, the
  // youngest (and may take PREs of its bank, a live hit keeping the row
  // open: only a row hit to the bank of a planned PRE can take the plan).
  // Otherwise its command under the plan's assumptions decides: ready before
  // the plan's cycle, or then as a column command against an ACT or PRE of
  // an entry that is not urgent, it is the new plan; otherwise the plan
  // stays (of one bank, the older entry's ACT or column command goes first).
  // Else (or when it would wait for response room) the plan goes and the
  // wake is no later than `from`, or for a row hit, than the first cycle
  // room for it could show (entered in cycle t).
  void arrived(Channel& k, const QueueEntry& e, bool hit, uint64_t from, uint64_t t) {
    if (k.plan_valid && !(hit && e.bank == k.plan.bank && k.plan.cmd == Cmd::PRE)) {
      uint64_t r = kNever;
      Cmd c = Cmd::NOP;
      if (new_candidate(k, e, hit, &r, &c)) {
        cache_arrival(k, e, hit, r == kNever ? kNever : std::max(r, from), c);
        if (r == kNever) return;  // no command for it while the plan holds
        r = std::max(r, from);
        Plan& p = k.plan;
        const bool beats = r < p.at || (r == p.at && (c == Cmd::RD || c == Cmd::WR) &&
                                        (p.cmd == Cmd::ACT || p.cmd == Cmd::PRE) &&
                                        ((k.queue.state().urgent >> p.index) & 1u) == 0);
        if (!beats) return;
        p.cmd = c;
        p.index = k.queue.size() - 1;
        p.bank = e.bank;
        p.at = r;
        k.wake = std::min(k.wake, r);
        return;
      }
    }
    k.plan_valid = false;
    k.plan_cache.valid = false;
    if (hit) {
      const uint64_t room = room_from(k, e.write, t);
      if (room != t + 1) k.credit_blocked = true;  // a response leaving wakes the channel
      from = std::max(from, room);
    }
    k.wake = std::min(k.wake, from);
  }

  // The plan's cache with the new entry (the youngest): its command c at
  // cycle r (kNever: none while the plan holds) joins that kind; an entry
  // younger than an urgent non-hit of its bank is held back. A first live
  // hit of an open bank takes that bank from the PREs to the column
  // commands: the PREs are done again.
  void cache_arrival(Channel& k, const QueueEntry& e, bool hit, uint64_t r, Cmd c) {
    PlanCache& pc = k.plan_cache;
    if (!pc.valid) return;
    const QueueState& q = k.queue.state();
    const uint64_t bit = uint64_t{1} << (q.size - 1);
    const uint64_t others = q.bank_entries[e.bank] & ~bit;
    if ((q.urgent & ~q.hit & others) != 0) pc.held |= bit;
    // A first live hit takes its bank from the PREs even when it cannot go
    // while the plan holds (refresh blocking column commands).
    if (c != Cmd::ACT && c != Cmd::PRE && hit && (others & q.hit & ~pc.held) == 0 && others != 0) {
      pc.pre_at = 0;
    }
    if (r == kNever) return;
    switch (c) {
      case Cmd::ACT: plan_take(pc.act_at, pc.act, r, bit); break;
      case Cmd::PRE: plan_take(pc.pre_at, pc.pre, r, bit); break;
      default: plan_take(pc.col_at, pc.col, r, bit); break;
    }
  }

  // The new entry's command under the plan's assumptions (refresh's blocks,
  // response room) and the first cycle it may go (kNever: none); false when
  // that is not known here (a row hit waiting for response room).
  bool new_candidate(const Channel& k, const QueueEntry& e, bool hit, uint64_t* at, Cmd* cmd) const {
    const unsigned b = e.bank;
    if ((k.plan_bank_block >> b) & 1u) return true;  // refresh holds its bank
    const QueueState& q = k.queue.state();
    const BankTimes& tm = k.checker.times();
    if (((k.banks.open >> b) & 1u) == 0) {
      if (k.plan_act_block) return true;
      *at = std::max(tm.act_at(b), tm.faw_free);
      *cmd = Cmd::ACT;
      return true;
    }
    // Held back: the bank's entries younger than its oldest urgent non-hit.
    const uint64_t be = q.bank_entries[b];
    const uint64_t un = q.urgent & ~q.hit & be;
    const uint64_t held = un == 0 ? 0 : be & ~((un & (0 - un)) * 2 - 1);
    if (hit) {
      if (k.plan_col_block || ((held >> (q.size - 1)) & 1u) != 0) return true;
      if (!(e.write ? k.plan_wr_credit : k.plan_rd_credit)) return false;
      *at = e.write ? tm.wr_at(b) : tm.rd_at(b);
      *cmd = e.write ? Cmd::WR : Cmd::RD;
      return true;
    }
    if ((be & q.hit & ~held) != 0) return true;  // no PRE while its bank has a live hit
    *at = tm.pre[b];
    *cmd = Cmd::PRE;
    return true;
  }

  // ------------------------------------------------------------ responses
  template <bool One>
  void response_stage(uint64_t t) {
    if (One) {
      // One channel: its response goes to its port, which has no other.
      Channel& k = ch[0];
      const bool rd_v = k.rd.visible() <= t, wk_v = k.wack.visible() <= t;
      if (rd_v || wk_v) respond(k, wk_v && (!rd_v || k.prefer_wack), t);
      return;
    }
    // Each channel offers its read data or write acknowledgement (taking
    // turns when both wait) to the response's port.
    bool any = false;
    for (Channel& k : ch) {
      const bool rd_v = k.rd.visible() <= t, wk_v = k.wack.visible() <= t;
      if (!rd_v && !wk_v) continue;
      const bool sel_wack = wk_v && (!rd_v || k.prefer_wack);
      const unsigned port = sel_wack ? k.wack.front().port : k.rd.front().port;
      rsp_want[port] |= uint64_t{1} << k.index;
      any = true;
    }
    if (!any) return;
    const unsigned n = static_cast<unsigned>(ch.size());
    for (unsigned port = 0; port < rsp_want.size(); ++port) {
      const uint64_t want = rsp_want[port];
      if (want == 0) continue;
      rsp_want[port] = 0;
      unsigned g = rsp_ptr[port];
      for (unsigned k = 0; k < n; ++k, g = g + 1 == n ? 0 : g + 1) {
        if ((want >> g) & 1u) break;
      }
      rsp_ptr[port] = g + 1 == n ? 0 : g + 1;
      Channel& k = ch[g];
      const bool rd_v = k.rd.visible() <= t;
      respond(k, k.wack.visible() <= t && (!rd_v || k.prefer_wack), t);
    }
  }

  // Channel k's port takes its write acknowledgement (sel_wack) or its read data.
  void respond(Channel& k, bool sel_wack, uint64_t t) {
    RespFifo& f = sel_wack ? k.wack : k.rd;
    const RespEntry e = f.front();
    f.pop(t);
    k.prefer_wack = !sel_wack;
    // Counted without a branch (which kind goes is data dependent).
    k.stats.writes += sel_wack ? 1u : 0u;
    k.stats.reads += sel_wack ? 0u : 1u;
    k.rd_cnt -= sel_wack ? 0u : 1u;
    --outstanding;
    events.push_back(McEvent{McEvent::Kind::Completed, sel_wack, e.port, e.id, t, e.tag});
    if (k.credit_blocked) k.wake = std::min(k.wake, t + 1);
  }

  // The channels' range: with One (a one-channel controller) a constant
  // length of one, so the loops over the channels in advance() go away.
  template <bool One, class Channels>
  static auto channels(Channels& c) {
    auto* const first = c.data();
    return std::pair{first, One ? first + 1 : first + c.size()};
  }

  template <bool One = false>
  uint64_t next_activity() const {
    uint64_t n = kNever;
    const auto [first, last] = channels<One>(ch);
    for (const Channel* k = first; k != last; ++k) {
      n = std::min({n, k->wake, k->rd.visible(), k->wack.visible()});
      if (k->offers != 0) n = std::min(n, k->accept_wake);
    }
    return std::max(n, now);
  }

  // When advance stops before `until`: never, at the end of the first cycle
  // in which a request leaves a transaction queue, or of the one in which
  // port `stop_port`'s request is taken.
  enum class Stop { Never, Departure, Taken };

  void advance(uint64_t until, Stop stop = Stop::Never, unsigned stop_port = 0) {
    if (ch.size() == 1) run<true>(until, stop, stop_port);
    else run<false>(until, stop, stop_port);
  }

  template <bool One>
  void run(uint64_t until, Stop stop, unsigned stop_port) {
    const uint64_t departed = departures;
    const auto [first, last] = channels<One>(ch);
    while (now < until) {
      const uint64_t t = now;
      for (Channel* k = first; k != last; ++k) {
        if (k->offers != 0 && k->accept_wake <= t) accept_stage(*k, t);
      }
      uint64_t rsp_next = kNever;
      for (Channel* k = first; k != last; ++k) {
        if (k->wake <= t) channel_step(*k, t);
        rsp_next = std::min({rsp_next, k->rd.visible(), k->wack.visible()});
      }
      if (rsp_next <= t) response_stage<One>(t);
      for (Channel* k = first; k != last; ++k) {
        if (!k->push_pending) continue;
        k->push_pending = false;
        const QueueEntry& e = k->push;
        const bool hit = ((k->banks.open >> e.bank) & 1u) != 0 && k->banks.row[e.bank] == e.row;
        k->queue.push(e, hit);
        arrived(*k, e, hit, std::max(t + 1, earliest(*k, e, hit)), t);
      }
      now = t + 1;
      if (stop == Stop::Departure && departures != departed) break;
      if (stop == Stop::Taken && !offers[stop_port].held) break;
      const uint64_t n = next_activity<One>();
      if (stop != Stop::Never && n == kNever) break;  // idle: nothing to wait for
      // Skip to the next activity (if later), not past `until`: a maximum,
      // not a branch (whether there is a gap is data dependent).
      const uint64_t to = n < until ? n : until;
      now = to > now ? to : now;
    }
  }
};

McModel::McModel(const McConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}
McModel::~McModel() = default;

const McConfig& McModel::config() const { return impl_->cfg; }
const dram::AddressMap& McModel::address_map() const { return impl_->map; }
unsigned McModel::channel_of(uint64_t addr) const { return impl_->map.decode(addr).channel; }
uint64_t McModel::now() const { return impl_->now; }

bool McModel::offer(unsigned port, const McRequest& r, uint64_t at) {
  Impl& m = *impl_;
  if (m.port_offer(port).held) return false;
  unsigned c = 0;
  const QueueEntry e = m.decode(r, port, &c);
  m.hold(port, e, c, std::max(at, m.now));
  return true;
}

bool McModel::offer_if_accepted(unsigned port, const McRequest& r) {
  Impl& m = *impl_;
  if (m.port_offer(port).held) return false;
  // A full queue refuses before the request is decoded (a host offering
  // as fast as the controller takes finds it full about every other time).
  const unsigned c = m.f_ch.of(r.addr);
  const TransactionQueue& q = m.ch[c].queue;
  if (q.full()) return false;
  unsigned c2 = 0;
  const QueueEntry e = m.decode(r, port, &c2);
  if (q.hazard(e.key, e.write)) return false;
  m.hold(port, e, c, m.now);
  return true;
}

bool McModel::holding(unsigned port) const { return port < impl_->offers.size() && impl_->offers[port].held; }

void McModel::withdraw(unsigned port) {
  Impl& m = *impl_;
  if (!holding(port)) return;
  Offer& o = m.offers[port];
  o.held = false;
  m.ch[o.channel].offers &= ~(uint64_t{1} << port);
  m.ch[o.channel].waiting_after &= ~(uint64_t{1} << port);
}

bool McModel::can_accept(uint64_t addr, bool write) const {
  unsigned c = 0;
  const QueueEntry e = impl_->decode(McRequest{addr, write, 0, 0}, 0, &c);
  const TransactionQueue& q = impl_->ch[c].queue;
  return !q.full() && !q.hazard(e.key, write);
}

bool McModel::accept_late(unsigned port, const McRequest& r) {
  const std::pair<unsigned, McRequest> one{port, r};
  return accept_late(std::span(&one, 1)) != 0;
}

uint64_t McModel::accept_late(std::span<const std::pair<unsigned, McRequest>> offers) {
  Impl& m = *impl_;
  if (offers.size() > 64) throw std::out_of_range("memory controller model: more than 64 offers at once");
  uint64_t accepted = 0;
  if (m.now == 0) return 0;
  const uint64_t t = m.now - 1;
  // Each offer decoded, with its channel (called every cycle the device
  // offers: no allocation).
  std::array<std::pair<unsigned, QueueEntry>, 64> decoded;
  std::array<unsigned, 64> chan;
  for (size_t i = 0; i < offers.size(); ++i) {
    const auto& [port, r] = offers[i];
    if (port >= m.offers.size()) throw std::out_of_range("memory controller model: no port " + std::to_string(port));
    decoded[i] = {port, m.decode(r, port, &chan[i])};
  }
  for (size_t i = 0; i < offers.size(); ++i) {
    const unsigned c = chan[i];
    if (std::find(chan.begin(), chan.begin() + static_cast<ptrdiff_t>(i), c) != chan.begin() + static_cast<ptrdiff_t>(i))
      continue;  // channel done with an earlier index
    Channel& k = m.ch[c];
    uint64_t req = 0;
    for (size_t j = i; j < offers.size(); ++j) {
      if (chan[j] == c && !m.offers[decoded[j].first].held) req |= uint64_t{1} << decoded[j].first;
    }
    if (req == 0 || k.push_cycle == t) continue;  // the channel took another request in that cycle
    if (t > k.last_accept_visit + 1 && (k.waiting_after >> 1) == 0) k.arb.idle_others();
    const int g = k.arb.grant(req);
    size_t gi = i;
    while (decoded[gi].first != static_cast<unsigned>(g) || chan[gi] != c) ++gi;
    const QueueEntry& e = decoded[gi].second;
    // The queue at the start of cycle t: what is left now, plus the entry that left in t.
    const TransactionQueue& q = k.queue;
    const bool left = k.pop_cycle == t;
    const bool ack = q.size() + (left ? 1u : 0u) < m.cfg.queue_depth && !q.hazard(e.key, e.write) &&
                     !(left && k.popped.key == e.key && (e.write || k.popped.write));
    k.arb.update(req, g, ack);
    k.last_accept_visit = t;
    k.waiting_after = ack ? req & ~(uint64_t{1} << g) : req;
    if (!ack) continue;
    k.push_cycle = t;
    ++m.outstanding;
    ++k.stats.accepted;
    m.events.push_back(McEvent{McEvent::Kind::Accepted, e.write, static_cast<uint16_t>(g), e.id, t, e.tag});
    const bool hit = ((k.banks.open >> e.bank) & 1u) != 0 && k.banks.row[e.bank] == e.row;
    k.queue.push(e, hit);
    m.arrived(k, e, hit, std::max(m.now, m.earliest(k, e, hit)), t);
    accepted |= uint64_t{1} << gi;
  }
  return accepted;
}

void McModel::advance(uint64_t until) { impl_->advance(until); }
void McModel::advance_until_departure(uint64_t until) {
  // Nothing queued: no departure will come, only `until`.
  if (!busy()) until = std::min(until, impl_->now + 1);
  impl_->advance(until, Impl::Stop::Departure);
}
void McModel::advance_until_taken(unsigned port, uint64_t until) {
  if (!holding(port)) return;
  impl_->advance(until, Impl::Stop::Taken, port);
}
std::span<const McEvent> McModel::events() const { return impl_->events; }
void McModel::clear_events() { impl_->events.clear(); }

bool McModel::busy() const {
  if (impl_->outstanding != 0) return true;
  for (const Offer& o : impl_->offers) {
    if (o.held) return true;
  }
  return false;
}
uint64_t McModel::outstanding() const { return impl_->outstanding; }
uint64_t McModel::departures() const { return impl_->departures; }
uint64_t McModel::next_event_cycle() const { return busy() ? impl_->next_activity() : kNever; }
uint64_t McModel::next_activity_cycle() const { return impl_->next_activity(); }
void McModel::set_observer(McObserver* o) { impl_->observer = o; }
const McChannelStats& McModel::channel_stats(unsigned c) const { return impl_->ch.at(c).stats; }
uint64_t McModel::refresh_owed(unsigned c) const { const Channel& k = impl_->ch.at(c);
  return impl_->per_bank_refresh ? k.per_bank.owed(impl_->now) : k.all_bank.owed(impl_->now);
}

}  // namespace kmtsim::mc
