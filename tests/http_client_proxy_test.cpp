// HTTPRequest::proxy_host / proxy_port: http:// through a proxy (absolute-form
// target, Proxy-Authorization) and https:// through a CONNECT tunnel to
// eddy's HTTPS server with a certificate made at test time, against a small
// asyncio proxy (tests/support/http_proxy.py).
#include <eddy/http.hpp>
#include <eddy/ssl.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "support/peer_process.hpp"
#include "support/tls_helpers.hpp"

using namespace std::chrono_literals;

namespace {

class ProxyPeer : public eddy_test::PeerProcess {
 public:
  ProxyPeer() {
    make_dir("proxy");
    spawn({"/usr/bin/python3", std::string(EDDY_TEST_SOURCE_DIR) + "/support/http_proxy.py", dir_});
  }
  std::string log() const {
    std::ifstream in(dir_ + "/log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

// The fetch's body, or "<code>: <what>" when it fails with HTTPClientError.
std::string fetch(eddy::IOLoop& loop, eddy::AsyncHTTPClient& client, const eddy::HTTPRequest& request) {
  return loop.run_sync([&]() -> eddy::Future<std::string> {
    eddy::Future<eddy::HTTPResponse> response = client.fetch(request);
    try {
      eddy::HTTPResponse r = co_await response;
      co_return r.body;
    } catch (const eddy::HTTPClientError& e) {
      co_return std::to_string(e.code()) + ": " + e.what();
    }
  }, 30s);
}

eddy::HTTPRequest via(const std::string& url, const ProxyPeer& proxy) {
  eddy::HTTPRequest r(url);
  r.proxy_host = "127.0.0.1";
  r.proxy_port = proxy.port();
  r.ca_certs = eddy_test::test_certs().ca_cert;
  return r;
}

}  // namespace

TEST_CASE("an http:// fetch through a proxy sends the absolute URL and Proxy-Authorization",
          "[http][client][proxy][python]") {
  ProxyPeer proxy;
  REQUIRE(proxy.available());
  eddy::IOLoop loop;
  loop.make_current();
  eddy::HTTPServer server([](eddy::RequestHandler& h) { h.write(h.request().uri + " " + h.request().host); });
  std::uint16_t port = server.listen(0, "127.0.0.1");
  eddy::AsyncHTTPClient client(loop);
  std::string origin = "http://127.0.0.1:" + std::to_string(port);
  eddy::HTTPRequest r = via(origin + "/a?b=1", proxy);
  r.proxy_username = "u";
  r.proxy_password = "p";
  CHECK(fetch(loop, client, r) == "/a?b=1 127.0.0.1:" + std::to_string(port));
  CHECK(fetch(loop, client, via(origin + "/c", proxy)) == "/c 127.0.0.1:" + std::to_string(port));
  std::string log = proxy.log();
  CHECK(log.find("GET " + origin + "/a?b=1 HTTP/1.1 auth\n") != std::string::npos);
  eddy::IOLoop::clear_current();
}

TEST_CASE("an https:// fetch through a proxy tunnels with CONNECT and checks the origin's certificate",
          "[http][client][proxy][ssl][python]") {
  ProxyPeer proxy;
  REQUIRE(proxy.available());
  eddy::IOLoop loop;
  loop.make_current();
  eddy::HTTPServerOptions options;
  options.ssl = eddy_test::server_context();
  eddy::HTTPServer server([](eddy::RequestHandler& h) { h.write(h.request().protocol + " " + h.request().uri); },
                          options);
  std::uint16_t port = server.listen(0, "127.0.0.1");
  eddy::AsyncHTTPClient client(loop);
  std::string origin = "https://localhost:" + std::to_string(port);
  CHECK(fetch(loop, client, via(origin + "/x", proxy)) == "https /x");
  CHECK(fetch(loop, client, via(origin + "/y", proxy)) == "https /y");
  CHECK(client.idle_connections() == 1);  // the tunnel is pooled and reused
  std::string log = proxy.log();
  CHECK(log.find("CONNECT localhost:" + std::to_string(port) + " HTTP/1.1\n") != std::string::npos);
  // The origin's certificate is verified through the tunnel: without the
  // test CA (the system store only) it is refused.
  eddy::HTTPRequest untrusted = via(origin + "/z", proxy);
  untrusted.ca_certs.clear();
  std::string refused_cert = fetch(loop, client, untrusted);
  CHECK(refused_cert.rfind("599: ", 0) == 0);
  std::string refused = fetch(loop, client, via("https://refused.invalid:443/", proxy));
  CHECK(refused.find("refused CONNECT refused.invalid:443: 403") != std::string::npos);
  eddy::IOLoop::clear_current();
}
