// The UDP echo workload on eddy (see udp_workload.hpp): UDPSocket with
// receive's callback form (C++17, like every benchmark): the server receives
// and send_to's the datagram back; each client flow is a connected socket.
#include <eddy/eddy.hpp>

#include <memory>
#include <string>
#include <vector>

#include "udp/udp_workload.hpp"

namespace {

using Datagram = eddy::UDPSocket::Datagram;

struct Server {
    eddy::IOLoop& loop;
    eddy::UDPSocket socket;

    // receive's callback form (as the TCP ping-pong uses read_into's): the
    // peers' idiom, completion handlers with no future per datagram.
    void next() {
        socket.receive([this](Datagram& d, std::exception_ptr error) {
            if (error) return loop.stop();
            if (d.data.size() == sizeof bench::udp_stop - 1 && d.data == bench::udp_stop) return loop.stop();
            socket.send_to(d.data, d.host, d.port);
            next();
        });
    }
};

void serve(int port_fd) {
    eddy::IOLoop loop;
    Server server{loop, eddy::UDPSocket::bind(0, "127.0.0.1")};
    bench::tell_port(port_fd, server.socket.port());
    server.next();
    loop.start();
}

struct Flow {
    eddy::UDPSocket socket;
    std::uint64_t left;     // echoes still to come
    std::uint64_t unsent;   // datagrams still to send
    std::size_t* running;
    eddy::IOLoop* loop;
    const std::string* message;

    // Sends `window` datagrams, then one more per echo.
    void start(std::uint64_t window) {
        for (std::uint64_t i = 0; i < window && unsent > 0; ++i, --unsent) socket.send(*message);
        next();
    }
    void next() {
        socket.receive([this](Datagram&, std::exception_ptr error) {
            if (error) return loop->stop();
            if (--left == 0) {
                if (--*running == 0) loop->stop();
                return;
            }
            if (unsent > 0) {
                --unsent;
                socket.send(*message);
            }
            next();
        });
    }
};

}  // namespace

int main(int argc, char** argv) {
    bench::UdpParams p = bench::udp_params(argc, argv);
    std::uint16_t port = 0;
    pid_t server = bench::fork_udp_server(serve, port);
    eddy::IOLoop loop;
    std::string message(bench::udp_message, 'x');
    std::size_t running = p.flows;
    std::vector<std::unique_ptr<Flow>> flows;
    for (std::size_t i = 0; i < p.flows; ++i) {
        flows.push_back(std::make_unique<Flow>(
            Flow{eddy::UDPSocket::connect("127.0.0.1", port), bench::trips_per_flow(p), bench::trips_per_flow(p),
                 &running, &loop, &message}));
    }
    bench::Stopwatch watch;
    for (auto& flow : flows) flow->start(p.window);
    loop.start();
    double server_cpu = bench::stop_udp_server(server, port);
    bench::report_udp("eddy", p, watch, server_cpu);
}
