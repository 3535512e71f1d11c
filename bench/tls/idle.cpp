// Idle HTTPS keep-alive connections: N connections, one after another, each
// a full TLS 1.3 handshake and one GET /plaintext, then left open and idle
// (the client frees its own TLS state and keeps only the socket: no
// close_notify). Prints "READY N" and waits for a line on stdin (the runner
// reads the server's RSS meanwhile), then closes them all.
//
//   tls_idle PORT N
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
    std::vector<int> fds;
    fds.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) {
        int fd = bench_tls::connect_to(port);
        SSL* ssl = bench_tls::handshake(ctx, fd, nullptr);
        bench_tls::get_plaintext(ssl);
        SSL_free(ssl);
        fds.push_back(fd);
    }
    std::printf("READY %ld\n", n);
    std::fflush(stdout);
    char line[16];
    if (std::fgets(line, sizeof line, stdin) == nullptr) {
    }
    for (int fd : fds) ::close(fd);
    SSL_CTX_free(ctx);
}
