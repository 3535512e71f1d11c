// The wrong way. Two callbacks each "sleep" for a second with a blocking
// call. The loop runs one thread, so while the first sleeps nothing else can
// run: the output is sleeping, awake!, sleeping, awake! and it takes 2 s.
//
// Build: g++ -std=c++20 -Iinclude examples/blocking_sleep.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  eddy::IOLoop loop;
  auto started = std::chrono::steady_clock::now();
  int finished = 0;

  auto sleepy = [&] {
    std::puts("sleeping");
    std::fflush(stdout);
    std::this_thread::sleep_for(1s);  // blocks the whole loop
    std::puts("awake!");
    std::fflush(stdout);
    if (++finished == 2) loop.stop();
  };
  loop.add_callback(sleepy);
  loop.add_callback(sleepy);
  loop.start();

  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  std::fprintf(stderr, "took %.1f s\n", took.count());
}
