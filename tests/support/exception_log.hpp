// ExceptionLog: installs itself as a loop's exception handler and keeps the
// what() of every exception the loop reports, so tests can check that an
// error was reported (and that nothing else was).
#pragma once

#include <eddy/ioloop.hpp>

#include <exception>
#include <string>
#include <vector>

namespace eddy_test {

struct ExceptionLog {
  std::vector<std::string> messages;

  explicit ExceptionLog(eddy::IOLoop& loop) {
    loop.set_exception_handler([this](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        messages.push_back(ex.what());
      } catch (...) {
        messages.push_back("(not a std::exception)");
      }
    });
  }
};

}  // namespace eddy_test
