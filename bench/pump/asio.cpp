// TCP pump on Asio (see support/tcp_workload.hpp): the server chains
// async_write of 8 KiB chunks, the client chains async_read_some into a
// 64 KiB buffer.
#include <asio.hpp>

#include <string>

#include "support/tcp_workload.hpp"

namespace {

using asio::ip::tcp;

class Pump {
public:
    Pump(tcp::socket socket, std::uint64_t chunks) : socket_(std::move(socket)), left_(chunks), chunk_(bench::pump_chunk, 'p') {}
    void run() {
        if (left_ == 0) return socket_.close();
        asio::async_write(socket_, asio::buffer(chunk_), [this](asio::error_code ec, std::size_t) {
            bench::check(!ec, "write");
            --left_;
            run();
        });
    }

private:
    tcp::socket socket_;
    std::uint64_t left_;
    std::string chunk_;
};

class Drain {
public:
    Drain(tcp::socket& socket, std::uint64_t bytes) : socket_(socket), left_(bytes) {}
    void run() {
        socket_.async_read_some(asio::buffer(buffer_), [this](asio::error_code ec, std::size_t n) {
            bench::check(!ec, "read");
            left_ -= n;
            if (left_ > 0) run();
        });
    }

private:
    tcp::socket& socket_;
    std::uint64_t left_;
    char buffer_[65536];
};

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t chunks = bench::arg_or(argc, argv, 1, 500'000);

    bench::Listener listener;
    pid_t server = bench::fork_server(listener, [&](int fd) {
        asio::io_context ctx(1);
        tcp::acceptor acceptor(ctx, tcp::v4(), fd);
        std::unique_ptr<Pump> pump;
        acceptor.async_accept([&](asio::error_code ec, tcp::socket socket) {
            bench::check(!ec, "accept");
            pump = std::make_unique<Pump>(std::move(socket), chunks);
            pump->run();
        });
        ctx.run();
    });

    asio::io_context ctx(1);
    tcp::socket socket(ctx, tcp::v4(), bench::connect_loopback(listener.port));
    Drain drain(socket, chunks * bench::pump_chunk);
    bench::Stopwatch watch;
    drain.run();
    ctx.run();
    double wall = watch.wall_ns(), cpu = watch.cpu_used_ns();
    socket.close();
    double server_cpu = bench::reap_server(server);
    bench::report_pump("asio", chunks, wall, cpu + server_cpu);
}
