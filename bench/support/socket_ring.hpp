// The I/O dispatch workload of libevent's classic bench (test/bench.c),
// re-implemented from its description so every implementation runs the very
// same state machine and only the loop glue differs:
//   N socketpairs form a ring; every read end is registered once, persistently,
//   for readability. A of them, evenly spaced, get one byte to start with. Each
//   read callback reads one byte and, while the write budget W lasts, writes one
//   byte to the next pair of the ring. A pass ends when every byte written has
//   been read, i.e. after A + W read events.
#pragma once

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "measure.hpp"
#include "report.hpp"

namespace bench {

class SocketRing {
public:
    // Builds `pairs` non-blocking socketpairs. When the descriptor limit cannot
    // hold them all (this machine's hard limit is 20000) the ring is shrunk and
    // size() tells how many were made, so results always state the true N.
    explicit SocketRing(std::size_t pairs) {
        pairs = std::min(pairs, max_pairs());
        fds_.resize(2 * pairs);
        for (std::size_t i = 0; i < pairs; ++i) {
            int sv[2];
            check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
            fds_[2 * i] = sv[0];
            fds_[2 * i + 1] = sv[1];
        }
    }
    ~SocketRing() {
        for (int fd : fds_) close(fd);
    }
    SocketRing(const SocketRing&) = delete;
    SocketRing& operator=(const SocketRing&) = delete;

    std::size_t size() const { return fds_.size() / 2; }
    int read_fd(std::size_t i) const { return fds_[2 * i]; }
    int write_fd(std::size_t i) const { return fds_[2 * i + 1]; }

    // Starts a pass: `active` evenly spaced pairs get their first byte.
    void prime(std::size_t active, std::uint64_t writes) {
        writes_left_ = writes;
        fired_ = 0;
        count_ = 0;
        std::size_t space = size() / active;
        for (std::size_t i = 0; i < active; ++i, ++fired_) send_byte(i * space);
    }

    // The read callback's body for pair i. Returns true once the pass is done,
    // so the caller can stop its loop.
    bool on_readable(std::size_t i) {
        char ch;
        if (recv(read_fd(i), &ch, 1, 0) != 1) return done();  // spurious wake-up
        return on_byte_read(i);
    }

    // Variant for loops (Asio) that perform the read themselves.
    bool on_byte_read(std::size_t i) {
        ++count_;
        if (writes_left_ > 0) {
            send_byte(i + 1 == size() ? 0 : i + 1);
            --writes_left_;
            ++fired_;
        }
        return done();
    }

    bool done() const { return count_ == fired_; }
    std::uint64_t events() const { return count_; }

    std::string params(std::size_t active, std::uint64_t writes) const {
        return "pipes=" + std::to_string(size()) + " active=" + std::to_string(active) +
               " writes=" + std::to_string(writes);
    }

private:
    void send_byte(std::size_t i) { check(send(write_fd(i), "e", 1, 0) == 1, "send"); }

    // Raises the soft descriptor limit to the hard one and leaves headroom for
    // stdio, the poller and whatever the peer library opens for itself.
    static std::size_t max_pairs() {
        rlimit lim{};
        getrlimit(RLIMIT_NOFILE, &lim);
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        return (std::size_t(lim.rlim_cur) - 64) / 2;
    }

    std::vector<int> fds_;
    std::uint64_t writes_left_ = 0;
    std::uint64_t fired_ = 0;
    std::uint64_t count_ = 0;
};

// Runs one warm-up pass (so buffers the loop grows lazily are grown) and one
// measured pass, then reports ns per read event. `run_pass` runs the loop until
// the ring says done(); registration happened before, untimed.
template <class RunPass>
void measure_dispatch(const char* impl, SocketRing& ring, std::size_t active, std::uint64_t writes,
                      RunPass&& run_pass) {
    check(active > 0 && active <= ring.size(), "0 < active <= pipes");
    ring.prime(active, writes / 10);
    run_pass();
    check(ring.done(), "warm-up pass completed");

    ring.prime(active, writes);
    Stopwatch sw;
    run_pass();
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    check(ring.done() && ring.events() == active + writes, "all bytes read");
    report_per_op("dispatch", impl, ring.params(active, writes), ring.events(), wall, cpu);
}

}  // namespace bench
