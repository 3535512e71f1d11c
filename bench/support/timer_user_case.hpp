// The timer workload as a user writes it (issue 22, part 1), beside the
// fresh/warm x reserve grid of timer_workload.hpp:
//   - the caller's handles (eddy::Timeout, ev_timer, uv_timer_t...) are all
//     made and touched before timing, as a program that keeps them in a
//     std::vector does, but the loop is NOT asked to reserve anything
//     (no reserve_timeouts): it grows its own storage while timed;
//   - timers are scheduled relative to now (eddy's call_later, libev's
//     ev_timer_start), not at absolute deadlines;
//   - one process, one loop, three timed phases in a row:
//       schedule        n timers at pseudo-random delays in [0, 200) ms
//       schedule+fire   the above, plus running until all have fired
//       churn           on the same loop: n more, cancel every other one,
//                       run until the rest have fired.
// Figures are CPU ns per scheduled timer, reported as
//   timers_user_schedule / timers_user_fire / timers_user_churn, loop=user.
// An adapter that has schedule_later(i, delay_ns) is scheduled through it
// (sched=later) or through schedule() at absolute deadlines (sched=at); the
// others (whose schedule() is relative already) through schedule() in both.
#pragma once

#include <type_traits>
#include <utility>

#include "timer_workload.hpp"

namespace bench {

template <class Adapter, class = void>
struct HasScheduleLater : std::false_type {};
template <class Adapter>
struct HasScheduleLater<Adapter, std::void_t<decltype(std::declval<Adapter&>().schedule_later(0, 0))>>
    : std::true_type {};

template <class Adapter>
void schedule_user(Adapter& timers, std::size_t i, std::uint64_t delay_ns, bool absolute) {
    if constexpr (HasScheduleLater<Adapter>::value) {
        if (absolute) return timers.schedule(i, delay_ns);
        timers.schedule_later(i, delay_ns);
    } else {
        timers.schedule(i, delay_ns);
    }
}

// The adapter with the caller's storage made and the loop's not reserved:
// Adapter(n, reserve_caller, reserve_loop) where it tells them apart.
template <class Adapter>
Adapter make_user_adapter(std::size_t n) {
    if constexpr (std::is_constructible_v<Adapter, std::size_t, bool, bool>) {
        return Adapter(n, true, false);
    } else {
        return Adapter(n, true);
    }
}

// With `absolute`, eddy schedules with call_at(start + offset), start being
// loop.time() read once per phase (what libev's cached ev_now amounts to);
// the peers schedule as always.
template <class Adapter>
void measure_user_case(const char* impl, const std::vector<std::uint64_t>& offsets, bool absolute) {
    const std::size_t n = offsets.size();
    const std::string params = std::string("loop=user reserve=caller sched=") + (absolute ? "at" : "later");
    Adapter timers = make_user_adapter<Adapter>(n);
    timers.begin();
    long faults = minor_faults();
    Stopwatch schedule_sw;
    for (std::size_t i = 0; i < n; ++i) schedule_user(timers, i, offsets[i], absolute);
    double schedule_cpu = schedule_sw.cpu_used_ns(), schedule_wall = schedule_sw.wall_ns();
    long schedule_faults = minor_faults() - faults;
    Stopwatch fire_sw;
    timers.run(n);
    check(timers.fired() == n, "every timer fired");
    double fire_cpu = fire_sw.cpu_used_ns(), fire_wall = fire_sw.wall_ns();
    report_per_op("timers_user_schedule", impl, params, n, schedule_wall, schedule_cpu);
    report_per_op("timers_user_fire", impl, params, n, schedule_wall + fire_wall, schedule_cpu + fire_cpu);

    timers.begin();
    faults = minor_faults();
    Stopwatch churn_sw;
    for (std::size_t i = 0; i < n; ++i) schedule_user(timers, i, offsets[i], absolute);
    for (std::size_t i = 1; i < n; i += 2) timers.cancel(i);
    timers.run(n - n / 2);
    check(timers.fired() == n - n / 2, "exactly the uncancelled timers fired");
    double churn_cpu = churn_sw.cpu_used_ns(), churn_wall = churn_sw.wall_ns();
    report_per_op("timers_user_churn", impl, params, n, churn_wall, churn_cpu);
    std::fprintf(stderr, "FAULTS workload=timers_user impl=%s schedule_per_1000=%.2f churn_per_1000=%.2f\n", impl,
                 1000.0 * double(schedule_faults) / double(n), 1000.0 * double(minor_faults() - faults) / double(n));
}

}  // namespace bench
