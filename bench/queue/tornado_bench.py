"""The queue chain on Tornado: a producer awaits Queue.put(i) for every item,
a consumer awaits Queue.get(), through a tornado.queues.Queue of maxsize 1
(every item a hand-off) and unbounded, on a Tornado IOLoop; pinned to CPU 0.
Native coroutines (async def), Tornado's fastest form. argv[1] items
(default 200,000: results are per item)."""

import os
import sys

from tornado.gen import convert_yielded
from tornado.queues import Queue

# tornado_common.py is shared by the Tornado scripts, in bench/support/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tornado_common import Stopwatch, arg_or, new_loop, pin_to_cpu0


async def producer(queue, n):
    for i in range(n):
        await queue.put(i)


async def consumer(queue, n):
    total = 0
    for _ in range(n):
        total += await queue.get()
    return total


def chain(loop, maxsize, n):
    async def both():
        queue = Queue(maxsize=maxsize)
        consuming = convert_yielded(consumer(queue, n))  # started now, as eddy's
        await producer(queue, n)
        return await consuming
    return loop.run_sync(both)


def measure(maxsize, n):
    loop = new_loop()
    chain(loop, maxsize, 1000)  # warm-up
    sw = Stopwatch()
    total = chain(loop, maxsize, n)
    wall, cpu = sw.elapsed()
    loop.close()
    assert total == n * (n - 1) // 2, "every item reached the consumer once"
    print(f"RESULT workload=queue_chain impl=tornado maxsize={maxsize} n={n} "
          f"ns_per_op={wall / n:.1f} cpu_ns_per_op={cpu / n:.1f}", flush=True)


def main():
    pin_to_cpu0()
    n = arg_or(1, 200_000)
    measure(1, n)
    measure(0, n)


if __name__ == "__main__":
    main()
