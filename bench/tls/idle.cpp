// Idle HTTPS keep-alive connections: N connections, each a full TLS 1.3
// handshake and one GET /plaintext, then left open and idle (the client
// frees its own TLS state and keeps only the socket: no close_notify).
// Four threads open them (a quarter each), so the server sees a few
// handshakes at once, as from real clients. Prints "READY N" and waits for a
// line on stdin (the runner reads the server's RSS meanwhile), then closes
// them all.
//
//   tls_idle PORT N
#include <thread>
#include <vector>

#include "tls_client_common.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PORT N\n", argv[0]);
        return 2;
    }
    bench_tls::raise_fd_limit();
    auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    long n = std::atol(argv[2]);
    SSL_CTX* ctx = bench_tls::client_ctx();
    const int threads = 4;
    std::vector<std::vector<int>> fds(threads);
    std::vector<std::thread> openers;
    for (int t = 0; t < threads; ++t) {
        openers.emplace_back([&, t] {
            for (long i = t; i < n; i += threads) {
                int fd = bench_tls::connect_to(port);
                SSL* ssl = bench_tls::handshake(ctx, fd, nullptr);
                bench_tls::get_plaintext(ssl);
                SSL_free(ssl);
                fds[static_cast<std::size_t>(t)].push_back(fd);
            }
        });
    }
    for (std::thread& t : openers) t.join();
    std::printf("READY %ld\n", n);
    std::fflush(stdout);
    char line[16];
    if (std::fgets(line, sizeof line, stdin) == nullptr) {
    }
    for (const std::vector<int>& some : fds) {
        for (int fd : some) ::close(fd);
    }
    SSL_CTX_free(ctx);
}
