// The web layer at teardown, in the documented order (HTTPServer destroyed
// before its loop, the loop before the thread ends): a request's handler is
// never released into a handler pool already destroyed, nor leaked when its
// coroutine is destroyed unfinished. Each test runs on a thread of its own,
// so it has its own default loop and handler pool, as a program's main
// thread would.
#include <catch2/catch.hpp>

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <eddy/detail/http/web_handler_access.hpp>

#include "support/http_test_server.hpp"

namespace {

// Runs `loop` in short slices until `client` has received `marker`, for at
// most 20 s. True when it has.
bool run_until_received(eddy::IOLoop& loop, eddy_test::Client& client, const std::string& marker) {
  for (int i = 0; i < 4000; ++i) {
    pollfd p{client.fd(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 1) {
      if (!client.receive_some()) return false;
      if (client.buffered().find(marker) != std::string::npos) return true;
      continue;
    }
    loop.run_sync([]() -> eddy::Future<void> { co_await eddy::sleep(std::chrono::milliseconds(5)); });
  }
  return false;
}

}  // namespace

TEST_CASE("a thread serving on its default loop exits cleanly with a request still mid-body",
          "[web][teardown]") {
  // The thread's default loop is made first, the handler pool at the first
  // request, so at thread exit the pool is destroyed first; the loop's
  // teardown then releases the mid-body request (an ASan use-after-free
  // before the pool knew it was gone).
  std::unique_ptr<eddy_test::Client> client;  // open until after the thread ended
  bool served = false, waiting = false;
  std::thread program([&] {
    eddy::IOLoop& loop = eddy::IOLoop::current();  // this thread's default loop
    eddy::Application app;
    app.route("/ok", [](eddy::RequestHandler& h) { h.write("ok"); });
    app.route("/upload", [](eddy::RequestHandler& h) { h.write("never reached"); });
    {
      eddy::HTTPServer server(app);
      std::uint16_t port = server.listen(0, "127.0.0.1");
      // One finished request first: its handler waits in the pool, so a
      // release into the destroyed pool would touch freed memory.
      eddy_test::Client first(port);
      first.send(eddy_test::get_request("/ok"));
      served = run_until_received(loop, first, "\r\n\r\nok");
      client = std::make_unique<eddy_test::Client>(port);
      client->send("POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n");
      // "100 Continue": the request's handler exists and waits for the body.
      waiting = run_until_received(loop, *client, "HTTP/1.1 100 Continue\r\n\r\n");
    }  // the server goes first, as documented; then the thread ends
  });
  program.join();
  CHECK(served);
  CHECK(waiting);
}

TEST_CASE("a coroutine handler suspended when its loop is destroyed gives its RequestHandler back",
          "[web][teardown]") {
  // The dispatch's hold on the handler lived in a done-callback that never
  // runs when the loop destroys the suspended frame (LeakSanitizer: 544
  // bytes). The handler must come back to the pool instead.
  bool started = false;
  std::size_t kept_with_loop = 0, kept_after_loop = 0;
  std::thread program([&] {
    eddy::Application app;  // outlives the loop: it holds the coroutine lambda
    app.route("/wait", [&started](eddy::RequestHandler&) -> eddy::Future<void> {
      started = true;
      co_await eddy::sleep(std::chrono::hours(1));
    });
    std::unique_ptr<eddy_test::Client> client;
    {
      eddy::IOLoop loop;
      loop.make_current();
      {
        eddy::HTTPServer server(app);
        client = std::make_unique<eddy_test::Client>(server.listen(0, "127.0.0.1"));
        client->send(eddy_test::get_request("/wait"));
        for (int i = 0; i < 4000 && !started; ++i) {  // until the handler runs
          loop.run_sync([]() -> eddy::Future<void> { co_await eddy::sleep(std::chrono::milliseconds(5)); });
        }
      }  // the server is destroyed before the loop, as documented
      kept_with_loop = eddy::detail::HandlerPool::local()->kept();
      eddy::IOLoop::clear_current();
    }  // the loop destroys the suspended coroutine frame
    kept_after_loop = eddy::detail::HandlerPool::local()->kept();
  });
  program.join();
  CHECK(started);
  CHECK(kept_after_loop == kept_with_loop + 1);
}
