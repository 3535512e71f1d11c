// examples/redis_chat end to end: two server processes on one Redis share a
// chat room. A browser waiting on one is woken by a message posted to the
// other; a third process started later sees the history. Driven over raw
// sockets, then SIGINT for a clean stop.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "support/redis_loop.hpp"

#ifndef EDDY_REDIS_CHAT
#error "EDDY_REDIS_CHAT must name the redis_chat example binary"
#endif

namespace {

// One redis_chat process; its stdout is read through a pipe.
struct ChatServer {
  pid_t pid = -1;
  int out = -1;
  std::string seen;

  explicit ChatServer(const std::string& redis_url) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t parent = ::getpid();
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
#if defined(__linux__)
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test, even if the test crashes
#endif
      if (::getppid() != parent) ::_exit(127);
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execl(EDDY_REDIS_CHAT, EDDY_REDIS_CHAT, "0", redis_url.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
  }
  ~ChatServer() {
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

std::string post(const std::string& target, const std::string& form) {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
         std::to_string(form.size()) + "\r\n\r\n" + form;
}

void send_all(int fd, const std::string& data) {
  REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
}

// Everything until the server closes the connection.
std::string read_all(int fd) {
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}

// A fresh database for the room, so the ids start at 1.
void flush_database(const std::string& url) {
  eddy_test::run_redis([&]() -> eddy::Future<void> {
    eddy::Future<eddy::redis::Client> connecting = eddy::redis::Client::connect(url);
    eddy::redis::Client client = co_await connecting;
    eddy::Future<eddy::redis::Reply> flushed = client.command("FLUSHDB");
    co_await flushed;
  });
}

}  // namespace

TEST_CASE("redis_chat: two processes share one room through Redis pub/sub", "[redis][server][examples]") {
  std::string url = eddy_test::shared_redis().url("", "/7");
  flush_database(url);
  ChatServer a(url);
  ChatServer b(url);
  std::uint16_t port_a = a.port();
  std::uint16_t port_b = b.port();

  int waiter = connect_to(port_b);
  send_all(waiter, post("/a/message/updates", "cursor=0"));
  pollfd p{waiter, POLLIN, 0};
  CHECK(::poll(&p, 1, 200) == 0);  // nothing yet: the request stands on B

  std::string posted = read_all([&] {
    int fd = connect_to(port_a);
    send_all(fd, post("/a/message/new", "body=hello+%22room%22"));
    return fd;
  }());
  CHECK(posted.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  std::string news = read_all(waiter);
  CHECK(news.find("{\"messages\":[{\"id\":1,\"body\":\"hello \\\"room\\\"\"}]}") != std::string::npos);

  // A process started later reads the room's history from Redis.
  ChatServer c(url);
  std::uint16_t port_c = c.port();
  int late = connect_to(port_c);
  send_all(late, post("/a/message/updates", "cursor=0"));
  CHECK(read_all(late).find("\"id\":1,\"body\":\"hello \\\"room\\\"\"") != std::string::npos);

  for (ChatServer* s : {&a, &b, &c}) {
    int status = s->interrupt();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
}
