// Bad wire input against a real kmtsimd: a clear error or a closed
// connection, never a crash, a hang or a leaked descriptor, and the other
// clients carry on.
#define CATCH_CONFIG_MAIN
#include "driver_fixture.h"
#include "kmtsim/wire/messages.h"
#include "kmtsim/wire/socket.h"
#include "../support/seed.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <random>
#include <vector>

using namespace kmtsim;
using namespace kmtsim::test;

namespace {

UniqueFd raw_connect(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  REQUIRE(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  timeval tv{10, 0};  // nothing here may hang
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return s;
}

std::vector<std::byte> packet(uint16_t op, const std::vector<std::byte>& payload, uint32_t magic = wire::kMagic) {
  wire::Writer w;
  wire::Header h;
  h.magic = magic;
  h.op = op;
  h.seq = 7;
  w(h);
  std::vector<std::byte> out = w.bytes();
  for (std::byte b : payload) out.push_back(b);
  return out;
}

// The reply's status, or nothing when the connection was closed.
std::optional<int32_t> status_of(int sock) {
  wire::ScratchBuffer scratch;
  wire::Packet p;
  if (wire::recv_packet(sock, scratch.span(), p, false) <= 0) return std::nullopt;
  wire::Header h;
  int32_t status = 0;
  wire::Reader r(p.bytes);
  r(h, status);
  return status;
}

std::optional<int32_t> hello(int sock) {
  wire::Writer w;
  w(wire::HelloReq{});
  const auto p = packet(static_cast<uint16_t>(wire::Op::Hello), w.bytes());
  if (wire::send_packet(sock, p, {}, false) != 0) return std::nullopt;
  return status_of(sock);
}

size_t open_fds(pid_t pid) {
  size_t n = 0;
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (d == nullptr) return 0;
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

}  // namespace

TEST_CASE("A request that is too short is refused with INVALID_PARAMETER", "[driver][wire]") {
  Daemon daemon;
  auto s = raw_connect(daemon.process().socket_path());
  const auto p = packet(static_cast<uint16_t>(wire::Op::CreateDevice), {std::byte{1}, std::byte{2}});
  REQUIRE(wire::send_packet(s.get(), p, {}, false) == 0);
  CHECK(status_of(s.get()) == STATUS_INVALID_PARAMETER);
  CHECK(hello(s.get()) == STATUS_SUCCESS);
}

TEST_CASE("A request with trailing bytes is refused with INVALID_PARAMETER", "[driver][wire]") {
  Daemon daemon;
  auto s = raw_connect(daemon.process().socket_path());
  wire::Writer w;
  w(wire::HandleReq{0x40000040}, uint32_t{99});
  REQUIRE(wire::send_packet(s.get(), packet(static_cast<uint16_t>(wire::Op::CloseAdapter), w.bytes()), {}, false) == 0);
  CHECK(status_of(s.get()) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("An unknown opcode gets NOT_IMPLEMENTED", "[driver][wire]") {
  Daemon daemon;
  auto s = raw_connect(daemon.process().socket_path());
  for (uint16_t op : {uint16_t{0}, uint16_t{999}, uint16_t{0xFFFF}}) {
    REQUIRE(wire::send_packet(s.get(), packet(op, {}), {}, false) == 0);
    CHECK(status_of(s.get()) == STATUS_NOT_IMPLEMENTED);
  }
}

TEST_CASE("A counted array longer than the packet is refused", "[driver][wire]") {
  Daemon daemon;
  auto s = raw_connect(daemon.process().socket_path());
  wire::Writer w;
  w(uint32_t{0x40000080}, uint32_t{0xFFFFFFFF});  // device, then 4 billion handles
  REQUIRE(wire::send_packet(s.get(), packet(static_cast<uint16_t>(wire::Op::SignalFromCpu), w.bytes()), {}, false) == 0);
  CHECK(status_of(s.get()) == STATUS_INVALID_PARAMETER);
}

TEST_CASE("A bad header closes that connection and nobody else's", "[driver][wire]") {
  Daemon daemon;
  auto bad = raw_connect(daemon.process().socket_path());
  auto good = raw_connect(daemon.process().socket_path());
  REQUIRE(wire::send_packet(bad.get(), packet(1, {}, 0xDEADBEEF), {}, false) == 0);
  CHECK_FALSE(status_of(bad.get()).has_value());
  REQUIRE(wire::send_packet(bad.get() , std::vector<std::byte>{std::byte{1}}, {}, false) != 0);  // closed
  CHECK(hello(good.get()) == STATUS_SUCCESS);
}

TEST_CASE("An oversized packet is dropped and the connection goes on", "[driver][wire]") {
  Daemon daemon;
  auto s = raw_connect(daemon.process().socket_path());
  int size = 1 << 20;
  ::setsockopt(s.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  std::vector<std::byte> huge(wire::kMaxMessageBytes + 100, std::byte{0x41});
  if (wire::send_packet(s.get(), huge, {}, false) == 0) {
    CHECK(hello(s.get()) == STATUS_SUCCESS);
  }
}

TEST_CASE("Descriptors sent with a request are never leaked", "[driver][wire]") {
  Daemon daemon;
  const pid_t pid = daemon.process().pid();
  auto s = raw_connect(daemon.process().socket_path());
  REQUIRE(hello(s.get()) == STATUS_SUCCESS);
  const size_t before = open_fds(pid);
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const int fds[4] = {p[0], p[1], p[0], p[1]};
  for (int k = 0; k < 50; ++k) {
    // A close of an adapter that does not exist, with four descriptors on it.
    wire::Writer w;
    w(wire::HandleReq{0x1eadbec0});
    REQUIRE(wire::send_packet(s.get(), packet(static_cast<uint16_t>(wire::Op::CloseAdapter), w.bytes()), fds, false) == 0);
    REQUIRE(status_of(s.get()) == STATUS_INVALID_PARAMETER);
  }
  CHECK(open_fds(pid) == before);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("A client that never reads its replies is cut off and the daemon lives on", "[driver][wire]") {
  Daemon daemon;
  {
    auto greedy = raw_connect(daemon.process().socket_path());
    ::fcntl(greedy.get(), F_SETFL, O_NONBLOCK);
    wire::Writer w;
    w(wire::HelloReq{});
    const auto p = packet(static_cast<uint16_t>(wire::Op::Hello), w.bytes());
    for (int k = 0; k < 20000; ++k) {
      if (wire::send_packet(greedy.get(), p, {}, true) != 0) break;
    }
  }
  auto s = raw_connect(daemon.process().socket_path());
  CHECK(hello(s.get()) == STATUS_SUCCESS);
}

TEST_CASE("Random packets never bring the daemon down", "[driver][wire][random]") {
  Daemon daemon;
  std::mt19937_64 rng(test_seed("wire robustness"));
  auto good = raw_connect(daemon.process().socket_path());
  for (int round = 0; round < 20; ++round) {
    auto s = raw_connect(daemon.process().socket_path());
    for (int k = 0; k < 50; ++k) {
      std::vector<std::byte> payload(rng() % 96);
      for (auto& b : payload) b = static_cast<std::byte>(rng());
      const auto op = static_cast<uint16_t>(rng() % (static_cast<unsigned>(wire::Op::Count_) + 2));
      if (wire::send_packet(s.get(), packet(op, payload), {}, false) != 0) break;
      if (!status_of(s.get())) break;
    }
  }
  CHECK(hello(good.get()) == STATUS_SUCCESS);
  D3DKMT_ENUMADAPTERS2 e{};
  CHECK(D3DKMTEnumAdapters2(&e) == STATUS_SUCCESS);
}
