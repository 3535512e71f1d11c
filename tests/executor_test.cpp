// run_in_executor: blocking work off the loop thread.
#include <eddy/future.hpp>
#include <eddy/gen.hpp>
#include <eddy/periodic.hpp>

#include <signal.h>

#include <atomic>
#include <thread>

#include "support/loop_helpers.hpp"

using namespace eddy_test;

TEST_CASE("run_in_executor resolves on the loop thread with the value", "[executor]") {
  eddy::IOLoop loop;
  std::thread::id worker, resolved_on;
  auto value = loop.run_sync([&] {
    auto f = loop.run_in_executor([&] {
      worker = std::this_thread::get_id();
      return std::string("computed");
    });
    f.add_done_callback([&](eddy::Future<std::string>) { resolved_on = std::this_thread::get_id(); });
    return f;
  });
  CHECK(value == "computed");
  CHECK(worker != std::this_thread::get_id());
  CHECK(resolved_on == std::this_thread::get_id());
}

TEST_CASE("run_in_executor carries exceptions and void results back", "[executor][errors]") {
  eddy::IOLoop loop;
  CHECK_THROWS_WITH(loop.run_sync([&] { return loop.run_in_executor([]() -> int { throw std::runtime_error("db down"); }); }),
                    "db down");
  std::atomic<bool> ran{false};
  loop.run_sync([&] { return loop.run_in_executor([&] { ran = true; }); });
  CHECK(ran);
}

TEST_CASE("run_in_executor runs two blocking calls in parallel", "[executor][threads]") {
  eddy::IOLoop loop;
  auto start = std::chrono::steady_clock::now();
  auto both = loop.run_sync([&] {
    auto slow = [] {
      std::this_thread::sleep_for(400ms);
      return 1;
    };
    return eddy::multi(std::vector<eddy::Future<int>>{loop.run_in_executor(slow), loop.run_in_executor(slow)});
  });
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(both == std::vector<int>{1, 1});
  CHECK(took >= 400ms);
  CHECK(took < 790ms);  // in turn they would take 800 ms
}

TEST_CASE("the loop keeps running while the executor blocks", "[executor]") {
  eddy::IOLoop loop;
  int ticks = 0;
  eddy::PeriodicCallback ticker(loop, [&] { ++ticks; }, 20ms);
  ticker.start();
  loop.run_sync([&] { return loop.run_in_executor([] { std::this_thread::sleep_for(300ms); }); });
  ticker.stop();
  CHECK(ticks >= 3);  // ~14 expected; generous for a loaded machine
}

TEST_CASE("the executor is bounded and its threads block signals", "[executor][threads]") {
  eddy::IOLoop loop;
  loop.set_max_executor_threads(2);
  std::atomic<int> concurrent{0}, peak{0};
  std::atomic<bool> sigint_blocked{false};
  auto job = [&] {
    int now = ++concurrent;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    if (sigismember(&mask, SIGINT)) sigint_blocked = true;
    std::this_thread::sleep_for(30ms);
    --concurrent;
  };
  loop.run_sync([&] {
    std::vector<eddy::Future<void>> jobs;
    for (int i = 0; i < 6; ++i) jobs.push_back(loop.run_in_executor(job));
    return eddy::multi(std::move(jobs));
  });
  CHECK(peak.load() <= 2);
  CHECK(sigint_blocked.load());
}

TEST_CASE("destroying a loop joins its executor", "[executor][lifecycle]") {
  std::atomic<bool> finished{false};
  {
    eddy::IOLoop loop;
    loop.add_callback([&] {
      loop.run_in_executor([&] {
        std::this_thread::sleep_for(50ms);
        finished = true;
      });
      loop.stop();
    });
    run_with_limit(loop);
  }
  CHECK(finished.load());
}
