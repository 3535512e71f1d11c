// Client defaults are safe: a wrong host, an unknown CA, an expired or
// not-yet-valid certificate, a self-signed one each fail the handshake with
// SSLError naming OpenSSL's reason; set_verify(false) accepts them; a server
// with set_verify(true) requires a client certificate its CA signed.
#include <eddy/eddy.hpp>
#include <eddy/ssl.hpp>

#include <string>

#include <catch2/catch.hpp>

#include "support/tls_helpers.hpp"

using namespace std::chrono_literals;
using eddy_test::TLSPair;

namespace {

// The client's handshake outcome: "" on success, else SSLError's what().
std::string client_outcome(const eddy::SSLContext& server_ctx, const eddy::SSLContext& client_ctx,
                           const std::string& host) {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop, server_ctx, client_ctx, host);
  return loop.run_sync([&]() -> eddy::Future<std::string> {
    eddy::Future<void> handshake = p.client.wait_for_handshake();
    try {
      co_await handshake;
      co_return std::string();
    } catch (const eddy::SSLError& e) {
      CHECK(p.client.closed());
      co_return std::string(e.what());
    }
  }, 20s);
}

}  // namespace

TEST_CASE("a certificate for the host, signed by a trusted CA, passes; by name and by IP address",
          "[ssl][verify]") {
  CHECK(client_outcome(eddy_test::server_context(), eddy_test::client_context(), "localhost").empty());
  CHECK(client_outcome(eddy_test::server_context(), eddy_test::client_context(), "127.0.0.1").empty());
}

TEST_CASE("a certificate for another host fails with SSLError: hostname mismatch", "[ssl][verify]") {
  std::string what = client_outcome(eddy_test::server_context("other"), eddy_test::client_context(), "localhost");
  CHECK_THAT(what, Catch::Contains("certificate verify failed: hostname mismatch"));
  CHECK_THAT(what, Catch::Contains("localhost"));
}

TEST_CASE("a certificate without the IP address connected to fails: IP address mismatch", "[ssl][verify]") {
  std::string what = client_outcome(eddy_test::server_context(), eddy_test::client_context(), "10.9.8.7");
  CHECK_THAT(what, Catch::Contains("IP address mismatch"));
}

TEST_CASE("a certificate from an unknown CA fails: the system store does not know the test CA", "[ssl][verify]") {
  std::string what = client_outcome(eddy_test::server_context(), eddy::SSLContext::client(), "localhost");
  CHECK_THAT(what, Catch::Contains("unable to get local issuer certificate"));
}

TEST_CASE("an expired certificate fails: certificate has expired", "[ssl][verify]") {
  std::string what = client_outcome(eddy_test::server_context("expired"), eddy_test::client_context(), "localhost");
  CHECK_THAT(what, Catch::Contains("certificate has expired"));
}

TEST_CASE("a certificate not yet valid fails: certificate is not yet valid", "[ssl][verify]") {
  std::string what = client_outcome(eddy_test::server_context("future"), eddy_test::client_context(), "localhost");
  CHECK_THAT(what, Catch::Contains("certificate is not yet valid"));
}

TEST_CASE("a self-signed certificate fails: self-signed certificate", "[ssl][verify]") {
  std::string what = client_outcome(eddy_test::server_context("self"), eddy_test::client_context(), "localhost");
  CHECK_THAT(what, Catch::Contains("self-signed certificate"));
}

TEST_CASE("set_verify(false) accepts every bad certificate (Tornado's validate_cert=False)", "[ssl][verify]") {
  eddy::SSLContext lax = eddy::SSLContext::client();
  lax.set_verify(false);
  for (const char* which : {"other", "expired", "future", "self", "server"}) {
    INFO(which);
    CHECK(client_outcome(eddy_test::server_context(which), lax, "localhost").empty());
  }
  // Without verification a client needs no host name at all.
  eddy::IOLoop loop;
  std::pair<int, int> fds = eddy_test::socket_pair();
  eddy::SSLIOStream server(fds.first, loop, eddy_test::server_context(), true);
  eddy::SSLIOStream client(fds.second, loop, lax, false);
  loop.run_sync([&] { return client.wait_for_handshake(); }, 20s);
}

TEST_CASE("a server that requires client certificates accepts one its CA signed", "[ssl][verify][client-cert]") {
  const eddy_test::TestCerts& c = eddy_test::test_certs();
  eddy::SSLContext server_ctx = eddy_test::server_context();
  server_ctx.load_verify_locations(c.ca_cert);
  server_ctx.set_verify(true);
  eddy::SSLContext client_ctx = eddy_test::client_context();
  client_ctx.load_cert_chain(c.client_cert, c.client_key);
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop, server_ctx, client_ctx);
  std::string got = loop.run_sync([&]() -> eddy::Future<std::string> {
    co_await p.client.write("with a certificate\n");
    co_return co_await p.server.read_until("\n");
  }, 20s);
  CHECK(got == "with a certificate\n");
}

TEST_CASE("a server that requires client certificates refuses a client without one", "[ssl][verify][client-cert]") {
  eddy::SSLContext server_ctx = eddy_test::server_context();
  server_ctx.load_verify_locations(eddy_test::test_certs().ca_cert);
  server_ctx.set_verify(true);
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop, server_ctx, eddy_test::client_context());
  std::string server_error, client_error;
  loop.run_sync([&]() -> eddy::Future<void> {
    eddy::Future<void> handshake = p.server.wait_for_handshake();
    try {
      co_await handshake;
    } catch (const eddy::SSLError& e) {
      server_error = e.what();
    }
    // TLS 1.3: the client finished its side first; it hears of the refusal
    // as an alert on its next read.
    eddy::Future<std::string> read = p.client.read_bytes(1);
    try {
      co_await read;
    } catch (const eddy::StreamClosedError& e) {
      client_error = e.what();
    }
  }, 20s);
  CHECK_THAT(server_error, Catch::Contains("peer did not return a certificate"));
  CHECK_THAT(client_error, Catch::Contains("certificate required"));
}

TEST_CASE("a context that cannot load its files throws SSLError naming the file", "[ssl][verify]") {
  CHECK_THROWS_WITH(eddy::SSLContext::server("/nonexistent/cert.pem", "/nonexistent/key.pem"),
                    Catch::Contains("/nonexistent/cert.pem"));
  eddy::SSLContext client = eddy::SSLContext::client();
  CHECK_THROWS_AS(client.load_verify_locations("/nonexistent/ca.pem"), eddy::SSLError);
  const eddy_test::TestCerts& c = eddy_test::test_certs();
  CHECK_THROWS_WITH(eddy::SSLContext::server(c.server_cert, c.client_key), Catch::Contains("mismatch"));
  CHECK_THROWS_AS(client.set_alpn_protocols({""}), std::invalid_argument);
}
