// The timer workload, written once; each implementation supplies only a small
// adapter class with this shape:
//   Adapter(std::size_t n, bool reserve);     // loop (untimed); with `reserve`, storage
//                                             // for n timers too (see PerTimer)
//   void begin();                             // take the common start time
//   void schedule(std::size_t i, std::uint64_t offset_ns);  // timer i: one-shot at start + offset
//   void cancel(std::size_t i);
//   void run(std::uint64_t expected);         // run the loop until `expected` more have fired
//   std::uint64_t fired() const;              // fired since the last begin()
//   ~Adapter();                               // tear down (untimed)
// Timer i is the same watcher/handle slot every time it is scheduled (libev
// and libuv reuse their watchers in place, eddy overwrites its handle).
//
// Deadlines come from the same seeded splitmix64 for everyone. Three phases:
// scheduling only; schedule + fire; churn (schedule n, cancel every other one,
// fire the rest). Each is measured on
//   loop=fresh  a new loop, and
//   loop=warm   a loop that has already scheduled and fired n timers (untimed),
//               as a server's loop is after running for a while: its storage
//               was used, freed in deadline order, and is now reused;
// each with
//   reserve=yes  everything a timer needs is allocated up front, untimed: the
//                caller's watchers or handles, and the loop's own storage
//                where it has a call for that (eddy's reserve_timeouts), and
//   reserve=no   nothing is: the caller allocates timer i's watcher or handle
//                the first time it schedules timer i (PerTimer), as a server
//                does when a connection arrives, and the loop grows its own
//                storage as it goes. On a warm loop everything exists already.
// All figures are per scheduled timer. Each measurement runs in a child
// process of its own, so that a fresh loop also starts in a fresh process,
// as a server does: otherwise every loop after the first would build itself
// in memory that earlier loops already faulted in and freed, and by how much
// depends on each library's allocation pattern and on malloc's trimming.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

#include "measure.hpp"
#include "prng.hpp"
#include "report.hpp"

namespace bench {

// The caller's per-timer objects (ev_timer, uv_timer_t, eddy::Timeout...),
// which must not move once a loop knows them: a deque never moves its
// elements. With `reserve` all n are made up front (untimed); otherwise timer
// i's is made the first time get(i) is called, which happens in order.
// make(std::deque<T>&) appends and initialises one.
template <class T>
class PerTimer {
public:
    template <class Make>
    PerTimer(std::size_t n, bool reserve, Make make) {
        if (reserve)
            for (std::size_t i = 0; i < n; ++i) make(items_);
    }
    template <class Make>
    T& get(std::size_t i, Make make) {
        if (i == items_.size()) make(items_);
        return items_[i];
    }
    T& operator[](std::size_t i) { return items_[i]; }
    std::deque<T>& all() { return items_; }

private:
    std::deque<T> items_;
};

struct TimerVariant {
    bool warm;
    bool reserve;
    std::string params() const {
        return std::string("loop=") + (warm ? "warm" : "fresh") + " reserve=" + (reserve ? "yes" : "no");
    }
};

// What a server's loop has been through: n timers scheduled and fired.
template <class Adapter>
void warm_up(Adapter& timers, const std::vector<std::uint64_t>& offsets) {
    timers.begin();
    for (std::size_t i = 0; i < offsets.size(); ++i) timers.schedule(i, offsets[i]);
    timers.run(offsets.size());
    check(timers.fired() == offsets.size(), "every warm-up timer fired");
}

enum class TimerPhase { schedule, fire, churn };

// Minor page faults of this process so far: first touches of fresh memory,
// which the reserve=no rows pay for inside the timed section.
inline long minor_faults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

template <class Adapter>
void measure_timers(const char* impl, TimerPhase phase, TimerVariant variant,
                    const std::vector<std::uint64_t>& offsets) {
    const std::size_t n = offsets.size();
    Adapter timers(n, variant.reserve);
    if (variant.warm) warm_up(timers, offsets);
    timers.begin();
    long faults = minor_faults();
    Stopwatch sw;
    for (std::size_t i = 0; i < n; ++i) timers.schedule(i, offsets[i]);
    const char* workload = "timers_schedule";
    if (phase == TimerPhase::fire) {
        timers.run(n);
        check(timers.fired() == n, "every timer fired");
        workload = "timers_fire";
    } else if (phase == TimerPhase::churn) {
        for (std::size_t i = 1; i < n; i += 2) timers.cancel(i);
        timers.run(n - n / 2);
        check(timers.fired() == n - n / 2, "exactly the uncancelled timers fired");
        workload = "timers_churn";
    }
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    faults = minor_faults() - faults;
    report_per_op(workload, impl, variant.params(), n, wall, cpu);
    // Not a RESULT line (the runner keeps only those): for attributing the
    // reserve=no rows by hand.
    std::fprintf(stderr, "FAULTS workload=%s impl=%s %s per_1000_timers=%.2f\n", workload, impl,
                 variant.params().c_str(), 1000.0 * double(faults) / double(n));
}

// Runs f() in a child process and waits for it; a child that fails (a
// check() aborts) fails the whole program.
template <class F>
void in_child(F f) {
    std::fflush(stdout);
    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        f();
        std::fflush(stdout);
        _exit(0);
    }
    int status = 0;
    check(waitpid(child, &status, 0) == child, "waitpid");
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the measurement's child process succeeded");
}

template <class Adapter>
void measure_user_case(const char* impl, const std::vector<std::uint64_t>& offsets, bool absolute);

// argv[1] = number of timers (default 1,000,000); argv[2] = which loops,
// "fresh", "warm" or "both" (default), or "user" (timer_user_case.hpp: the
// user's case, its three phases on one loop; argv[3] is ignored); argv[3] = "yes", "no" or "both"
// (default): with and/or without reserving.
template <class Adapter>
int timer_main(const char* impl, int argc, char** argv) {
    auto offsets = make_deadline_offsets(arg_or(argc, argv, 1, 1'000'000));
    std::string loops = argc > 2 ? argv[2] : "both";
    std::string reserves = argc > 3 ? argv[3] : loops == "user" ? "later" : "both";
    if (loops == "user") {
        in_child([&] { measure_user_case<Adapter>(impl, offsets, reserves == "at"); });
        return 0;
    }
    check(loops == "fresh" || loops == "warm" || loops == "both", "argv[2] is fresh, warm, both or user");
    check(reserves == "yes" || reserves == "no" || reserves == "both", "argv[3] is yes, no or both");
    for (bool warm : {false, true}) {
        if (loops != "both" && (loops == "warm") != warm) continue;
        for (bool reserve : {true, false}) {
            if (reserves != "both" && (reserves == "yes") != reserve) continue;
            for (TimerPhase phase : {TimerPhase::schedule, TimerPhase::fire, TimerPhase::churn})
                in_child([&] { measure_timers<Adapter>(impl, phase, TimerVariant{warm, reserve}, offsets); });
        }
    }
    return 0;
}

}  // namespace bench
