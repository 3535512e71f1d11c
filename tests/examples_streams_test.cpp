// The streams examples, end to end: echo_server on port 0 (its first line
// names the port), echo_client feeding it lines, then SIGINT for a clean stop.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"

namespace {

// A child process running an example, its stdout on a pipe.
struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child spawn(const std::string& program, const std::string& arg) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  Child c;
  c.pid = ::fork();
  REQUIRE(c.pid >= 0);
  if (c.pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(program.c_str(), program.c_str(), arg.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  c.out = fds[0];
  return c;
}

// Reads from fd until `want` appears in what was read, or EOF, or 20 s pass.
std::string read_until(int fd, const std::string& want, std::string& seen) {
  char buf[512];
  while (seen.find(want) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20000) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<std::size_t>(n));
  }
  return seen;
}

int wait_bounded(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 4000; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

}  // namespace

TEST_CASE("echo_server prints its port, echoes echo_client's lines and stops cleanly on SIGINT",
          "[examples][streams]") {
  Child server = spawn(std::string(EDDY_EXAMPLE_DIR) + "/echo_server", "0");
  std::string out;
  read_until(server.out, "\n", out);
  REQUIRE(out.rfind("listening on port ", 0) == 0);
  std::string port = out.substr(18, out.find('\n') - 18);
  REQUIRE(std::stoi(port) > 0);

  std::string command = "printf 'hello\\nsecond line\\n\\nlast\\n' | " + std::string(EDDY_EXAMPLE_DIR) +
                        "/echo_client " + port + " 2>&1";
  eddy_test::CommandRun client = eddy_test::run_command(command);
  CHECK(client.status == 0);
  const std::string& echoed = client.out;
  CHECK(echoed == "hello\nsecond line\n\nlast\n");

  read_until(server.out, "gone", out);
  CHECK(out.find("127.0.0.1:") != std::string::npos);
  REQUIRE(::kill(server.pid, SIGINT) == 0);
  read_until(server.out, "stopped\n", out);
  int status = wait_bounded(server.pid);
  ::close(server.out);
  CHECK(out.find("SIGINT: stopping\nstopped\n") != std::string::npos);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("echo_client reports a refused connection naming host and port", "[examples][streams]") {
  // Port 1 is privileged and unused on test machines.
  std::string command = std::string(EDDY_EXAMPLE_DIR) + "/echo_client 1 </dev/null 2>&1";
  eddy_test::CommandRun client = eddy_test::run_command(command);
  CHECK(client.exit_code() == 1);
  const std::string& out = client.out;
  CHECK(out.find("connect to 127.0.0.1:1") != std::string::npos);
}
