// The blocking detector and its watchdog.
#include <eddy/eddy.hpp>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "support/loop_helpers.hpp"

using namespace eddy_test;

namespace {

struct Reports {
  std::mutex mutex;
  std::vector<eddy::BlockingReport> all;
  std::atomic<int> still_running{0};

  explicit Reports(eddy::IOLoop& loop) {
    loop.set_blocking_handler([this](const eddy::BlockingReport& r) {
      std::lock_guard<std::mutex> lock(mutex);
      all.push_back(r);
      if (r.still_running) ++still_running;
    });
  }
  std::vector<eddy::BlockingReport> finished() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<eddy::BlockingReport> out;
    for (auto& r : all) {
      if (!r.still_running) out.push_back(r);
    }
    return out;
  }
};

bool names_this_file(const eddy::BlockingReport& r) {
  return std::strstr(r.where.file_name(), "blocking_detector_test.cpp") != nullptr;
}

bool location_known() { return std::strcmp(eddy::SourceLocation::current().file_name(), "unknown") != 0; }

}  // namespace

TEST_CASE("the detector is off by default and reports nothing", "[blocking]") {
  eddy::IOLoop loop;
  Reports reports(loop);
  CHECK(loop.blocking_log_threshold() == eddy::Clock::duration::zero());
  loop.add_callback([&] {
    std::this_thread::sleep_for(30ms);
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(reports.all.empty());
}

TEST_CASE("a slow callback is reported with its duration and where it was scheduled", "[blocking]") {
  eddy::IOLoop loop;
  Reports reports(loop);
  loop.set_blocking_log_threshold(20ms);
  const unsigned line = __LINE__ + 1;
  loop.add_callback([] { std::this_thread::sleep_for(60ms); });
  loop.add_callback([&] { loop.stop(); });  // fast: not reported
  run_with_limit(loop);
  auto r = reports.finished();
  REQUIRE(r.size() == 1);
  CHECK(std::string(r[0].kind) == "callback");
  CHECK(r[0].elapsed >= 60ms);
  if (location_known()) {
    CHECK(names_this_file(r[0]));
    CHECK(r[0].where.line() == line);
  } else {
    CHECK(std::string(r[0].where.file_name()) == "unknown");  // C++17
  }
}

TEST_CASE("slow timeouts and handlers are reported as such", "[blocking]") {
  eddy::IOLoop loop;
  Reports reports(loop);
  loop.set_blocking_log_threshold(20ms);
  SocketPair pair;
  loop.call_later(1ms, [] { std::this_thread::sleep_for(40ms); });
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t) {
    loop.remove_handler(fd);
    std::this_thread::sleep_for(40ms);
    loop.stop();
  }, eddy::IOLoop::READ);
  loop.call_later(50ms, [&] { pair.send(1, "x"); });
  run_with_limit(loop);
  auto r = reports.finished();
  REQUIRE(r.size() == 2);
  CHECK(std::string(r[0].kind) == "timeout");
  CHECK(std::string(r[1].kind) == "handler");
}

#if defined(__cpp_impl_coroutine)
TEST_CASE("a slow coroutine step is reported once, at its co_await", "[blocking][coroutines]") {
  eddy::IOLoop loop;
  Reports reports(loop);
  loop.set_blocking_log_threshold(20ms);
  unsigned line = 0;
  auto body = [&]() -> eddy::Future<void> {
    line = __LINE__ + 1;
    co_await eddy::sleep(1ms);
    std::this_thread::sleep_for(50ms);
  };
  loop.run_sync(body);
  auto r = reports.finished();
  REQUIRE(r.size() == 1);  // not also as the future-callback job around it
  CHECK(std::string(r[0].kind) == "coroutine step");
  CHECK(names_this_file(r[0]));
  CHECK(r[0].where.line() == line);
}
#endif

TEST_CASE("a threshold of zero turns the detector off again", "[blocking]") {
  eddy::IOLoop loop;
  Reports reports(loop);
  loop.set_blocking_log_threshold(10ms);
  loop.set_blocking_log_threshold(eddy::Clock::duration::zero());
  loop.add_callback([&] {
    std::this_thread::sleep_for(30ms);
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(reports.all.empty());
}

TEST_CASE("the watchdog reports a step while it is still blocking the loop", "[blocking][watchdog][threads]") {
  eddy::IOLoop loop;
  Reports reports(loop);
  loop.set_blocking_log_threshold(50ms);
  loop.set_blocking_watchdog(true);
  bool seen_while_blocked = false;
  loop.add_callback([&] {
    // Poll instead of one long sleep, so we see the report arrive.
    auto until = eddy::Clock::now() + 2s;
    while (eddy::Clock::now() < until && reports.still_running.load() == 0) std::this_thread::sleep_for(5ms);
    seen_while_blocked = reports.still_running.load() > 0;
    loop.stop();
  });
  run_with_limit(loop);
  loop.set_blocking_watchdog(false);
  CHECK(seen_while_blocked);
  CHECK(reports.still_running.load() == 1);  // once per step
  CHECK(reports.finished().size() == 1);     // and the full duration when it returned
}

TEST_CASE("a throwing blocking handler is not fatal", "[blocking][errors]") {
  eddy::IOLoop loop;
  loop.set_blocking_log_threshold(5ms);
  loop.set_blocking_handler([](const eddy::BlockingReport&) { throw std::runtime_error("hook broke"); });
  bool after = false;
  loop.add_callback([] { std::this_thread::sleep_for(20ms); });
  loop.add_callback([&] {
    after = true;
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(after);
}
