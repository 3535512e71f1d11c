// PeriodicCallback, timed exactly with the loop's virtual clock (the cases
// mirror Tornado's test_periodic_* tests).
#include <eddy/periodic.hpp>

#include <vector>

#include "support/loop_helpers.hpp"

using namespace eddy_test;
using eddy::Clock;

namespace {

double ms_since_epoch(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

}  // namespace

TEST_CASE("a period of 10 ms started at 1000 ms runs at 1010, 1020, ...", "[periodic][virtual_time]") {
  eddy::IOLoopOptions options{eddy::Backend::automatic, true, Clock::time_point(1000ms)};
  eddy::IOLoop loop(options);
  std::vector<double> runs;
  eddy::PeriodicCallback pc(loop, [&] {
    runs.push_back(ms_since_epoch(loop.time()));
    if (runs.size() == 5) loop.stop();
  }, 10ms);
  pc.start();
  run_with_limit(loop);
  CHECK(runs == std::vector<double>{1010, 1020, 1030, 1040, 1050});
}

TEST_CASE("overruns skip the missed runs instead of bursting", "[periodic][virtual_time]") {
  eddy::IOLoopOptions options{eddy::Backend::automatic, true, Clock::time_point(1000ms)};
  eddy::IOLoop loop(options);
  const std::vector<int> durations{9, 9, 10, 11, 20, 20, 35, 35, 0, 0, 0};
  std::vector<double> runs;
  eddy::PeriodicCallback pc(loop, [&] {
    runs.push_back(ms_since_epoch(loop.time()));
    loop.advance_time(std::chrono::milliseconds(durations[runs.size() - 1]));
    if (runs.size() == durations.size()) loop.stop();
  }, 10ms);
  pc.start();
  run_with_limit(loop);
  CHECK(runs == std::vector<double>{1010, 1020, 1030, 1050, 1070, 1100, 1130, 1170, 1210, 1220, 1230});
}

TEST_CASE("jitter keeps every period within its bounds", "[periodic][virtual_time]") {
  eddy::IOLoopOptions options{eddy::Backend::automatic, true, Clock::time_point(1000ms)};
  eddy::IOLoop loop(options);
  std::vector<double> runs;
  eddy::PeriodicCallback pc(loop, [&] {
    runs.push_back(ms_since_epoch(loop.time()));
    if (runs.size() == 100) loop.stop();  // ~10 s of virtual time
  }, 100ms, 0.5);
  pc.start();
  run_with_limit(loop);
  double previous = 1000;
  bool varied = false;
  for (double t : runs) {
    double period = t - previous;
    CHECK(period >= 75.0 - 1e-6);   // 100 * (1 + 0.5 * (0 - 0.5))
    CHECK(period <= 125.0 + 1e-6);  // 100 * (1 + 0.5 * (1 - 0.5))
    if (period != 100.0) varied = true;
    previous = t;
  }
  CHECK(varied);
}

TEST_CASE("stop() inside the callback ends the schedule", "[periodic][reentrancy]") {
  eddy::IOLoopOptions options{eddy::Backend::automatic, true, Clock::time_point(0ms)};
  eddy::IOLoop loop(options);
  int runs = 0;
  eddy::PeriodicCallback* self = nullptr;
  eddy::PeriodicCallback pc(loop, [&] {
    if (++runs == 3) self->stop();
  }, 10ms);
  self = &pc;
  pc.start();
  loop.call_later(1s, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(runs == 3);
  CHECK_FALSE(pc.is_running());
}

TEST_CASE("destroying a PeriodicCallback inside its own callback is safe", "[periodic][reentrancy]") {
  eddy::IOLoopOptions options{eddy::Backend::automatic, true, Clock::time_point(0ms)};
  eddy::IOLoop loop(options);
  int runs = 0;
  std::unique_ptr<eddy::PeriodicCallback> pc;
  pc = std::make_unique<eddy::PeriodicCallback>(loop, [&] {
    ++runs;
    pc.reset();
  }, 10ms);
  pc->start();
  loop.call_later(1s, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(runs == 1);
  CHECK(loop.stats().timeouts_pending == 0);
}

TEST_CASE("an exception in the callback is reported and the schedule continues", "[periodic][errors]") {
  eddy::IOLoopOptions options{eddy::Backend::automatic, true, Clock::time_point(0ms)};
  eddy::IOLoop loop(options);
  int runs = 0, errors = 0;
  loop.set_exception_handler([&](std::exception_ptr) { ++errors; });
  eddy::PeriodicCallback pc(loop, [&] {
    if (++runs == 3) loop.stop();
    throw std::runtime_error("tick failed");
  }, 10ms);
  pc.start();
  run_with_limit(loop);
  CHECK(runs == 3);
  CHECK(errors == 3);
}

TEST_CASE("a period <= 0 throws std::invalid_argument", "[periodic][errors]") {
  eddy::IOLoop loop;
  CHECK_THROWS_AS(eddy::PeriodicCallback(loop, [] {}, 0ms), std::invalid_argument);
  CHECK_THROWS_AS(eddy::PeriodicCallback(loop, [] {}, -5ms), std::invalid_argument);
  CHECK_THROWS_AS(eddy::PeriodicCallback(loop, [] {}, 5ms, -1.0), std::invalid_argument);
}

TEST_CASE("a PeriodicCallback on the real clock first runs one period after start", "[periodic]") {
  eddy::IOLoop loop;
  Clock::time_point started, first;
  eddy::PeriodicCallback pc(loop, [&] {
    first = Clock::now();
    loop.stop();
  }, 30ms);
  started = Clock::now();
  pc.start();
  CHECK(pc.is_running());
  run_with_limit(loop);
  CHECK(first - started >= 30ms);
  pc.stop();
  CHECK_FALSE(pc.is_running());
}
