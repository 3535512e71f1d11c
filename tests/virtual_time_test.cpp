// IOLoopOptions::virtual_time: time moves only when the loop has nothing
// ready, jumping straight to the next deadline.
#include <eddy/eddy.hpp>

#include <vector>

#include "support/loop_helpers.hpp"

using namespace eddy_test;
using eddy::Clock;

namespace {
eddy::IOLoopOptions virtual_at(std::chrono::milliseconds start) {
  return eddy::IOLoopOptions{eddy::Backend::automatic, true, Clock::time_point(start)};
}
double ms(Clock::time_point t) { return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count(); }
}  // namespace

TEST_CASE("under virtual time an hour-long wait finishes at once", "[virtual_time]") {
  eddy::IOLoop loop(virtual_at(0ms));
  auto real_start = Clock::now();
  bool fired = false;
  loop.call_later(1h, [&] {
    fired = true;
    loop.stop();
  });
  loop.start();
  CHECK(fired);
  CHECK(loop.time() == Clock::time_point(1h));
  CHECK(Clock::now() - real_start < 1s);
}

TEST_CASE("virtual time does not move while callbacks are ready", "[virtual_time]") {
  eddy::IOLoop loop(virtual_at(1000ms));
  std::vector<double> seen;
  int remaining = 100;
  std::function<void()> again = [&] {
    seen.push_back(ms(loop.time()));
    if (--remaining > 0) loop.add_callback(again);
  };
  loop.add_callback(again);
  loop.call_later(5ms, [&] {
    seen.push_back(ms(loop.time()));
    loop.stop();
  });
  loop.start();
  REQUIRE(seen.size() == 101);
  for (std::size_t i = 0; i < 100; ++i) CHECK(seen[i] == 1000);
  CHECK(seen.back() == 1005);
}

TEST_CASE("real fds still work under virtual time", "[virtual_time][handlers]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(eddy::IOLoopOptions{backend, true, Clock::time_point(0ms)});
  SocketPair pair;
  std::string got;
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t) {
    char buf[8];
    got.assign(buf, static_cast<std::size_t>(::read(fd, buf, sizeof buf)));
    loop.remove_handler(fd);
    loop.stop();
  }, eddy::IOLoop::READ);
  pair.send(1, "real");
  loop.call_later(1h, [&] { loop.stop(); });  // would end the test if the fd were ignored
  loop.start();
  CHECK(got == "real");
}

TEST_CASE("a clock that goes backwards keeps PeriodicCallback on its grid", "[virtual_time][periodic]") {
  // Tornado's test_clock_backwards: each run moves the clock by these amounts.
  eddy::IOLoop loop(virtual_at(1000ms));
  const std::vector<int> moves{-2, -1, -3, -2, 0};
  std::vector<double> runs;
  eddy::PeriodicCallback pc(loop, [&] {
    runs.push_back(ms(loop.time()));
    loop.set_virtual_time(loop.time() + std::chrono::milliseconds(moves[runs.size() - 1]));
    if (runs.size() == moves.size()) loop.stop();
  }, 10ms);
  pc.start();
  run_with_limit(loop);
  CHECK(runs == std::vector<double>{1010, 1020, 1030, 1040, 1050});
}

TEST_CASE("advance_time moves the virtual clock forward only, and never a real one", "[virtual_time]") {
  eddy::IOLoop loop(virtual_at(10ms));
  loop.advance_time(5ms);
  CHECK(loop.time() == Clock::time_point(15ms));
  loop.advance_time(-5ms);
  CHECK(loop.time() == Clock::time_point(15ms));
  eddy::IOLoop real;
  auto before = real.time();
  real.advance_time(1h);
  CHECK(real.time() - before < 1h);
  CHECK_FALSE(real.virtual_time());
}
