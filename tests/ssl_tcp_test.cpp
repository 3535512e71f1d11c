// TLS through TCPServer and TCPClient: set_ssl_context hands handle_stream
// streams whose handshake is done; connect(host, port, ctx) resolves once
// the handshake is done (SNI and the host check use `host`), else fails with
// SSLError.
#include <eddy/eddy.hpp>
#include <eddy/ssl.hpp>

#include <string>

#include <catch2/catch.hpp>

#include "support/tls_helpers.hpp"

using namespace std::chrono_literals;

namespace {

// A TLS echo server on 127.0.0.1 (lines); counts the streams it was handed.
struct EchoServer {
  std::shared_ptr<int> handed = std::make_shared<int>(0);
  eddy::TCPServer server;
  std::uint16_t port = 0;

  explicit EchoServer(const eddy::SSLContext& ctx)
      : server([handed = handed](eddy::IOStream stream, std::string) -> eddy::Future<void> {
          ++*handed;
          try {
            for (;;) {
              std::string line = co_await stream.read_until("\n");
              co_await stream.write(line);
            }
          } catch (const eddy::StreamClosedError&) {
          }
        }) {
    server.set_ssl_context(ctx);
    port = server.listen(0, "127.0.0.1");
  }
};

}  // namespace

TEST_CASE("a TLS TCPServer hands over streams whose handshake is done; TCPClient connects with TLS",
          "[ssl][tcp]") {
  eddy::IOLoop loop;
  loop.make_current();
  EchoServer echo(eddy_test::server_context());
  std::string got = loop.run_sync([&]() -> eddy::Future<std::string> {
    eddy::IOStream stream = co_await eddy::TCPClient().connect("localhost", echo.port, eddy_test::client_context());
    co_await stream.write("over TLS\n");
    std::string line = co_await stream.read_until("\n");
    stream.close();
    co_return line;
  }, 20s);
  CHECK(got == "over TLS\n");
  CHECK(*echo.handed == 1);
}

TEST_CASE("TCPClient checks an IP literal against the certificate's addresses", "[ssl][tcp]") {
  eddy::IOLoop loop;
  loop.make_current();
  EchoServer echo(eddy_test::server_context());
  std::string got = loop.run_sync([&]() -> eddy::Future<std::string> {
    eddy::IOStream stream = co_await eddy::TCPClient().connect("127.0.0.1", echo.port, eddy_test::client_context());
    co_await stream.write("by address\n");
    co_return co_await stream.read_until("\n");
  }, 20s);
  CHECK(got == "by address\n");
}

TEST_CASE("TCPClient's TLS connect to a server with a wrong certificate fails with SSLError", "[ssl][tcp]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy_test::LogCounter log;
  log.install(loop);
  EchoServer echo(eddy_test::server_context("other"));
  std::string what = loop.run_sync([&]() -> eddy::Future<std::string> {
    eddy::Future<eddy::IOStream> connecting = eddy::TCPClient().connect("localhost", echo.port, eddy_test::client_context());
    try {
      co_await connecting;
    } catch (const eddy::SSLError& e) {
      co_return std::string(e.what());
    }
    co_return std::string("connected");
  }, 20s);
  CHECK_THAT(what, Catch::Contains("hostname mismatch"));
  // The server's side of it: one line, its handshake failed on the client's alert.
  loop.run_sync([] { return eddy::sleep(100ms); });
  CHECK(*echo.handed == 0);
  CHECK(log.count() == 1);
}

TEST_CASE("set_ssl_context refuses a client context", "[ssl][tcp]") {
  eddy::IOLoop loop;
  eddy::TCPServer server([](eddy::IOStream, std::string) {});
  CHECK_THROWS_AS(server.set_ssl_context(eddy::SSLContext::client()), std::invalid_argument);
}

TEST_CASE("a TLS server stopped and destroyed during a handshake closes that connection", "[ssl][tcp]") {
  eddy::IOLoop loop;
  loop.make_current();
  std::optional<EchoServer> echo;
  echo.emplace(eddy_test::server_context());
  std::uint16_t port = echo->port;
  std::string what = loop.run_sync([&]() -> eddy::Future<std::string> {
    eddy::Future<eddy::IOStream> connecting = eddy::TCPClient().connect("localhost", port, eddy_test::client_context());
    co_await eddy::sleep(1ms);
    echo.reset();  // accepted (or soon): its handshake finishes with no server to hand the stream to
    try {
      eddy::IOStream stream = co_await connecting;
      eddy::Future<std::string> read = stream.read_bytes(1);
      co_await read;
    } catch (const std::exception& e) {
      co_return std::string(e.what());
    }
    co_return std::string("read a byte");
  }, 20s);
  CHECK_FALSE(what == "read a byte");
}

TEST_CASE("a TLS server's connection still shaking hands when its loop dies is freed with the loop",
          "[ssl][tcp][lifetime]") {
  std::optional<eddy::TCPServer> server;
  int client = -1;
  {
    eddy::IOLoop loop;
    loop.make_current();
    server.emplace([](eddy::IOStream, std::string) { FAIL("no handshake was completed"); });
    server->set_ssl_context(eddy_test::server_context());
    std::uint16_t port = server->listen(0, "127.0.0.1");
    // A client that connects and says nothing: accepted, its handshake waits.
    client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    loop.add_timeout(100ms, [&] { loop.stop(); });
    loop.start();
  }
  server.reset();  // outlives its loop: touches nothing of it
  char byte;
  CHECK(::recv(client, &byte, 1, 0) == 0);  // the server's side was closed with the loop
  ::close(client);
}
