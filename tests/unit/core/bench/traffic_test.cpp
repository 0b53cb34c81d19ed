// The built-in traffic generator of `berth bench network`, over loopback in
// a private network namespace: the figures it gives are real and sane, it
// fails in one line that names the address or namespace, Cancelled stops it
// promptly, and iperf3 (when installed) agrees with it.
#include "bench/traffic.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

namespace berth::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const Cancelled kNever = [] { return false; };

// A new network namespace with lo up, held by a thread parked inside it, so
// the test process itself never leaves the host's. Its path is that thread's
// /proc/PID/task/TID/ns/net, valid while the thread lives: no bind mount to
// leak if a test dies.
class PrivateNetns {
public:
  PrivateNetns() {
    holder_ = std::thread([this] { hold(); });
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !path_.empty() || !error_.empty(); });
  }
  ~PrivateNetns() {
    {
      const std::lock_guard lock(mutex_);
      done_ = true;
    }
    changed_.notify_all();
    holder_.join();
  }
  PrivateNetns(const PrivateNetns &) = delete;
  PrivateNetns &operator=(const PrivateNetns &) = delete;

  [[nodiscard]] const std::string &path() const { return path_; }
  [[nodiscard]] const std::string &error() const { return error_; }

private:
  void hold() {
    std::string path, error;
    if (::unshare(CLONE_NEWNET) != 0) {
      error = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    } else if (!loopback_up()) {
      error = std::string("set lo up: ") + std::strerror(errno);
    } else {
      path =
          "/proc/" + std::to_string(::getpid()) + "/task/" + std::to_string(::gettid()) + "/ns/net";
    }
    std::unique_lock lock(mutex_);
    path_ = path;
    error_ = error;
    changed_.notify_all();
    changed_.wait(lock, [this] { return done_; });
  }

  static bool loopback_up() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    bool up = fd >= 0 && ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    up = up && ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
    if (fd >= 0) {
      ::close(fd);
    }
    return up;
  }

  std::thread holder_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string path_, error_;
  bool done_ = false;
};

class TrafficTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (netns_.path().empty()) {
      GTEST_SKIP() << "needs a private network namespace: " << netns_.error();
    }
  }

  // Server and client both in the private namespace, over 127.0.0.1.
  [[nodiscard]] TrafficPath loopback() const {
    TrafficPath path;
    path.server_netns = netns_.path();
    path.listen_address = "127.0.0.1";
    path.client_netns = netns_.path();
    path.connect_address = "127.0.0.1";
    return path;
  }

  PrivateNetns netns_;
};

// False only for iperf3_stream's "iperf3 is not installed".
bool installed(const sdk::Result<double> &iperf) {
  return iperf.ok() || iperf.error().code != sdk::Errc::unavailable ||
         iperf.error().context != "iperf3";
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST_F(TrafficTest, StreamOverLoopbackMovesMoreThanATenthOfAGigabit) {
  auto rate = tcp_stream(loopback(), 0.3, kNever);
  ASSERT_TRUE(rate.ok()) << rate.error().describe();
  EXPECT_GT(*rate, 0.1);
  EXPECT_LT(*rate, 10000.0) << "more than 10 Tbit/s over loopback is a measuring error";
  std::cout << "[ figure   ] tcp_stream over loopback: " << *rate << " Gbit/s\n";
}

TEST_F(TrafficTest, RoundTripsAreManyAndEachBetweenZeroAndATenthOfASecond) {
  auto rtts = tcp_round_trips(loopback(), 0.3, kNever);
  ASSERT_TRUE(rtts.ok()) << rtts.error().describe();
  // Loopback answers in tens of microseconds: 0.3 s holds thousands.
  EXPECT_GT(rtts->size(), 100U);
  for (const double rtt : *rtts) {
    ASSERT_GT(rtt, 0.0);
    ASSERT_LT(rtt, 100000.0);
  }
  auto sorted = *rtts;
  std::sort(sorted.begin(), sorted.end());
  std::cout << "[ figure   ] tcp_round_trips over loopback: " << sorted.size() << " exchanges, p50 "
            << sorted[sorted.size() / 2] << " us\n";
}

TEST_F(TrafficTest, PortNobodyListensOnFailsInOneLineNamingTheAddress) {
  // A bound, never listening socket holds the port: a connect to it is
  // refused for sure, with no other program able to take it meanwhile.
  auto path = loopback();
  sdk::UniqueFd holder;
  std::thread([&] {
    const sdk::UniqueFd ns(::open(path.client_netns.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_EQ(::setns(ns.get(), CLONE_NEWNET), 0) << std::strerror(errno);
    holder.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(holder.get(), reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(holder.get(), reinterpret_cast<sockaddr *>(&address), &length);
    path.connect_port = ntohs(address.sin_port);
  }).join();
  ASSERT_NE(path.connect_port, 0);

  const auto start = Clock::now();
  auto stream = tcp_stream(path, 5, kNever);
  auto rtts = tcp_round_trips(path, 5, kNever);
  EXPECT_LT(seconds_since(start), 3.0) << "a refused connect must not wait out the run";
  ASSERT_FALSE(stream.ok());
  ASSERT_FALSE(rtts.ok());
  const auto address = "127.0.0.1:" + std::to_string(path.connect_port);
  for (const auto *error : {&stream.error(), &rtts.error()}) {
    const auto line = error->describe();
    EXPECT_NE(line.find("connect"), std::string::npos) << line;
    EXPECT_NE(line.find(address), std::string::npos) << line;
    EXPECT_NE(line.find("refused"), std::string::npos) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  }
  auto iperf = iperf3_stream(path, 5, kNever);
  ASSERT_FALSE(iperf.ok());
  if (!installed(iperf)) {
    return;
  }
  const auto line = iperf.error().describe();
  EXPECT_NE(line.find(address), std::string::npos) << line;
  EXPECT_NE(line.find("refused"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_LT(seconds_since(start), 4.0);
}

TEST_F(TrafficTest, CancelledEndsAThirtySecondStreamWellUnderFiveSeconds) {
  const auto start = Clock::now();
  // True once the stream is under way, as Ctrl-C would be.
  const Cancelled after_a_moment = [&] { return Clock::now() - start > 300ms; };
  auto rate = tcp_stream(loopback(), 30, after_a_moment);
  const auto took = seconds_since(start);
  ASSERT_FALSE(rate.ok());
  EXPECT_EQ(rate.error().code, sdk::Errc::cancelled) << rate.error().describe();
  EXPECT_LT(took, 2.0);

  const auto again = Clock::now();
  const Cancelled soon = [&] { return Clock::now() - again > 300ms; };
  auto rtts = tcp_round_trips(loopback(), 30, soon);
  ASSERT_FALSE(rtts.ok());
  EXPECT_EQ(rtts.error().code, sdk::Errc::cancelled) << rtts.error().describe();
  EXPECT_LT(seconds_since(again), 2.0);

  const auto third = Clock::now();
  const Cancelled later = [&] { return Clock::now() - third > 500ms; };
  auto iperf = iperf3_stream(loopback(), 30, later);
  ASSERT_FALSE(iperf.ok());
  if (installed(iperf)) {
    EXPECT_EQ(iperf.error().code, sdk::Errc::cancelled) << iperf.error().describe();
    EXPECT_LT(seconds_since(third), 2.0);
  }
}

TEST_F(TrafficTest, Iperf3AgreesWithTheBuiltInStreamWithinAFactorOfThree) {
  // The server on every address, as a container's would be: iperf3 -s then
  // listens on [::], the other table of /proc/net it is waited for in.
  auto path = loopback();
  path.listen_address = "0.0.0.0";
  auto checked = iperf3_stream(path, 1, kNever);
  if (!installed(checked)) {
    GTEST_SKIP() << checked.error().describe();
  }
  ASSERT_TRUE(checked.ok()) << checked.error().describe();
  auto built_in = tcp_stream(path, 1, kNever);
  ASSERT_TRUE(built_in.ok()) << built_in.error().describe();
  std::cout << "[ figure   ] over loopback: built-in " << *built_in << " Gbit/s, iperf3 "
            << *checked << " Gbit/s\n";
  EXPECT_GT(*checked, *built_in / 3);
  EXPECT_LT(*checked, *built_in * 3);
}

TEST_F(TrafficTest, MissingClientNamespaceIsNamedInTheError) {
  auto path = loopback();
  path.client_netns = "/nonexistent/berth-traffic-test/netns";
  auto stream = tcp_stream(path, 0.3, kNever);
  ASSERT_FALSE(stream.ok());
  EXPECT_NE(stream.error().describe().find(path.client_netns), std::string::npos)
      << stream.error().describe();
  auto rtts = tcp_round_trips(path, 0.3, kNever);
  ASSERT_FALSE(rtts.ok());
  EXPECT_NE(rtts.error().describe().find(path.client_netns), std::string::npos)
      << rtts.error().describe();
  auto iperf = iperf3_stream(path, 0.3, kNever);
  ASSERT_FALSE(iperf.ok());
  if (!installed(iperf)) {
    return; // nothing of the path was looked at
  }
  EXPECT_NE(iperf.error().describe().find(path.client_netns), std::string::npos)
      << iperf.error().describe();
}

} // namespace
} // namespace berth::bench
