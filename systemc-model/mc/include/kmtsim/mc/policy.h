// The memory-controller model's policies, each behind a small interface
// (the shape of DRAMSys: a timing checker, a scheduler, a refresh manager
// per channel), and the read-only view of a channel they decide from.
//
// Time is absolute: every constraint is "command C may go to bank b from
// cycle x on", so a policy can tell both what may happen in cycle t and
// when the next thing could, which is how the model skips the cycles in
// which nothing can happen. Entry sets are bitmasks over the channel's
// transaction queue in age order (bit 0 = the oldest entry).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "kmtsim/hw/dram_presets.h"
#include "kmtsim/mc/config.h"

namespace kmtsim::mc {

using hw::dram::Cmd;

inline constexpr unsigned kMaxBanks = 32;  // banks per channel
inline constexpr unsigned kMaxQueue = 64;  // transaction queue entries per channel
inline constexpr uint64_t kNever = ~uint64_t{0};

// The transaction queue of a channel as the policies see it.
struct QueueState {
  unsigned size = 0;      // entries 0 .. size-1, 0 the oldest
  uint64_t write = 0;     // entry is a write
  uint64_t urgent = 0;    // entry was overtaken starve_cap times
  uint64_t hit = 0;       // entry's bank is open on the entry's row
  uint64_t bank_entries[kMaxBanks] = {};  // the entries of each bank
  uint32_t banks_used = 0;                // banks with entries
  uint32_t hit_banks = 0;                 // banks with entries that hit
  // Per entry, packed so that an entry leaving moves one array: the row
  // (bits 0-31), the flat bank index (bank group * banks_per_group + bank,
  // bits 32-39), and the queue's own bookkeeping above.
  uint64_t meta[kMaxQueue] = {};

  unsigned bank(unsigned i) const { return static_cast<uint8_t>(meta[i] >> 32); }
  uint32_t row(unsigned i) const { return static_cast<uint32_t>(meta[i]); }
  uint64_t valid() const { return size >= 64 ? ~uint64_t{0} : (uint64_t{1} << size) - 1; }
};

// Open rows.
struct BankState {
  uint32_t open = 0;  // bank has an open row
  uint32_t row[kMaxBanks] = {};
};

// First cycle at which each command may go to each bank. A column command
// waits for its bank (tRCD) and for the column commands before it, which
// count by bank group: rd_at(b) and wr_at(b) combine the two.
struct BankTimes {
  uint64_t act[kMaxBanks] = {};  // ACT, the bank's own part (act_at: all of it)
  uint64_t pre[kMaxBanks] = {};  // PRE (tRAS, tRTP, write recovery)
  uint64_t ras[kMaxBanks] = {};  // tRAS met (refresh drains row hits until then)
  uint64_t rd[kMaxBanks] = {};   // RD, the bank's part (tRCD)
  uint64_t wr[kMaxBanks] = {};   // WR, the bank's part
  uint64_t rd_grp[kMaxBanks] = {};  // RD, the part of the bank group (column to column)
  uint64_t wr_grp[kMaxBanks] = {};
  uint64_t act_grp[kMaxBanks] = {};  // ACT, the part of the bank group (tRRD_L)
  uint64_t act_all = 0;              // ACT, the part of every bank (tRRD_S, tRFC)
  uint64_t faw_free = 0;         // tFAW: the four-activate window has room
  unsigned group_shift = 0;      // bank >> group_shift: its bank group

  uint64_t act_at(unsigned b) const { return std::max(std::max(act[b], act_grp[b >> group_shift]), act_all); }
  uint64_t rd_at(unsigned b) const { return rd[b] > rd_grp[b >> group_shift] ? rd[b] : rd_grp[b >> group_shift]; }
  uint64_t wr_at(unsigned b) const { return wr[b] > wr_grp[b >> group_shift] ? wr[b] : wr_grp[b >> group_shift]; }
};

struct ChannelView {
  const QueueState& queue;
  const BankState& banks;
  const BankTimes& times;
  unsigned num_banks;
  unsigned banks_per_group;
  bool rd_credit;  // room for one more read response
  bool wr_credit;  // room for one more write acknowledgement
};

// What refresh does to the channel in one cycle: a command of its own (it
// always gets the bus), and what it keeps the scheduler from doing.
struct RefreshControl {
  Cmd cmd = Cmd::NOP;   // PREA, REF, PRE or REFB
  unsigned bank = 0;    // PRE and REFB
  bool act_block = false;
  bool col_block = false;
  uint32_t bank_block = 0;  // banks that take no command from the scheduler
};

// Times: first cycle from which a command may go; the checker updates them
// as commands go. One implementation per DRAM standard.
class TimingChecker {
 public:
  virtual ~TimingChecker() = default;
  // A command sent in cycle t (PRE only to an open bank; PREA is a PRE to
  // each open bank).
  virtual void insert(Cmd cmd, unsigned bank, uint64_t t) = 0;
  virtual const BankTimes& times() const = 0;
};

struct Pick {
  Cmd cmd = Cmd::NOP;   // NOP: nothing may go in this cycle
  unsigned index = 0;   // queue entry
  uint64_t wake = kNever;  // with NOP: first later cycle at which something could, nothing else changing
  bool credit_blocked = false;  // with NOP: a column command waits for response room
  // With a command: a candidate of another bank was ready too, of a kind
  // the command does not delay, so a command can go in the next cycle
  // (false: not known).
  bool ready_next = false;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual Pick pick(const ChannelView& v, const RefreshControl& refresh, uint64_t t) const = 0;
};

class RefreshPolicy {
 public:
  virtual ~RefreshPolicy() = default;
  // The refresh manager's outputs in cycle t, and its transition at the end
  // of t. Called for increasing t; between two calls nothing may change
  // before next_change() said.
  virtual RefreshControl step(const ChannelView& v, uint64_t t) = 0;
  // After step(v, t): the first cycle > t at which step could give
  // something new, nothing else changing.
  virtual uint64_t next_change(const ChannelView& v, uint64_t t) const = 0;
  // Refreshes owed at the start of cycle t.
  virtual uint64_t owed(uint64_t t) const = 0;
};

// Factories: the policies a configuration names (std::invalid_argument if unknown).
std::unique_ptr<TimingChecker> make_checker(const McConfig& c);
std::unique_ptr<Scheduler> make_scheduler(const McConfig& c);
std::unique_ptr<RefreshPolicy> make_refresh(const McConfig& c);

}  // namespace kmtsim::mc
