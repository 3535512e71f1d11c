// The HTTP examples, end to end: hello_web and chat on port 0 (their first
// line names the port), driven over raw sockets, then SIGINT for a clean stop.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#ifndef EDDY_EXAMPLE_DIR
#error "EDDY_EXAMPLE_DIR must name the directory holding the example binaries"
#endif

namespace {

struct Example {
  pid_t pid = -1;
  int out = -1;
  std::string seen;

  explicit Example(const std::string& name) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::string program = std::string(EDDY_EXAMPLE_DIR) + "/" + name;
      ::execl(program.c_str(), program.c_str(), "0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
  }
  ~Example() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
  }

  // Reads the example's output until `want` appears (20 s at most).
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
  std::uint16_t port() {
    read_until("\n");
    REQUIRE(seen.rfind("listening on port ", 0) == 0);
    return static_cast<std::uint16_t>(std::stoi(seen.substr(18)));
  }
  // SIGINT, then the exit status (-1 if it did not exit within 20 s).
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

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Sends a request that closes the connection and returns the whole response.
std::string exchange(int fd, const std::string& request) {
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}

std::string post(const std::string& target, const std::string& form) {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
         std::to_string(form.size()) + "\r\n\r\n" + form;
}

}  // namespace

TEST_CASE("hello_web answers Hello, world and stops cleanly on SIGINT", "[examples][http]") {
  Example server("hello_web");
  std::uint16_t port = server.port();
  std::string response = exchange(connect_to(port), "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(response.find("\r\n\r\nHello, world") != std::string::npos);
  int status = server.interrupt();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(server.seen.find("stopped\n") != std::string::npos);
}

TEST_CASE("chat holds a standing request until a message arrives, then answers it", "[examples][http]") {
  Example server("chat");
  std::uint16_t port = server.port();
  std::string page = exchange(connect_to(port), "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(page.find("/a/message/updates") != std::string::npos);

  int waiter = connect_to(port);
  std::string wait_request = post("/a/message/updates", "cursor=0");
  REQUIRE(::send(waiter, wait_request.data(), wait_request.size(), MSG_NOSIGNAL) > 0);
  pollfd p{waiter, POLLIN, 0};
  CHECK(::poll(&p, 1, 200) == 0);  // nothing yet: the request stands

  std::string posted = exchange(connect_to(port), post("/a/message/new", "body=hello+%22room%22"));
  CHECK(posted.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  std::string news = exchange(waiter, "");
  CHECK(news.find("{\"messages\":[{\"id\":1,\"body\":\"hello \\\"room\\\"\"}]}") != std::string::npos);
  // A client that missed the message gets it at once.
  std::string late = exchange(connect_to(port), post("/a/message/updates", "cursor=0"));
  CHECK(late.find("\"id\":1") != std::string::npos);
  int status = server.interrupt();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
