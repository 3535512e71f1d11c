// <eddy/ssl.hpp> builds and works as C++17 (no coroutines), like
// <eddy/iostream.hpp>: TLS through TCPServer and TCPClient with callbacks.
#include <eddy/eddy.hpp>
#include <eddy/ssl.hpp>

#include <string>

#include <catch2/catch.hpp>

#include "support/loop_helpers.hpp"
#include "support/tls_helpers.hpp"

TEST_CASE("TLS echo with callbacks as C++17", "[ssl][cxx17]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::TCPServer server([](eddy::IOStream stream, std::string) {
    stream.read_until("\n").add_done_callback([stream](const eddy::Future<std::string>& line) mutable {
      if (!line.exception()) stream.write("echo " + line.result());
    });
  });
  server.set_ssl_context(eddy_test::server_context());
  std::uint16_t port = server.listen(0, "127.0.0.1");
  std::string got;
  eddy::TCPClient().connect("localhost", port, eddy_test::client_context())
      .add_done_callback([&](const eddy::Future<eddy::IOStream>& connected) {
        eddy::IOStream stream = connected.result();
        stream.write("seventeen\n");
        stream.read_until("\n").add_done_callback([&](const eddy::Future<std::string>& line) {
          got = line.result();
          loop.stop();
        });
      });
  eddy_test::run_with_limit(loop);
  CHECK(got == "echo seventeen\n");
}
