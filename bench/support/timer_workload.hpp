// The timer workload, written once; each implementation supplies only a small
// adapter class with this shape:
//   explicit Adapter(std::size_t n);          // loop + storage for n timers (untimed)
//   void begin();                             // take the common start time
//   void schedule(std::size_t i, std::uint64_t offset_ns);  // one-shot at start + offset
//   void cancel(std::size_t i);
//   void run(std::uint64_t expected);         // run the loop until `expected` have fired
//   std::uint64_t fired() const;
//   ~Adapter();                               // tear down (untimed)
// Deadlines come from the same seeded splitmix64 for everyone. Three figures,
// each on a fresh loop: scheduling only; schedule + fire; churn (schedule n,
// cancel every other one, fire the rest). All are reported per scheduled timer.
#pragma once

#include <string>

#include "measure.hpp"
#include "prng.hpp"
#include "report.hpp"

namespace bench {

template <class Adapter>
void measure_schedule(const char* impl, const std::vector<std::uint64_t>& offsets) {
    Adapter timers(offsets.size());
    timers.begin();
    Stopwatch sw;
    for (std::size_t i = 0; i < offsets.size(); ++i) timers.schedule(i, offsets[i]);
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    report_per_op("timers_schedule", impl, "", offsets.size(), wall, cpu);
}

template <class Adapter>
void measure_fire(const char* impl, const std::vector<std::uint64_t>& offsets) {
    Adapter timers(offsets.size());
    timers.begin();
    Stopwatch sw;
    for (std::size_t i = 0; i < offsets.size(); ++i) timers.schedule(i, offsets[i]);
    timers.run(offsets.size());
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    check(timers.fired() == offsets.size(), "every timer fired");
    report_per_op("timers_fire", impl, "", offsets.size(), wall, cpu);
}

template <class Adapter>
void measure_churn(const char* impl, const std::vector<std::uint64_t>& offsets) {
    std::size_t n = offsets.size();
    Adapter timers(n);
    timers.begin();
    Stopwatch sw;
    for (std::size_t i = 0; i < n; ++i) timers.schedule(i, offsets[i]);
    for (std::size_t i = 1; i < n; i += 2) timers.cancel(i);
    timers.run(n - n / 2);
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    check(timers.fired() == n - n / 2, "exactly the uncancelled timers fired");
    report_per_op("timers_churn", impl, "", n, wall, cpu);
}

// argv[1] = number of timers (default 1,000,000).
template <class Adapter>
int timer_main(const char* impl, int argc, char** argv) {
    auto offsets = make_deadline_offsets(arg_or(argc, argv, 1, 1'000'000));
    measure_schedule<Adapter>(impl, offsets);
    measure_fire<Adapter>(impl, offsets);
    measure_churn<Adapter>(impl, offsets);
    return 0;
}

}  // namespace bench
