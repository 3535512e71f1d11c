// Some work has no asynchronous version: a synchronous database driver, a
// blocking file system call, a CPU-heavy computation. Run it in the executor
// (a thread pool) and the loop stays responsive: here a PeriodicCallback
// keeps ticking every 100 ms while a 1 s "query" runs on a worker thread,
// and the query's result comes back to the loop thread.
//
// Build: g++ -std=c++20 -Iinclude examples/run_in_executor.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace std::chrono_literals;

// A stand-in for a synchronous database query.
std::string blocking_query() {
  std::this_thread::sleep_for(1s);
  return "42 rows";
}

int main() {
  eddy::IOLoop loop;
  int ticks = 0;
  eddy::PeriodicCallback ticker(loop, [&] {
    std::printf("tick %d (the loop is free)\n", ++ticks);
    std::fflush(stdout);
  }, 100ms);
  ticker.start();

  std::string rows = loop.run_sync([&]() -> eddy::Future<std::string> {
    std::puts("query started");
    std::fflush(stdout);
    std::string result = co_await loop.run_in_executor(blocking_query);
    co_return result;
  });
  ticker.stop();
  std::printf("query returned %s; the loop ticked %d times meanwhile\n", rows.c_str(), ticks);
}
