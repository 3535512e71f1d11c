// Wrapping a function in a task schedules it; it does not make it
// asynchronous. Tornado's gen.Task and our eddy::task turn a function that
// takes a callback into a future a coroutine can wait on, and that is all.
//
// Part 1 wraps a *blocking* callback-style function: the two tasks run one
// after the other (sleeping, awake!, sleeping, awake!) and take 2 s.
// Part 2 wraps an *asynchronous* one, which asks the loop to call it back
// instead of sleeping: the two overlap (sleeping, sleeping, awake!, awake!)
// and take 1 s. About 3 s in all.
//
// Build: g++ -std=c++20 -Iinclude examples/task_is_not_magic.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

using namespace std::chrono_literals;

namespace {

void say(const char* what) {
  std::puts(what);
  std::fflush(stdout);
}

// The wrong building block: it blocks the loop's only thread for a second.
void blocking_nap(std::function<void()> callback) {
  say("sleeping");
  std::this_thread::sleep_for(1s);
  say("awake!");
  callback();
}

// The right one: it schedules the rest of its work and returns at once.
void async_nap(std::function<void()> callback) {
  say("sleeping");
  eddy::IOLoop::current().add_timeout(1s, [callback] {
    say("awake!");
    callback();
  });
}

// Runs two tasks over `nap` at the same time and waits for both.
eddy::Future<void> two_naps(void (*nap)(std::function<void()>)) {
  return eddy::multi(std::vector<eddy::Future<void>>{eddy::task(nap), eddy::task(nap)});
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  eddy::IOLoop loop;

  auto start = std::chrono::steady_clock::now();
  loop.run_sync([] { return two_naps(blocking_nap); });
  std::fprintf(stderr, "blocking function in tasks: %.1f s\n", seconds_since(start));
  say("--");

  start = std::chrono::steady_clock::now();
  loop.run_sync([] { return two_naps(async_nap); });
  std::fprintf(stderr, "asynchronous function in tasks: %.1f s\n", seconds_since(start));
}
