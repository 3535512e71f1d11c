// Dispatch workload on Asio. Asio has no persistent readiness registration:
// its idiom is an async operation re-issued from its own completion handler.
// We use async_read_some into a one-byte buffer, what an Asio user writes; the
// reactor (edge-triggered epoll, registered once per socket) performs the recv,
// and re-issuing it first tries a speculative recv, which usually fails with
// EAGAIN: that extra syscall per event is part of Asio's cost here.
// io_context(1): the concurrency hint for a loop run by one thread.
#include <asio.hpp>

#include "support/socket_ring.hpp"

namespace {

using Socket = asio::local::stream_protocol::socket;

struct Reader {
    Socket socket;
    std::size_t index;
    char byte;
};

class RingReaders {
public:
    RingReaders(asio::io_context& ctx, bench::SocketRing& ring) : ctx_(ctx), ring_(ring) {
        readers_.reserve(ring.size());
        for (std::size_t i = 0; i < ring.size(); ++i) {
            readers_.push_back(std::make_unique<Reader>(Reader{Socket(ctx), i, 0}));
            readers_.back()->socket.assign(asio::local::stream_protocol(), ring.read_fd(i));
        }
    }
    // The SocketRing owns the descriptors (no dup: 10000 pairs already meet
    // the descriptor limit), so hand them back rather than close them twice.
    ~RingReaders() {
        asio::error_code ignored;
        for (auto& r : readers_) r->socket.release(ignored);
    }

    // Issues one read on every socket; each handler re-issues its own, and the
    // last one stops the context so run() returns with reads still pending.
    void arm_all() {
        for (auto& r : readers_) arm(*r);
    }

private:
    void arm(Reader& r) {
        r.socket.async_read_some(asio::buffer(&r.byte, 1), [this, &r](asio::error_code ec, std::size_t) {
            if (ec) return;
            if (ring_.on_byte_read(r.index)) ctx_.stop();
            arm(r);
        });
    }

    asio::io_context& ctx_;
    bench::SocketRing& ring_;
    std::vector<std::unique_ptr<Reader>> readers_;
};

}  // namespace

int main(int argc, char** argv) {
    std::size_t pipes = bench::arg_or(argc, argv, 1, 1000);
    std::size_t active = bench::arg_or(argc, argv, 2, 100);
    std::uint64_t writes = bench::arg_or(argc, argv, 3, 1'000'000);

    bench::SocketRing ring(pipes);
    asio::io_context ctx(1);
    RingReaders readers(ctx, ring);
    readers.arm_all();

    bench::measure_dispatch("asio", ring, active, writes, [&] {
        ctx.restart();
        ctx.run();
    });
}
