// Hardening of coroutines (C++20): frames destroyed with their loop, a
// coroutine whose future was resolved from outside, move-only results, and
// a server coroutine that finishes in the loop's last iteration.
#include <eddy/eddy.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>

#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;

namespace {

eddy::Future<void> wait_for(eddy::Future<void> f, bool& resumed, std::shared_ptr<int> token) {
  co_await f;
  resumed = true;
  ++*token;
}

eddy::Future<int> answer_later(bool& returned) {
  co_await eddy::sleep(std::chrono::milliseconds(1));
  returned = true;
  co_return 2;
}

eddy::Future<std::unique_ptr<int>> make_box(int n) {
  co_await eddy::sleep(std::chrono::milliseconds(1));
  co_return std::make_unique<int>(n);
}

eddy::Future<int> open_boxes() {
  std::unique_ptr<int> a = co_await make_box(3);
  eddy::Future<std::unique_ptr<int>> pending = make_box(4);
  std::unique_ptr<int> b = co_await pending;
  co_return *a + *b;
}

}  // namespace

TEST_CASE("a coroutine destroyed with its loop is not resumed when its future resolves later", "[hardening][coroutine]") {
  eddy::Future<void> outlives;
  bool resumed = false;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watched = token;
  {
    eddy::IOLoop loop;
    loop.make_current();
    wait_for(outlives, resumed, token);  // suspends on `outlives`
    token.reset();
  }
  CHECK(watched.expired());  // the frame (and what it held) went with the loop
  eddy::IOLoop next;
  next.make_current();
  outlives.set_result();  // would resume the freed frame
  next.add_callback([&] { next.add_callback([&] { next.stop(); }); });
  run_with_limit(next);
  CHECK_FALSE(resumed);
}

TEST_CASE("a coroutine that returns after its future was resolved keeps the first result and reports the second",
          "[hardening][coroutine]") {
  eddy::IOLoop loop;
  loop.make_current();
  ExceptionLog log(loop);
  bool returned = false;
  eddy::Future<int> f = answer_later(returned);
  f.set_result(1);
  loop.call_later(std::chrono::milliseconds(30), [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(returned);
  CHECK(f.result() == 1);
  REQUIRE(log.messages.size() == 1);
  CHECK(log.messages[0].find("already resolved") != std::string::npos);
}

TEST_CASE("a move-only value passes through co_return and co_await", "[hardening][coroutine][future]") {
  eddy::IOLoop loop;
  CHECK(loop.run_sync([] { return open_boxes(); }, std::chrono::seconds(20)) == 7);
  std::unique_ptr<int> box = loop.run_sync([] { return make_box(9); }, std::chrono::seconds(20));
  REQUIRE(box != nullptr);
  CHECK(*box == 9);
}

TEST_CASE("a TCPServer connection coroutine that finishes in the loop's last iteration leaks nothing",
          "[hardening][coroutine][tcp]") {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watched = token;
  {
    eddy::IOLoop loop;
    loop.make_current();
    eddy::TCPServer server([&loop, token](eddy::IOStream, std::string) -> eddy::Future<void> {
      loop.stop();  // the loop's last iteration
      co_return;
    });
    std::uint16_t port = server.listen(0, "127.0.0.1");
    eddy::TCPClient client;
    auto connected = client.connect("127.0.0.1", port);
    run_with_limit(loop);
    token.reset();
  }
  CHECK(watched.expired());
}
