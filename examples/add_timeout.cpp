// The right way. The same two tasks, but instead of blocking they ask the
// loop to call them back in a second with add_timeout, and return at once.
// Both wait at the same time: sleeping, sleeping, awake!, awake! in 1 s.
//
// Build: g++ -std=c++20 -Iinclude examples/add_timeout.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  eddy::IOLoop loop;
  auto started = std::chrono::steady_clock::now();
  int finished = 0;

  auto sleepy = [&] {
    std::puts("sleeping");
    std::fflush(stdout);
    // The rest of the work is scheduled for later; the loop stays free.
    loop.add_timeout(1s, [&] {
      std::puts("awake!");
      std::fflush(stdout);
      if (++finished == 2) loop.stop();
    });
  };
  loop.add_callback(sleepy);
  loop.add_callback(sleepy);
  loop.start();

  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  std::fprintf(stderr, "took %.1f s\n", took.count());
}
