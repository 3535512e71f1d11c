// TCP ping-pong on Asio (see support/tcp_workload.hpp), in Asio's idiom: each
// session re-issues async_read_some from its handler and echoes with
// async_write; each client keeps an async_write and an async_read of 5 bytes
// outstanding. io_context(1): one thread runs each side.
#include <asio.hpp>

#include <memory>
#include <vector>

#include "support/tcp_workload.hpp"

namespace {

using asio::ip::tcp;

class Server {
public:
    Server(asio::io_context& ctx, int listen_fd, std::size_t conns) : ctx_(ctx), acceptor_(ctx), conns_(conns) {
        acceptor_.assign(tcp::v4(), listen_fd);
        accept();
    }

private:
    struct Session {
        explicit Session(tcp::socket s) : socket(std::move(s)) {}
        tcp::socket socket;
        char data[65536];
    };

    void accept() {
        acceptor_.async_accept([this](asio::error_code ec, tcp::socket socket) {
            if (ec) return;
            socket.set_option(tcp::no_delay(true));
            auto session = std::make_shared<Session>(std::move(socket));
            ++accepted_;
            ++open_;
            read(session);
            if (accepted_ < conns_) accept();
        });
    }
    void read(std::shared_ptr<Session> s) {
        s->socket.async_read_some(asio::buffer(s->data), [this, s](asio::error_code ec, std::size_t n) {
            if (ec) return closed();
            asio::async_write(s->socket, asio::buffer(s->data, n), [this, s](asio::error_code ec2, std::size_t) {
                if (ec2) return closed();
                read(s);
            });
        });
    }
    void closed() {
        if (--open_ == 0 && accepted_ == conns_) ctx_.stop();
    }

    asio::io_context& ctx_;
    tcp::acceptor acceptor_;
    std::size_t conns_, accepted_ = 0, open_ = 0;
};

struct Client {
    tcp::socket socket;
    std::uint64_t left;
    char reply[bench::pingpong_message];
};

class Pinger {
public:
    Pinger(asio::io_context& ctx, std::size_t active) : ctx_(ctx), active_(active) {}
    void step(Client& c) {
        asio::async_write(c.socket, asio::buffer("hello", bench::pingpong_message),
                          [](asio::error_code ec, std::size_t) { bench::check(!ec, "write"); });
        asio::async_read(c.socket, asio::buffer(c.reply), [this, &c](asio::error_code ec, std::size_t n) {
            bench::check(!ec && n == bench::pingpong_message, "echo");
            if (--c.left > 0) return step(c);
            if (--active_ == 0) ctx_.stop();
        });
    }

private:
    asio::io_context& ctx_;
    std::size_t active_;
};

}  // namespace

int main(int argc, char** argv) {
    bench::PingpongParams params = bench::pingpong_params(argc, argv);
    std::size_t conns = params.conns;
    std::uint64_t per_conn = params.per_conn;

    bench::Listener listener;
    pid_t server = bench::fork_server(listener, [&](int fd) {
        asio::io_context ctx(1);
        Server s(ctx, fd, conns);
        ctx.run();
    });

    asio::io_context ctx(1);
    std::vector<std::unique_ptr<Client>> clients;
    for (std::size_t i = 0; i < conns; ++i) {
        int fd = bench::connect_pingpong_client(listener.port);
        clients.push_back(std::make_unique<Client>(Client{tcp::socket(ctx, tcp::v4(), fd), per_conn, {}}));
    }
    Pinger pinger(ctx, conns);
    bench::Stopwatch watch;
    for (auto& c : clients) pinger.step(*c);
    ctx.run();
    double wall = watch.wall_ns(), cpu = watch.cpu_used_ns();
    clients.clear();
    double server_cpu = bench::reap_server(server);
    bench::report_pingpong("asio", conns, params.trips(), wall, cpu + server_cpu);
}
