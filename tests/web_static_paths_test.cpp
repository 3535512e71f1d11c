// Application::static_files never serves anything outside its directory:
// a table of traversal attempts sent as raw requests (so no client
// normalises the path first), symbolic links that lead out (refused) or
// stay in (followed), special files; and no descriptor leaks, however
// requests end.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "support/http_test_server.hpp"
#include "support/static_files_helpers.hpp"

using namespace eddy_test;

namespace {

struct TraversalFixture : StaticRootFixture {
  TraversalFixture() {
    write_file(dir.file("secret.txt"), "SECRET");
    REQUIRE(::symlink("../secret.txt", (root + "/escape").c_str()) == 0);
    REQUIRE(::symlink(dir.file("secret.txt").c_str(), (root + "/absolute").c_str()) == 0);
    REQUIRE(::symlink("..", (root + "/up").c_str()) == 0);
    REQUIRE(::symlink("../small.txt", (root + "/sub/back.txt").c_str()) == 0);  // stays inside
    REQUIRE(::symlink("/proc/self/root/etc/passwd", (root + "/magic").c_str()) == 0);
    REQUIRE(::mkfifo((root + "/fifo").c_str(), 0644) == 0);
  }
};

HTTPTestServer::Setup serve_root(const std::string& root) {
  return [root](eddy::Application& app, eddy::IOLoop&) { app.static_files("/static/", root); };
}

}  // namespace

TEST_CASE("paths that try to leave the static directory are refused, raw over a socket", "[web][static][paths]") {
  TraversalFixture fx;
  HTTPTestServer server(serve_root(fx.root));
  struct Case {
    const char* target;
    int status;
  };
  const Case cases[] = {
      {"/static/../secret.txt", 403},
      {"/static/%2e%2e/secret.txt", 403},
      {"/static/%2E%2E/secret.txt", 403},
      {"/static/.%2e/secret.txt", 403},
      {"/static/sub/..%2f..%2fsecret.txt", 403},
      {"/static/sub/../../secret.txt", 403},
      {"/static/..%5csecret.txt", 403},
      {"/static/sub%5c..%5c..%5csecret.txt", 403},
      {"/static/small.txt%00.png", 403},
      {"/static/%00", 403},
      {"/static//etc/passwd", 403},
      {"/static/%2fetc%2fpasswd", 403},
      {"/static/escape", 403},        // a relative symlink out of the root
      {"/static/absolute", 403},      // an absolute symlink out of the root
      {"/static/up/secret.txt", 403}, // a directory symlink out of the root
      {"/static/magic", 403},         // a /proc "magic" link
      {"/static/fifo", 403},          // not a regular file (and opening it does not block)
      {"/static/.", 403},             // the root itself: a directory
      {"/static/%252e%252e/secret.txt", 404},  // decoded once only: a name with '%' in it
      {"/static/%zz", 400},
      {"/static/sub/back.txt", 200},  // a symlink that stays inside is followed
      {"/static/./sub/./inner.css", 200},
      {"/static/sub//inner.css", 200},
  };
  for (const Case& c : cases) {
    INFO(c.target);
    Response r = fetch(server.port(), get_request(c.target));
    CHECK(r.status == c.status);
    CHECK(r.body.find("SECRET") == std::string::npos);
    CHECK(r.body.find("root:") == std::string::npos);
  }
  for (const std::string& logged : server.exceptions()) {  // only the 400's HTTPError reaches the log
    CHECK(logged.find("percent") != std::string::npos);
  }
}

TEST_CASE("static_files refuses a prefix without '/' and a directory it cannot open", "[web][static][paths]") {
  TempDir dir;
  eddy::Application app;
  CHECK_THROWS_AS(app.static_files("static", dir.path()), std::invalid_argument);
  CHECK_THROWS_AS(app.static_files("/static", dir.file("missing")), std::system_error);
  CHECK_NOTHROW(app.static_files("/a.b+c/", dir.path()));  // regex metacharacters in a prefix are literal
}

TEST_CASE("a prefix with regex metacharacters matches literally", "[web][static][paths]") {
  StaticRootFixture fx;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) { app.static_files("/v1.0+x", fx.root); });
  CHECK(fetch(server.port(), get_request("/v1.0+x/small.txt")).body == "hello, static");
  CHECK(fetch(server.port(), get_request("/v1x0+x/small.txt")).status == 404);
  CHECK(fetch(server.port(), get_request("/v1.0+xsmall.txt")).status == 404);
}

TEST_CASE("no descriptor leaks after many static requests and aborted downloads", "[web][static][paths][fds]") {
  TraversalFixture fx;
  write_file(fx.root + "/large.bin", static_pattern(16 * 1024 * 1024));
  HTTPTestServer server(serve_root(fx.root));
  { Client warm(server.port()); warm.send(get_request("/static/small.txt")); (void)warm.response(); }
  int baseline = wait_fd_count_at_most(0, std::chrono::seconds(0));
  {
    Client c(server.port());
    const char* targets[] = {"/static/small.txt", "/static/big.bin", "/static/missing", "/static/escape",
                             "/static/sub", "/static/fifo", "/static/empty.txt"};
    for (int i = 0; i < 140; ++i) {
      const char* target = targets[i % 7];
      c.send(get_request(target, i % 3 == 0 ? "Range: bytes=10-2000000\r\n" : ""));
      (void)c.response();
    }
  }
  for (int i = 0; i < 20; ++i) {
    Client c(server.port());
    c.send(get_request("/static/large.bin"));
    char some[1000];
    REQUIRE(::recv(c.fd(), some, sizeof some, MSG_WAITALL) > 0);
    if (i % 2 == 0) {
      linger hard{1, 0};  // a reset, half of the time
      ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
  }  // each client goes mid-download
  CHECK(wait_fd_count_at_most(baseline) <= baseline);
  CHECK(server.exceptions().empty());
}
