// C++20 coroutines returning Future<T>.
#include <eddy/eddy.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;
using eddy::Future;

namespace {

Future<int> add_after(int a, int b, std::chrono::milliseconds delay) {
  co_await eddy::sleep(delay);
  co_return a + b;
}

Future<int> twice_added() {
  int x = co_await add_after(1, 2, 1ms);
  int y = co_await add_after(x, 10, 1ms);
  co_return y;
}

Future<void> throws_after_await() {
  co_await eddy::sleep(1ms);
  throw std::runtime_error("coroutine failed");
}

Future<std::string> catches() {
  try {
    co_await throws_after_await();
  } catch (const std::exception& e) {
    co_return std::string("caught: ") + e.what();
  }
  co_return "not reached";
}

}  // namespace

TEST_CASE("a coroutine awaits futures and returns a value", "[coroutines]") {
  eddy::IOLoop loop;
  CHECK(loop.run_sync([] { return twice_added(); }) == 13);
}

TEST_CASE("exceptions propagate through co_await and out of run_sync", "[coroutines][errors]") {
  eddy::IOLoop loop;
  CHECK_THROWS_WITH(loop.run_sync([] { return throws_after_await(); }), "coroutine failed");
  CHECK(loop.run_sync([] { return catches(); }) == "caught: coroutine failed");
}

TEST_CASE("a coroutine starts eagerly and runs until its first suspension", "[coroutines]") {
  eddy::IOLoop loop;
  std::vector<std::string> log;
  auto body = [&]() -> Future<void> {
    log.push_back("started");
    co_await eddy::sleep(1ms);
    log.push_back("resumed");
  };
  loop.run_sync([&] {
    Future<void> f = body();
    log.push_back("returned to caller");
    return f;
  });
  CHECK(log == std::vector<std::string>{"started", "returned to caller", "resumed"});
}

TEST_CASE("two coroutines called before being awaited run concurrently", "[coroutines]") {
  eddy::IOLoop loop;
  auto start = eddy::Clock::now();
  auto both = [&]() -> Future<int> {
    Future<int> a = add_after(1, 1, 300ms);
    Future<int> b = add_after(2, 2, 300ms);
    co_return co_await a + co_await b;
  };
  CHECK(loop.run_sync(both) == 6);
  auto took = eddy::Clock::now() - start;
  CHECK(took >= 300ms);
  CHECK(took < 590ms);  // in turn they would take 600 ms
}

TEST_CASE("awaiting an already-done future does not suspend", "[coroutines]") {
  eddy::IOLoop loop;
  std::uint64_t before = 0, after = 0;
  auto body = [&]() -> Future<int> {
    before = loop.stats().iterations;
    int v = co_await eddy::make_ready_future(5);
    after = loop.stats().iterations;
    co_return v;
  };
  CHECK(loop.run_sync(body) == 5);
  CHECK(before == after);
}

TEST_CASE("a coroutine resumes from the loop, not inside set_result", "[coroutines][reentrancy]") {
  eddy::IOLoop loop;
  Future<int> gate;
  std::vector<std::string> log;
  auto waiter = [&]() -> Future<void> {
    int v = co_await gate;
    log.push_back("resumed with " + std::to_string(v));
  };
  loop.run_sync([&] {
    Future<void> w = waiter();
    gate.set_result(1);
    log.push_back("set_result returned");
    return w;
  });
  CHECK(log == std::vector<std::string>{"set_result returned", "resumed with 1"});
}

namespace {
// The stack position of the caller, out of the optimiser's reach.
[[gnu::noinline]] std::uintptr_t stack_position() {
  return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

// One of two players passing a baton: it awaits its own future, which the
// other player resolved, then replaces it and resolves the other's.
Future<int> player(std::shared_ptr<Future<int>> mine, std::shared_ptr<Future<int>> theirs, int rounds,
                   std::uintptr_t& lowest, std::uintptr_t& highest) {
  int last = 0;
  for (int i = 0; i < rounds; ++i) {
    Future<int> wait_for = *mine;
    last = co_await wait_for;
    *mine = Future<int>();
    theirs->set_result(last + 1);
    std::uintptr_t here = stack_position();
    lowest = std::min(lowest, here);
    highest = std::max(highest, here);
  }
  co_return last;
}
}  // namespace

TEST_CASE("a chain of 1,000,000 awaits, each resolved by the previous step, runs in bounded stack",
          "[coroutines][stack]") {
  eddy::IOLoop loop;
  constexpr int steps = 1000000;
  std::uintptr_t lowest = UINTPTR_MAX, highest = 0;
  auto a = std::make_shared<Future<int>>();
  auto b = std::make_shared<Future<int>>();
  // Resuming inside set_result would nest a million frames deep and
  // overflow the stack; resuming from the loop keeps every step at the top.
  auto results = loop.run_sync([&] {
    Future<int> first = player(a, b, steps / 2, lowest, highest);
    Future<int> second = player(b, a, steps / 2, lowest, highest);
    a->set_result(0);
    return eddy::gather(first, second);
  });
  CHECK(std::get<0>(results) + 1 == std::get<1>(results));
  CHECK(std::get<1>(results) == steps - 1);
  CHECK(highest - lowest < 16 * 1024);
}

TEST_CASE("100,000 concurrent sleeping coroutines all finish", "[coroutines]") {
  eddy::IOLoop loop;
  int finished = 0;
  auto sleeper = [&](int i) -> Future<void> {
    co_await eddy::sleep(std::chrono::microseconds(i % 1000));
    ++finished;
  };
  loop.run_sync([&] {
    std::vector<Future<void>> all;
    all.reserve(100000);
    for (int i = 0; i < 100000; ++i) all.push_back(sleeper(i));
    return eddy::multi(std::move(all));
  });
  CHECK(finished == 100000);
  CHECK(loop.suspended_frames().empty());
}

TEST_CASE("destroying a loop frees the frames of coroutines still suspended", "[coroutines][lifecycle]") {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weak = token;
  {
    eddy::IOLoop loop;
    auto orphan = [](std::shared_ptr<int> held) -> Future<void> {
      Future<int> only_mine;  // nobody else will ever resolve this
      co_await only_mine;
      (void)held;
    };
    auto sleeper = [](std::shared_ptr<int> held) -> Future<void> {
      co_await eddy::sleep(1h);
      (void)held;
    };
    loop.add_callback([&] {
      orphan(token);
      sleeper(token);
      loop.stop();
    });
    run_with_limit(loop);
    token.reset();
    CHECK_FALSE(weak.expired());
    CHECK_FALSE(loop.suspended_frames().empty());
  }
  CHECK(weak.expired());  // LeakSanitizer checks the frames themselves
}

TEST_CASE("a failed coroutine nobody awaits is reported through the exception handler", "[coroutines][errors]") {
  eddy::IOLoop loop;
  eddy_test::ExceptionLog reported_log(loop);
  auto& reported = reported_log.messages;
  loop.run_sync([]() -> Future<void> {
    throws_after_await();  // dropped on the floor
    co_await eddy::sleep(20ms);
  });
  CHECK(reported == std::vector<std::string>{"coroutine failed"});
}

TEST_CASE("a coroutine awaits work done in the executor", "[coroutines][executor]") {
  eddy::IOLoop loop;
  auto body = [&]() -> Future<int> {
    int a = co_await loop.run_in_executor([] { return 20; });
    int b = co_await loop.run_in_executor([] { return 22; });
    co_return a + b;
  };
  CHECK(loop.run_sync(body) == 42);
}

namespace {

std::size_t count_bytes(const std::string& data, char c) {
  std::size_t n = 0;
  for (char x : data) n += x == c;
  return n;
}

// The shape README recommends under g++ 12: the function and its arguments,
// no capturing lambda created inside the co_await expression. Were
// run_in_executor to copy `data` through a temporary with a destructor
// inside this expression again, ASan (the asan configuration builds with
// g++ 12) would report the double free g++ 12 makes of it.
Future<std::size_t> count_in_executor(eddy::IOLoop& loop, std::string data) {
  std::size_t a = co_await loop.run_in_executor(count_bytes, data, 'x');
  std::string tail = data.substr(data.size() / 2);
  std::size_t b = co_await loop.run_in_executor(count_bytes, std::move(tail), 'x');
  co_return a + b;
}

}  // namespace

TEST_CASE("run_in_executor(fn, args...) copies the arguments into the job, safe in co_await under g++ 12",
          "[coroutines][executor]") {
  eddy::IOLoop loop;
  std::string data(1000, 'x');  // past the small-string buffer: a heap block to free twice
  for (int i = 0; i < 20; ++i) {
    CHECK(loop.run_sync([&] { return count_in_executor(loop, data); }) == 1500);
  }
  // Arguments are copies: the caller may change its own at once.
  std::string changing = "xxx";
  Future<std::size_t> f = loop.run_in_executor(count_bytes, changing, 'x');
  changing = "yyy";
  CHECK(loop.run_sync([&] { return f; }) == 3);
}
