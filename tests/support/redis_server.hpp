// RedisServer: a redis-server of the test's own, on a free TCP port and a
// Unix socket in a fresh temporary folder, with nothing saved to disk
// (--save "" --appendonly no). The constructor returns once the server
// answers; the destructor stops it (SIGKILL) and removes the folder. The
// server also dies with the test process (PR_SET_PDEATHSIG), so a crashing
// or killed test leaves no server behind.
//
// shared_redis() and shared_redis_auth() are the suite's two servers, started
// on first use and stopped at exit, shared by every test case of a process:
// the second requires a password ("secret") and knows an ACL user alice
// (password "wonderland"). Both allow DEBUG from local connections (DEBUG
// PROTOCOL returns every RESP3 type). Tests that kill a server start their
// own.
//
// RedisServer(false, {cert, key, ca}) speaks TLS on its port instead
// (rediss://), the Unix socket staying plain.
//
// Thread contract: the test's main thread.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifndef EDDY_REDIS_SERVER
#define EDDY_REDIS_SERVER "redis-server"
#endif

namespace eddy_test {

class RedisServer {
 public:
  // TLS on the TCP port (plain TCP off; the Unix socket stays plain):
  // the server's certificate chain, its key, and the CA for client
  // certificates (which are not required).
  struct Tls {
    std::string cert, key, ca;
  };

  // password: --requirepass secret, and the ACL user alice:wonderland.
  explicit RedisServer(bool password = false, Tls tls = {}) : password_(password), tls_(std::move(tls)) {
    char templ[] = "/tmp/eddy-redis-XXXXXX";
    if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    // A free port can be taken between the probe and the server's bind: try again then.
    for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) start();
    if (pid_ < 0) throw std::runtime_error("redis-server did not start; see " + dir_ + "/redis.log");
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer() {
    kill();
    ::unlink((dir_ + "/redis.log").c_str());
    ::unlink(socket_path().c_str());
    ::rmdir(dir_.c_str());
  }

  std::uint16_t port() const { return port_; }
  std::string socket_path() const { return dir_ + "/redis.sock"; }
  // "redis://[userinfo@]127.0.0.1:port[/db]" and "unix://[userinfo@]/path"
  std::string url(const std::string& userinfo = "", const std::string& tail = "") const {
    return "redis://" + (userinfo.empty() ? "" : userinfo + "@") + "127.0.0.1:" + std::to_string(port_) + tail;
  }
  std::string unix_url(const std::string& userinfo = "", const std::string& query = "") const {
    return "unix://" + (userinfo.empty() ? "" : userinfo + "@") + socket_path() + query;
  }
  // SIGKILL now and wait for it: the server dies mid-command.
  void kill() {
    if (pid_ < 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool running() const { return pid_ >= 0; }

 private:
  static std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  std::vector<std::string> arguments() const {
    std::vector<std::string> a = {EDDY_REDIS_SERVER, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                  "--unixsocket", socket_path(), "--unixsocketperm", "700", "--save", "",
                                  "--appendonly", "no", "--dir", dir_, "--daemonize", "no",
                                  "--enable-debug-command", "local", "--loglevel", "warning"};
    if (!tls_.cert.empty()) {
      a[2] = "0";  // --port 0: no plain TCP
      for (const std::string& t : {std::string("--tls-port"), std::to_string(port_), std::string("--tls-cert-file"),
                                   tls_.cert, std::string("--tls-key-file"), tls_.key,
                                   std::string("--tls-ca-cert-file"), tls_.ca, std::string("--tls-auth-clients"),
                                   std::string("no")})
        a.push_back(t);
    }
    if (password_) {
      for (const char* s : {"--requirepass", "secret", "--user", "alice", "on", ">wonderland", "~*", "&*", "+@all"})
        a.push_back(s);
    }
    return a;
  }

  void start() {
    port_ = free_port();
    std::vector<std::string> args = arguments();
    std::string log = dir_ + "/redis.log";
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) exec_server(args, log, parent);
    pid_ = pid;
    if (!wait_until_ready()) kill();
  }

  [[noreturn]] static void exec_server(const std::vector<std::string>& args, const std::string& log, pid_t parent) {
#if defined(__linux__)
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    // The test died between fork and prctl: nobody would stop this server.
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (const std::string& s : args) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }

  // Until PING over the Unix socket gets an answer (+PONG, or -NOAUTH with
  // a password), 20 s at most; false if the server exited (port taken).
  bool wait_until_ready() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (answers_ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  bool answers_ping() const {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = socket_path();
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
      char c = 0;
      ok = ::recv(fd, &c, 1, 0) == 1 && (c == '+' || c == '-');
    }
    ::close(fd);
    return ok;
  }

  bool password_;
  Tls tls_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// The suite's shared servers (see the file comment).
inline RedisServer& shared_redis() {
  static std::unique_ptr<RedisServer> server = std::make_unique<RedisServer>();
  return *server;
}
inline RedisServer& shared_redis_auth() {
  static std::unique_ptr<RedisServer> server = std::make_unique<RedisServer>(true);
  return *server;
}

}  // namespace eddy_test
