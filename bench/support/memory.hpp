// Heap accounting for the memory workloads. Two instruments:
// - heap_in_use(): glibc's mallinfo2() (bytes in malloc chunks, headers
//   included, plus mmapped blocks). It sees every allocation of the process,
//   so it measures C peers (libev, libuv, libevent call malloc) and C++ alike.
// - AllocationCounter: counts calls of the global operator new. Only eddy
//   and Asio allocate that way; it answers "does this step allocate at all".
// Define BENCH_COUNT_ALLOCATIONS in exactly one translation unit (each bench
// program is one) before including this header to replace operator new.
#pragma once

#include <malloc.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "measure.hpp"

namespace bench {

inline std::int64_t heap_in_use() {
    struct mallinfo2 info = mallinfo2();
    return std::int64_t(info.uordblks + info.hblkhd);
}

inline std::atomic<std::uint64_t> allocation_count{0};

// Allocations made between construction and count().
class AllocationWindow {
public:
    AllocationWindow() : start_(allocation_count.load(std::memory_order_relaxed)) {}
    std::uint64_t count() const { return allocation_count.load(std::memory_order_relaxed) - start_; }

private:
    std::uint64_t start_;
};

// Heap bytes (mallinfo2) gained between construction and bytes().
class HeapWindow {
public:
    HeapWindow() : start_(heap_in_use()) {}
    std::int64_t bytes() const { return heap_in_use() - start_; }

private:
    std::int64_t start_;
};

// `count` idle eventfds to register handlers for (one descriptor each, never
// readable), after raising the soft descriptor limit; fewer if the hard limit
// is lower, and the result says how many.
class IdleFds {
public:
    explicit IdleFds(std::size_t count) {
        rlimit lim{};
        getrlimit(RLIMIT_NOFILE, &lim);
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        if (count + 64 > lim.rlim_cur) count = std::size_t(lim.rlim_cur) - 64;
        fds_.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            check(fd >= 0, "eventfd");
            fds_.push_back(fd);
        }
    }
    ~IdleFds() {
        for (int fd : fds_)
            if (fd >= 0) close(fd);
    }
    IdleFds(const IdleFds&) = delete;
    IdleFds& operator=(const IdleFds&) = delete;
    std::size_t size() const { return fds_.size(); }
    int operator[](std::size_t i) const { return fds_[i]; }
    // Hands fd i over to a caller that will close it (Asio's descriptors do).
    int release(std::size_t i) { return std::exchange(fds_[i], -1); }

private:
    std::vector<int> fds_;
};

// RESULT line of the memory workloads: bytes per object, split into what the
// caller holds (sizeof the watcher struct it must keep alive) and what the
// library put on the heap.
inline void report_memory(const char* workload, const char* impl, std::uint64_t n,
                          std::size_t caller_bytes_each, std::int64_t heap_bytes) {
    double heap_each = double(heap_bytes) / double(n);
    std::printf("RESULT workload=%s impl=%s n=%llu caller_bytes=%zu heap_bytes=%.1f bytes_per_op=%.1f\n",
                workload, impl, (unsigned long long)n, caller_bytes_each, heap_each,
                double(caller_bytes_each) + heap_each);
    std::fflush(stdout);
}

inline void report_allocations(const char* workload, const char* impl, const std::string& params,
                               std::uint64_t n, std::uint64_t allocations) {
    std::printf("RESULT workload=%s impl=%s%s%s n=%llu allocs_per_op=%.4f\n", workload, impl,
                params.empty() ? "" : " ", params.c_str(), (unsigned long long)n,
                double(allocations) / double(n));
    std::fflush(stdout);
}

}  // namespace bench

#ifdef BENCH_COUNT_ALLOCATIONS
// Replacements of the global allocation functions that count every call; the
// sized and nothrow forms all funnel into these. Freeing goes through a
// function g++ may not inline: seeing operator new's pointer reach free()
// directly, it would warn about a new/free mismatch that is our own design.
namespace bench {
[[gnu::noinline]] inline void release_allocation(void* p) noexcept { std::free(p); }
}  // namespace bench
void* operator new(std::size_t size) {
    bench::allocation_count.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    bench::allocation_count.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return ::operator new(size, tag);
}
void operator delete(void* p) noexcept { bench::release_allocation(p); }
void operator delete[](void* p) noexcept { bench::release_allocation(p); }
void operator delete(void* p, std::size_t) noexcept { bench::release_allocation(p); }
void operator delete[](void* p, std::size_t) noexcept { bench::release_allocation(p); }
#endif
