"""Timer workload on Tornado (python3-tornado): call_at(start + offset),
remove_timeout to cancel; start() runs until the callback firing the last
expected timer calls stop(). Same deadlines as the C++ programs; the default
size is scaled down to 100,000 (argv[1]) since results are per timer."""

from tornado_common import Stopwatch, arg_or, deadline_offsets, new_loop, report_per_op


class Timers:
    def __init__(self):
        self.loop = new_loop()
        self.fired = 0
        self.expected = 0
        self.handles = []
        self.start = self.loop.time()

    def on_timer(self):
        self.fired += 1
        if self.fired == self.expected:
            self.loop.stop()

    def schedule_all(self, offsets):
        call_at, start, on_timer = self.loop.call_at, self.start, self.on_timer
        self.handles = [call_at(start + off * 1e-9, on_timer) for off in offsets]

    def run(self, expected):
        self.expected = expected
        self.loop.start()
        self.loop.close()


def main():
    offsets = deadline_offsets(arg_or(1, 100_000))
    n = len(offsets)

    timers = Timers()
    sw = Stopwatch()
    timers.schedule_all(offsets)
    report_per_op("timers_schedule", n, sw)
    timers.loop.close()

    timers = Timers()
    sw = Stopwatch()
    timers.schedule_all(offsets)
    timers.run(n)
    report_per_op("timers_fire", n, sw)
    assert timers.fired == n

    timers = Timers()
    sw = Stopwatch()
    timers.schedule_all(offsets)
    for handle in timers.handles[1::2]:
        timers.loop.remove_timeout(handle)
    timers.run(n - n // 2)
    report_per_op("timers_churn", n, sw)
    assert timers.fired == n - n // 2


if __name__ == "__main__":
    main()
