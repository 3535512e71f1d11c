// The add_timeout example written as coroutines: each "sleeps" with
// co_await eddy::sleep(1s), which suspends the coroutine and frees the loop.
// Both wait at once: sleeping, sleeping, awake!, awake! in 1 s.
//
// Build: g++ -std=c++20 -Iinclude examples/coroutines.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

eddy::Future<void> sleepy() {
  std::puts("sleeping");
  std::fflush(stdout);
  co_await eddy::sleep(1s);  // not std::this_thread::sleep_for: the loop stays free
  std::puts("awake!");
  std::fflush(stdout);
}

eddy::Future<void> both() {
  // Coroutines start at once and run to their first co_await, so calling
  // both before awaiting either runs them concurrently.
  eddy::Future<void> first = sleepy();
  eddy::Future<void> second = sleepy();
  co_await first;
  co_await second;
}

int main() {
  eddy::IOLoop loop;
  auto start = std::chrono::steady_clock::now();
  loop.run_sync(both);
  std::fprintf(stderr, "took %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}
