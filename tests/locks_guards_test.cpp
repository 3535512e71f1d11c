// Locks with a lifetime: waiters of a destroyed Event, Condition, Semaphore or
// Lock fail with AbandonedError; ReleaseGuard and acquire_guard release what
// they hold; coroutines take turns under a Lock and a Semaphore. Built as
// C++17 and C++20; the coroutine tests need C++20. (The locks' own
// behaviour: locks_test.cpp.)
#include <eddy/locks.hpp>

#include <eddy/gen.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"
#include "support/virtual_time_helpers.hpp"

using namespace eddy_test;
using eddy::Future;

// ---- teardown --------------------------------------------------------------------

TEST_CASE("destroying a lock, semaphore, event or condition fails its waiters with AbandonedError",
          "[locks][teardown]") {
  eddy::IOLoop loop;
  ExceptionLog errors(loop);
  std::vector<std::string> messages;
  auto record = [&messages](auto f) {
    try {
      f.result();
      messages.push_back("resolved");
    } catch (const eddy::AbandonedError& e) {
      messages.push_back(e.what());
    }
  };
  run_in_loop(loop, [&] {
    auto lock = std::make_unique<eddy::Lock>();
    auto semaphore = std::make_unique<eddy::BoundedSemaphore>(0);
    auto event = std::make_unique<eddy::Event>();
    auto condition = std::make_unique<eddy::Condition>();
    lock->acquire();
    lock->acquire(1h).add_done_callback(record);
    semaphore->acquire().add_done_callback(record);
    event->wait(1h).add_done_callback(record);
    condition->wait().add_done_callback(record);
    lock.reset();
    semaphore.reset();
    event.reset();
    condition.reset();
    CHECK(messages.empty());  // the failures, too, arrive through the loop
  }, 10ms);
  CHECK(messages == std::vector<std::string>{"eddy: Lock destroyed while an acquire() was pending",
                                             "eddy: BoundedSemaphore destroyed while an acquire() was pending",
                                             "eddy: Event destroyed while a wait() was pending",
                                             "eddy: Condition destroyed while a wait() was pending"});
  CHECK(errors.messages.empty());
}

TEST_CASE("a waiter abandoned with nobody left to look is not reported", "[locks][teardown]") {
  eddy::IOLoop loop;
  ExceptionLog errors(loop);
  run_in_loop(loop, [&] {
    eddy::Lock lock;
    lock.acquire();
    lock.acquire();  // dropped at once, then abandoned
  }, 1ms);
  CHECK(errors.messages.empty());
}

// ---- ReleaseGuard ------------------------------------------------------------------

TEST_CASE("ReleaseGuard releases at the end of its scope, or early, or never once dismissed",
          "[locks][guard]") {
  eddy::IOLoop loop;
  ExceptionLog errors(loop);
  eddy::Lock lock;
  eddy::Semaphore semaphore(1);
  run_in_loop(loop, [&] {
    lock.acquire();
    {
      eddy::ReleaseGuard hold(lock);
      CHECK(hold.owns());
      CHECK(lock.locked());
    }
    CHECK_FALSE(lock.locked());
    semaphore.acquire();
    {
      eddy::ReleaseGuard hold(semaphore);
      eddy::ReleaseGuard moved(std::move(hold));
      CHECK_FALSE(hold.owns());
      moved.release();
      CHECK(semaphore.value() == 1);
    }
    CHECK(semaphore.value() == 1);  // released once, not twice
    lock.acquire();
    {
      eddy::ReleaseGuard hold(lock);
      CHECK(hold.dismiss() == &lock);
    }
    CHECK(lock.locked());
    {
      eddy::ReleaseGuard hold(lock);
      lock.release();  // by hand as well: the guard's release throws, and is reported
    }
  }, 1ms);
  REQUIRE(errors.messages.size() == 1);
  CHECK(errors.messages[0] == "eddy: Lock::release of an unlocked Lock");
}

TEST_CASE("acquire_guard: ready at once when uncontended, after a wait otherwise; a lost guard releases",
          "[locks][guard]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Lock lock;
  Future<eddy::ReleaseGuard<eddy::Lock>> waiting, timed;
  run_in_loop(loop, [&] {
    {
      Future<eddy::ReleaseGuard<eddy::Lock>> first = eddy::acquire_guard(lock);
      REQUIRE(first.done());
      eddy::ReleaseGuard<eddy::Lock> hold = first.result();
      CHECK(lock.locked());
      waiting = eddy::acquire_guard(lock);
      timed = eddy::acquire_guard(lock, 5ms);
      CHECK_FALSE(waiting.done());
    }  // hold released: the lock goes to `waiting`
  });
  REQUIRE(waiting.done());
  CHECK(lock.locked());
  CHECK_THROWS_AS(timed.result(), eddy::TimeoutError);
  waiting = Future<eddy::ReleaseGuard<eddy::Lock>>();  // the guard nobody took releases the lock
  CHECK_FALSE(lock.locked());
  eddy::Semaphore semaphore(1);
  run_in_loop(loop, [&] {
    auto hold = eddy::acquire_guard(semaphore, loop.time() + 1s).result();
    CHECK(semaphore.value() == 0);
  });
  CHECK(semaphore.value() == 1);
}

// ---- coroutines (C++20) --------------------------------------------------------------

#if defined(__cpp_impl_coroutine)

namespace {

Future<void> worker(eddy::Lock& lock, std::vector<std::string>& log, std::string name) {
  co_await lock.acquire();
  eddy::ReleaseGuard hold(lock);
  log.push_back(name + " in");
  co_await eddy::sleep(2ms);
  log.push_back(name + " out");
}

Future<void> count_down(eddy::Semaphore& slots, int& inside, int& most) {
  auto hold = co_await eddy::acquire_guard(slots);
  most = std::max(most, ++inside);
  co_await eddy::sleep(1ms);
  --inside;
}

Future<std::string> wait_abandoned(eddy::Condition& condition) {
  try {
    co_await condition.wait();
  } catch (const eddy::AbandonedError& e) {
    co_return e.what();
  }
  co_return "notified";
}

}  // namespace

TEST_CASE("coroutines take turns under a Lock", "[locks][lock][coroutine]") {
  eddy::IOLoop loop;
  eddy::Lock lock;
  std::vector<std::string> log;
  loop.run_sync([&] { return eddy::multi(std::vector<Future<void>>{worker(lock, log, "a"), worker(lock, log, "b"),
                                                                    worker(lock, log, "c")}); });
  CHECK(log == std::vector<std::string>{"a in", "a out", "b in", "b out", "c in", "c out"});
  CHECK_FALSE(lock.locked());
}

TEST_CASE("a Semaphore bounds how many coroutines are inside at once", "[locks][semaphore][coroutine]") {
  eddy::IOLoop loop;
  eddy::Semaphore slots(3);
  int inside = 0, most = 0;
  loop.run_sync([&] {
    std::vector<Future<void>> all;
    for (int i = 0; i < 20; ++i) all.push_back(count_down(slots, inside, most));
    return eddy::multi(std::move(all));
  });
  CHECK(most == 3);
  CHECK(slots.value() == 3);
}

TEST_CASE("a coroutine waiting on a destroyed Condition resumes with AbandonedError",
          "[locks][condition][coroutine][teardown]") {
  eddy::IOLoop loop;
  std::string outcome = loop.run_sync([&] {
    auto condition = std::make_unique<eddy::Condition>();
    Future<std::string> waiting = wait_abandoned(*condition);
    condition.reset();
    return waiting;
  });
  CHECK(outcome == "eddy: Condition destroyed while a wait() was pending");
}

#endif
