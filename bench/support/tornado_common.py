"""Shared pieces of the Tornado benchmarks: the same splitmix64 deadlines as
support/prng.hpp, the same RESULT line format as support/report.hpp, CPU
pinning, and a fresh IOLoop per measurement."""

import os
import sys
import time
import warnings

from tornado.ioloop import IOLoop

MASK64 = (1 << 64) - 1
DEADLINE_SEED = 42
DEADLINE_SPAN_NS = 200_000_000


def deadline_offsets(n):
    """Offsets in ns, bit-identical to bench::make_deadline_offsets."""
    state = DEADLINE_SEED
    out = []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out.append((z ^ (z >> 31)) % DEADLINE_SPAN_NS)
    return out


def arg_or(index, fallback):
    return int(float(sys.argv[index])) if len(sys.argv) > index else fallback


class Stopwatch:
    """Wall (CLOCK_MONOTONIC) and process CPU time of one measured section."""

    def __init__(self):
        self.wall0 = time.monotonic_ns()
        self.cpu0 = time.process_time_ns()

    def elapsed(self):
        return time.monotonic_ns() - self.wall0, time.process_time_ns() - self.cpu0


def report_per_op(workload, n, stopwatch):
    wall, cpu = stopwatch.elapsed()
    print(f"RESULT workload={workload} impl=tornado n={n} "
          f"ns_per_op={wall / n:.1f} cpu_ns_per_op={cpu / n:.1f}", flush=True)


def report_latency(workload, params, samples):
    samples = sorted(samples)
    median = samples[(len(samples) - 1) // 2]
    p99 = samples[int(0.99 * (len(samples) - 1))]
    print(f"RESULT workload={workload} impl=tornado {params} n={len(samples)} "
          f"median_ns={median} p99_ns={p99}", flush=True)


def pin_to_cpu0():
    """Pins the calling thread (pid 0 means "this thread" on Linux)."""
    os.sched_setaffinity(0, {0})


def new_loop():
    """A fresh, non-current IOLoop (an asyncio loop underneath in Tornado 6)."""
    warnings.simplefilter("ignore", DeprecationWarning)
    return IOLoop(make_current=False)
