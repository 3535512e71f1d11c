// TCP ping-pong on eddy (see support/tcp_workload.hpp): the server is a
// TCPServer echoing whatever each IOStream reads; the client keeps one 5-byte
// message in flight per connection. Reads use read_into's callback form (no
// future per message); it builds as C++17 like every benchmark.
#include <eddy/eddy.hpp>

#include <memory>
#include <vector>

#include "support/tcp_workload.hpp"

namespace {

// One connection's echo: read whatever arrived into our buffer (read_into's
// callback form: the peers' idiom, completion handlers with no future) and
// write it back.
struct Echo {
    eddy::IOStream stream;
    char buffer[65536];

    void run(std::unique_ptr<Echo> self) {
        stream.read_into(buffer, sizeof buffer, true,
                         [self = std::move(self)](std::size_t n, std::exception_ptr error) mutable {
                             if (error) return;  // the client left
                             Echo& echo = *self;
                             echo.stream.write(std::string_view(echo.buffer, n));
                             echo.run(std::move(self));
                         });
    }
};

void echo(eddy::IOStream stream) {
    auto e = std::make_unique<Echo>(Echo{stream, {}});
    e->run(std::move(e));
}

void serve(int listen_fd, std::size_t conns) {
    eddy::IOLoop loop;
    loop.make_current();
    std::size_t accepted = 0, open = 0;
    eddy::TCPServer server([&](eddy::IOStream stream, std::string) {
        ++accepted;
        ++open;
        stream.set_nodelay(true);
        stream.set_close_callback([&] {
            if (--open == 0 && accepted == conns) loop.stop();
        });
        echo(stream);
    });
    server.add_socket(listen_fd);
    loop.start();
}

struct Client {
    eddy::IOStream stream;
    std::uint64_t left;
    char reply[bench::pingpong_message];
};

class Pinger {
public:
    Pinger(eddy::IOLoop& loop, std::size_t active) : loop_(loop), active_(active) {}
    void step(Client& c) {
        c.stream.write(std::string_view("hello", bench::pingpong_message));
        c.stream.read_into(c.reply, sizeof c.reply, false, [this, &c](std::size_t n, std::exception_ptr error) {
            bench::check(!error && n == bench::pingpong_message, "echo size");
            if (--c.left > 0) return step(c);
            if (--active_ == 0) loop_.stop();
        });
    }

private:
    eddy::IOLoop& loop_;
    std::size_t active_;
};

}  // namespace

int main(int argc, char** argv) {
    bench::PingpongParams params = bench::pingpong_params(argc, argv);
    std::size_t conns = params.conns;
    std::uint64_t per_conn = params.per_conn;

    bench::Listener listener;
    pid_t server = bench::fork_server(listener, [&](int fd) { serve(fd, conns); });

    eddy::IOLoop loop;
    loop.make_current();
    std::vector<std::unique_ptr<Client>> clients;
    for (std::size_t i = 0; i < conns; ++i) {
        int fd = bench::connect_pingpong_client(listener.port);
        clients.push_back(std::make_unique<Client>(Client{eddy::IOStream(fd), per_conn, {}}));
    }
    Pinger pinger(loop, conns);
    bench::Stopwatch watch;
    for (auto& c : clients) pinger.step(*c);
    loop.start();
    double wall = watch.wall_ns(), cpu = watch.cpu_used_ns();
    for (auto& c : clients) c->stream.close();
    clients.clear();
    double server_cpu = bench::reap_server(server);
    bench::report_pingpong("eddy", conns, params.trips(), wall, cpu + server_cpu);
}
