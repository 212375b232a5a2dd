#include "event.h"

#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <sys/syscall.h>

namespace kmtsim::kernel {

namespace {

// A one-shot timer that interrupts a write the client made blocking: its
// signal has a handler without SA_RESTART, so the write returns EINTR.
class WriteGuard {
 public:
  static WriteGuard& instance() {
    static WriteGuard guard;
    return guard;
  }
  bool ok() const { return ok_; }
  void arm() { set(1'000'000); }  // 1 ms
  void disarm() { set(0); }

 private:
  WriteGuard() {
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(kSignal, &sa, nullptr) != 0) return;
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = kSignal;
    ev._sigev_un._tid = static_cast<pid_t>(::syscall(SYS_gettid));
    ok_ = timer_create(CLOCK_MONOTONIC, &ev, &timer_) == 0;
  }
  void set(long ns) {
    itimerspec spec{};
    spec.it_value.tv_nsec = ns;
    timer_settime(timer_, 0, &spec, nullptr);
  }
  static inline const int kSignal = SIGRTMIN + 3;
  timer_t timer_{};
  bool ok_ = false;
};

}  // namespace

bool is_eventfd(int fd) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  char target[64];
  const ssize_t n = ::readlink(path, target, sizeof(target) - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  return std::strcmp(target, "anon_inode:[eventfd]") == 0;
}

bool signal_event(int fd, unsigned long long value) {
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, 0) != 1 || (p.revents & POLLOUT) == 0) return false;
  WriteGuard& guard = WriteGuard::instance();
  if (guard.ok()) guard.arm();
  const ssize_t n = ::write(fd, &value, sizeof(value));
  if (guard.ok()) guard.disarm();
  return n == static_cast<ssize_t>(sizeof(value));
}

}  // namespace kmtsim::kernel
