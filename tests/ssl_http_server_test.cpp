// eddy's HTTPS server (HTTPServerOptions::ssl) against real clients: curl
// --cacert, Python's ssl + http.client (keep-alive, session resumption),
// openssl s_client (ALPN, resumption with -sess_out/-sess_in). Clients that
// leave without close_notify after their exchange are not logged; plain
// HTTP on the TLS port is closed with one line.
#include <eddy/http.hpp>
#include <eddy/ssl.hpp>

#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "support/tls_helpers.hpp"
#include "support/tls_peers.hpp"
#include "support/run_command.hpp"

using namespace std::chrono_literals;

namespace {

// Runs a shell command on the loop's executor (it blocks) while the loop
// serves; returns its stdout.
std::string shell(eddy::IOLoop& loop, const std::string& command) {
  return loop.run_sync([&] {
    return loop.run_in_executor([command] { return eddy_test::run_command_anywhere(command).out; });
  }, 60s);
}

std::string python(eddy::IOLoop& loop, const std::string& script, const std::string& args) {
  return loop.run_sync([&] { return loop.run_in_executor([script, args] { return eddy_test::run_python(script, args); }); },
                       60s);
}

// An HTTPS server on 127.0.0.1: "/" answers "hello <protocol>", POST "/echo"
// its body.
struct HTTPSServer {
  eddy::IOLoop loop;
  eddy_test::LogCounter log;
  eddy::Application app;
  std::optional<eddy::HTTPServer> server;
  std::uint16_t port = 0;

  HTTPSServer() {
    loop.make_current();
    log.install(loop);
    app.route("/", [](eddy::RequestHandler& h) { h.write("hello " + h.request().protocol); });
    app.route("/echo", [](eddy::RequestHandler& h) { h.write(h.request().body); });
    eddy::HTTPServerOptions options;
    options.ssl = eddy_test::server_context();
    server.emplace(app, options);
    port = server->listen(0, "127.0.0.1");
  }
  std::string url(const std::string& path) const { return "https://localhost:" + std::to_string(port) + path; }
};

}  // namespace

TEST_CASE("eddy's HTTPS server answers curl --cacert; request().protocol reads https", "[ssl][http][server][curl]") {
  HTTPSServer s;
  const std::string ca = eddy_test::test_certs().ca_cert;
  std::string out = shell(s.loop, "curl -s --cacert " + ca + " " + s.url("/") + " " + s.url("/") +
                                      " --next -s --cacert " + ca + " -d posted " + s.url("/echo") + " 2>&1");
  CHECK(out == "hello httpshello httpsposted");
  // curl without the CA refuses the server.
  std::string refused = shell(s.loop, "curl -s -o /dev/null -w '%{http_code} %{ssl_verify_result}' " + s.url("/") +
                                          "; echo \" exit=$?\"");
  CHECK_THAT(refused, Catch::Contains("exit=60"));
}

TEST_CASE("eddy's HTTPS server serves Python's http.client with keep-alive and resumes its session",
          "[ssl][http][server][python]") {
  HTTPSServer s;
  std::string out = python(s.loop,
                           "import http.client, socket, ssl, sys\n"
                           "port, ca = int(sys.argv[1]), sys.argv[2]\n"
                           "ctx = ssl.create_default_context(cafile=ca)\n"
                           "c = http.client.HTTPSConnection('localhost', port, context=ctx)\n"
                           "for i in range(3):\n"
                           "    c.request('GET', '/')\n"
                           "    r = c.getresponse()\n"
                           "    print(r.status, r.read().decode())\n"
                           "session = c.sock.session\n"
                           "print('version', c.sock.version())\n"
                           "c.close()\n"
                           "raw = socket.create_connection(('127.0.0.1', port))\n"
                           "s2 = ctx.wrap_socket(raw, server_hostname='localhost', session=session)\n"
                           "s2.sendall(b'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n')\n"
                           "data = b''\n"
                           "while True:\n"
                           "    chunk = s2.recv(4096)\n"
                           "    if not chunk: break\n"
                           "    data += chunk\n"
                           "print('reused', s2.session_reused, data.endswith(b'hello https'))\n",
                           std::to_string(s.port) + " " + eddy_test::test_certs().ca_cert);
  CHECK_THAT(out, Catch::Contains("200 hello https\n200 hello https\n200 hello https\n"));
  CHECK_THAT(out, Catch::Contains("version TLSv1.3"));
  CHECK_THAT(out, Catch::Contains("reused True True"));
  // http.client closes without close_notify after a complete exchange: not logged.
  s.loop.run_sync([] { return eddy::sleep(50ms); });
  INFO(s.log.all());
  CHECK(s.log.count() == 0);
}

TEST_CASE("openssl s_client negotiates ALPN http/1.1 with eddy's HTTPS server and resumes with -sess_in",
          "[ssl][http][server][s_client]") {
  HTTPSServer s;
  std::string dir = eddy_test::test_certs().dir;
  std::string session = dir + "/s_client_session.pem";
  std::string base = "printf 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | "
                     "openssl s_client -connect 127.0.0.1:" + std::to_string(s.port) +
                     " -servername localhost -verify_hostname localhost -CAfile " + eddy_test::test_certs().ca_cert +
                     " -alpn http/1.1 -ign_eof ";
  std::string first = shell(s.loop, base + "-sess_out " + session + " 2>&1");
  CHECK_THAT(first, Catch::Contains("ALPN protocol: http/1.1"));
  CHECK_THAT(first, Catch::Contains("Verify return code: 0 (ok)"));
  CHECK_THAT(first, Catch::Contains("hello https"));
  CHECK_THAT(first, Catch::Contains("New, TLSv1.3"));
  std::string second = shell(s.loop, base + "-sess_in " + session + " 2>&1");
  CHECK_THAT(second, Catch::Contains("Reused, TLSv1.3"));
  CHECK_THAT(second, Catch::Contains("hello https"));
  // TLS 1.2 resumes too (session tickets).
  std::string tls12 = base + "-tls1_2 ";
  std::string third = shell(s.loop, tls12 + "-sess_out " + session + " 2>&1");
  CHECK_THAT(third, Catch::Contains("New, TLSv1.2"));
  std::string fourth = shell(s.loop, tls12 + "-sess_in " + session + " 2>&1");
  CHECK_THAT(fourth, Catch::Contains("Reused, TLSv1.2"));
}

TEST_CASE("plain HTTP sent to eddy's HTTPS port is closed with one log line", "[ssl][http][server]") {
  HTTPSServer s;
  std::string out = shell(s.loop, "curl -s -m 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:" +
                                      std::to_string(s.port) + "/; echo \" exit=$?\"");
  CHECK_THAT(out, Catch::Contains("exit=52"));  // empty reply from server: closed
  s.loop.run_sync([] { return eddy::sleep(50ms); });
  REQUIRE(s.log.count() == 1);
  CHECK_THAT(s.log.all(), Catch::Contains("http request"));
}

TEST_CASE("TLS 1.1 and older are refused", "[ssl][http][server][s_client]") {
  HTTPSServer s;
  std::string out = shell(s.loop, "openssl s_client -connect 127.0.0.1:" + std::to_string(s.port) +
                                      " -tls1_1 </dev/null 2>&1; echo \" exit=$?\"");
  CHECK_FALSE(out.find("exit=0") != std::string::npos);
}
