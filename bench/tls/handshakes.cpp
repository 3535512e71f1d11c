// Handshakes per request: N connections one after another, each a TLS 1.3
// handshake (full, or resumed with the ticket the previous connection got),
// one GET /plaintext, close_notify and close. The runner measures the server's CPU
// over the run and divides by N.
//
//   tls_handshakes PORT N full|resumed
//   RESULT mode=full handshakes=N reused=K seconds=S
#include <chrono>

#include "tls_client_common.hpp"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s PORT N full|resumed\n", argv[0]);
        return 2;
    }
    auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    long n = std::atol(argv[2]);
    bool resume = std::strcmp(argv[3], "resumed") == 0;
    SSL_CTX* ctx = bench_tls::client_ctx();
    SSL_SESSION* session = nullptr;
    if (resume) {  // the session every timed connection resumes
        int fd = bench_tls::connect_to(port);
        SSL* ssl = bench_tls::handshake(ctx, fd, nullptr);
        bench_tls::get_plaintext(ssl);  // TLS 1.3 tickets come after the handshake
        session = SSL_get1_session(ssl);
        SSL_shutdown(ssl);
        SSL_free(ssl);
        ::close(fd);
    }
    long reused = 0;
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
        int fd = bench_tls::connect_to(port);
        SSL* ssl = bench_tls::handshake(ctx, fd, session);
        bench_tls::get_plaintext(ssl);
        reused += SSL_session_reused(ssl);
        if (resume) {  // TLS 1.3 tickets are single-use for OpenSSL's client: take the fresh one
            SSL_SESSION_free(session);
            session = SSL_get1_session(ssl);
        }
        SSL_shutdown(ssl);
        SSL_free(ssl);
        ::close(fd);
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("RESULT mode=%s handshakes=%ld reused=%ld seconds=%.3f\n", argv[3], n, reused, seconds);
    SSL_SESSION_free(session);
    SSL_CTX_free(ctx);
}
