// A loop made current for the tests whose objects take IOLoop::current()
// (IOStream, Subprocess, UDPSocket, ...), and the errno carried by a failed
// future's std::system_error. Shared by the stream, process and net tests.
#pragma once

#include <eddy/ioloop.hpp>

#include <exception>
#include <system_error>

namespace eddy_test {

// Owns the loop and makes it current; the test thread only.
struct CurrentLoop {
  eddy::IOLoop loop;
  explicit CurrentLoop(eddy::Backend backend = eddy::Backend::automatic) : loop(backend) { loop.make_current(); }
};

// The error code of `error` when it is a std::system_error, else 0.
inline int error_code_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    return e.code().value();
  } catch (...) {
  }
  return 0;
}

}  // namespace eddy_test
