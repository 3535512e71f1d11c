// The server driven by clients written elsewhere: curl, Python's
// http.client, h2load (or wrk) at a small fixed count (never timed), and a
// long-poll broadcast to 2,000 waiting clients.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <eddy/locks.hpp>

#include "support/http_test_server.hpp"
#include "support/run_command.hpp"

using eddy_test::Client;
using eddy_test::HTTPTestServer;

namespace {

bool have(const char* program) { return eddy_test::have_program(program); }

// The command's standard output (and its wait status in `status`).
std::string run(const std::string& command, int* status = nullptr) {
  eddy_test::CommandRun done = eddy_test::run_command(command);
  if (status != nullptr) *status = done.status;
  return done.out;
}

void client_routes(eddy::Application& app, eddy::IOLoop&) {
  app.route("/plaintext", [](eddy::RequestHandler& h) {
    h.set_header("Content-Type", "text/plain");
    h.write("Hello, World!");
  });
  app.route("/echo", {"POST", "PUT"}, [](eddy::RequestHandler& h) {
    h.write(h.request().method + ":" + std::to_string(h.request().body.size()) + ":" + h.request().body.substr(0, 16));
  });
  app.route("/stream", [](eddy::RequestHandler& h) -> eddy::Future<void> {
    for (int i = 0; i < 3; ++i) {
      h.write("chunk" + std::to_string(i) + ";");
      co_await h.flush();
    }
  });
  app.route("/go", [](eddy::RequestHandler& h) { h.redirect("/plaintext"); });
}

}  // namespace

TEST_CASE("curl gets answers: keep-alive reuse, a POST body, 100-continue, chunked streaming, redirects",
          "[http][clients][curl]") {
  if (!have("curl")) {
    WARN("curl is not installed: skipped");
    return;
  }
  HTTPTestServer server(client_routes);
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  // Two URLs in one invocation reuse the connection; -w shows how many connects it made.
  std::string out = run("curl -s " + base + "/plaintext " + base + "/plaintext -w '[%{num_connects}]'");
  CHECK(out == "Hello, World![1]Hello, World![0]");
  // A 2 KB body makes curl send Expect: 100-continue.
  out = run("head -c 2048 /dev/zero | tr '\\0' 'a' | curl -s -H 'Expect: 100-continue' --data-binary @- " + base + "/echo");
  CHECK(out == "POST:2048:aaaaaaaaaaaaaaaa");
  out = run("printf 'chunked body' | curl -s -H 'Transfer-Encoding: chunked' -X PUT --data-binary @- " + base + "/echo");
  CHECK(out == "PUT:12:chunked body");
  out = run("curl -s -D - " + base + "/stream");
  CHECK(out.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(out.find("chunk0;chunk1;chunk2;") != std::string::npos);
  CHECK(run("curl -s -L " + base + "/go") == "Hello, World!");
  CHECK(run("curl -s -o /dev/null -w '%{http_code}' " + base + "/nowhere") == "404");
  CHECK(run("curl -s -I -o /dev/null -w '%{http_code}' " + base + "/plaintext") == "200");
  CHECK(run("curl -s --http1.0 " + base + "/plaintext") == "Hello, World!");
  CHECK(server.exceptions().empty());
}

TEST_CASE("Python's http.client: keep-alive, bodies, chunked upload, HEAD and a bad request",
          "[http][clients][python]") {
  if (!have("/usr/bin/python3")) {
    WARN("/usr/bin/python3 is not installed: skipped");
    return;
  }
  HTTPTestServer server(client_routes);
  std::string script = R"PY(
import http.client, socket, sys
port = int(sys.argv[1])
c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
out = []
for i in range(3):
    c.request('GET', '/plaintext')
    r = c.getresponse()
    out.append('%d %s %s' % (r.status, r.read().decode(), r.getheader('Content-Length')))
sock = c.sock
c.request('POST', '/echo', body='x' * 70000, headers={'Content-Type': 'application/octet-stream'})
r = c.getresponse(); out.append('%d %s' % (r.status, r.read().decode()))
c.request('PUT', '/echo', body=iter([b'ab', b'cd', b'ef']), encode_chunked=True)
r = c.getresponse(); out.append('%d %s' % (r.status, r.read().decode()))
c.request('HEAD', '/plaintext')
r = c.getresponse(); out.append('%d [%s] %s' % (r.status, r.read().decode(), r.getheader('Content-Length')))
c.request('GET', '/stream')
r = c.getresponse(); out.append('%d %s' % (r.status, r.read().decode()))
out.append('same socket' if c.sock is sock else 'reconnected')
s = socket.create_connection(('127.0.0.1', port), timeout=20)
s.sendall(b'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')
data = b''
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
out.append(data.split(b'\r\n')[0].decode())
print('\n'.join(out))
)PY";
  std::string path = "/tmp/eddy_http_client_" + std::to_string(::getpid()) + ".py";
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs(script.c_str(), f);
  std::fclose(f);
  int status = 0;
  std::string out = run("/usr/bin/python3 " + path + " " + std::to_string(server.port()) + " 2>&1", &status);
  std::remove(path.c_str());
  CHECK(status == 0);
  CHECK(out ==
        "200 Hello, World! 13\n200 Hello, World! 13\n200 Hello, World! 13\n"
        "200 POST:70000:xxxxxxxxxxxxxxxx\n200 PUT:6:abcdef\n200 [] 13\n200 chunk0;chunk1;chunk2;\n"
        "same socket\nHTTP/1.1 400 Bad Request\n");
}

TEST_CASE("h2load (or wrk) completes a fixed number of keep-alive and pipelined requests",
          "[http][clients][load]") {
  HTTPTestServer server(client_routes);
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/plaintext";
  if (have("h2load")) {
    std::string out = run("h2load --h1 -n 2000 -c 8 -m 1 " + url + " 2>&1");
    CHECK(out.find("2000 succeeded, 0 failed, 0 errored") != std::string::npos);
    out = run("h2load --h1 -n 4000 -c 4 -m 16 " + url + " 2>&1");  // 16 pipelined per connection
    CHECK(out.find("4000 succeeded, 0 failed, 0 errored") != std::string::npos);
    INFO(out);
  } else if (have("wrk")) {
    std::string out = run("wrk -t1 -c8 -d1s " + url + " 2>&1");
    CHECK(out.find("requests in") != std::string::npos);
    CHECK(out.find("Non-2xx") == std::string::npos);
    CHECK(out.find("Socket errors") == std::string::npos);
  } else {
    WARN("neither h2load nor wrk is installed: skipped");
  }
  CHECK(server.exceptions().empty());
}

TEST_CASE("a long poll: 2,000 clients wait on one URL and all receive one broadcast", "[http][clients][longpoll]") {
  constexpr int clients = 2000;
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < 2 * clients + 200) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 2 * clients + 500);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < 2 * clients + 200) {
    WARN("RLIMIT_NOFILE too low for the long-poll test: skipped");
    return;
  }
  std::atomic<int> waiting{0};
  auto news = std::make_shared<std::string>();
  std::unique_ptr<eddy::Condition> arrived;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    arrived = std::make_unique<eddy::Condition>();
    app.route("/updates", [&, news](eddy::RequestHandler& h) -> eddy::Future<void> {
      ++waiting;
      co_await arrived->wait();
      h.write(*news);
    });
    app.route("/post", {"POST"}, [&, news](eddy::RequestHandler& h) {
      *news = h.request().body;
      arrived->notify_all();
      h.write("sent");
    });
  });
  std::vector<std::unique_ptr<Client>> waiters;
  for (int i = 0; i < clients; ++i) {
    waiters.push_back(std::make_unique<Client>(server.port()));
    waiters.back()->send(eddy_test::get_request("/updates"));
  }
  for (int i = 0; i < 2000 && waiting < clients; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(waiting == clients);
  eddy_test::Response posted = eddy_test::fetch(server.port(), "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  CHECK(posted.body == "sent");
  int received = 0;
  for (auto& c : waiters) received += c->response().body == "hello" ? 1 : 0;
  CHECK(received == clients);
  waiters.clear();
  server.on_loop([&](eddy::HTTPServer&, eddy::IOLoop&) { arrived.reset(); });
  CHECK(server.exceptions().empty());
}
