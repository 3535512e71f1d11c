// Memory workload on Asio: caller-owned steady_timer / posix::stream_descriptor
// objects (their sizeof is the caller's share) plus what async_wait puts on the
// heap (the operation holding the handler, the timer queue, the reactor's
// per-descriptor state), measured with mallinfo2. A "handler" is a descriptor
// with a pending async_wait(wait_read), Asio's readiness idiom.
// argv[1] pending timers (default 1M), argv[2] handlers (10k).
#include <asio.hpp>

#include "support/memory.hpp"
#include "support/report.hpp"

namespace {

void measure_timers(std::uint64_t n) {
    asio::io_context ctx(1);
    std::vector<asio::steady_timer> timers;
    timers.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) timers.emplace_back(ctx);
    bench::HeapWindow heap;
    for (auto& t : timers) {
        t.expires_after(std::chrono::hours(1));
        t.async_wait([](const asio::error_code&) {});
    }
    bench::report_memory("memory_timer", "asio", n, sizeof(asio::steady_timer), heap.bytes());
    for (auto& t : timers) t.cancel();
    ctx.run();
}

void measure_handlers(std::uint64_t n) {
    // The context first, so its own descriptors get low numbers (as for eddy).
    asio::io_context ctx(1);
    bench::IdleFds fds(n);
    std::vector<asio::posix::stream_descriptor> descriptors;
    descriptors.reserve(fds.size());
    bench::HeapWindow heap;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        // The descriptor object owns (and will close) the fd.
        descriptors.emplace_back(ctx, fds.release(i));
        descriptors.back().async_wait(asio::posix::descriptor_base::wait_read,
                                      [](const asio::error_code&) {});
    }
    bench::report_memory("memory_handler", "asio", fds.size(), sizeof(asio::posix::stream_descriptor),
                         heap.bytes());
    for (auto& d : descriptors) d.close();
    ctx.run();
}

}  // namespace

int main(int argc, char** argv) {
    measure_timers(bench::arg_or(argc, argv, 1, 1'000'000));
    measure_handlers(bench::arg_or(argc, argv, 2, 10'000));
}
