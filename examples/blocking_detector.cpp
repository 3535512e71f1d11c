// blocking_sleep.cpp with the blocking detector on: the loop reports each
// callback that held it longer than 100 ms, with the file and line that
// scheduled it (under C++20), so the line that blocked is easy to find.
// The watchdog reports the first one while it is still blocking.
//
// Build: g++ -std=c++20 -Iinclude examples/blocking_detector.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  eddy::IOLoop loop;
  loop.set_blocking_log_threshold(100ms);  // reports go to stderr by default
  loop.set_blocking_watchdog(true);
  int finished = 0;

  auto sleepy = [&] {
    std::puts("sleeping");
    std::fflush(stdout);
    std::this_thread::sleep_for(1s);  // the mistake the detector points at
    std::puts("awake!");
    std::fflush(stdout);
    if (++finished == 2) loop.stop();
  };
  loop.add_callback(sleepy);  // reported: "... in a callback scheduled at examples/blocking_detector.cpp:28"
  loop.add_callback(sleepy);
  loop.start();
}
