// add_signal_handler / remove_signal_handler. Signals are sent with
// kill(getpid()) (process-directed), as a user's `kill` would.
#include <eddy/ioloop.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "support/loop_helpers.hpp"

using namespace eddy_test;

TEST_CASE("a signal runs its handler on the loop thread", "[signals]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(backend);
  std::thread::id handler_thread;
  int received = 0;
  loop.add_signal_handler(SIGUSR1, [&](int signum) {
    received = signum;
    handler_thread = std::this_thread::get_id();
    loop.stop();
  });
  loop.call_later(5ms, [] { ::kill(::getpid(), SIGUSR1); });
  run_with_limit(loop);
  loop.remove_signal_handler(SIGUSR1);
  CHECK(received == SIGUSR1);
  CHECK(handler_thread == std::this_thread::get_id());
}

TEST_CASE("a signal sent while another thread runs still reaches the loop", "[signals][threads]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(backend);
  std::atomic<bool> done{false};
  int received = 0;
  // A thread that blocks nothing: the kernel may deliver the signal to it.
  std::thread bystander([&] {
    while (!done.load()) std::this_thread::sleep_for(1ms);
  });
  loop.add_signal_handler(SIGUSR2, [&](int) {
    ++received;
    loop.stop();
  });
  std::thread sender([] {
    std::this_thread::sleep_for(10ms);
    ::kill(::getpid(), SIGUSR2);
  });
  run_with_limit(loop);
  done = true;
  sender.join();
  bystander.join();
  loop.remove_signal_handler(SIGUSR2);
  CHECK(received == 1);
}

TEST_CASE("remove_signal_handler restores the previous disposition", "[signals]") {
  eddy::IOLoop loop;
  struct sigaction before {};
  ::sigaction(SIGUSR1, nullptr, &before);
  loop.add_signal_handler(SIGUSR1, [](int) {});
  struct sigaction during {};
  ::sigaction(SIGUSR1, nullptr, &during);
  CHECK(during.sa_handler != before.sa_handler);
  loop.remove_signal_handler(SIGUSR1);
  struct sigaction after {};
  ::sigaction(SIGUSR1, nullptr, &after);
  CHECK(after.sa_handler == before.sa_handler);
  loop.remove_signal_handler(SIGUSR1);  // again: a no-op
}

TEST_CASE("a signal handler may remove itself while it runs", "[signals][reentrancy]") {
  eddy::IOLoop loop;
  int calls = 0;
  auto token = std::make_shared<int>(0);
  loop.add_signal_handler(SIGUSR1, [&, token](int) {
    ++calls;
    loop.remove_signal_handler(SIGUSR1);
    CHECK(token.use_count() >= 2);
    loop.stop();
  });
  loop.call_later(5ms, [] { ::kill(::getpid(), SIGUSR1); });
  run_with_limit(loop);
  CHECK(calls == 1);
}

TEST_CASE("a signal owned by one loop is refused to another, and bad numbers are refused", "[signals][errors]") {
  eddy::IOLoop a, b;
  a.add_signal_handler(SIGUSR1, [](int) {});
  CHECK_THROWS_AS(b.add_signal_handler(SIGUSR1, [](int) {}), std::logic_error);
  a.add_signal_handler(SIGUSR1, [](int) {});  // replacing one's own is fine
  a.remove_signal_handler(SIGUSR1);
  b.add_signal_handler(SIGUSR1, [](int) {});
  b.remove_signal_handler(SIGUSR1);
  CHECK_THROWS_AS(a.add_signal_handler(0, [](int) {}), std::invalid_argument);
  CHECK_THROWS_AS(a.add_signal_handler(SIGKILL, [](int) {}), std::invalid_argument);
  CHECK_THROWS_AS(a.add_signal_handler(100000, [](int) {}), std::invalid_argument);
}

TEST_CASE("destroying a loop restores the signals it handled", "[signals]") {
  struct sigaction before {};
  ::sigaction(SIGUSR2, nullptr, &before);
  {
    eddy::IOLoop loop;
    loop.add_signal_handler(SIGUSR2, [](int) {});
  }
  struct sigaction after {};
  ::sigaction(SIGUSR2, nullptr, &after);
  CHECK(after.sa_handler == before.sa_handler);
}
