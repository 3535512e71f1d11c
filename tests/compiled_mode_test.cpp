// The separately compiled mode (the eddy::compiled target, which defines
// EDDY_SEPARATE_COMPILATION): the same programs as header-only use, built
// against the members compiled once in src/. These pin that the mode links
// (every member a program uses is in the library) and behaves the same.
#include <chrono>
#include <cstdint>
#include <string>

#include <catch2/catch.hpp>
#include <eddy/http.hpp>

#if !defined(EDDY_SEPARATE_COMPILATION)
#error "compiled_mode_test.cpp is built against eddy::compiled, which defines EDDY_SEPARATE_COMPILATION"
#endif

using namespace std::chrono_literals;

TEST_CASE("a loop runs a callback when eddy is compiled separately", "[compiled]") {
  // Issue 21's minimal using program.
  eddy::IOLoop l;
  int ran = 0;
  l.add_callback([&] {
    ++ran;
    l.stop();
  });
  l.start();
  CHECK(ran == 1);
}

TEST_CASE("timeouts, locks and coroutines work when eddy is compiled separately", "[compiled]") {
  eddy::IOLoop loop;
  eddy::Event event;
  eddy::Lock lock;
  loop.call_later(1ms, [&] { event.set(); });
  auto waiter = [&]() -> eddy::Future<int> {
    eddy::Future<void> set = event.wait();
    co_await set;
    eddy::Future<eddy::ReleaseGuard<eddy::Lock>> held = eddy::acquire_guard(lock);
    auto guard = co_await held;
    co_return 42;
  };
  CHECK(loop.run_sync(waiter, 10s) == 42);
}

TEST_CASE("an HTTP server answers a client's request when eddy is compiled separately", "[compiled][http]") {
  // A hello_web-like server, and the client, on one loop.
  eddy::IOLoop loop;
  eddy::Application app;
  app.route("/", [](eddy::RequestHandler& handler) { handler.write("Hello, world"); });
  eddy::HTTPServer server(app);
  std::uint16_t port = server.listen(0, "127.0.0.1");
  eddy::AsyncHTTPClient client(loop);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  eddy::HTTPResponse response = loop.run_sync([&] { return client.fetch(url); }, 30s);
  CHECK(response.code == 200);
  CHECK(response.body == "Hello, world");
  server.stop();
}
