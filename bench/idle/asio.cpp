// The idle-connection memory workload on Asio (see support/idle_client.hpp),
// in Asio's idiom: a shared session per connection with an asio::streambuf
// (at most 64 KiB), async_read_until '\n', async_write of the line, consume.
#include <asio.hpp>

#include <memory>

#include "support/idle_client.hpp"

namespace {

using asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
    explicit Session(tcp::socket socket) : socket_(std::move(socket)), buffer_(bench::idle::max_line) {}
    void start() { read(); }

 private:
    void read() {
        auto self = shared_from_this();
        asio::async_read_until(socket_, buffer_, '\n', [this, self](std::error_code error, std::size_t n) {
            if (error) return;
            asio::async_write(socket_, asio::buffer(buffer_.data(), n), [this, self](std::error_code e, std::size_t n) {
                if (e) return;
                buffer_.consume(n);
                read();
            });
        });
    }

    tcp::socket socket_;
    asio::streambuf buffer_;
};

void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](std::error_code error, tcp::socket socket) {
        if (!error) std::make_shared<Session>(std::move(socket))->start();
        accept(acceptor);
    });
}

void serve(int listener, int control, int reply) {
    bench::idle::raise_nofile();
    asio::io_context io(1);
    tcp::acceptor acceptor(io);
    acceptor.assign(tcp::v4(), listener);
    accept(acceptor);
    asio::posix::stream_descriptor requests(io, control);
    std::function<void()> wait = [&] {
        requests.async_wait(asio::posix::stream_descriptor::wait_read, [&](std::error_code error) {
            if (error || !bench::idle::answer_control(control, reply)) return io.stop();
            wait();
        });
    };
    wait();
    io.run();
}

}  // namespace

int main(int argc, char** argv) { return bench::idle::run("asio", argc, argv, serve); }
