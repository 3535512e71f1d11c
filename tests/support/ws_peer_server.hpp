// A server mode of tests/support/ws_peer.py (Tornado's or Python websockets'
// WebSocket server), run as a child process for the peer tests.
//
// The script prints "port N" once it listens and exits when its stdin
// closes: the constructor waits for that line (port stays 0 if it never
// comes), the destructor closes the pipe and reaps the child, killing it
// after 2 s. One per test, on the test's thread.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace eddy_test {

struct WsPeerServer {
  pid_t pid = -1;
  int to_child = -1;
  std::uint16_t port = 0;

  // `args` follow ws_peer.py's own: the mode, then its options.
  explicit WsPeerServer(const std::vector<std::string>& args) {
    const std::string python = "/usr/bin/python3";
    const std::string peer = std::string(EDDY_TEST_SOURCE_DIR) + "/support/ws_peer.py";
    std::vector<char*> argv{const_cast<char*>(python.c_str()), const_cast<char*>(peer.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int in[2], out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::close(in[1]);
      ::close(out[0]);
      ::execv(python.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child = in[1];
    FILE* from = ::fdopen(out[0], "r");
    char line[64] = {};
    if (std::fgets(line, sizeof line, from) != nullptr && std::string(line).rfind("port ", 0) == 0) {
      port = static_cast<std::uint16_t>(std::stoi(line + 5));
    }
    std::fclose(from);
  }
  WsPeerServer(const WsPeerServer&) = delete;
  WsPeerServer& operator=(const WsPeerServer&) = delete;
  ~WsPeerServer() {
    ::close(to_child);  // the server exits when its stdin closes
    int status = 0;
    for (int i = 0; i < 200 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) ::usleep(10000);
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
};

}  // namespace eddy_test
