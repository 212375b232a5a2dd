// libFuzzer target over the daemon's request path: packet split, request
// decoding and every entry point's validation, on the kernel side driven by
// the functional device model. An input is a sequence of packets, each
// [u8 descriptors][u16 length][bytes]; the descriptor bits attach an
// eventfd (1), the last NT handle a reply carried (2), or a plain pipe (4).
// Bit 8 makes the packet what the process writes into the allocation it
// locked last, [u32 offset][bytes] (command buffers for SubmitCommand); bit
// 16 adds a third length byte, [u8 descriptors][u24 length][bytes] (the
// fence-hops escape is larger than 64 KiB).
// The kernel validates every command it puts on a ring, so a ring that
// halts is a kernel bug and aborts the run, as does a device that does not
// go idle (an interrupt that is never cleared) or a kernel that keeps giving
// it work once it is idle.
// After each input the process goes away; the kernel must be left with no
// process, handle, waiter or NT handle of it (anything else is a leak and
// aborts the run).
#include "functional_device.h"
#include "kmtsim/kernel/kernel.h"
#include "kmtsim/wire/socket.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>

namespace {

using namespace kmtsim;

// Notices closed NT handles when asked (no event loop here).
class PollReactor final : public kernel::Reactor {
 public:
  void watch_pipe_readers(int fd, std::function<void()> closed) override { watched_[fd] = std::move(closed); }
  void unwatch(int fd) override { watched_.erase(fd); }
  void poll_all() {
    std::vector<std::function<void()>> fire;
    for (auto& [fd, cb] : watched_) {
      pollfd p{fd, 0, 0};
      if (::poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0) fire.push_back(cb);
    }
    for (auto& cb : fire) cb();
  }
  size_t watched() const { return watched_.size(); }

 private:
  std::map<int, std::function<void()>> watched_;
};

struct Setup {
  kernel::FunctionalDevice device{device_config()};
  PollReactor reactor;
  kernel::Kernel kernel;
  Setup() : kernel(device, reactor, options()) {
    device.set_interrupt_handler([this](uint64_t t) { kernel.interrupt(t); });
    kernel.start();
  }
  static kernel::FunctionalDevice::Config device_config() {
    kernel::FunctionalDevice::Config c;
    c.vram_size = 8 << 20;  // room for a few allocations; small enough that no FILL takes long
    return c;
  }
  static kernel::KernelOptions options() {
    kernel::KernelOptions o;
    o.seed = 1;
    o.first_handle_index = 1;  // handles a corpus can name: 0x40000040, 0x40000080, ...
    return o;
  }
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_kernel: %s\n", what);
  std::abort();
}

// As kmtsimd does: the device runs until it is idle, then the kernel hears
// that it is, which may give the device work again.
void settle(Setup& s) {
  if (!s.device.run_until_idle()) fail("the device did not go idle");
  for (int round = 0;; ++round) {
    const uint64_t before = s.device.commands();
    s.kernel.device_idle();
    if (!s.device.run_until_idle()) fail("the device did not go idle");
    if (s.device.commands() == before) return;  // nothing new ran
    if (round == 1000) fail("the kernel and the device never settle");
  }
}

[[noreturn]] void leak(const char* what, size_t n) {
  std::fprintf(stderr, "fuzz_kernel: %zu %s left after the process went away\n", n, what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Setup* s = new Setup();
  const size_t syncs_before = s->kernel.live_sync_objects();
  kernel::Process* process = s->kernel.attach(1000, 1000);
  UniqueFd last_nt, last_locked;
  while (size >= 3) {
    const uint8_t fd_bits = data[0];
    size_t len = data[1] | (size_t{data[2]} << 8);
    const size_t head = (fd_bits & 16) ? 4 : 3;
    if (size < head) break;
    if (head == 4) len |= size_t{data[3]} << 16;
    data += head;
    size -= head;
    if (len > size) len = size;
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    std::span<const std::byte> packet(bytes, len);
    data += len;
    size -= len;

    if (fd_bits & 8) {
      // The process writes into the allocation it has mapped.
      struct stat st;
      uint32_t offset = 0;
      if (!last_locked || len < 4 || ::fstat(last_locked.get(), &st) != 0) continue;
      std::memcpy(&offset, packet.data(), 4);
      if (offset > static_cast<uint64_t>(st.st_size) || len - 4 > static_cast<uint64_t>(st.st_size) - offset) continue;
      const ssize_t wrote = ::pwrite(last_locked.get(), packet.data() + 4, len - 4, offset);
      (void)wrote;
      continue;
    }
    wire::Header header;
    std::span<const std::byte> payload;
    if (wire::split_packet(packet, header, payload) != nullptr) continue;
    kernel::Kernel::Request request;
    request.op = static_cast<wire::Op>(header.op);
    request.payload = payload;
    if (fd_bits & 1) request.fds.emplace_back(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if ((fd_bits & 2) && last_nt) request.fds.emplace_back(::dup(last_nt.get()));
    if (fd_bits & 4) {
      int p[2];
      if (::pipe(p) == 0) {
        ::close(p[1]);
        request.fds.emplace_back(p[0]);
      }
    }
    kernel::Kernel::Reply reply = s->kernel.handle(*process, std::move(request));
    if (header.op == static_cast<uint16_t>(wire::Op::ShareObjects) && reply.fds.size() == 1) last_nt = std::move(reply.fds[0]);
    if (header.op == static_cast<uint16_t>(wire::Op::Lock2) && reply.fds.size() == 1) last_locked = std::move(reply.fds[0]);
    settle(*s);
    if (s->kernel.stats().ring_errors != 0) fail("a ring halted on a command the kernel wrote");
  }
  s->kernel.detach(process);
  last_nt.reset();
  last_locked.reset();
  s->reactor.poll_all();
  if (s->kernel.process_count() != 0) leak("processes", s->kernel.process_count());
  if (s->kernel.pending_waiters() != 0) leak("CPU waiters", s->kernel.pending_waiters());
  if (s->kernel.nt_handle_count() != 0) leak("NT handles", s->kernel.nt_handle_count());
  if (s->reactor.watched() != 0) leak("watched descriptors", s->reactor.watched());
  // The kernel keeps one fence of its own once a CPU event was asked for.
  if (s->kernel.live_sync_objects() > syncs_before + 1) leak("sync objects", s->kernel.live_sync_objects());
  return 0;
}
