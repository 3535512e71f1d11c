// Event, Condition, Semaphore, BoundedSemaphore and Lock: FIFO wake-ups
// through the loop, timeouts that never eat a permit, errors, and the cost of
// the uncontended path. Teardown with waiters, the guards and coroutines:
// locks_guards_test.cpp.
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

// ---- Event -------------------------------------------------------------------

TEST_CASE("Event: a wait on a set event is done at once", "[locks][event]") {
  eddy::IOLoop loop;
  eddy::Event event;
  CHECK_FALSE(event.is_set());
  event.set();
  CHECK(event.is_set());
  run_in_loop(loop, [&] {
    CHECK(event.wait().done());
    CHECK(event.wait(1s).done());
    CHECK(event.wait(loop.time()).done());
  });
}

TEST_CASE("Event: set() wakes every waiter from the loop, never inside set()", "[locks][event]") {
  eddy::IOLoop loop;
  eddy::Event event;
  std::vector<std::string> order;
  run_in_loop(loop, [&] {
    for (int i = 0; i < 3; ++i) {
      event.wait().add_done_callback([&order, i](Future<void> f) {
        f.result();
        order.push_back("woken " + std::to_string(i));
      });
    }
    event.set();
    order.push_back("after set");
  }, 10ms);
  CHECK(order == std::vector<std::string>{"after set", "woken 0", "woken 1", "woken 2"});
}

TEST_CASE("Event: clear() makes later waits wait again", "[locks][event]") {
  eddy::IOLoop loop;
  eddy::Event event;
  event.set();
  event.clear();
  CHECK_FALSE(event.is_set());
  Future<void> waiting;
  run_in_loop(loop, [&] { waiting = event.wait(); }, 1ms);
  CHECK_FALSE(waiting.done());
  run_in_loop(loop, [&] { event.set(); }, 10ms);
  CHECK(waiting.done());
}

TEST_CASE("Event::wait with a delay or a deadline fails with TimeoutError", "[locks][event][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Event event;
  Future<void> by_delay, by_deadline;
  run_in_loop(loop, [&] {
    by_delay = event.wait(50ms);
    by_deadline = event.wait(loop.time() + 50ms);
  });
  CHECK(timed_out(by_delay));
  CHECK(timed_out(by_deadline));
  CHECK_THROWS_WITH(by_delay.result(), "eddy: Event::wait timed out");
}

// ---- Condition -----------------------------------------------------------------

TEST_CASE("Condition: notify() wakes waiters one at a time in FIFO order", "[locks][condition]") {
  eddy::IOLoop loop;
  eddy::Condition condition;
  std::vector<int> woken;
  run_in_loop(loop, [&] {
    for (int i = 0; i < 5; ++i) {
      condition.wait().add_done_callback([&woken, i](Future<bool> f) {
        CHECK(f.result());
        woken.push_back(i);
      });
    }
    condition.notify();
    condition.notify(2);
    CHECK(woken.empty());  // wake-ups go through the loop
  }, 10ms);
  CHECK(woken == std::vector<int>{0, 1, 2});
  run_in_loop(loop, [&] { condition.notify_all(); }, 10ms);
  CHECK(woken == std::vector<int>{0, 1, 2, 3, 4});
  run_in_loop(loop, [&] { condition.notify(10); }, 10ms);  // nobody waits: nothing happens
}

TEST_CASE("Condition::wait with a timeout resolves false, and notify() skips it", "[locks][condition][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Condition condition;
  Future<bool> expires, by_deadline, stays;
  run_in_loop(loop, [&] {
    expires = condition.wait(10ms);
    by_deadline = condition.wait(loop.time() + 10ms);
    stays = condition.wait(1h);
  }, 20ms);
  CHECK(expires.result() == false);
  CHECK(by_deadline.result() == false);
  CHECK_FALSE(stays.done());
  run_in_loop(loop, [&] { condition.notify(); }, 1ms);
  CHECK(stays.result() == true);
}

// ---- Semaphore and BoundedSemaphore ------------------------------------------------

TEST_CASE("Semaphore: a negative value throws std::invalid_argument", "[locks][semaphore][errors]") {
  CHECK_THROWS_AS(eddy::Semaphore(-1), std::invalid_argument);
  CHECK_THROWS_AS(eddy::BoundedSemaphore(-2), std::invalid_argument);
  CHECK_NOTHROW(eddy::Semaphore(0));
}

TEST_CASE("Semaphore: acquire is done at once while permits last, then waits in FIFO order",
          "[locks][semaphore]") {
  eddy::IOLoop loop;
  eddy::Semaphore semaphore(2);
  std::vector<int> acquired;
  run_in_loop(loop, [&] {
    for (int i = 0; i < 5; ++i) {
      Future<void> f = semaphore.acquire();
      CHECK(f.done() == (i < 2));
      f.add_done_callback([&acquired, i](Future<void>) { acquired.push_back(i); });
    }
    CHECK(semaphore.value() == 0);
  }, 10ms);
  CHECK(acquired == std::vector<int>{0, 1});
  run_in_loop(loop, [&] {
    semaphore.release();
    semaphore.release();
    CHECK(semaphore.value() == 0);  // both permits went straight to waiters
  }, 10ms);
  CHECK(acquired == std::vector<int>{0, 1, 2, 3});
  run_in_loop(loop, [&] {
    semaphore.release();
    semaphore.release();
    semaphore.release();  // an unbounded Semaphore may go past its initial value
  }, 10ms);
  CHECK(acquired == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(semaphore.value() == 2);
}

TEST_CASE("BoundedSemaphore: release past the initial value throws std::logic_error",
          "[locks][semaphore][errors]") {
  eddy::IOLoop loop;
  eddy::BoundedSemaphore semaphore(1);
  CHECK_THROWS_AS(semaphore.release(), std::logic_error);
  run_in_loop(loop, [&] {
    CHECK(semaphore.acquire().done());
    semaphore.release();
  }, 1ms);
  CHECK_THROWS_WITH(semaphore.release(), "eddy: BoundedSemaphore::release past its initial value 1");
  CHECK(semaphore.value() == 1);
  eddy::Semaphore& base = semaphore;  // the bound holds through the base class too
  CHECK_THROWS_AS(base.release(), std::logic_error);
}

TEST_CASE("Semaphore::acquire with a delay or a deadline fails with TimeoutError", "[locks][semaphore][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Semaphore semaphore(0);
  Future<void> by_delay, by_deadline;
  run_in_loop(loop, [&] {
    by_delay = semaphore.acquire(5ms);
    by_deadline = semaphore.acquire(loop.time() + 5ms);
  });
  CHECK(timed_out(by_delay));
  CHECK(timed_out(by_deadline));
  run_in_loop(loop, [&] { semaphore.release(); }, 1ms);
  CHECK(semaphore.value() == 1);  // the expired waiters took nothing
}

// Waiters with random timeouts race releases at random times; every release
// must end up either with a waiter that was granted or back in the count.
TEST_CASE("timeouts racing releases lose no permits", "[locks][semaphore][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Semaphore semaphore(0);
  std::vector<Future<void>> waiters;
  int released = 0;
  std::uint64_t rng = 12345;
  auto next = [&rng](int mod) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((rng >> 33) % static_cast<std::uint64_t>(mod));
  };
  run_in_loop(loop, [&] {
    for (int i = 0; i < 400; ++i) {
      auto at = std::chrono::milliseconds(next(100));
      auto timeout = std::chrono::milliseconds(next(40));
      loop.call_later(at, [&, timeout] { waiters.push_back(semaphore.acquire(timeout)); });
    }
    for (int i = 0; i < 150; ++i) {
      loop.call_later(std::chrono::milliseconds(next(140)), [&] {
        semaphore.release();
        ++released;
      });
    }
  });
  int granted = 0, expired = 0;
  for (Future<void>& f : waiters) {
    REQUIRE(f.done());
    if (timed_out(f)) {
      ++expired;
    } else {
      ++granted;
    }
  }
  CHECK(released == 150);
  CHECK(granted + expired == 400);
  CHECK(granted > 0);
  CHECK(expired > 0);
  CHECK(granted + semaphore.value() == released);
}

// ---- Lock ------------------------------------------------------------------

TEST_CASE("Lock: acquire, locked(), and release of an unlocked lock throws std::logic_error",
          "[locks][lock][errors]") {
  eddy::IOLoop loop;
  eddy::Lock lock;
  CHECK_FALSE(lock.locked());
  CHECK_THROWS_WITH(lock.release(), "eddy: Lock::release of an unlocked Lock");
  run_in_loop(loop, [&] {
    CHECK(lock.acquire().done());
    CHECK(lock.locked());
    CHECK_FALSE(lock.acquire().done());
    lock.release();
    CHECK(lock.locked());  // handed to the waiter
    lock.release();
    CHECK_FALSE(lock.locked());
  }, 1ms);
}

TEST_CASE("Lock: release hands the lock to the first waiter; a later acquire cannot steal it",
          "[locks][lock]") {
  eddy::IOLoop loop;
  eddy::Lock lock;
  std::vector<std::string> order;
  run_in_loop(loop, [&] {
    CHECK(lock.acquire().done());
    lock.acquire().add_done_callback([&](Future<void>) {
      order.push_back("first waiter");
      lock.release();
    });
    lock.release();
    order.push_back("released");
    // Arrives after the release but before the waiter resumes.
    lock.acquire().add_done_callback([&](Future<void>) {
      order.push_back("latecomer");
      lock.release();
    });
  }, 10ms);
  CHECK(order == std::vector<std::string>{"released", "first waiter", "latecomer"});
  CHECK_FALSE(lock.locked());
}

TEST_CASE("a waiter that releases inside its own wake-up passes the lock on", "[locks][lock][reentrancy]") {
  eddy::IOLoop loop;
  eddy::Lock lock;
  int holders = 0;
  int max_holders = 0;
  int done = 0;
  run_in_loop(loop, [&] {
    for (int i = 0; i < 50; ++i) {
      lock.acquire().add_done_callback([&](Future<void>) {
        max_holders = std::max(max_holders, ++holders);
        --holders;
        ++done;
        lock.release();  // inside its own wake-up: the next waiter resumes from the loop
      });
    }
  }, 10ms);
  CHECK(done == 50);
  CHECK(max_holders == 1);
  CHECK_FALSE(lock.locked());
}

TEST_CASE("Lock::acquire with a timeout fails with TimeoutError and is skipped", "[locks][lock][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Lock lock;
  Future<void> impatient, by_deadline, patient;
  run_in_loop(loop, [&] {
    CHECK(lock.acquire().done());
    impatient = lock.acquire(10ms);
    by_deadline = lock.acquire(loop.time() + 10ms);
    patient = lock.acquire(1h);
    loop.call_later(20ms, [&] { lock.release(); });
  }, 30ms);
  CHECK_THROWS_WITH(impatient.result(), "eddy: Lock::acquire timed out");
  CHECK(timed_out(by_deadline));
  CHECK(patient.done());
  CHECK(lock.locked());
}

TEST_CASE("uncontended acquire and release allocate nothing and need no loop iteration",
          "[locks][alloc]") {
  eddy::IOLoop loop;
  eddy::Lock lock;
  eddy::Semaphore semaphore(3);
  eddy::Event event;
  event.set();
  run_in_loop(loop, [&] {
    auto cycle = [&] {
      Future<void> f = lock.acquire();
      CHECK(f.done());
      lock.release();
      Future<void> s = semaphore.acquire(1s);  // a timeout is not armed when no wait is needed
      CHECK(s.done());
      semaphore.release();
      CHECK(event.wait().done());
    };
    for (int warm = 0; warm < 3; ++warm) cycle();  // fills the future-state cache
    AllocationProbe probe;
    for (int i = 0; i < 1000; ++i) cycle();
    // Three ready futures per cycle, whose states are recycled unless the
    // cache is off (AddressSanitizer).
    CHECK_ALLOCATIONS(probe, eddy::detail::block_cache_enabled ? 0u : 3000u);
  }, 1ms);
}
