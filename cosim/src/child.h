// Child processes for the tool: spawn a program with some descriptors
// inherited and its stdout captured, wait with a deadline, and never leave
// one behind.
#pragma once

#include "kmtsim/util/unique_fd.h"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kmtsim::cosim {

class Child {
 public:
  struct Options {
    std::vector<std::string> argv;
    std::vector<std::pair<std::string, std::string>> env;  // added to this process's environment
    std::vector<std::pair<int, int>> inherit;              // (fd here, fd number in the child)
    bool capture_stdout = false;
    bool die_with_parent = false;  // SIGTERM when this process dies (a daemon of a test, say)
  };
  // Throws std::system_error when the program cannot be started.
  explicit Child(const Options& options);
  Child(Child&&) noexcept;
  Child& operator=(Child&&) = delete;
  ~Child();  // kills and reaps a child still running

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_.get(); }
  // Everything the child writes to stdout, until it closes it or the deadline passes.
  std::string read_stdout(std::chrono::steady_clock::time_point deadline);
  // The exit status (as from waitpid), or nothing if the deadline passed.
  std::optional<int> wait(std::chrono::steady_clock::time_point deadline);
  void signal(int sig);

 private:
  pid_t pid_ = -1;
  UniqueFd out_;
};

// Where this program's sibling executables are (the directory of /proc/self/exe).
std::string self_dir();

// A human-readable account of a waitpid status.
std::string describe_status(int status);

}  // namespace kmtsim::cosim
