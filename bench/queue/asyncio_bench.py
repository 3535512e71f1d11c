"""The queue chain on asyncio: a producer awaits Queue.put(i) for every item,
a consumer awaits Queue.get(), through an asyncio.Queue of maxsize 1 (every
item a hand-off) and unbounded; pinned to CPU 0. argv[1] items (default
200,000: results are per item). Same RESULT lines as bench/queue/eddy.cpp."""

import asyncio
import os
import sys
import time


def arg_or(index, fallback):
    return int(float(sys.argv[index])) if len(sys.argv) > index else fallback


async def producer(queue, n):
    for i in range(n):
        await queue.put(i)


async def consumer(queue, n):
    total = 0
    for _ in range(n):
        total += await queue.get()
    return total


async def chain(maxsize, n):
    queue = asyncio.Queue(maxsize=maxsize)
    consuming = asyncio.ensure_future(consumer(queue, n))
    await producer(queue, n)
    return await consuming


def measure(maxsize, n):
    loop = asyncio.new_event_loop()
    loop.run_until_complete(chain(maxsize, 1000))  # warm-up
    wall0, cpu0 = time.monotonic_ns(), time.process_time_ns()
    total = loop.run_until_complete(chain(maxsize, n))
    wall, cpu = time.monotonic_ns() - wall0, time.process_time_ns() - cpu0
    loop.close()
    assert total == n * (n - 1) // 2, "every item reached the consumer once"
    print(f"RESULT workload=queue_chain impl=asyncio maxsize={maxsize} n={n} "
          f"ns_per_op={wall / n:.1f} cpu_ns_per_op={cpu / n:.1f}", flush=True)


def main():
    os.sched_setaffinity(0, {0})
    n = arg_or(1, 200_000)
    measure(1, n)
    measure(0, n)


if __name__ == "__main__":
    main()
