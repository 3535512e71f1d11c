// Routing by method, error pages through ApplicationSettings::write_error,
// the access log (log_function, access_log_line) and what goes to the log:
// HTTPError's message, and an uncaught exception named with its request,
// route and type.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <eddy/httpclient.hpp>

#include "support/http_test_server.hpp"
#include "support/temp_dir.hpp"

using eddy_test::fetch;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;

namespace {

std::string request(const std::string& method, const std::string& path) {
  return method + " " + path + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
}

}  // namespace

TEST_CASE("two routes on one pattern with different methods both serve", "[web][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/r", {"GET"}, [](eddy::RequestHandler& h) { h.write("get"); });
    app.route("/r", {"POST"}, [](eddy::RequestHandler& h) { h.write("post"); });
    app.route("/item/([0-9]+)", {"GET"}, [](eddy::RequestHandler& h) { h.write("show " + h.path_args()[0]); });
    app.route("/item/([0-9]+)", {"PUT", "DELETE"}, [](eddy::RequestHandler& h) {
      h.write(h.request().method + " " + h.path_args()[0]);
    });
  });
  CHECK(fetch(server.port(), request("GET", "/r")).body == "get");
  CHECK(fetch(server.port(), request("POST", "/r")).body == "post");
  CHECK(fetch(server.port(), request("GET", "/item/7")).body == "show 7");
  CHECK(fetch(server.port(), request("DELETE", "/item/7")).body == "DELETE 7");
  eddy_test::Response r = fetch(server.port(), request("PATCH", "/r"));
  CHECK(r.status == 405);
  CHECK(r.headers.get("Allow") == "GET, HEAD, POST");
  r = fetch(server.port(), request("POST", "/item/7"));
  CHECK(r.status == 405);
  CHECK(r.headers.get("Allow") == "GET, HEAD, PUT, DELETE");
  CHECK(fetch(server.port(), request("GET", "/nothing")).status == 404);
}

TEST_CASE("a later route that takes the method serves it instead of a 405", "[web][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/x", {"GET"}, [](eddy::RequestHandler& h) { h.write("x"); });
    app.route("/(.*)", [](eddy::RequestHandler& h) { h.write("any " + h.request().method); });
  });
  CHECK(fetch(server.port(), request("GET", "/x")).body == "x");
  CHECK(fetch(server.port(), request("DELETE", "/x")).body == "any DELETE");
}

namespace {

// A JSON API's error pages: {"code": n, "error": "..."}; the status is
// already set when write_error runs.
void json_errors(eddy::RequestHandler& h, int code, std::exception_ptr error) {
  std::string what = "none";
  try {
    if (error) std::rethrow_exception(error);
  } catch (const eddy::MissingArgumentError& e) {
    what = "missing " + e.arg_name();
  } catch (const std::exception& e) {
    what = e.what();
  }
  h.set_header("Content-Type", "application/json");
  h.write("{\"code\":" + std::to_string(code) + ",\"status\":" + std::to_string(h.get_status()) +
          ",\"error\":" + eddy::json_escape(what) + "}");
}

void api_routes(eddy::Application& app, eddy::IOLoop&) {
  app.settings().write_error = json_errors;
  app.set_max_path_length(64);
  app.route("/only-get", {"GET"}, [](eddy::RequestHandler& h) { h.write("ok"); });
  app.route("/need", [](eddy::RequestHandler& h) { h.write(h.get_argument("who")); });
  app.route("/boom", [](eddy::RequestHandler&) { throw std::runtime_error("boom"); });
  app.route("/teapot", [](eddy::RequestHandler&) { throw eddy::HTTPError(418, "short and stout"); });
  app.route("/send", [](eddy::RequestHandler& h) { h.send_error(503); });
}

}  // namespace

TEST_CASE("write_error shapes 404, 405, 400 naming the argument, 414, 500 and HTTPError pages as JSON",
          "[web][errors]") {
  HTTPTestServer server(api_routes);
  eddy_test::Response r = fetch(server.port(), request("GET", "/missing"));
  CHECK(r.status == 404);
  CHECK(r.headers.get("Content-Type") == "application/json");
  CHECK(r.body == R"({"code":404,"status":404,"error":"none"})");
  r = fetch(server.port(), request("POST", "/only-get"));
  CHECK(r.status == 405);
  CHECK(r.headers.get("Allow") == "GET, HEAD");
  CHECK(r.body == R"({"code":405,"status":405,"error":"none"})");
  r = fetch(server.port(), request("GET", "/need"));
  CHECK(r.status == 400);
  CHECK(r.body == R"({"code":400,"status":400,"error":"missing who"})");
  r = fetch(server.port(), request("GET", "/" + std::string(100, 'a')));
  CHECK(r.status == 414);
  CHECK(r.body.find("\"code\":414") != std::string::npos);
  r = fetch(server.port(), request("GET", "/boom"));
  CHECK(r.status == 500);
  CHECK(r.body == R"({"code":500,"status":500,"error":"boom"})");
  r = fetch(server.port(), request("GET", "/teapot"));
  CHECK(r.status == 418);
  CHECK(r.body == R"({"code":418,"status":418,"error":"short and stout"})");
  r = fetch(server.port(), request("GET", "/send"));
  CHECK(r.status == 503);
  CHECK(r.body == R"({"code":503,"status":503,"error":"none"})");
  CHECK(fetch(server.port(), request("GET", "/only-get")).body == "ok");
}

TEST_CASE("a write_error that does not finish is finished by eddy; one that throws gives eddy's page",
          "[web][errors]") {
  HTTPTestServer quiet([](eddy::Application& app, eddy::IOLoop&) {
    app.settings().write_error = [](eddy::RequestHandler& h, int, std::exception_ptr) { h.write("partial"); };
  });
  eddy_test::Response r = fetch(quiet.port(), request("GET", "/x"));
  CHECK(r.status == 404);
  CHECK(r.body == "partial");
  HTTPTestServer broken([](eddy::Application& app, eddy::IOLoop&) {
    app.settings().write_error = [](eddy::RequestHandler& h, int, std::exception_ptr) {
      h.write("half a page");
      throw std::runtime_error("write_error broke");
    };
  });
  r = fetch(broken.port(), request("GET", "/x"));
  CHECK(r.status == 404);
  CHECK(r.body == "<html><title>404: Not Found</title><body>404: Not Found</body></html>");
  std::vector<std::string> errors = broken.exceptions();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "write_error broke");
}

TEST_CASE("HTTPError's message goes to the log, one without a message does not", "[web][errors]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/quiet", [](eddy::RequestHandler&) { throw eddy::HTTPError(403); });
    app.route("/said", [](eddy::RequestHandler&) { throw eddy::HTTPError(403, "no access for you"); });
    app.route("/arg", [](eddy::RequestHandler& h) { h.write(h.get_argument("x")); });
  });
  CHECK(fetch(server.port(), request("GET", "/quiet")).status == 403);
  CHECK(server.exceptions().empty());
  CHECK(fetch(server.port(), request("GET", "/said")).status == 403);
  CHECK(fetch(server.port(), request("GET", "/arg")).status == 400);
  std::vector<std::string> errors = server.exceptions();
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "no access for you");
  CHECK(errors[1] == "eddy: missing argument x");
}

TEST_CASE("the default log line of an uncaught exception names method, URI, route and exception type",
          "[web][errors]") {
  eddy_test::TempDir dir;
  std::string path = dir.file("stderr.txt");
  std::fflush(stderr);
  int saved = ::dup(2);
  FILE* capture = std::fopen(path.c_str(), "w");
  REQUIRE(capture != nullptr);
  ::dup2(::fileno(capture), 2);
  int status = 0;
  {
    eddy::IOLoop loop;
    eddy::Application app;
    app.route("/b(o+)m", [](eddy::RequestHandler&) { throw std::out_of_range("index 7"); });
    app.route("/said", [](eddy::RequestHandler&) { throw eddy::HTTPError(409, "taken"); });
    eddy::HTTPServer server(app);
    std::uint16_t port = server.listen(0, "127.0.0.1");
    eddy::AsyncHTTPClient client(loop);
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    status = loop.run_sync([&]() -> eddy::Future<int> {
      eddy::Future<eddy::HTTPResponse> boom = client.fetch(base + "/booom?q=1", false);
      eddy::HTTPResponse r = co_await boom;
      eddy::Future<eddy::HTTPResponse> said = client.fetch(base + "/said", false);
      eddy::HTTPResponse s = co_await said;
      co_return r.code * 1000 + s.code;
    });
  }
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fclose(capture);
  CHECK(status == 500409);
  std::string log;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, f) != nullptr) log += buf;
    std::fclose(f);
  }
  CHECK(log ==
        "eddy: uncaught exception in the handler of GET /booom?q=1 (route \"/b(o+)m\"), a std::out_of_range: index 7\n"
        "eddy: uncaught exception in the handler of GET /said (route \"/said\"), answered 409: taken\n");
}

TEST_CASE("log_function runs once per finished request with Tornado's line from access_log_line",
          "[web][log]") {
  auto lines = std::make_shared<std::vector<std::string>>();
  auto mutex = std::make_shared<std::mutex>();
  HTTPTestServer server([lines, mutex](eddy::Application& app, eddy::IOLoop&) {
    app.settings().log_function = [lines, mutex](const eddy::RequestHandler& h, eddy::Clock::duration took) {
      std::lock_guard<std::mutex> lock(*mutex);
      lines->push_back(eddy::access_log_line(h, took));
    };
    app.route("/p", [](eddy::RequestHandler& h) { h.write("p"); });
    app.route("/slow", [](eddy::RequestHandler&) -> eddy::Future<void> {
      co_await eddy::sleep(std::chrono::milliseconds(30));
    });
    app.route("/boom", [](eddy::RequestHandler&) { throw eddy::HTTPError(400); });
  });
  CHECK(fetch(server.port(), request("GET", "/p?x=1")).body == "p");
  CHECK(fetch(server.port(), request("POST", "/missing")).status == 404);
  CHECK(fetch(server.port(), request("GET", "/slow")).status == 200);
  CHECK(fetch(server.port(), request("GET", "/boom")).status == 400);
  std::lock_guard<std::mutex> lock(*mutex);
  REQUIRE(lines->size() == 4);
  std::regex line(R"((\d{3}) (\w+) (\S+) \(127\.0\.0\.1\) (\d+\.\d\d)ms)");
  std::vector<std::string> expect = {"200 GET /p?x=1", "404 POST /missing", "200 GET /slow", "400 GET /boom"};
  for (std::size_t i = 0; i < expect.size(); ++i) {
    std::smatch m;
    INFO((*lines)[i]);
    REQUIRE(std::regex_match((*lines)[i], m, line));
    CHECK(m[1].str() + " " + m[2].str() + " " + m[3].str() == expect[i]);
  }
  std::smatch slow;
  REQUIRE(std::regex_match((*lines)[2], slow, line));
  CHECK(std::stod(slow[4].str()) >= 25.0);
}
