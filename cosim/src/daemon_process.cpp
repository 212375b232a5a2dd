#include "daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace kmtsim::cosim {

DaemonProcess::DaemonProcess(const std::vector<std::string>& args, const std::string& program) {
  std::string tmpl = "/tmp/kmtsim-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a directory under /tmp");
  dir_ = tmpl;
  socket_ = dir_ + "/kmtsimd.sock";
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) throw std::runtime_error("cannot create a pipe");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  Child::Options o;
  o.argv = {program.empty() ? self_dir() + "/kmtsimd" : program, "--socket", socket_, "--quiet", "--ready-fd", "3"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.inherit = {{ready_w.get(), 3}};
  o.die_with_parent = true;  // never outlive a tool or test that crashed
  o.env = {{"SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1"}};
  child_.emplace(o);
  ready_w.reset();
  // Wait for "ready" (or for the pipe to close: it died).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string got;
  char buf[16];
  while (got.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::read(ready_r.get(), buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  if (got != "ready\n") {
    const auto status = child_->wait(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    child_.reset();
    ::rmdir(dir_.c_str());
    throw std::runtime_error("kmtsimd did not start" + (status ? " (" + describe_status(*status) + ")" : std::string()));
  }
}

int DaemonProcess::stop() {
  if (!child_) return 0;
  child_->signal(SIGTERM);
  auto status = child_->wait(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  child_.reset();  // kills it if it is still there
  ::unlink(socket_.c_str());
  ::rmdir(dir_.c_str());
  return status ? *status : -1;
}

DaemonProcess::~DaemonProcess() { stop(); }

}  // namespace kmtsim::cosim
