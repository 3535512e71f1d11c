// Connector: one TCPClient::connect attempt across the resolved addresses,
// a non-blocking connect to each in turn, resolving its future with the
// IOStream or failing it with the last error. While a connect is in flight
// the loop's handler owns the Connector; destroying the loop destroys it,
// which closes the half-open socket.
//
// Thread contract: the loop thread.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../iostream.hpp"
#include "../stream/socket_ops.hpp"

namespace eddy::detail {

// One connection attempt across the resolved addresses. While a connect is
// in flight the loop's handler owns the Connector; destroying the loop
// destroys it, which closes the half-open socket.
template <class D = void>
class BasicConnector : public std::enable_shared_from_this<BasicConnector<D>> {
 public:
  BasicConnector(IOLoop& loop, std::string context) : loop_(&loop), context_(std::move(context)) {}
  BasicConnector(const BasicConnector&) = delete;
  BasicConnector& operator=(const BasicConnector&) = delete;
  ~BasicConnector() { close_fd(fd_); }

  Future<IOStream> future;

  void start(std::vector<ResolvedAddress> addresses) {
    addresses_ = std::move(addresses);
    try_next();
  }

  void fail(std::exception_ptr error) {
    if (!future.done()) future.set_exception(std::move(error));
  }

 private:
  // Starts a connect to the next address; completes at once when the kernel
  // connects synchronously, fails the future when none is left.
  void try_next() {
    while (next_ < addresses_.size()) {
      const ResolvedAddress& address = addresses_[next_++];
      int fd = -1;
      try {
        fd = open_socket(address.family);
      } catch (const std::system_error& e) {
        last_error_ = e.code().value();
        continue;
      }
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.len) == 0) return succeed(fd);
      if (errno == EINPROGRESS || errno == EINTR) return wait_for(fd);
      last_error_ = errno;
      close_fd(fd);
    }
    if (last_error_ == 0) last_error_ = EADDRNOTAVAIL;  // resolved to nothing usable
    fail(std::make_exception_ptr(std::system_error(last_error_, std::generic_category(), context_)));
  }

  void wait_for(int fd) {
    fd_ = fd;
    std::shared_ptr<BasicConnector> self = this->shared_from_this();
    try {
      loop_->add_handler(fd, [self](int, std::uint32_t) { self->on_connected(); }, IOLoop::WRITE);
    } catch (...) {
      close_fd(std::exchange(fd_, -1));
      fail(std::current_exception());
    }
  }

  // Writable (or failed): SO_ERROR says which.
  void on_connected() {
    std::shared_ptr<BasicConnector> self = this->shared_from_this();  // removing the handler drops its reference
    int fd = std::exchange(fd_, -1);
    int error = socket_error(fd);
    loop_->remove_handler(fd);
    if (error == 0) return succeed(fd);
    last_error_ = error;
    close_fd(fd);
    try_next();
  }

  void succeed(int fd) {
    try {
      IOStream stream(fd, *loop_);
      future.set_result(std::move(stream));
    } catch (...) {
      close_fd(fd);
      fail(std::current_exception());
    }
  }

  IOLoop* loop_;
  std::string context_;
  std::vector<ResolvedAddress> addresses_;
  std::size_t next_ = 0;
  int fd_ = -1;
  int last_error_ = 0;
};
using Connector = BasicConnector<>;

}  // namespace eddy::detail
