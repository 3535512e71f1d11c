// The thread contract: only add_callback() and stop() may be called from a
// foreign thread while the loop runs; debug builds abort on anything else.
#include <eddy/ioloop.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "support/loop_helpers.hpp"

using namespace eddy_test;

#if EDDY_DEBUG
TEST_CASE("debug builds abort when add_timeout is called from a foreign thread", "[threads][contract]") {
  // The abort happens in a child process so the test binary survives it.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The expected abort must not reach Catch's own SIGABRT handler
    // (inherited through fork), nor its message the test log.
    std::signal(SIGABRT, SIG_DFL);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    eddy::IOLoop loop;
    std::thread intruder;
    loop.add_callback([&] {
      intruder = std::thread([&] { loop.call_later(1s, [] {}); });
    });
    loop.call_later(5s, [&] { loop.stop(); });
    loop.start();
    intruder.join();
    ::_exit(0);  // not reached when the assertion works
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}
#endif

TEST_CASE("add_callback and stop are safe from a foreign thread while the loop runs", "[threads][contract]") {
  eddy::IOLoop loop;
  bool ran = false;
  std::thread helper;
  loop.add_callback([&] {
    helper = std::thread([&] {
      loop.add_callback([&] { ran = true; });
      loop.add_callback([&] { loop.stop(); });
    });
  });
  run_with_limit(loop);
  helper.join();
  CHECK(ran);
}
