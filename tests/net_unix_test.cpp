// Unix-domain sockets: bind_unix_socket served by TCPServer and HTTPServer,
// TCPClient::connect_unix, the file rules (a stale socket file replaced,
// anything else refused, the mode applied) and the failures, on epoll and
// poll (and kqueue where the build has it).
#include <eddy/http.hpp>
#include <eddy/netutil.hpp>

#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

#include "support/current_loop.hpp"
#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"
#include "support/temp_dir.hpp"
#include "support/run_command.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::IOLoop;
using eddy::IOStream;
using eddy::TCPClient;
using eddy::TCPServer;

namespace {

// A socket file left behind: bound, then closed without unlinking.
void leave_stale_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
}

Future<std::string> echo_once(std::string path, std::string line) {
  TCPClient client;
  Future<IOStream> connected = client.connect_unix(path);
  IOStream stream = co_await connected;
  co_await stream.write(line);
  std::string back = co_await stream.read_until("\n");
  co_return back;
}

// Runs curl on the executor (it blocks) and returns its output.
std::string run_curl(const std::string& args) {
  return eddy_test::run_command_anywhere("curl -s --max-time 20 " + args + " 2>&1").out;
}

}  // namespace

TEST_CASE("a TCPServer serves a Unix socket file to connect_unix, with \"\" as the address", "[net][unix]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TempDir dir;
  std::string path = dir.file("echo.sock");
  std::string seen = "unset";
  TCPServer server([&](IOStream stream, std::string address) -> Future<void> {
    seen = address;
    std::string line = co_await stream.read_until("\n");
    std::string reply = "echo: " + line;
    co_await stream.write(reply);
  });
  server.add_socket(eddy::bind_unix_socket(path));
  CHECK(c.loop.run_sync([&] { return echo_once(path, "hello\n"); }, std::chrono::seconds(20)) == "echo: hello\n");
  CHECK(seen.empty());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("an HTTPServer on a socket file answers curl --unix-socket, remote_ip reading \"\"", "[net][unix][server]") {
  CurrentLoop c;
  TempDir dir;
  std::string path = dir.file("http.sock");
  eddy::Application app;
  app.route("/hello", [](eddy::RequestHandler& h) { h.write("hello over unix, ip=[" + h.request().remote_ip + "]"); });
  eddy::HTTPServer server(app);
  server.add_socket(eddy::bind_unix_socket(path));
  Future<std::string> out =
      c.loop.run_in_executor([path] { return run_curl("--unix-socket " + path + " http://localhost/hello"); });
  CHECK(wait_for(c.loop, out) == "hello over unix, ip=[]");
}

TEST_CASE("bind_unix_socket replaces a stale socket file", "[net][unix]") {
  CurrentLoop c;
  TempDir dir;
  std::string path = dir.file("stale.sock");
  leave_stale_socket(path);
  Future<IOStream> refused = TCPClient().connect_unix(path);
  CHECK_THROWS_AS(wait_for(c.loop, refused), std::system_error);
  CHECK(error_code_of(refused.exception()) == ECONNREFUSED);
  TCPServer server([](IOStream stream, std::string) { stream.write("up\n"); });
  server.add_socket(eddy::bind_unix_socket(path, 0660));
  IOStream s = wait_for(c.loop, TCPClient().connect_unix(path));
  CHECK(wait_for(c.loop, s.read_until("\n")) == "up\n");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);
}

TEST_CASE("bind_unix_socket refuses a path holding a regular file and leaves it alone", "[net][unix][errors]") {
  TempDir dir;
  std::string path = dir.file("precious.txt");
  std::ofstream(path) << "keep me";
  try {
    eddy::bind_unix_socket(path);
    FAIL("bind_unix_socket accepted a regular file");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == EEXIST);
    CHECK(std::string(e.what()).find("not a socket") != std::string::npos);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  std::ifstream in(path);
  std::string content;
  std::getline(in, content);
  CHECK(content == "keep me");
}

TEST_CASE("bind_unix_socket reports a missing directory and an overlong path", "[net][unix][errors]") {
  TempDir dir;
  try {
    eddy::bind_unix_socket(dir.file("no/such/dir.sock"));
    FAIL("bound in a missing directory");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENOENT);
  }
  try {
    eddy::bind_unix_socket(dir.path() + "/" + std::string(200, 'x'));
    FAIL("bound an overlong path");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENAMETOOLONG);
  }
  CHECK_THROWS_AS(eddy::bind_unix_socket(""), std::invalid_argument);
}

TEST_CASE("connect_unix to a missing file fails with ENOENT naming the path", "[net][unix][errors]") {
  CurrentLoop c;
  TempDir dir;
  std::string path = dir.file("nobody.sock");
  Future<IOStream> f = TCPClient().connect_unix(path);
  CHECK_THROWS_AS(wait_for(c.loop, f), std::system_error);
  CHECK(error_code_of(f.exception()) == ENOENT);
  CHECK(failure_of(f).find(path) != std::string::npos);
}

TEST_CASE("a Unix stream sees its peer close and a stopped server closes its socket", "[net][unix]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TempDir dir;
  std::string path = dir.file("close.sock");
  std::optional<IOStream> accepted;
  TCPServer server([&](IOStream stream, std::string) { accepted = stream; });
  server.add_socket(eddy::bind_unix_socket(path));
  IOStream client = wait_for(c.loop, TCPClient().connect_unix(path));
  while (!accepted) spin(c.loop, std::chrono::milliseconds(5));
  server.stop();  // accepted streams stay open
  Future<std::string> rest = client.read_until_close();
  accepted->write("last words");
  accepted->close();
  CHECK(wait_for(c.loop, rest) == "last words");
  Future<IOStream> after = TCPClient().connect_unix(path);
  CHECK_THROWS_AS(wait_for(c.loop, after), std::system_error);
  CHECK(error_code_of(after.exception()) == ECONNREFUSED);
}
