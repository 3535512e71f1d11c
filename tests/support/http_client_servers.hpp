// Servers for the HTTP client tests:
// - ScriptedServer: a raw-socket server on its own thread that plays one
//   script per accepted connection (read a request, send exact bytes, stall,
//   close), for the awkward cases no real server produces on demand.
// - ExternalServer: nginx-light or Python's http.server, started on a free
//   port (the process binds port 0 or is handed a port it cannot lose),
//   waited for until it answers, always stopped.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "peer_process.hpp"  // free_port, port_answers, PeerProcess

namespace eddy_test {

// One accepted connection, blocking, with a 10 s receive timeout.
class ScriptConn {
 public:
  explicit ScriptConn(int fd) : fd_(fd) {
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  // Reads one request head (and a Content-Length body); "" on EOF.
  std::string read_request() {
    while (true) {
      std::size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        std::size_t at = lower(buf_.substr(0, end)).find("\r\ncontent-length:");
        if (at != std::string::npos) length = std::strtoul(buf_.c_str() + at + 17, nullptr, 10);
        if (buf_.size() >= end + 4 + length) {
          std::string request = buf_.substr(0, end + 4 + length);
          buf_.erase(0, end + 4 + length);
          return request;
        }
      }
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return "";
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }
  void send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  // Waits until the client closes (or 10 s pass).
  void wait_close() {
    char tmp[256];
    while (::recv(fd_, tmp, sizeof tmp, 0) > 0) {
    }
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  int fd() const noexcept { return fd_; }

 private:
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  int fd_;
  std::string buf_;
};

class ScriptedServer {
 public:
  using Script = std::function<void(ScriptConn&)>;

  // Each accepted connection runs `script` on the server thread, one at a
  // time, then is closed.
  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0) {
      throw std::runtime_error("ScriptedServer: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  std::uint16_t port() const noexcept { return port_; }
  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int connections() const noexcept { return accepted_.load(); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  void note_request(const std::string& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(r);
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepted_;
      {
        ScriptConn conn(fd);
        try {
          script_(conn);
        } catch (...) {
        }
      }
      ::close(fd);
    }
  }

  Script script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

// A child process serving HTTP on 127.0.0.1:port(); stopped (SIGTERM, then
// SIGKILL) and its temporary directory removed on destruction.
class ExternalServer : public PeerProcess {
 public:
  // nginx with a generated config: 1 worker, no master, keep-alive on,
  // "/hello" answers "Hello, world!" (13 bytes), "/chunked" is chunked.
  // available() is false when nginx is not installed.
  static ExternalServer nginx() {
    ExternalServer s;
    const char* binary = "/usr/sbin/nginx";
    if (::access(binary, X_OK) != 0) return s;
    s.make_dir("httpc");
    s.port_ = free_port();
    std::ofstream conf(s.dir_ + "/nginx.conf");
    conf << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << s.dir_ << "/nginx.pid;\n"
         << "error_log " << s.dir_ << "/error.log;\nevents { worker_connections 1024; }\n"
         << "http {\n  access_log off;\n  client_body_temp_path " << s.dir_ << ";\n  proxy_temp_path " << s.dir_
         << ";\n  fastcgi_temp_path " << s.dir_ << ";\n  uwsgi_temp_path " << s.dir_ << ";\n  scgi_temp_path "
         << s.dir_ << ";\n  keepalive_requests 1000000;\n  keepalive_timeout 75s;\n"
         << "  server {\n    listen 127.0.0.1:" << s.port_ << ";\n"
         << "    location = /hello { default_type text/plain; return 200 \"Hello, world!\"; }\n"
         << "    location = /redirect { return 302 /hello; }\n"
         << "    location / { root " << s.dir_ << "/www; }\n  }\n}\n";
    conf.close();
    ::mkdir((s.dir_ + "/www").c_str(), 0700);
    std::ofstream(s.dir_ + "/www/big.txt") << std::string(200000, 'x');
    s.spawn({binary, "-p", s.dir_, "-c", s.dir_ + "/nginx.conf", "-e", s.dir_ + "/error.log"});
    return s;
  }

  // Python's http.server (Debian's /usr/bin/python3) on a port it binds
  // itself: a tiny script prints the port, serving a directory with
  // "hello.txt".
  static ExternalServer python() {
    ExternalServer s;
    const char* binary = "/usr/bin/python3";
    if (::access(binary, X_OK) != 0) return s;
    s.make_dir("httpc");
    std::ofstream(s.dir_ + "/hello.txt") << "Hello, world!";
    std::ofstream script(s.dir_ + "/serve.py");
    script << "import functools, http.server, sys\n"
              "class H(http.server.SimpleHTTPRequestHandler):\n"
              "    protocol_version = 'HTTP/1.1'\n"
              "    def log_message(self, *a): pass\n"
              "h = functools.partial(H, directory=sys.argv[1])\n"
              "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)\n"
              "open(sys.argv[2], 'w').write(str(s.server_address[1]))\n"
              "s.serve_forever()\n";
    script.close();
    s.spawn({binary, s.dir_ + "/serve.py", s.dir_, s.dir_ + "/port"});
    return s;
  }

  ExternalServer() = default;
  ExternalServer(ExternalServer&&) = default;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
};

}  // namespace eddy_test
