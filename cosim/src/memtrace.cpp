// kmtsim memtrace: trace reading, the replay loop, statistics, reports.
#include "memtrace.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "kmtsim/dram/address_map.h"
#include "kmtsim/util/json.h"

namespace kmtsim::memtrace {

// ------------------------------------------------------------------ trace format

namespace {

constexpr const char* kFormat = "expected '0x<hex address> READ|WRITE <cycle>'";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view next_token(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  size_t j = i;
  while (j < s.size() && !is_space(s[j])) ++j;
  const std::string_view tok = s.substr(i, j - i);
  s.remove_prefix(j);
  return tok;
}

// a equals b (upper-case ASCII) ignoring ASCII case; no locale (a call a
// character in a loop run for every line of a trace).
bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char c = a[i] >= 'a' && a[i] <= 'z' ? static_cast<char>(a[i] - 'a' + 'A') : a[i];
    if (c != b[i]) return false;
  }
  return true;
}

// A piece of the line for a message: at most 80 bytes, control and
// non-ASCII bytes as \xNN (a binary file must not garble the terminal).
std::string quoted(std::string_view s) {
  std::string q = "'";
  for (const char c : s.substr(0, 80)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", u);
      q += b;
    } else {
      q += c;
    }
  }
  if (s.size() > 80) q += "...";
  return q + "'";
}

}  // namespace

bool parse_trace_line(std::string_view line, TraceRecord& r) {
  std::string_view rest = line;
  const std::string_view addr = next_token(rest);
  if (addr.empty() || addr.front() == '#') return false;
  const std::string_view op = next_token(rest);
  const std::string_view cyc = next_token(rest);
  const std::string_view extra = next_token(rest);
  std::string_view shown = line;
  while (!shown.empty() && is_space(shown.back())) shown.remove_suffix(1);
  if (op.empty() || cyc.empty()) {
    throw std::invalid_argument(std::string(kFormat) + ", got " + quoted(shown) + " (too few fields)");
  }
  if (!extra.empty()) {
    throw std::invalid_argument(std::string(kFormat) + ", got " + quoted(shown) + " (unexpected " + quoted(extra) + ")");
  }
  if (addr.size() < 3 || addr[0] != '0' || (addr[1] != 'x' && addr[1] != 'X')) {
    throw std::invalid_argument("address " + quoted(addr) + " is not hexadecimal with a 0x prefix (" + kFormat + ")");
  }
  uint64_t a = 0;
  const std::string_view hex = addr.substr(2);
  if (hex.size() > 16) throw std::invalid_argument("address " + quoted(addr) + " does not fit in 64 bits");
  for (char c : hex) {
    unsigned d = 0;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else throw std::invalid_argument("address " + quoted(addr) + " has a character that is not a hex digit");
    a = (a << 4) | d;
  }
  bool write = false;
  if (iequal(op, "READ")) {
    write = false;
  } else if (iequal(op, "WRITE")) {
    write = true;
  } else {
    throw std::invalid_argument("operation " + quoted(op) + " is neither READ nor WRITE (" + kFormat + ")");
  }
  uint64_t c = 0;
  for (char ch : cyc) {
    if (ch < '0' || ch > '9') throw std::invalid_argument("cycle " + quoted(cyc) + " is not a whole number (" + kFormat + ")");
    const uint64_t d = static_cast<uint64_t>(ch - '0');
    if (c > (~uint64_t{0} - d) / 10) throw std::invalid_argument("cycle " + quoted(cyc) + " does not fit in 64 bits");
    c = c * 10 + d;
  }
  r.addr = a;
  r.write = write;
  r.cycle = c;
  return true;
}

TraceFile::TraceFile(const std::string& path) : path_(path) {
  if (path == "-") {
    f_ = stdin;
    path_ = "<stdin>";
  } else {
    f_ = std::fopen(path.c_str(), "r");
    if (f_ == nullptr) throw std::runtime_error("cannot open trace " + path + ": " + std::strerror(errno));
    close_ = true;
    struct stat st{};
    if (::fstat(::fileno(f_), &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<uint64_t>(st.st_size);
  }
}

TraceFile::~TraceFile() {
  if (close_) std::fclose(f_);
}

bool TraceFile::next(TraceRecord& r) {
  for (;;) {
    // One line into text_ (NUL bytes included), at most kMaxLine bytes.
    size_t n = 0;
    int c = 0;
    while (n < kMaxLine && (c = ::getc_unlocked(f_)) != EOF) {
      text_[n++] = static_cast<char>(c);
      if (c == '\n') break;
    }
    if (n == 0) {
      if (std::ferror(f_)) throw std::runtime_error("cannot read trace " + path_ + ": " + std::strerror(errno));
      return false;
    }
    ++line_;
    if (n == kMaxLine && text_[n - 1] != '\n') {
      throw TraceError(path_, line_, "line longer than " + std::to_string(kMaxLine) + " bytes");
    }
    consumed_ += n;
    try {
      if (parse_trace_line(std::string_view(text_, n), r)) return true;
    } catch (const std::invalid_argument& e) {
      throw TraceError(path_, line_, e.what());
    }
  }
}

// ------------------------------------------------------------------ latencies

void LatencyHistogram::add(uint64_t v) {
  if (v < kExact) {
    if (v >= low_.size()) low_.resize(std::min<uint64_t>(kExact, std::max<uint64_t>(v + 1, 2 * low_.size())), 0);
    ++low_[v];
  } else {
    ++high_[v];
  }
  ++n_;
  sum_ += v;
  max_ = std::max(max_, v);
}

uint64_t LatencyHistogram::percentile(double q) const {
  if (n_ == 0) return 0;
  const auto rank = std::clamp<uint64_t>(static_cast<uint64_t>(std::ceil(q * static_cast<double>(n_))), 1, n_);
  uint64_t seen = 0;
  for (uint64_t v = 0; v < low_.size(); ++v) {
    seen += low_[v];
    if (seen >= rank) return v;
  }
  for (const auto& [v, c] : high_) {
    seen += c;
    if (seen >= rank) return v;
  }
  return max_;
}

std::vector<uint64_t> LatencyHistogram::bins(unsigned max_bins, uint64_t* bin_width) const {
  const uint64_t w = std::max<uint64_t>(1, (max_ + max_bins) / max_bins);
  *bin_width = w;
  std::vector<uint64_t> out(n_ != 0 ? max_ / w + 1 : 0, 0);
  for (uint64_t v = 0; v < low_.size() && v <= max_; ++v) {
    if (low_[v] != 0) out[v / w] += low_[v];
  }
  for (const auto& [v, c] : high_) out[v / w] += c;
  return out;
}

// ------------------------------------------------------------------ Perfetto

PerfettoTrace::PerfettoTrace(const std::string& path, const hw::dram::Preset& p, uint64_t max_cycles)
    : path_(path), tck_us_(p.tck_ps / 1e6), max_cycles_(max_cycles), banks_per_group_(p.banks_per_group) {
  f_ = std::fopen(path.c_str(), "w");
  if (f_ == nullptr) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f_);
  char b[256];
  std::snprintf(b, sizeof b, R"({"ph":"M","pid":1,"name":"process_name","args":{"name":"requests (%s), acceptance to completion"}})",
                std::string(p.name).c_str());
  event(b);
  for (unsigned c = 0; c < p.channels; ++c) {
    std::snprintf(b, sizeof b, R"({"ph":"M","pid":1,"tid":%u,"name":"thread_name","args":{"name":"channel %u"}})", c, c);
    event(b);
    std::snprintf(b, sizeof b, R"({"ph":"M","pid":%u,"name":"process_name","args":{"name":"channel %u DRAM commands"}})",
                  c + 2, c);
    event(b);
    std::snprintf(b, sizeof b, R"({"ph":"M","pid":%u,"tid":1000,"name":"thread_name","args":{"name":"refresh"}})", c + 2);
    event(b);
    for (unsigned k = 0; k < p.bankgroups * p.banks_per_group; ++k) {
      std::snprintf(b, sizeof b, R"({"ph":"M","pid":%u,"tid":%u,"name":"thread_name","args":{"name":"bank group %u bank %u"}})",
                    c + 2, k, k / p.banks_per_group, k % p.banks_per_group);
      event(b);
    }
  }
}

PerfettoTrace::~PerfettoTrace() {
  if (f_ != nullptr) {
    std::fputs("\n]}\n", f_);
    std::fclose(f_);
  }
}

void PerfettoTrace::event(const char* text) {
  if (!first_) std::fputs(",\n", f_);
  first_ = false;
  std::fputs(text, f_);
}

void PerfettoTrace::request_begin(uint64_t tag, unsigned channel, uint64_t addr, bool write, uint64_t cycle) {
  if (cycle >= max_cycles_) return;
  char b[256];
  std::snprintf(b, sizeof b,
                R"({"ph":"b","cat":"%s","name":"%s","id":%llu,"pid":1,"tid":%u,"ts":%.6f,"args":{"addr":"0x%llx","cycle":%llu}})",
                write ? "write" : "read", write ? "WR" : "RD", static_cast<unsigned long long>(tag), channel, us(cycle),
                static_cast<unsigned long long>(addr), static_cast<unsigned long long>(cycle));
  event(b);
}

void PerfettoTrace::request_end(uint64_t tag, unsigned channel, bool write, uint64_t begun, uint64_t cycle) {
  if (begun >= max_cycles_) return;
  char b[192];
  std::snprintf(b, sizeof b, R"({"ph":"e","cat":"%s","name":"%s","id":%llu,"pid":1,"tid":%u,"ts":%.6f})",
                write ? "write" : "read", write ? "WR" : "RD", static_cast<unsigned long long>(tag), channel, us(cycle));
  event(b);
}

void PerfettoTrace::command(const mc::McCommand& c) {
  if (c.cycle >= max_cycles_) return;
  const mc::Cmd cmd = c.cmd.cmd;
  const bool all = cmd == mc::Cmd::REF || cmd == mc::Cmd::PREA;
  const unsigned tid = all ? 1000 : c.cmd.bankgroup * banks_per_group_ + c.cmd.bank;
  char b[256];
  if (cmd == mc::Cmd::ACT || cmd == mc::Cmd::RD || cmd == mc::Cmd::WR) {
    std::snprintf(b, sizeof b,
                  R"({"ph":"X","name":"%s","pid":%u,"tid":%u,"ts":%.6f,"dur":%.6f,"args":{"row":%u,"column":%u,"cycle":%llu}})",
                  hw::dram::to_string(cmd), c.channel + 2, tid, us(c.cycle), tck_us_, c.cmd.row, c.cmd.column,
                  static_cast<unsigned long long>(c.cycle));
  } else {
    std::snprintf(b, sizeof b, R"({"ph":"X","name":"%s%s","pid":%u,"tid":%u,"ts":%.6f,"dur":%.6f,"args":{"cycle":%llu}})",
                  hw::dram::to_string(cmd), c.refresh && !all && cmd == mc::Cmd::PRE ? " (refresh)" : "", c.channel + 2,
                  tid, us(c.cycle), tck_us_, static_cast<unsigned long long>(c.cycle));
  }
  event(b);
}

void PerfettoTrace::close() {
  if (f_ == nullptr) return;
  std::fputs("\n]}\n", f_);
  const bool bad = std::ferror(f_) != 0;
  const bool bad_close = std::fclose(f_) != 0;
  f_ = nullptr;
  if (bad || bad_close) throw std::runtime_error("cannot write " + path_);
}

// ------------------------------------------------------------------ replay

namespace {

constexpr unsigned kIdBits = 8;  // the RTL configurations' IdW
constexpr uint32_t kIds = 1u << kIdBits;

// Bookkeeping of one replay: ids in flight per port, latencies, command
// counts, the optional Perfetto trace and data expectations.
class Replayer final : public Sink {
 public:
  Replayer(Backend& b, const ReplayOptions& o)
      : b_(b), o_(o), cfg_(b.config()), map_(cfg_.preset), ports_(cfg_.ports), slots_(size_t{ports_} * kIds),
        free_(ports_), channels_(cfg_.preset.channels) {
    for (auto& f : free_) {
      f.reserve(kIds);
      for (uint32_t i = kIds; i-- > 0;) f.push_back(i);
    }
    line_mask_ = ~uint64_t{cfg_.preset.request_bytes - 1} & (map_.capacity_bytes() - 1);
    b_.set_sink(this);
    t0_ = std::chrono::steady_clock::now();
  }
  ~Replayer() override { b_.set_sink(nullptr); }

  const dram::AddressMap& map() const { return map_; }
  unsigned channel_of(uint64_t addr) const {
    const dram::AddressField f = map_.channel();
    return f.width == 0 ? 0 : static_cast<unsigned>((addr >> f.lsb) & ((uint64_t{1} << f.width) - 1));
  }
  bool peek_id(unsigned port, uint32_t* id) const {
    if (free_[port].empty()) return false;
    *id = free_[port].back();
    return true;
  }
  // r was offered with the id peek_id gave and taken (or is held).
  void claim(const Request& r, unsigned channel) {
    free_[r.port].pop_back();
    Slot& s = slots_[size_t{r.port} * kIds + r.id];
    s.addr = r.addr & line_mask_;
    s.channel = channel;
    s.write = r.write;
  }

  void accepted(unsigned port, uint32_t id, uint64_t tag, uint64_t cycle) override {
    Slot& s = slots_[size_t{port} * kIds + id];
    s.accept = cycle;
    ++accepted_;
    if (o_.trace != nullptr) o_.trace->request_begin(tag, s.channel, s.addr, s.write, cycle);
    if (o_.expect_data) {
      if (s.write) {
        shadow_[s.addr] = tag;
      } else {
        const auto it = shadow_.find(s.addr);
        expect_[tag] = it == shadow_.end() ? kInitialData : it->second;
      }
    }
    if (o_.progress && (accepted_ & 4095) == 0) o_.progress(ReplayProgress{accepted_, cycle});
  }

  void completed(unsigned port, uint32_t id, uint64_t tag, bool write, uint64_t cycle, uint64_t data) override {
    Slot& s = slots_[size_t{port} * kIds + id];
    ChannelResult& c = channels_[s.channel];
    ++c.requests;
    if (write) {
      ++c.writes;
    } else {
      ++c.reads;
      const uint64_t lat = cycle - s.accept;
      c.read_latency.add(lat);
      all_.add(lat);
      if (o_.read_data) o_.read_data(tag, data);
      if (o_.expect_data) {
        const auto it = expect_.find(tag);
        if (it == expect_.end() || it->second != data) {
          if (mismatches_++ < 10) {
            char b[160];
            std::snprintf(b, sizeof b, "read of 0x%llx (tag %llu) at cycle %llu returned %llx, expected %llx\n",
                          static_cast<unsigned long long>(s.addr), static_cast<unsigned long long>(tag),
                          static_cast<unsigned long long>(cycle), static_cast<unsigned long long>(data),
                          static_cast<unsigned long long>(it == expect_.end() ? 0 : it->second));
            data_problems_ += b;
          }
        }
        if (it != expect_.end()) expect_.erase(it);
      }
    }
    last_done_ = std::max(last_done_, cycle + 1);
    free_[port].push_back(id);
    if (o_.trace != nullptr) o_.trace->request_end(tag, s.channel, write, s.accept, cycle);
  }

  void command(const mc::McCommand& c) override {
    if (o_.trace != nullptr) o_.trace->command(c);
  }

  ReplayResult result() {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    b_.finish();
    ReplayResult r;
    const hw::dram::Preset& p = cfg_.preset;
    r.backend = b_.name();
    r.preset = std::string(p.name);
    r.refresh = cfg_.refresh == dram::RefreshMode::PerBank ? "per-bank" : "all-bank";
    r.cycles = last_done_;
    const double ns = static_cast<double>(r.cycles) * p.tck_ps / 1000.0;
    uint64_t act = 0, col = 0;
    for (unsigned k = 0; k < channels_.size(); ++k) {
      ChannelResult& c = channels_[k];
      c.bytes = c.requests * p.request_bytes;
      c.refreshes = b_.refreshes(k);
      const std::array<uint64_t, 8> n = b_.command_counts(k);
      std::copy(n.begin(), n.end(), c.commands);
      c.bandwidth_gbps = ns > 0 ? static_cast<double>(c.bytes) / ns : 0;
      const uint64_t a = c.commands[static_cast<unsigned>(mc::Cmd::ACT)];
      const uint64_t rw = c.commands[static_cast<unsigned>(mc::Cmd::RD)] + c.commands[static_cast<unsigned>(mc::Cmd::WR)];
      c.row_hit_rate = rw != 0 ? std::max(0.0, 1.0 - static_cast<double>(a) / static_cast<double>(rw)) : 0;
      act += a;
      col += rw;
      r.requests += c.requests;
      r.reads += c.reads;
      r.writes += c.writes;
      r.refreshes += c.refreshes;
    }
    r.bytes = r.requests * p.request_bytes;
    r.bandwidth_gbps = ns > 0 ? static_cast<double>(r.bytes) / ns : 0;
    r.peak_gbps = p.peak_gbps;
    r.efficiency = r.peak_gbps > 0 ? r.bandwidth_gbps / r.peak_gbps : 0;
    r.read_latency = all_;
    r.read_latency_mean = all_.mean();
    r.read_latency_p50 = all_.percentile(0.50);
    r.read_latency_p99 = all_.percentile(0.99);
    r.read_latency_max = all_.max();
    r.row_hit_rate = col != 0 ? std::max(0.0, 1.0 - static_cast<double>(act) / static_cast<double>(col)) : 0;
    r.wall_seconds = wall;
    r.requests_per_second = wall > 0 ? static_cast<double>(r.requests) / wall : 0;
    r.channels = std::move(channels_);
    r.data_mismatches = mismatches_;
    r.problems = b_.problems() + data_problems_;
    return r;
  }

 private:
  struct Slot {
    uint64_t accept = 0;
    uint64_t addr = 0;
    unsigned channel = 0;
    bool write = false;
  };
  Backend& b_;
  const ReplayOptions& o_;
  mc::McConfig cfg_;
  dram::AddressMap map_;
  unsigned ports_;
  std::vector<Slot> slots_;
  std::vector<std::vector<uint32_t>> free_;
  std::vector<ChannelResult> channels_;
  LatencyHistogram all_;
  uint64_t accepted_ = 0, last_done_ = 0, line_mask_ = 0, mismatches_ = 0;
  std::unordered_map<uint64_t, uint64_t> shadow_, expect_;
  std::string data_problems_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

// The next trace records, oldest first: a ring of one record per channel
// that may take one in a cycle (at most 64).
class Lookahead {
 public:
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const TraceRecord& front() const { return r_[head_]; }
  const TraceRecord& operator[](size_t i) const { return r_[(head_ + i) % kMax]; }
  void push(const TraceRecord& r) { r_[(head_ + n_++) % kMax] = r; }
  void pop() {
    head_ = (head_ + 1) % kMax;
    --n_;
  }

 private:
  static constexpr size_t kMax = 64;  // a power of two: % is a mask
  std::array<TraceRecord, kMax> r_{};
  size_t head_ = 0, n_ = 0;
};

namespace {

// replay() with one channel: one request offered at a time, on port 0, in
// every cycle from its own until the controller takes it, which is the
// port holding it until then (one port requesting: the arbiter grants it
// in every cycle). The backend runs until it is taken without coming back.
void replay_one_channel(Backend& b, TraceSource& src, Replayer& rp) {
  constexpr unsigned port = 0;
  TraceRecord r;
  bool have = false;
  uint64_t seq = 0;
  for (;;) {
    if (!have) have = src.next(r);
    const uint64_t t = b.now();
    uint32_t id = 0;
    if (!have) {
      if (!b.busy()) break;
      b.advance(std::max(t + 1, b.next_change() + 1));
    } else if (r.cycle > t) {
      b.advance(r.cycle);  // not yet its cycle
    } else if (!rp.peek_id(port, &id)) {
      b.advance(std::max(t + 1, b.next_change() + 1));  // no id free: until a response
    } else {
      const Request q{r.addr, r.write, port, id, seq++};
      b.hold(q);
      rp.claim(q, 0);
      have = false;
      b.advance_while_holding(port, mc::kNever);
    }
  }
}

}  // namespace

ReplayResult replay(Backend& b, TraceSource& src, const ReplayOptions& o) {
  Replayer rp(b, o);
  const mc::McConfig& cfg = b.config();
  const unsigned ports = cfg.ports;
  // Requests offered per cycle at most (the port and channel masks below are 64 bits).
  const size_t width = std::min<size_t>({ports, cfg.preset.channels, 64});
  if (width == 1) {
    replay_one_channel(b, src, rp);
    return rp.result();
  }
  Lookahead look;
  bool eof = false;
  std::vector<Request> cands;
  std::vector<unsigned> cand_ch;
  uint64_t seq = 0;
  uint64_t refused_seq = ~uint64_t{0}, refused_epoch = 0;
  for (;;) {
    while (!eof && look.size() < width) {
      TraceRecord r;
      if (src.next(r)) look.push(r);
      else eof = true;
    }
    const uint64_t t = b.now();
    cands.clear();
    cand_ch.clear();
    // The head was refused and nothing that could change that happened: do
    // not ask again (nor build the candidates).
    const bool same_refusal = refused_seq == seq && refused_epoch == b.acceptance_epoch();
    uint64_t used_ch = 0, used_port = 0;
    for (size_t i = 0; i < look.size() && !same_refusal; ++i) {
      const TraceRecord& r = look[i];
      if (r.cycle > t) break;
      const unsigned ch = rp.channel_of(r.addr);
      const unsigned port = ch % ports;
      if (((used_ch >> ch) & 1u) != 0 || ((used_port >> port) & 1u) != 0) break;
      uint32_t id = 0;
      if (!rp.peek_id(port, &id)) break;
      cands.push_back(Request{r.addr, r.write, port, id, seq + i});
      cand_ch.push_back(ch);
      used_ch |= uint64_t{1} << ch;
      used_port |= uint64_t{1} << port;
    }
    const size_t k = cands.empty() ? 0 : b.offer_in_order(cands);
    if (k < cands.size() && !same_refusal) {
      refused_seq = seq + k;
      refused_epoch = b.acceptance_epoch();
    }
    for (size_t i = 0; i < k; ++i) {
      rp.claim(cands[i], cand_ch[i]);
      look.pop();
    }
    seq += k;
    uint64_t next = 0;
    if (k > 0) {
      next = t + 1;
    } else if (!look.empty() && look.front().cycle <= t && refused_seq == seq &&
               refused_epoch == b.acceptance_epoch()) {
      // The head waits for the controller: let it run until that may end.
      b.advance_while_refused(mc::kNever);
      continue;
    } else if (!look.empty()) {
      // Not yet its cycle: go there. Refused, or no id free: until the controller changes.
      next = look.front().cycle > t ? look.front().cycle : std::max(t + 1, b.next_change() + 1);
    } else {
      if (!b.busy()) break;
      next = std::max(t + 1, b.next_change() + 1);
    }
    b.advance(next);
  }
  return rp.result();
}

ReplayResult replay_ports(Backend& b, const std::vector<TraceSource*>& ports, const ReplayOptions& o) {
  Replayer rp(b, o);
  const unsigned n = std::min<unsigned>(static_cast<unsigned>(ports.size()), b.config().ports);
  std::vector<std::optional<TraceRecord>> head(n);
  std::vector<bool> done(n, false);
  uint64_t seq = 0;
  for (;;) {
    const uint64_t t = b.now();
    uint64_t next = mc::kNever;
    bool more = false;
    for (unsigned p = 0; p < n; ++p) {
      if (b.holding(p)) {
        more = true;
        continue;
      }
      if (!head[p] && !done[p]) {
        TraceRecord r;
        if (ports[p]->next(r)) head[p] = r;
        else done[p] = true;
      }
      if (!head[p]) continue;
      more = true;
      uint32_t id = 0;
      if (head[p]->cycle > t) {
        next = std::min(next, head[p]->cycle);
      } else if (rp.peek_id(p, &id)) {
        const Request r{head[p]->addr, head[p]->write, p, id, seq++};
        b.hold(r);
        rp.claim(r, rp.channel_of(r.addr));
        head[p].reset();
      }
    }
    if (!more && !b.busy()) break;
    next = std::min(next, std::max(t + 1, b.next_change() + 1));
    b.advance(std::max(next, t + 1));
  }
  return rp.result();
}

// ------------------------------------------------------------------ reports

void print_report(FILE* out, const ReplayResult& r, const std::string& trace_name) {
  std::fprintf(out, "memtrace: %s on %s (%s, %s refresh)\n", trace_name.c_str(), r.backend.c_str(), r.preset.c_str(),
               r.refresh.c_str());
  std::fprintf(out, "  requests       %llu (%llu reads, %llu writes), %llu bytes\n",
               static_cast<unsigned long long>(r.requests), static_cast<unsigned long long>(r.reads),
               static_cast<unsigned long long>(r.writes), static_cast<unsigned long long>(r.bytes));
  std::fprintf(out, "  cycles         %llu\n", static_cast<unsigned long long>(r.cycles));
  std::fprintf(out, "  bandwidth      %.2f GB/s of %.1f GB/s peak (efficiency %.1f %%)\n", r.bandwidth_gbps, r.peak_gbps,
               100.0 * r.efficiency);
  std::fprintf(out, "  read latency   mean %.1f, p50 %llu, p99 %llu, max %llu cycles\n", r.read_latency_mean,
               static_cast<unsigned long long>(r.read_latency_p50), static_cast<unsigned long long>(r.read_latency_p99),
               static_cast<unsigned long long>(r.read_latency_max));
  std::fprintf(out, "  row hit rate   %.1f %%\n", 100.0 * r.row_hit_rate);
  std::fprintf(out, "  refreshes      %llu\n", static_cast<unsigned long long>(r.refreshes));
  std::fprintf(out, "  wall time      %.3f s (%.3g requests/s)\n", r.wall_seconds, r.requests_per_second);
  if (r.channels.size() > 1) {
    std::fprintf(out, "  %-8s %10s %10s %12s %10s %10s\n", "channel", "requests", "GB/s", "read lat", "row hits", "refreshes");
    for (size_t k = 0; k < r.channels.size(); ++k) {
      const ChannelResult& c = r.channels[k];
      std::fprintf(out, "  %-8zu %10llu %10.2f %12.1f %9.1f%% %10llu\n", k, static_cast<unsigned long long>(c.requests),
                   c.bandwidth_gbps, c.read_latency.mean(), 100.0 * c.row_hit_rate,
                   static_cast<unsigned long long>(c.refreshes));
    }
  }
  if (!r.problems.empty()) std::fprintf(out, "  PROBLEMS:\n%s\n", r.problems.c_str());
}

namespace {

void histogram_json(JsonWriter& j, const LatencyHistogram& h) {
  uint64_t w = 1;
  const std::vector<uint64_t> bins = h.bins(64, &w);
  j.begin_object().field("bin_cycles", w).field("count", h.count());
  j.key("counts").begin_array();
  for (uint64_t c : bins) j.value(c);
  j.end_array().end_object();
}

}  // namespace

std::string result_json(const ReplayResult& r, const std::string& trace_name) {
  JsonWriter j;
  j.begin_object();
  j.field("trace", trace_name).field("backend", r.backend).field("preset", r.preset).field("refresh", r.refresh);
  j.field("requests", r.requests).field("reads", r.reads).field("writes", r.writes);
  j.field("cycles", r.cycles).field("bytes", r.bytes);
  j.field("bandwidth_gbps", r.bandwidth_gbps).field("peak_gbps", r.peak_gbps).field("efficiency", r.efficiency);
  j.field("read_latency_mean", r.read_latency_mean).field("read_latency_p50", r.read_latency_p50);
  j.field("read_latency_p99", r.read_latency_p99).field("read_latency_max", r.read_latency_max);
  j.field("row_hit_rate", r.row_hit_rate).field("refreshes", r.refreshes);
  j.field("wall_seconds", r.wall_seconds).field("requests_per_second", r.requests_per_second);
  j.key("read_latency_histogram");
  histogram_json(j, r.read_latency);
  j.key("channels").begin_array();
  for (size_t k = 0; k < r.channels.size(); ++k) {
    const ChannelResult& c = r.channels[k];
    j.begin_object().field("channel", static_cast<uint64_t>(k)).field("requests", c.requests);
    j.field("reads", c.reads).field("writes", c.writes).field("bytes", c.bytes);
    j.field("bandwidth_gbps", c.bandwidth_gbps).field("row_hit_rate", c.row_hit_rate).field("refreshes", c.refreshes);
    j.field("read_latency_mean", c.read_latency.mean()).field("read_latency_p50", c.read_latency.percentile(0.5));
    j.field("read_latency_p99", c.read_latency.percentile(0.99)).field("read_latency_max", c.read_latency.max());
    j.key("read_latency_histogram");
    histogram_json(j, c.read_latency);
    j.key("commands").begin_object();
    for (unsigned k2 = 1; k2 < 8; ++k2) j.field(hw::dram::to_string(static_cast<mc::Cmd>(k2)), c.commands[k2]);
    j.end_object().end_object();
  }
  j.end_array();
  j.field("problems", r.problems);
  j.end_object();
  return j.str();
}

}  // namespace kmtsim::memtrace
