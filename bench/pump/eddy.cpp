// TCP pump on eddy (see support/tcp_workload.hpp): the server writes 8 KiB
// chunks to one IOStream, awaiting a write's future only when the kernel is
// full (back-pressure); the client reads with read_into(64 KiB buffer, partial)
// in its callback form.
#include <eddy/eddy.hpp>

#include "support/tcp_workload.hpp"

namespace {

class Pump {
public:
    Pump(eddy::IOStream stream, std::uint64_t chunks) : stream_(stream), left_(chunks), chunk_(bench::pump_chunk, 'p') {}
    // Writes until the kernel pushes back, then resumes from the future.
    void run() {
        while (left_ > 0) {
            --left_;
            eddy::Future<void> written = stream_.write(chunk_);
            if (!written.done()) {
                written.add_done_callback([this](const eddy::Future<void>& f) {
                    f.result();
                    run();
                });
                return;
            }
        }
        stream_.close();
        eddy::IOLoop::current().stop();
    }

private:
    eddy::IOStream stream_;
    std::uint64_t left_;
    std::string chunk_;
};

void serve(int listen_fd, std::uint64_t chunks) {
    eddy::IOLoop loop;
    loop.make_current();
    std::unique_ptr<Pump> pump;
    eddy::TCPServer server([&](eddy::IOStream stream, std::string) {
        pump = std::make_unique<Pump>(stream, chunks);
        pump->run();
    });
    server.add_socket(listen_fd);
    loop.start();
}

class Drain {
public:
    Drain(eddy::IOStream stream, std::uint64_t bytes) : stream_(stream), left_(bytes) {}
    // read_into: the kernel copies straight into our buffer, as recv would.
    void run() {
        stream_.read_into(buffer_, sizeof buffer_, true, [this](std::size_t n, std::exception_ptr error) {
            bench::check(!error, "read");
            left_ -= n;
            if (left_ == 0) return eddy::IOLoop::current().stop();
            run();
        });
    }

private:
    eddy::IOStream stream_;
    std::uint64_t left_;
    char buffer_[65536];
};

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t chunks = bench::arg_or(argc, argv, 1, 500'000);

    bench::Listener listener;
    pid_t server = bench::fork_server(listener, [&](int fd) { serve(fd, chunks); });

    eddy::IOLoop loop;
    loop.make_current();
    eddy::IOStream stream(bench::connect_loopback(listener.port));
    Drain drain(stream, chunks * bench::pump_chunk);
    bench::Stopwatch watch;
    drain.run();
    loop.start();
    double wall = watch.wall_ns(), cpu = watch.cpu_used_ns();
    stream.close();
    double server_cpu = bench::reap_server(server);
    bench::report_pump("eddy", chunks, wall, cpu + server_cpu);
}
