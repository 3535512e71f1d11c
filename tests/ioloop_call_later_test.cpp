// call_later's provisional deadlines: it reads no clock, and its timer is
// settled at the loop's next clock reading to (that reading + delay), so it
// never fires before `delay` after the call, whatever the loop did since it
// last read the clock (libev and libuv count from that stale reading).
#include <eddy/ioloop.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "support/loop_helpers.hpp"

using namespace eddy_test;

namespace {

// Spins (as a slow callback does) until `d` has passed on the loop's clock.
void busy_wait(eddy::IOLoop& loop, eddy::Clock::duration d) {
  auto until = loop.time() + d;
  while (loop.time() < until) {
  }
}

// A call_later's call time, its delay and when it fired.
struct Shot {
  eddy::Clock::time_point called;
  eddy::Clock::duration delay;
  eddy::Clock::time_point fired{};
};

// Schedules shot `i` now, recording the call time just before the call.
void fire_later(eddy::IOLoop& loop, std::vector<Shot>& shots, std::size_t i) {
  shots[i].called = loop.time();
  loop.call_later(shots[i].delay, [&loop, &shots, i] { shots[i].fired = loop.time(); });
}

}  // namespace

TEST_CASE("a call_later made after a callback busy-waited 50 ms never fires before d after the call",
          "[timeouts][call_later]") {
  eddy::IOLoop loop;
  std::vector<Shot> shots(2, Shot{{}, 20ms});
  loop.add_callback([&] {
    busy_wait(loop, 50ms);  // the loop's last clock reading is now 50 ms old
    fire_later(loop, shots, 0);
    busy_wait(loop, 30ms);  // and the call's own batch goes on for 30 ms more
    fire_later(loop, shots, 1);
  });
  loop.call_later(300ms, [&] { loop.stop(); });
  run_with_limit(loop);
  for (const Shot& shot : shots) {
    REQUIRE(shot.fired != eddy::Clock::time_point{});
    CHECK(shot.fired - shot.called >= shot.delay);
    CHECK(shot.fired - shot.called < 5s);
  }
}

TEST_CASE("a timer added before start() after a sleep fires no earlier than d after the call",
          "[timeouts][call_later]") {
  eddy::IOLoop loop;
  loop.add_callback([&] { loop.stop(); });
  loop.start();  // the loop has read its clock once
  std::this_thread::sleep_for(60ms);
  std::vector<Shot> shots(1, Shot{{}, 20ms});
  fire_later(loop, shots, 0);
  std::this_thread::sleep_for(40ms);  // not running: settled when start() reads the clock
  loop.call_later(100ms, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(shots[0].fired - shots[0].called >= 20ms);
  CHECK(shots[0].fired - shots[0].called < 5s);
}

TEST_CASE("call_laters of equal delay fire in the order they were added, within and across batches",
          "[timeouts][call_later]") {
  eddy::IOLoop loop;
  std::vector<int> order;
  for (int i = 0; i < 300; ++i) loop.call_later(3ms, [&order, i] { order.push_back(i); });  // past the list
  loop.add_callback([&] {
    for (int i = 300; i < 310; ++i) loop.call_later(3ms, [&order, i] { order.push_back(i); });
    loop.add_callback([&] {
      for (int i = 310; i < 320; ++i) loop.call_later(3ms, [&order, i] { order.push_back(i); });
    });
  });
  loop.call_later(100ms, [&] { loop.stop(); });
  run_with_limit(loop);
  REQUIRE(order.size() == 320);
  for (int i = 0; i < 320; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("removing an unsettled timer works, also when its slot is reused before the settle",
          "[timeouts][call_later]") {
  eddy::IOLoop loop;
  std::vector<int> fired;
  std::vector<Shot> shots(2, Shot{{}, 15ms});
  eddy::Clock::time_point exact_due{}, exact_fired{};
  loop.add_callback([&] {
    eddy::Timeout a = loop.call_later(5ms, [&] { fired.push_back(1); });
    loop.remove_timeout(a);
    fire_later(loop, shots, 0);  // reuses a's slot: settled once, not twice
    eddy::Timeout b = loop.call_later(5ms, [&] { fired.push_back(2); });
    loop.remove_timeout(b);
    exact_due = loop.time() + 10ms;  // reuses b's slot, exactly: never settled
    loop.call_at(exact_due, [&] { exact_fired = loop.time(); });
    busy_wait(loop, 5ms);
    fire_later(loop, shots, 1);
  });
  loop.call_later(100ms, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(fired.empty());
  CHECK(exact_fired >= exact_due);
  CHECK(exact_fired - exact_due < 5s);
  for (const Shot& shot : shots) {
    CHECK(shot.fired - shot.called >= shot.delay);
    CHECK(shot.fired - shot.called < 5s);
  }
  CHECK(loop.stats().timeouts_pending == 0);
}

TEST_CASE("timers added over many iterations, few or many at a time, each fire no earlier than their delay",
          "[timeouts][call_later]") {
  eddy::IOLoop loop;
  const std::size_t rounds = 40;
  std::vector<Shot> shots;
  shots.reserve(rounds * 600);
  // Exact timers in the heap beside them, so a large batch is settled by a
  // rebuild and a small one by sift-downs among deadlines already set.
  auto start = loop.time();
  for (int i = 0; i < 500; ++i) loop.call_at(start + std::chrono::microseconds(i * 37 % 9000), [] {});
  std::size_t round = 0;
  std::function<void()> next = [&] {
    std::size_t batch = round % 4 == 3 ? 600 : 1 + round % 7;  // some past the list of 256
    for (std::size_t k = 0; k < batch; ++k) {
      shots.push_back(Shot{{}, std::chrono::microseconds((k * 7919 + round * 131) % 4000)});
      fire_later(loop, shots, shots.size() - 1);
    }
    if (round % 3 == 0) busy_wait(loop, 1ms);
    if (++round < rounds) loop.add_callback(next);
  };
  loop.add_callback(next);
  loop.call_later(300ms, [&] { loop.stop(); });
  run_with_limit(loop);
  REQUIRE(round == rounds);
  for (const Shot& shot : shots) {
    REQUIRE(shot.fired != eddy::Clock::time_point{});
    REQUIRE(shot.fired - shot.called >= shot.delay);
  }
}

TEST_CASE("with virtual time call_later is exactly time() + d", "[timeouts][call_later][virtual_time]") {
  eddy::IOLoopOptions options;
  options.virtual_time = true;
  eddy::IOLoop loop(options);
  std::vector<eddy::Clock::time_point> due, fired;
  loop.add_callback([&] {
    for (int i = 1; i <= 5; ++i) {
      auto delay = std::chrono::milliseconds(i * 7);
      due.push_back(loop.time() + delay);
      loop.call_later(delay, [&] { fired.push_back(loop.time()); });
    }
    loop.advance_time(3ms);
    due.push_back(loop.time() + 1ms);
    loop.call_later(1ms, [&] { fired.push_back(loop.time()); });
  });
  loop.call_later(1s, [&] { loop.stop(); });
  loop.start();
  std::sort(due.begin(), due.end());
  CHECK(fired == due);
}
