// The TLS examples end to end: hello_web --tls serves HTTPS with the test
// certificates; https_fetch fetches from it asynchronously and blocking, and
// shows that verification is on by default (no internet needed).
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "support/example_process.hpp"
#include "support/run_command.hpp"
#include "support/test_certs.hpp"

namespace {

// hello_web on a free port with --tls and the test certificates.
struct TLSHelloWeb : eddy_test::ExampleProcess {
  TLSHelloWeb()
      : ExampleProcess(eddy_test::example_path("hello_web"),
                       {"0", "--tls", eddy_test::test_certs().server_cert, eddy_test::test_certs().server_key}) {}
};

}  // namespace

TEST_CASE("hello_web --tls serves HTTPS; https_fetch fetches it asynchronously and blocking, verifying it",
          "[examples][ssl]") {
  TLSHelloWeb server;
  std::smatch m;
  std::string first = server.read_until("\n");
  REQUIRE(std::regex_search(first, m, std::regex("^listening on port ([0-9]+) \\(https\\)\n")));
  std::string url = "https://localhost:" + m[1].str() + "/";
  std::string out = eddy_test::run_example("https_fetch", url + " --cacert " + eddy_test::test_certs().ca_cert).out;
  INFO(out);
  CHECK_THAT(out, Catch::StartsWith("1. AsyncHTTPClient.fetch(" + url + "), inside the loop:\n"
                                    "   HTTP 200, 12 bytes: Hello, world\n"));
  CHECK(std::regex_search(out, std::regex("   in [0-9.]+ s; the ticker ticked [0-9]+ times meanwhile")));
  CHECK_THAT(out, Catch::Contains("2. HTTPClient.fetch (blocking, like urlopen), outside any running loop:\n"
                                  "   HTTP 200, 12 bytes: Hello, world\n"));
  CHECK_THAT(out, Catch::Contains("3. the same URL without --cacert (verification is on by default):\n   HTTP 599: "));
  CHECK_THAT(out, Catch::Contains("certificate verify failed: unable to get local issuer certificate"));
  server.stop_cleanly();
}
