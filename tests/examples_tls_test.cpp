// The TLS examples end to end: hello_web --tls serves HTTPS with the test
// certificates; https_fetch fetches from it asynchronously and blocking, and
// shows that verification is on by default (no internet needed).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/test_certs.hpp"

namespace {

// hello_web on a free port with --tls; stopped with SIGINT (or killed).
struct TLSHelloWeb {
  pid_t pid = -1;
  int out = -1;
  std::string seen;

  TLSHelloWeb() {
    const eddy_test::TestCerts& c = eddy_test::test_certs();
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::string program = eddy_test::example_path("hello_web");
      ::execl(program.c_str(), program.c_str(), "0", "--tls", c.server_cert.c_str(), c.server_key.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
  }
  ~TLSHelloWeb() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    ::close(out);
  }
  const std::string& read_until(const std::string& want) {
    char buf[512];
    while (seen.find(want) == std::string::npos) {
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, 20000) <= 0) break;
      ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<std::size_t>(n));
    }
    return seen;
  }
  int interrupt() {
    ::kill(pid, SIGINT);
    int status = 0;
    for (int i = 0; i < 4000; ++i) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        read_until("stopped\n");
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }
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
  int status = server.interrupt();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
