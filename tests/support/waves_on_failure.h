// A Catch2 listener for tests over Verilated models: when a test case fails
// and no waveform was asked for (KMTSIM_FST unset), it runs that one case
// again in a new process, with the seed it used (seed.h), dumping a waveform
// into <working directory>/<case name>.fst (output of the re-run beside it,
// in .fst.log), and says where. A new process because a SystemC simulation
// elaborates once per process; the same seed makes it the same run.
//
// Register it in the runner's translation unit:
//   using kmtsim::test::WavesOnFailure;
//   CATCH_REGISTER_LISTENER(WavesOnFailure)
// and set waves_possible() in a run that has a model able to dump (the RTL
// block tests always; the device tests when the backend is the RTL). Test
// sources may include this header too, for waves_possible(): the listener
// is defined only where Catch's runner is (CATCH_CONFIG_MAIN or _RUNNER).
#pragma once

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "seed.h"

extern char** environ;

namespace kmtsim::test {

inline bool& waves_possible() {
  static bool possible = false;
  return possible;
}

#if defined(CATCH_CONFIG_MAIN) || defined(CATCH_CONFIG_RUNNER)

class WavesOnFailure : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    last_test_seed().reset();
    TestEventListenerBase::testCaseStarting(info);
  }

  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    TestEventListenerBase::testCaseEnded(stats);
    if (stats.totals.assertions.failed == 0 || !waves_possible()) return;
    if (std::getenv("KMTSIM_FST") != nullptr) return;  // asked for (or this is the re-run)
    const std::string& name = stats.testInfo.name;
    std::string file;
    for (char c : name) file += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    const std::string fst = (std::filesystem::current_path() / (file + ".fst")).string();
    rerun(name, fst);
  }

 private:
  static void rerun(const std::string& name, const std::string& fst) {
    // The case name as a test spec: Catch's special characters escaped.
    std::string spec;
    for (char c : name) {
      if (c == '\\' || c == ',' || c == '[' || c == ']' || c == '*' || c == '"' || c == '~') spec += '\\';
      spec += c;
    }
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      if (kv.rfind("KMTSIM_SEED=", 0) != 0) env.push_back(kv);
    }
    env.push_back("KMTSIM_FST=" + fst);
    if (last_test_seed()) env.push_back("KMTSIM_SEED=" + std::to_string(*last_test_seed()));
    const std::string log = fst + ".log";
    std::vector<char*> envp;
    for (std::string& kv : env) envp.push_back(kv.data());
    envp.push_back(nullptr);
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<char*> argv{self.data(), spec.data(), nullptr};

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, self.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      std::printf("could not re-run the failing case for its waveform (posix_spawn: %d)\n", rc);
      return;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::printf("waveform of the failing run: %s (re-run output: %s)\n", fst.c_str(), log.c_str());
    std::fflush(stdout);
  }
};
#endif

}  // namespace kmtsim::test
