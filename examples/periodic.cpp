// A PeriodicCallback ticking every 200 ms until Ctrl-C (SIGINT) stops it
// cleanly: the signal handler runs on the loop thread, like any callback.
// An optional argument limits the number of ticks, so scripts can run it.
//
// Build: g++ -std=c++20 -Iinclude examples/periodic.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  long limit = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 0;
  eddy::IOLoop loop;
  long ticks = 0;

  eddy::PeriodicCallback ticker(
      loop,
      [&] {
        std::printf("tick %ld\n", ++ticks);
        std::fflush(stdout);
        if (limit > 0 && ticks >= limit) loop.stop();
      },
      200ms);

  loop.add_signal_handler(SIGINT, [&](int) {
    std::puts("SIGINT: stopping");
    ticker.stop();
    loop.stop();
  });

  ticker.start();
  loop.start();
  loop.remove_signal_handler(SIGINT);
  std::printf("stopped after %ld ticks\n", ticks);
}
