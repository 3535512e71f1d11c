// Pieces of the callback workloads that involve a second thread, shared so
// every implementation posts the same way and is timed the same way.
#pragma once

#include <time.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "measure.hpp"
#include "report.hpp"

namespace bench {

// A posted callback in C terms: a function pointer and its argument.
struct Job {
    void (*fn)(std::uint64_t);
    std::uint64_t arg;
};

// libev and libuv have a thread-safe wake-up (ev_async / uv_async) but no
// thread-safe queue: several sends may coalesce into one callback. Their
// documented idiom is a mutex-protected queue that the async callback drains;
// this is that queue. Draining swaps the whole batch out under the lock so
// jobs run without holding it.
class JobQueue {
public:
    void push(Job job) {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.push_back(job);
    }
    void run_all() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            batch_.swap(jobs_);
        }
        for (const Job& job : batch_) job.fn(job.arg);
        batch_.clear();
    }

private:
    std::mutex mutex_;
    std::vector<Job> jobs_;
    std::vector<Job> batch_;  // reused, so steady state does not allocate
};

// Records wake-up latency on the loop thread: the time from a timestamp taken
// by the posting thread just before it posts to the moment the callback runs.
class LatencyProbe {
public:
    explicit LatencyProbe(std::uint64_t n) : n_(n) { samples_.reserve(n); }
    void record(std::uint64_t posted_ns) {
        samples_.push_back(std::int64_t(now_ns() - posted_ns));
    }
    bool complete() const { return samples_.size() >= n_; }
    void report(const char* impl) const {
        check(complete(), "every timestamp arrived");
        Percentiles p = percentiles(samples_);
        report_latency("xthread_latency", impl, "cpus=1", samples_.size(), p.median_ns, p.p99_ns);
    }

private:
    std::uint64_t n_;
    std::vector<std::int64_t> samples_;
};

// The posting side of the latency measurement, run on its own thread. It is
// pinned to the loop thread's core (see pin_to_cpu) and pauses between posts
// so that each post finds the loop asleep in its poller: we measure a
// wake-up, not a queue that is already being drained.
template <class Post>
std::thread start_timestamp_poster(std::uint64_t n, Post post) {
    return std::thread([n, post]() mutable {
        pin_to_cpu(0);
        timespec pause{0, 100'000};
        for (std::uint64_t i = 0; i < n; ++i) {
            nanosleep(&pause, nullptr);
            post(now_ns());
        }
    });
}

// Default sizes for the callback programs: argv[1] chain length, argv[2]
// cross-thread posts, argv[3] latency samples.
struct CallbackSizes {
    std::uint64_t chain, xthread, latency;
    CallbackSizes(int argc, char** argv)
        : chain(arg_or(argc, argv, 1, 10'000'000)),
          xthread(arg_or(argc, argv, 2, 10'000'000)),
          latency(arg_or(argc, argv, 3, 10'000)) {}
};

}  // namespace bench
