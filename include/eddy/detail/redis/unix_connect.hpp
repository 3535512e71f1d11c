// connect_unix_socket(path): a non-blocking connect to a Unix-domain stream
// socket, as an IOStream on IOLoop::current(). The Redis client's only way to
// a unix:// URL, kept in this one function so that TCPClient::connect_unix
// (issue 28) can take its place.
//
// A Unix-domain connect completes at once or fails at once on Linux; when
// the server's backlog is full it fails with EAGAIN (nothing to wait on), so
// it is retried every 10 ms, up to 100 times. Elsewhere it may also report
// EINPROGRESS: then the socket is watched for writability as TCP's is.
// Failures are std::system_error naming the path, as TCPClient's name host
// and port: "eddy: connect to unix:/tmp/redis.sock: No such file or directory".
//
// Thread contract: the loop thread. Lifetime: the attempt holds itself
// through the loop's handler or timeout while it waits.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../iostream.hpp"

namespace eddy::detail::redis {

class UnixConnector : public std::enable_shared_from_this<UnixConnector> {
 public:
  UnixConnector(IOLoop& loop, std::string path) : loop_(&loop), path_(std::move(path)) {}
  UnixConnector(const UnixConnector&) = delete;
  UnixConnector& operator=(const UnixConnector&) = delete;
  ~UnixConnector() {
    if (fd_ >= 0) ::close(fd_);
  }

  Future<IOStream> future;

  void attempt() {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof address.sun_path) return fail(ENAMETOOLONG);
    std::memcpy(address.sun_path, path_.data(), path_.size());
    int fd = open_unix_socket();
    if (fd < 0) return fail(errno);
    int rc;
    do {
      rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    } while (rc == -1 && errno == EINTR);
    if (rc == 0) return succeed(fd);
    int error = errno;
    if (error == EINPROGRESS) return wait_for(fd);
    ::close(fd);
    if (error == EAGAIN && retries_++ < 100) {
      loop_->call_later(std::chrono::milliseconds(10), [self = shared_from_this()] { self->attempt(); });
      return;
    }
    fail(error);
  }

 private:
  static int open_unix_socket() {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    return ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd >= 0) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return fd;
#endif
  }

  void wait_for(int fd) {
    fd_ = fd;
    try {
      loop_->add_handler(fd, [self = shared_from_this()](int, std::uint32_t) { self->on_writable(); }, IOLoop::WRITE);
    } catch (...) {
      ::close(std::exchange(fd_, -1));
      if (!future.done()) future.set_exception(std::current_exception());
    }
  }

  void on_writable() {
    std::shared_ptr<UnixConnector> self = shared_from_this();  // removing the handler drops its reference
    int fd = std::exchange(fd_, -1);
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
    loop_->remove_handler(fd);
    if (error == 0) return succeed(fd);
    ::close(fd);
    fail(error);
  }

  void succeed(int fd) {
    try {
      IOStream stream(fd, *loop_);
      future.set_result(std::move(stream));
    } catch (...) {
      ::close(fd);
      if (!future.done()) future.set_exception(std::current_exception());
    }
  }

  void fail(int error) {
    if (future.done()) return;
    future.set_exception(std::make_exception_ptr(
        std::system_error(error, std::generic_category(), "eddy: connect to unix:" + path_)));
  }

  IOLoop* loop_;
  std::string path_;
  int fd_ = -1;
  int retries_ = 0;
};

/// A connected IOStream to the Unix-domain socket at `path`, on
/// IOLoop::current(), or the failure described above.
inline Future<IOStream> connect_unix_socket(std::string path) {
  auto connector = std::make_shared<UnixConnector>(IOLoop::current(), std::move(path));
  Future<IOStream> result = connector->future;
  connector->attempt();
  return result;
}

}  // namespace eddy::detail::redis
