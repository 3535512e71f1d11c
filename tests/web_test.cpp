// The web layer: routing rules, arguments, RequestHandler's response rules
// (redirect, send_error, finish once, writes after finish), and the
// Application's handler forms.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <regex>
#include <string>

#include "support/http_test_server.hpp"

using eddy_test::fetch;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;

TEST_CASE("a literal pattern matches only the whole path", "[web][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/a", [](eddy::RequestHandler& h) { h.write("a"); });
  });
  CHECK(fetch(server.port(), get_request("/a")).body == "a");
  CHECK(fetch(server.port(), get_request("/ab")).status == 404);
  CHECK(fetch(server.port(), get_request("/a/")).status == 404);
  CHECK(fetch(server.port(), get_request("/a?x=1")).body == "a");  // the query is not part of the path
}

TEST_CASE("a regex pattern matches the whole path and its groups become percent-decoded path_args",
          "[web][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/user/([^/]+)/item/([0-9]+)", [](eddy::RequestHandler& h) {
      h.write(h.path_args()[0] + "|" + h.path_args()[1]);
    });
  });
  CHECK(fetch(server.port(), get_request("/user/al%20ice+b/item/42")).body == "al ice+b|42");
  CHECK(fetch(server.port(), get_request("/user/x/item/42/more")).status == 404);
  CHECK(fetch(server.port(), get_request("/user/bad%zz/item/1")).status == 400);
}

TEST_CASE("the first matching route wins", "[web][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/x/special", [](eddy::RequestHandler& h) { h.write("special"); });
    app.route("/x/(.*)", [](eddy::RequestHandler& h) { h.write("general " + h.path_args()[0]); });
    app.route("/x/never", [](eddy::RequestHandler& h) { h.write("never"); });
  });
  CHECK(fetch(server.port(), get_request("/x/special")).body == "special");
  CHECK(fetch(server.port(), get_request("/x/never")).body == "general never");
}

TEST_CASE("a route for GET also answers HEAD and lists both in Allow", "[web][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/g", {"GET"}, [](eddy::RequestHandler& h) { h.write("g"); });
  });
  eddy_test::Response r = fetch(server.port(), "DELETE /g HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(r.status == 405);
  CHECK(r.headers.get("Allow") == "GET, HEAD");
  CHECK(fetch(server.port(), "HEAD /g HTTP/1.1\r\nHost: t\r\n\r\n", true).status == 200);
}

TEST_CASE("a bad regex pattern throws when the route is added", "[web][routing]") {
  eddy::Application app;
  CHECK_THROWS_AS(app.route("/(unclosed", [](eddy::RequestHandler&) {}), std::regex_error);
  CHECK_THROWS_AS(app.route("/x", {"GE T"}, [](eddy::RequestHandler&) {}), std::invalid_argument);
}

TEST_CASE("get_argument reads the query and a form body, last value wins, absent is 400", "[web][arguments]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/args", [](eddy::RequestHandler& h) {
      std::string all;
      for (const std::string& v : h.get_arguments("a")) all += v + ",";
      h.write(h.get_argument("a") + "|" + all + "|" + h.get_argument("missing", "dflt"));
    });
    app.route("/need", [](eddy::RequestHandler& h) { h.write(h.get_argument("must")); });
  });
  CHECK(fetch(server.port(), get_request("/args?a=1&a=%202+3%20")).body == "2 3|1,2 3,|dflt");
  std::string form = "a=from+body";
  eddy_test::Response r = fetch(server.port(),
                                "POST /args?a=q HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                "Content-Length: " + std::to_string(form.size()) + "\r\n\r\n" + form);
  CHECK(r.body == "from body|q,from body,|dflt");
  CHECK(fetch(server.port(), get_request("/need")).status == 400);
  CHECK(fetch(server.port(), get_request("/need?must=%zz")).status == 400);
  CHECK(fetch(server.port(), get_request("/need?must=yes")).body == "yes");
}

TEST_CASE("request() carries method, uri, path, query, version, headers, host and remote_ip", "[web][request]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/r/.*", [](eddy::RequestHandler& h) {
      const eddy::HTTPServerRequest& q = h.request();
      h.write(q.method + " " + q.uri + " " + q.path + " " + q.query + " " + q.version + " " + q.host + " " +
              q.remote_ip + " " + q.protocol + " " + q.headers.get("x-custom"));
    });
  });
  eddy_test::Response r = fetch(server.port(), "PUT /r/p?k=v HTTP/1.1\r\nHost: example.org\r\nX-Custom: 1\r\n"
                                               "X-Custom: 2\r\nContent-Length: 0\r\n\r\n");
  CHECK(r.body == "PUT /r/p?k=v /r/p k=v HTTP/1.1 example.org 127.0.0.1 http 1,2");
}

TEST_CASE("redirect sends 302 or 301 with Location", "[web][response]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/temp", [](eddy::RequestHandler& h) { h.redirect("/elsewhere"); });
    app.route("/perm", [](eddy::RequestHandler& h) { h.redirect("https://example.org/", true); });
  });
  eddy_test::Response temp = fetch(server.port(), get_request("/temp"));
  CHECK(temp.status == 302);
  CHECK(temp.headers.get("Location") == "/elsewhere");
  eddy_test::Response perm = fetch(server.port(), get_request("/perm"));
  CHECK(perm.status == 301);
  CHECK(perm.headers.get("Location") == "https://example.org/");
}

TEST_CASE("send_error replaces the response by an error page", "[web][response]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/e", [](eddy::RequestHandler& h) {
      h.set_header("X-Lost", "1");
      h.write("lost");
      h.send_error(418);
    });
  });
  eddy_test::Response r = fetch(server.port(), get_request("/e"));
  CHECK(r.status == 418);
  CHECK_FALSE(r.headers.contains("X-Lost"));
  CHECK(r.body.find("418: I'm a teapot") != std::string::npos);
}

TEST_CASE("finish happens at most once and write after finish throws std::logic_error", "[web][response]") {
  std::atomic<int> logic_errors{0};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/f", [&](eddy::RequestHandler& h) {
      h.write("once");
      h.finish();
      CHECK(h.finished());
      try {
        h.finish();
      } catch (const std::logic_error&) {
        ++logic_errors;
      }
      try {
        h.write("twice");
      } catch (const std::logic_error&) {
        ++logic_errors;
      }
    });
  });
  CHECK(fetch(server.port(), get_request("/f")).body == "once");
  CHECK(logic_errors == 2);
}

TEST_CASE("response headers: set replaces, add appends, clear removes, Content-Type defaults to HTML",
          "[web][response]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/h", [](eddy::RequestHandler& h) {
      h.set_header("X-One", "a");
      h.set_header("X-One", "b");
      h.add_header("X-Many", "1");
      h.add_header("X-Many", "2");
      h.set_header("X-Gone", "x");
      h.clear_header("X-Gone");
      h.set_status(201);
    });
    app.route("/t", [](eddy::RequestHandler& h) { h.set_header("Content-Type", "text/plain"); });
  });
  eddy_test::Response r = fetch(server.port(), get_request("/h"));
  CHECK(r.status == 201);
  CHECK(r.headers.get("X-One") == "b");
  CHECK(r.headers.get_list("X-Many") == std::vector<std::string>{"1", "2"});
  CHECK_FALSE(r.headers.contains("X-Gone"));
  CHECK(r.headers.get("Content-Type") == "text/html; charset=UTF-8");
  CHECK(fetch(server.port(), get_request("/t")).headers.get_list("Content-Type") == std::vector<std::string>{"text/plain"});
}

TEST_CASE("the Application calls each handler in place, so a coroutine lambda's captures outlive its frames",
          "[web][lifetime]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    auto state = std::make_shared<std::string>("captured");
    app.route("/c", [state, calls = 0](eddy::RequestHandler& h) mutable -> eddy::Future<void> {
      ++calls;
      co_await eddy::sleep(std::chrono::milliseconds(2));
      h.write(*state + " " + std::to_string(calls));
    });
  });
  CHECK(fetch(server.port(), get_request("/c")).body == "captured 1");
  CHECK(fetch(server.port(), get_request("/c")).body == "captured 2");  // the same object both times
}

TEST_CASE("HTTPServer with one handler serves every path and method", "[web][server]") {
  eddy::IOLoop loop;
  loop.make_current();
  {
    eddy::HTTPServer server([](eddy::RequestHandler& h) { h.write(h.request().method + " " + h.request().path); });
    std::uint16_t port = server.listen(0, "127.0.0.1");
    std::string a, b;
    // The client thread owns a and b until `fetched` says it is done.
    std::atomic<bool> fetched{false};
    std::thread client([&] {
      a = fetch(port, get_request("/any/where")).body;
      b = fetch(port, "DELETE /x HTTP/1.1\r\nHost: t\r\n\r\n").body;
      fetched.store(true, std::memory_order_release);
    });
    while (!fetched.load(std::memory_order_acquire)) {
      loop.run_sync([]() -> eddy::Future<void> { co_await eddy::sleep(std::chrono::milliseconds(5)); });
    }
    client.join();
    CHECK(a == "GET /any/where");
    CHECK(b == "DELETE /x");
  }
  eddy::IOLoop::clear_current();
}

TEST_CASE("a 60 KB path against regex routes gets a normal answer and the server keeps serving",
          "[web][routing]") {
  // std::regex recursed once per character: such a path overflowed the stack.
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.set_max_path_length(64 * 1024);
    app.route("/user/([0-9]+)", [](eddy::RequestHandler& h) { h.write("user " + std::to_string(h.path_args()[0].size())); });
    app.route("/files/(.*)", [](eddy::RequestHandler& h) { h.write("file " + std::to_string(h.path_args()[0].size())); });
    app.route("/(a|b)*c", [](eddy::RequestHandler& h) { h.write("abc " + h.path_args()[0]); });
  });
  std::string digits(60000, '7');
  CHECK(fetch(server.port(), get_request("/user/" + digits)).body == "user 60000");
  std::string name(60000, 'f');
  CHECK(fetch(server.port(), get_request("/files/" + name)).body == "file 60000");
  std::string ab;
  for (int i = 0; i < 30000; ++i) ab += "ab";
  CHECK(fetch(server.port(), get_request("/" + ab + "c")).body == "abc b");
  CHECK(fetch(server.port(), get_request("/" + ab + "d")).status == 404);
  CHECK(fetch(server.port(), get_request("/user/12")).body == "user 2");
}

TEST_CASE("a path longer than max_path_length gets 414 before any route", "[web][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/files/(.*)", [](eddy::RequestHandler& h) { h.write(std::to_string(h.path_args()[0].size())); });
  });
  const std::size_t limit = eddy::Application().max_path_length();
  CHECK(limit == 8192);
  std::string prefix = "/files/";
  CHECK(fetch(server.port(), get_request(prefix + std::string(limit - 1 - prefix.size(), 'x'))).status == 200);
  CHECK(fetch(server.port(), get_request(prefix + std::string(limit - prefix.size(), 'x'))).body ==
        std::to_string(limit - prefix.size()));
  CHECK(fetch(server.port(), get_request(prefix + std::string(limit + 1 - prefix.size(), 'x'))).status == 414);
  CHECK(fetch(server.port(), get_request(std::string(60000, '/'))).status == 414);
  CHECK(fetch(server.port(), get_request("/files/ok")).body == "2");  // still serving
}

TEST_CASE("named groups become path_args in order, and an unmatched optional group gives \"\"",
          "[web][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/(?P<user>[a-z]+)(?:/(\\d+))?", [](eddy::RequestHandler& h) {
      h.write(std::to_string(h.path_args().size()) + ":" + h.path_args()[0] + "|" + h.path_args()[1]);
    });
  });
  CHECK(fetch(server.port(), get_request("/bob/7")).body == "2:bob|7");
  CHECK(fetch(server.port(), get_request("/bob")).body == "2:bob|");
}

TEST_CASE("a pattern outside the routing subset throws std::regex_error when the route is added",
          "[web][routing]") {
  eddy::Application app;
  CHECK_THROWS_AS(app.route("/(a)\\1", [](eddy::RequestHandler&) {}), std::regex_error);
  CHECK_THROWS_AS(app.route("/(?=a)", [](eddy::RequestHandler&) {}), std::regex_error);
  CHECK_THROWS_AS(app.route("/[[:digit:]]", [](eddy::RequestHandler&) {}), std::regex_error);
  CHECK_NOTHROW(app.route("^/ok/(\\w+)$", [](eddy::RequestHandler&) {}));
}

TEST_CASE("get_argument on a 256 KiB form body of distinct names answers without stalling the loop",
          "[web][arguments]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/form", [](eddy::RequestHandler& h) { h.write(h.get_argument("n0") + h.get_argument("last")); });
  });
  std::string form;
  for (int i = 0; form.size() < 256 * 1024; ++i) form += "n" + std::to_string(i) + "=" + std::to_string(i % 10) + "&";
  form += "last=!";
  auto start = std::chrono::steady_clock::now();
  eddy_test::Response r = fetch(server.port(),
                                "POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                "Content-Length: " + std::to_string(form.size()) + "\r\n\r\n" + form);
  CHECK(r.body == "0!");
  // A guard against quadratic parsing (11.9 s optimized, far more in the
  // sanitizer builds), generous for a loaded machine: not a speed claim.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}
