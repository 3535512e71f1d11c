// producer_consumer: a bounded eddy::Queue makes a fast producer wait for a
// slow consumer, without blocking the loop.
//
// The producer could make items instantly; the consumer needs 50 ms for
// each. With room for 2 items, the first puts finish at once, and from then
// on every put waits until the consumer takes an item: the producer runs at
// the consumer's pace, and the loop stays free for other work meanwhile.
// queue.join() then waits until the consumer has finished the last item.
//
//   g++ -std=c++20 -Iinclude examples/producer_consumer.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

namespace {

constexpr int item_count = 8;
constexpr auto work_per_item = 50ms;

long long ms_since(eddy::Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(eddy::IOLoop::current().time() - start).count();
}

eddy::Future<void> producer(eddy::Queue<int>& queue) {
  for (int item = 0; item < item_count; ++item) {
    auto start = eddy::IOLoop::current().time();
    eddy::Future<void> put = queue.put(item);
    if (put.done()) {
      std::printf("producer: put %d at once\n", item);
    } else {
      co_await put;  // the queue is full: wait for the consumer to make room
      std::printf("producer: put %d after waiting %lld ms\n", item, ms_since(start));
    }
  }
  co_await queue.put(-1);  // tells the consumer there is no more
}

eddy::Future<void> consumer(eddy::Queue<int>& queue) {
  for (;;) {
    int item = co_await queue.get();
    if (item < 0) {
      queue.task_done();
      co_return;
    }
    std::printf("consumer: took %d\n", item);
    co_await eddy::sleep(work_per_item);  // the slow part
    queue.task_done();
  }
}

eddy::Future<void> run() {
  eddy::Queue<int> queue(2);
  auto start = eddy::IOLoop::current().time();
  eddy::Future<void> consuming = consumer(queue);
  co_await producer(queue);
  std::printf("producer done after %lld ms\n", ms_since(start));
  co_await queue.join();
  co_await consuming;
  std::printf("all %d items consumed after %lld ms (%lld ms of work each)\n", item_count, ms_since(start),
              static_cast<long long>(std::chrono::milliseconds(work_per_item).count()));
}

}  // namespace

int main() {
  eddy::IOLoop loop;
  loop.run_sync(run);
  return 0;
}
