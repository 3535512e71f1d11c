// The HTTP clients over https://, against eddy's own HTTPS server, Python's
// ssl server and nginx with TLS: a good certificate, every bad one (HTTP 599
// naming the reason), validate_cert = false, ca_certs, client certificates,
// ALPN "http/1.1", SNI for names only, a pool that never mixes TLS
// settings, a redirect from http:// to https://, and the blocking client.
#include <eddy/http.hpp>
#include <eddy/ssl.hpp>

#include <string>

#include <catch2/catch.hpp>

#include "support/tls_helpers.hpp"
#include "support/tls_peers.hpp"

using namespace std::chrono_literals;

namespace {

eddy::HTTPRequest trusting(const std::string& url) {
  eddy::HTTPRequest r(url);
  r.ca_certs = eddy_test::test_certs().ca_cert;
  return r;
}

// The fetch's body, or "599: <what>" when it fails with HTTPClientError.
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

}  // namespace

TEST_CASE("AsyncHTTPClient fetches https:// from eddy's HTTPS server, keep-alive pooled", "[ssl][http][client]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::HTTPServerOptions options;
  options.ssl = eddy_test::server_context();
  eddy::HTTPServer server([](eddy::RequestHandler& h) { h.write(h.request().protocol + " " + h.request().path); },
                          options);
  std::uint16_t port = server.listen(0, "127.0.0.1");
  eddy::AsyncHTTPClient client(loop);
  std::string base = "https://localhost:" + std::to_string(port);
  CHECK(fetch(loop, client, trusting(base + "/a")) == "https /a");
  CHECK(client.idle_connections() == 1);
  CHECK(fetch(loop, client, trusting(base + "/b")) == "https /b");
  CHECK(client.idle_connections() == 1);  // the same connection, reused
  CHECK(server.connection_count() == 1);
}

TEST_CASE("the pool never hands a fetch a connection made with other TLS settings", "[ssl][http][client]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::HTTPServerOptions options;
  options.ssl = eddy_test::server_context();
  eddy::HTTPServer server([](eddy::RequestHandler& h) { h.write("ok"); }, options);
  std::uint16_t port = server.listen(0, "127.0.0.1");
  eddy::AsyncHTTPClient client(loop);
  std::string url = "https://localhost:" + std::to_string(port) + "/";
  CHECK(fetch(loop, client, trusting(url)) == "ok");
  eddy::HTTPRequest lax(url);
  lax.validate_cert = false;
  CHECK(fetch(loop, client, lax) == "ok");
  CHECK(client.idle_connections() == 2);
  eddy::HTTPRequest with_cert = trusting(url);
  with_cert.client_cert = eddy_test::test_certs().client_cert;
  with_cert.client_key = eddy_test::test_certs().client_key;
  CHECK(fetch(loop, client, with_cert) == "ok");
  CHECK(client.idle_connections() == 3);
  // An unverified connection is never handed to a verifying fetch: the
  // system store does not know the test CA, so this one must fail afresh.
  CHECK_THAT(fetch(loop, client, eddy::HTTPRequest(url)), Catch::StartsWith("599: ") && Catch::Contains("unable to get local issuer"));
}

TEST_CASE("AsyncHTTPClient against Python's ssl server: SNI for names only, ALPN http/1.1, every bad certificate is 599",
          "[ssl][http][client][python]") {
  const eddy_test::TestCerts& c = eddy_test::test_certs();
  eddy_test::TLSPeer good = eddy_test::TLSPeer::python(c.server_cert, c.server_key);
  REQUIRE(good.available());
  eddy::IOLoop loop;
  loop.make_current();
  eddy::AsyncHTTPClient client(loop);
  CHECK(fetch(loop, client, trusting(good.url("/info"))) == "sni=localhost alpn=http/1.1 client=-");
  CHECK(fetch(loop, client, trusting(good.url("/info", "127.0.0.1"))) == "sni=None alpn=http/1.1 client=-");
  std::string unknown = fetch(loop, client, eddy::HTTPRequest(good.url("/info")));
  CHECK_THAT(unknown, Catch::StartsWith("599: ") && Catch::Contains("unable to get local issuer certificate"));

  struct Bad {
    std::string cert, key, reason;
  };
  for (const Bad& bad : {Bad{c.other_host_cert, c.other_host_key, "hostname mismatch"},
                         Bad{c.expired_cert, c.expired_key, "certificate has expired"},
                         Bad{c.future_cert, c.future_key, "certificate is not yet valid"},
                         Bad{c.self_signed_cert, c.self_signed_key, "self-signed certificate"}}) {
    eddy_test::TLSPeer peer = eddy_test::TLSPeer::python(bad.cert, bad.key);
    REQUIRE(peer.available());
    std::string out = fetch(loop, client, trusting(peer.url("/info")));
    CHECK_THAT(out, Catch::StartsWith("599: ") && Catch::Contains(bad.reason));
    eddy::HTTPRequest lax(peer.url("/info"));
    lax.validate_cert = false;
    CHECK(fetch(loop, client, lax) == "sni=localhost alpn=http/1.1 client=-");
  }
}

TEST_CASE("AsyncHTTPClient presents a client certificate to Python's ssl server that requires one",
          "[ssl][http][client][python][client-cert]") {
  const eddy_test::TestCerts& c = eddy_test::test_certs();
  eddy_test::TLSPeer peer = eddy_test::TLSPeer::python(c.server_cert, c.server_key, c.ca_cert);
  REQUIRE(peer.available());
  eddy::IOLoop loop;
  loop.make_current();
  eddy::AsyncHTTPClient client(loop);
  eddy::HTTPRequest with_cert = trusting(peer.url("/info"));
  with_cert.client_cert = c.client_cert;
  with_cert.client_key = c.client_key;
  CHECK(fetch(loop, client, with_cert) == "sni=localhost alpn=http/1.1 client=eddy test client");
  std::string without = fetch(loop, client, trusting(peer.url("/info")));
  CHECK_THAT(without, Catch::StartsWith("599: "));
}

TEST_CASE("AsyncHTTPClient against nginx with TLS: keep-alive, client certificates, bad certificates",
          "[ssl][http][client][nginx]") {
  const eddy_test::TestCerts& c = eddy_test::test_certs();
  eddy_test::TLSPeer nginx = eddy_test::TLSPeer::nginx(c.server_cert, c.server_key);
  REQUIRE(nginx.available());
  eddy::IOLoop loop;
  loop.make_current();
  eddy::AsyncHTTPClient client(loop);
  for (int i = 0; i < 3; ++i) CHECK(fetch(loop, client, trusting(nginx.url("/hello"))) == "Hello, world!");
  CHECK(client.idle_connections() == 1);

  eddy_test::TLSPeer strict = eddy_test::TLSPeer::nginx(c.server_cert, c.server_key, c.ca_cert);
  REQUIRE(strict.available());
  eddy::HTTPRequest with_cert = trusting(strict.url("/client"));
  with_cert.client_cert = c.client_cert;
  with_cert.client_key = c.client_key;
  CHECK_THAT(fetch(loop, client, with_cert), Catch::Contains("CN=eddy test client"));
  eddy::HTTPResponse refused = loop.run_sync([&] { return client.fetch(trusting(strict.url("/client")), false); }, 30s);
  CHECK(refused.code == 400);  // nginx: "No required SSL certificate was sent"

  eddy_test::TLSPeer wrong = eddy_test::TLSPeer::nginx(c.other_host_cert, c.other_host_key);
  REQUIRE(wrong.available());
  CHECK_THAT(fetch(loop, client, trusting(wrong.url("/hello"))), Catch::Contains("hostname mismatch"));
}

TEST_CASE("a ca_certs file that cannot be loaded fails the fetch with 599 naming it", "[ssl][http][client]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::AsyncHTTPClient client(loop);
  eddy::HTTPRequest request("https://localhost:1/");
  request.ca_certs = "/nonexistent/ca.pem";
  std::string out = fetch(loop, client, request);
  CHECK_THAT(out, Catch::StartsWith("599: ") && Catch::Contains("cannot load CA file '/nonexistent/ca.pem'"));
}

TEST_CASE("a redirect from http:// to https:// is followed", "[ssl][http][client]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::HTTPServerOptions options;
  options.ssl = eddy_test::server_context();
  eddy::HTTPServer secure([](eddy::RequestHandler& h) { h.write("secure " + h.request().path); }, options);
  std::uint16_t secure_port = secure.listen(0, "127.0.0.1");
  std::string target = "https://localhost:" + std::to_string(secure_port) + "/landed";
  eddy::HTTPServer plain([target](eddy::RequestHandler& h) { h.redirect(target); });
  std::uint16_t plain_port = plain.listen(0, "127.0.0.1");
  eddy::AsyncHTTPClient client(loop);
  CHECK(fetch(loop, client, trusting("http://127.0.0.1:" + std::to_string(plain_port) + "/")) == "secure /landed");
}

TEST_CASE("the blocking HTTPClient fetches https://", "[ssl][http][client]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::HTTPServerOptions options;
  options.ssl = eddy_test::server_context();
  eddy::HTTPServer server([](eddy::RequestHandler& h) { h.write("blocking ok"); }, options);
  std::uint16_t port = server.listen(0, "127.0.0.1");
  std::string body;
  std::string error;
  std::thread user([&] {
    try {
      eddy::HTTPClient blocking;
      body = blocking.fetch(trusting("https://localhost:" + std::to_string(port) + "/")).body;
    } catch (const std::exception& e) {
      error = e.what();
    }
    loop.add_callback([&] { loop.stop(); });
  });
  loop.start();
  user.join();
  CHECK(error.empty());
  CHECK(body == "blocking ok");
}
