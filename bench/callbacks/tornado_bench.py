"""Callback workloads on Tornado, all through IOLoop.add_callback (thread-safe;
asyncio's call_soon_threadsafe underneath): a chain where each callback adds
the next, posts from a second thread, and wake-up latency with both threads
pinned to CPU 0. Sizes scaled down (argv: chain, xthread, latency samples;
defaults 1,000,000 / 1,000,000 / 10,000) since results are per operation."""

import os
import sys
import threading
import time

# tornado_common.py is shared by the Tornado scripts, in bench/support/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tornado_common import (Stopwatch, arg_or, new_loop, pin_to_cpu0,
                            report_latency, report_per_op)


def measure_chain(n):
    loop = new_loop()
    left = [n]

    def link():
        left[0] -= 1
        if left[0] > 0:
            loop.add_callback(link)
        else:
            loop.stop()

    sw = Stopwatch()
    loop.add_callback(link)
    loop.start()
    report_per_op("callbacks_chain", n, sw)
    loop.close()


def measure_xthread(n):
    loop = new_loop()
    done = [0]

    def job():
        done[0] += 1
        if done[0] == n:
            loop.stop()

    def poster():
        for _ in range(n):
            loop.add_callback(job)

    sw = Stopwatch()
    thread = threading.Thread(target=poster)
    thread.start()
    loop.start()
    report_per_op("callbacks_xthread", n, sw)
    thread.join()
    loop.close()


def measure_latency(n):
    pin_to_cpu0()
    loop = new_loop()
    samples = []

    def record(posted_ns):
        samples.append(time.monotonic_ns() - posted_ns)
        if len(samples) == n:
            loop.stop()

    def poster():
        # Pinned next to the loop thread; pauses so each post finds the loop asleep.
        pin_to_cpu0()
        for _ in range(n):
            time.sleep(0.0001)
            loop.add_callback(record, time.monotonic_ns())

    thread = threading.Thread(target=poster)
    thread.start()
    loop.start()
    thread.join()
    loop.close()
    report_latency("xthread_latency", "cpus=1", samples)


def main():
    measure_chain(arg_or(1, 1_000_000))
    measure_xthread(arg_or(2, 1_000_000))
    measure_latency(arg_or(3, 10_000))


if __name__ == "__main__":
    main()
