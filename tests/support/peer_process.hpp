// A peer server run as a child process for the client tests (nginx, Python's
// http.server, ...), shared by ExternalServer (http_client_servers.hpp) and
// TLSPeer (tls_peers.hpp): a temporary directory for its config and port
// file, the spawn with stdout and stderr on /dev/null, the wait until its
// port answers, and the stop (SIGTERM, then SIGKILL) with the directory
// removed. Plus free_port() and port_answers() for 127.0.0.1.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace eddy_test {

// A free TCP port on 127.0.0.1 (bound and released: nginx cannot bind port 0
// and report it, so the test hands it one; the window is tiny).
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool port_answers(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Movable, not copyable; only the test thread uses it. A derived class's
// factory fills dir_ (make_dir), writes its files, sets port_ when it picks
// the port itself (else the child writes it to dir_/port), then spawn()s.
class PeerProcess {
 public:
  PeerProcess() = default;
  PeerProcess(PeerProcess&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), port_(o.port_), dir_(std::exchange(o.dir_, std::string())) {}
  PeerProcess& operator=(PeerProcess&&) = delete;
  ~PeerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && pid_ > 0; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
        else std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (!dir_.empty()) (void)std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  // True once the peer accepts connections on its port (waits up to 20 s);
  // false when its program is not installed or it exited.
  bool available() {
    if (pid_ <= 0) return false;
    for (int i = 0; i < 400; ++i) {
      if (port_ == 0) {
        std::ifstream in(dir_ + "/port");
        int port = 0;
        if (in >> port) port_ = static_cast<std::uint16_t>(port);
      }
      if (port_ != 0 && port_answers(port_)) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::uint16_t port() const noexcept { return port_; }

 protected:
  // A fresh /tmp/eddy-<name>-XXXXXX for the peer's files.
  void make_dir(const std::string& name) {
    std::string pattern = "/tmp/eddy-" + name + "-XXXXXX";
    std::vector<char> tmpl(pattern.begin(), pattern.end());
    tmpl.push_back('\0');
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = tmpl.data();
  }
  // Starts argv[0] (a path) with stdout and stderr on /dev/null.
  void spawn(const std::vector<std::string>& argv) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string dir_;
};

}  // namespace eddy_test
