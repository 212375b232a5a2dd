// A kmtsimd of the tool's own, on a socket in a fresh private directory:
// started and ready on construction, stopped (SIGTERM, then SIGKILL) and
// cleaned up on destruction.
#pragma once

#include "child.h"

#include <string>
#include <vector>

namespace kmtsim::cosim {

class DaemonProcess {
 public:
  // Runs `program` (default: kmtsimd next to this program) with `args`.
  // Throws std::runtime_error with the reason when it does not come up.
  explicit DaemonProcess(const std::vector<std::string>& args, const std::string& program = {});
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  const std::string& socket_path() const { return socket_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  // Stops it; returns its exit status (as from waitpid), or -1 if it had to be killed.
  int stop();

 private:
  std::string dir_;
  std::string socket_;
  std::optional<Child> child_;
};

}  // namespace kmtsim::cosim
