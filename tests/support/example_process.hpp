// An example program run as a child process for the end-to-end example tests:
// started with its arguments, its stdout read through a pipe as it comes, its
// port taken from its first line ("listening on port N"), driven over raw
// loopback sockets, then stopped with SIGINT (killed if the test ends first).
// One helper for the HTTP, WebSocket, TLS and Redis example tests.
#pragma once

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
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace eddy_test {

// Not copyable: it owns the child and the read end of its stdout.
struct ExampleProcess {
  pid_t pid = -1;
  int out = -1;
  std::string seen;  // everything read from its stdout so far

  // Starts `program` (a path) with `args`; fails the test if it cannot fork.
  ExampleProcess(const std::string& program, const std::vector<std::string>& args) {
    std::vector<const char*> argv{program.c_str()};
    for (const std::string& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
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
      ::execv(program.c_str(), const_cast<char* const*>(argv.data()));
      ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
  }
  ExampleProcess(const ExampleProcess&) = delete;
  ExampleProcess& operator=(const ExampleProcess&) = delete;
  ~ExampleProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
  }

  // Reads the program's output until `want` appears (20 s at most per read).
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

  // The port named by the first line, "listening on port N".
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

  // interrupt(), and requires that the program exited with status 0.
  void stop_cleanly() {
    int status = interrupt();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
};

// A blocking connection to 127.0.0.1:port whose reads give up after 20 s.
inline int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Sends all of `data` in one call (requests here are small).
inline void send_request(int fd, const std::string& data) {
  REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
}

// Sends `request` (may be empty), reads until the server closes, closes fd.
inline std::string exchange(int fd, const std::string& request) {
  send_request(fd, request);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}

// A form POST that closes the connection.
inline std::string form_post(const std::string& target, const std::string& form) {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
         std::to_string(form.size()) + "\r\n\r\n" + form;
}

}  // namespace eddy_test
