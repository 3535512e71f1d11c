// Shared by the TLS benchmark's load programs (handshakes.cpp, idle.cpp):
// blocking OpenSSL 3 client connections to 127.0.0.1 that send GET
// /plaintext and read the 13-byte answer. Clients do not verify (their CPU
// is not what is measured; the servers' is).
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bench_tls {

[[noreturn]] inline void die(const char* what) {
    std::fprintf(stderr, "tls bench: %s (%s)\n", what, std::strerror(errno));
    ERR_print_errors_fp(stderr);
    std::exit(1);
}

inline SSL_CTX* client_ctx() {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    return ctx;
}

inline int connect_to(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// A TLS connection on fd (SNI localhost), resuming `session` when given.
inline SSL* handshake(SSL_CTX* ctx, int fd, SSL_SESSION* session) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    if (session != nullptr) SSL_set_session(ssl, session);
    if (SSL_connect(ssl) != 1) die("SSL_connect");
    return ssl;
}

// One GET /plaintext on a keep-alive connection; reads the whole answer.
inline void get_plaintext(SSL* ssl) {
    static const char request[] = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if (SSL_write(ssl, request, sizeof request - 1) <= 0) die("SSL_write");
    std::string got;
    char buf[4096];
    while (got.find("Hello, World!") == std::string::npos) {
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) die("SSL_read");
        got.append(buf, static_cast<std::size_t>(n));
    }
}

inline void raise_fd_limit() {
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
}

}  // namespace bench_tls
