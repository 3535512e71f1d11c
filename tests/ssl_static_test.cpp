// Application::static_files over HTTPS: a TLS stream cannot sendfile, so the
// file goes through IOStream::write_file's bounded pread fallback (64 KiB
// at a time, as the socket takes it). curl --cacert fetches a file, a range
// and a HEAD, and the bytes arrive whole and in order.
#include <eddy/http.hpp>
#include <eddy/ssl.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "support/static_files_helpers.hpp"
#include "support/tls_helpers.hpp"
#include "support/run_command.hpp"

using namespace std::chrono_literals;

namespace {

// A shell command's output, run on the loop's executor (it blocks) while the
// loop serves; no Catch2 assertion on that thread.
std::string shell_on(eddy::IOLoop& loop, const std::string& command) {
  return loop.run_sync([&] {
    return loop.run_in_executor([command] { return eddy_test::run_command_anywhere(command).out; });
  }, 60s);
}

}  // namespace

TEST_CASE("static files over HTTPS arrive whole through the pread fallback", "[ssl][http][static][curl]") {
  eddy_test::StaticRootFixture fx;
  std::string large = eddy_test::static_pattern(3 * 1024 * 1024 + 5);
  eddy_test::write_file(fx.root + "/large.bin", large);
  eddy::IOLoop loop;
  loop.make_current();
  eddy_test::LogCounter log;
  log.install(loop);
  eddy::Application app;
  app.static_files("/s", fx.root);
  eddy::HTTPServerOptions options;
  options.ssl = eddy_test::server_context();
  std::optional<eddy::HTTPServer> server;
  server.emplace(app, options);
  std::uint16_t port = server->listen(0, "127.0.0.1");
  std::string curl = "curl -s --cacert " + eddy_test::test_certs().ca_cert + " https://localhost:" +
                     std::to_string(port) + "/s/";
  CHECK(shell_on(loop, curl + "large.bin") == large);
  CHECK(shell_on(loop, curl + "big.bin -r 70000-") == fx.big.substr(70000));
  CHECK(shell_on(loop, curl + "small.txt") == "hello, static");
  std::string head = shell_on(loop, curl + "large.bin -I");
  CHECK(head.find("Content-Length: " + std::to_string(large.size())) != std::string::npos);
  server.reset();
}
