// A Verilated model clocked from C++, with what every test bench over one
// needs around it: its context, an FST waveform on request, and its coverage
// counts in a coverage build.
//
//   KMTSIM_FST=path      dump a waveform there. A test that builds several
//                        models in one process numbers the later ones
//                        (path.2.fst, path.3.fst, ...).
//   KMTSIM_VL_COVERAGE   (compile definition) the models are coverage
//                        instrumented: each writes its counts, when destroyed,
//                        to $KMTSIM_COVERAGE_DIR (default: the working
//                        directory), one file per model.
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>
#if KMTSIM_VL_COVERAGE
#include <unistd.h>
#include <verilated_cov.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

namespace kmtsim::test {

// Where a dump goes: KMTSIM_FST if set, else nothing (the caller may ask for one).
inline std::string fst_request_path() {
  const char* p = std::getenv("KMTSIM_FST");
  return p != nullptr ? std::string(p) : std::string();
}

// The requested path for the first model of the process, numbered ones after it.
inline std::string next_fst_path() {
  static unsigned n = 0;
  std::string p = fst_request_path();
  if (p.empty() || n++ == 0) return p;
  const std::string suffix = ".fst";
  if (p.size() > suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0) {
    p.resize(p.size() - suffix.size());
  }
  return p + "." + std::to_string(n) + suffix;
}

// In a coverage build, writes a context's coverage counts to
// $KMTSIM_COVERAGE_DIR (default: the working directory), one file per call.
inline void write_coverage([[maybe_unused]] VerilatedContext& ctx) {
#if KMTSIM_VL_COVERAGE
  static unsigned n = 0;
  const char* dir = std::getenv("KMTSIM_COVERAGE_DIR");
  const std::string path = std::string(dir != nullptr ? dir : ".") + "/cov_" + std::to_string(::getpid()) + "_" +
                           std::to_string(n++) + ".dat";
  ctx.coveragep()->write(path.c_str());
#endif
}

template <class Model>
class VlModel {
 public:
  // fst_path empty: no waveform.
  explicit VlModel(const char* name, const std::string& fst_path = next_fst_path())
      : ctx_(std::make_unique<VerilatedContext>()), fst_path_(fst_path) {
    if (!fst_path_.empty()) ctx_->traceEverOn(true);
    model_ = std::make_unique<Model>(ctx_.get(), name);
    if (!fst_path_.empty()) {
      fst_ = std::make_unique<VerilatedFstC>();
      model_->trace(fst_.get(), 99);
      fst_->open(fst_path_.c_str());
    }
  }
  ~VlModel() {
    if (fst_) fst_->close();
    model_->final();
    write_coverage(*ctx_);
  }
  VlModel(const VlModel&) = delete;
  VlModel& operator=(const VlModel&) = delete;

  // Reset: a falling edge of rst_ni (the model starts with it low, which is
  // no edge), then a rising clock edge while it is low; clock low after.
  void reset() {
    Model& m = *model_;
    m.clk_i = 0;
    m.rst_ni = 1;
    m.eval();
    m.rst_ni = 0;
    m.eval();
    m.clk_i = 1;
    m.eval();
    m.clk_i = 0;
    m.eval();
    m.rst_ni = 1;
    m.eval();
  }

  // One clock cycle t, inputs already driven: the low phase is evaluated
  // (and dumped at 2t), low(model) looks at it (the cycle's outputs and
  // handshakes), then the rising edge (dumped at 2t + 1).
  template <class Low>
  void clock(uint64_t t, Low&& low) {
    Model& m = *model_;
    m.clk_i = 0;
    m.eval();
    dump(2 * t);
    low(m);
    m.clk_i = 1;
    m.eval();
    dump(2 * t + 1);
  }

  Model& operator*() { return *model_; }
  Model* operator->() { return model_.get(); }
  const Model& operator*() const { return *model_; }
  const Model* operator->() const { return model_.get(); }
  VerilatedContext& context() { return *ctx_; }

  // Samples the waveform (when one is being written) at time t.
  void dump(uint64_t t) {
    if (fst_) fst_->dump(t);
  }
  bool tracing() const { return fst_ != nullptr; }
  const std::string& fst_path() const { return fst_path_; }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::string fst_path_;
};

}  // namespace kmtsim::test
