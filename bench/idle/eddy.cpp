// The idle-connection memory workload on eddy: the README's line-echo server
// (one coroutine per connection waiting in read_until("\n", 64 KiB)). See
// support/idle_client.hpp for what is measured.
#include <eddy/eddy.hpp>

#include "support/idle_client.hpp"

namespace {

eddy::Future<void> echo(eddy::IOStream stream, std::string) {
    try {
        for (;;) co_await stream.write(co_await stream.read_until("\n", bench::idle::max_line));
    } catch (const eddy::StreamClosedError&) {
    }
}

void serve(int listener, int control, int reply) {
    bench::idle::raise_nofile();
    eddy::IOLoop loop;
    loop.make_current();
    eddy::TCPServer server(echo);
    server.add_socket(listener);
    loop.add_handler(control, [&loop, reply](int fd, std::uint32_t) {
        if (!bench::idle::answer_control(fd, reply)) loop.stop();
    }, eddy::IOLoop::READ);
    loop.start();
}

}  // namespace

int main(int argc, char** argv) { return bench::idle::run("eddy", argc, argv, serve); }
