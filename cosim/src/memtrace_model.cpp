// memtrace backend: the memory-controller model (kmtsim_mc_model).
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "kmtsim/dram/checker.h"
#include "memtrace_backend.h"
#if KMTSIM_MEMTRACE_RTL
#include "mc_configs.h"
#endif

namespace kmtsim::memtrace {
namespace {

class ModelBackend final : public Backend, private mc::McObserver {
 public:
  ModelBackend(const mc::McConfig& cfg, const BackendOptions& o) : m_(cfg), o_(o) {
    if (o_.check) {
      checker_.emplace(dram::Geometry::of(cfg.preset), cfg.timing, dram::CheckerOptions{cfg.refresh, 8});
    }
    if (o_.check || o_.track_data || o_.commands) m_.set_observer(this);
  }

  std::string name() const override { return "model"; }
  const mc::McConfig& config() const override { return m_.config(); }
  uint64_t now() const override { return m_.now(); }

  size_t offer_in_order(std::span<const Request> reqs) override {
    for (size_t i = 0; i < reqs.size(); ++i) {
      const Request& r = reqs[i];
      if (!m_.offer_if_accepted(r.port, mc::McRequest{r.addr, r.write, r.id, r.tag})) return i;
    }
    return reqs.size();
  }

  // Refusals come from a full queue or a same-address hazard: only a
  // request leaving a queue ends either.
  uint64_t acceptance_epoch() const override { return m_.departures(); }

  bool hold(const Request& r) override { return m_.offer(r.port, mc::McRequest{r.addr, r.write, r.id, r.tag}); }
  bool holding(unsigned port) const override { return m_.holding(port); }

  void advance(uint64_t until) override {
    m_.advance(until);
    forward_events();
  }

  // The epoch is the count of departures: run until one happens.
  void advance_while_refused(uint64_t until) override {
    m_.advance_until_departure(until);
    forward_events();
  }

  void advance_while_holding(unsigned port, uint64_t until) override {
    m_.advance_until_taken(port, until);
    forward_events();
  }

  void forward_events() {
    if (sink_ != nullptr) {
      for (const mc::McEvent& e : m_.events()) {
        if (e.kind == mc::McEvent::Kind::Accepted) {
          sink_->accepted(e.port, e.id, e.tag, e.cycle);
        } else {
          uint64_t data = 0;
          if (o_.track_data && !e.write) {
            const auto it = read_data_.find(e.tag);
            if (it != read_data_.end()) {
              data = it->second;
              read_data_.erase(it);
            }
          }
          sink_->completed(e.port, e.id, e.tag, e.write, e.cycle, data);
        }
      }
    }
    m_.clear_events();
  }

  uint64_t next_change() const override { return m_.next_activity_cycle(); }
  bool busy() const override { return m_.busy(); }

  void finish() override {
    if (checker_) checker_->finish(m_.now());
  }
  std::string problems() const override { return checker_ && !checker_->ok() ? checker_->summary(10) : ""; }
  std::array<uint64_t, 8> command_counts(unsigned channel) const override {
    std::array<uint64_t, 8> a{};
    const mc::McChannelStats& s = m_.channel_stats(channel);
    for (unsigned i = 0; i < 8; ++i) a[i] = s.commands[i];
    return a;
  }
  uint64_t refreshes(unsigned channel) const override {
    const mc::McChannelStats& s = m_.channel_stats(channel);
    return s.commands[static_cast<unsigned>(mc::Cmd::REF)] + s.commands[static_cast<unsigned>(mc::Cmd::REFB)];
  }

 private:
  void on_command(const mc::McCommand& c) override {
    if (checker_) checker_->command(c.channel, c.cycle, c.cmd);
    if (o_.track_data) {
      if (c.cmd.cmd == mc::Cmd::WR) {
        lines_[c.addr] = c.tag;
      } else if (c.cmd.cmd == mc::Cmd::RD) {
        const auto it = lines_.find(c.addr);
        read_data_[c.tag] = it == lines_.end() ? kInitialData : it->second;
      }
    }
    if (o_.commands && sink_ != nullptr) sink_->command(c);
  }

  mc::McModel m_;
  BackendOptions o_;
  std::optional<dram::DramChecker> checker_;
  std::unordered_map<uint64_t, uint64_t> lines_;      // line address -> tag of the write last sent to it
  std::unordered_map<uint64_t, uint64_t> read_data_;  // tag of a read -> what its RD found
};

}  // namespace

mc::McConfig memtrace_config(const hw::dram::Preset& p, dram::RefreshMode refresh) {
  mc::McConfig c = mc::McConfig::for_preset(p);
  c.refresh = refresh;
  // The Verilated configurations' parameters (tests/rtl/mc_models.cmake).
  auto set = [&c](unsigned ports, unsigned queue, unsigned resp, unsigned starve, unsigned prio) {
    c.ports = ports;
    c.queue_depth = queue;
    c.resp_depth = resp;
    c.starve_cap = starve;
    c.prio_cap = prio;
  };
#if KMTSIM_MEMTRACE_RTL
#define KMT_SET(CFG)                                                                                      \
  set(KMT_MC_##CFG##_NumPorts, KMT_MC_##CFG##_QueueDepth, KMT_MC_##CFG##_RespDepth, KMT_MC_##CFG##_StarveCap, \
      KMT_MC_##CFG##_PrioCap)
  if (p.name == hw::dram::kHbm2.name) KMT_SET(HBM2);
  else if (p.name == hw::dram::kGddr6.name) KMT_SET(GDDR6);
  else if (p.name == hw::dram::kIce40.name) KMT_SET(ICE40);
#undef KMT_SET
#else
  if (p.name == hw::dram::kHbm2.name) set(8, 32, 16, 16, 4);
  else if (p.name == hw::dram::kGddr6.name) set(4, 16, 4, 8, 4);
  else if (p.name == hw::dram::kIce40.name) set(5, 8, 4, 6, 3);
#endif
  return c;
}

#if !KMTSIM_MEMTRACE_RTL
std::unique_ptr<Backend> make_rtl_backend(const hw::dram::Preset&, const BackendOptions&) {
  throw std::invalid_argument("this kmtsim was built without the RTL (KMTSIM_WITH_RTL=OFF)");
}
#endif

std::unique_ptr<Backend> make_model_backend(const mc::McConfig& cfg, const BackendOptions& o) {
  return std::make_unique<ModelBackend>(cfg, o);
}

std::unique_ptr<Backend> make_backend(const std::string& name, const hw::dram::Preset& p, const BackendOptions& o) {
  if (name == "model") return make_model_backend(memtrace_config(p, o.refresh), o);
  if (name == "rtl") return make_rtl_backend(p, o);
  throw std::invalid_argument("unknown backend '" + name + "' (model or rtl)");
}

}  // namespace kmtsim::memtrace
