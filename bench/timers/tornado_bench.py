"""Timer workload on Tornado (python3-tornado): call_at(start + offset),
remove_timeout to cancel; start() runs until the callback firing the last
expected timer calls stop(). Same deadlines and phases as the C++ programs
(support/timer_workload.hpp): schedule, schedule + fire, churn, each on a
fresh loop and on a warm one (a loop that has already scheduled and fired n
timers). Tornado has no call to preallocate anything, so every row is
reserve=no. The default size is scaled down to 100,000 (argv[1]) since
results are per timer."""

import os
import sys

# tornado_common.py is shared by the Tornado scripts, in bench/support/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tornado_common import Stopwatch, arg_or, deadline_offsets, new_loop


class Timers:
    def __init__(self):
        self.loop = new_loop()
        self.fired = 0
        self.expected = 0
        self.handles = []
        self.start = 0.0

    def on_timer(self):
        self.fired += 1
        if self.fired == self.expected:
            self.loop.stop()

    def begin(self):
        self.start = self.loop.time()
        self.fired = 0

    def schedule_all(self, offsets):
        call_at, start, on_timer = self.loop.call_at, self.start, self.on_timer
        self.handles = [call_at(start + off * 1e-9, on_timer) for off in offsets]

    def run(self, expected):
        self.expected = self.fired + expected
        self.loop.start()


def report(workload, warm, n, stopwatch):
    wall, cpu = stopwatch.elapsed()
    loop = "warm" if warm else "fresh"
    print(f"RESULT workload={workload} impl=tornado loop={loop} reserve=no n={n} "
          f"ns_per_op={wall / n:.1f} cpu_ns_per_op={cpu / n:.1f}", flush=True)


def measure(phase, warm, offsets):
    n = len(offsets)
    timers = Timers()
    if warm:
        timers.begin()
        timers.schedule_all(offsets)
        timers.run(n)
        assert timers.fired == n
    timers.begin()
    sw = Stopwatch()
    timers.schedule_all(offsets)
    if phase == "fire":
        timers.run(n)
        assert timers.fired == n
    elif phase == "churn":
        for handle in timers.handles[1::2]:
            timers.loop.remove_timeout(handle)
        timers.run(n - n // 2)
        assert timers.fired == n - n // 2
    report("timers_" + phase, warm, n, sw)
    timers.loop.close(all_fds=True)


def main():
    offsets = deadline_offsets(arg_or(1, 100_000))
    for warm in (False, True):
        for phase in ("schedule", "fire", "churn"):
            measure(phase, warm, offsets)


if __name__ == "__main__":
    main()
