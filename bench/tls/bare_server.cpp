// The floor of the TLS benchmark: a bare OpenSSL 3 HTTPS server on one
// epoll loop, with the same OpenSSL choices as eddy's contexts (TLS 1.2+,
// SSL_MODE_RELEASE_BUFFERS, read-ahead, no auto chain, no renegotiation,
// stateless tickets). It parses nothing beyond the end of a request head
// and answers every request with the same 13-byte body: what a connection
// costs OpenSSL and the kernel, and nearly nothing else (a 16-byte record
// per connection, in a vector indexed by fd).
//
//   tls_server_bare PORT CERT KEY      (PORT 0: a free one, printed as "PORT <n>")
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../support/http_common.hpp"

namespace {

struct Conn {
    SSL* ssl = nullptr;
    unsigned pending = 0;  // bytes of a request head seen so far (a partial head only)
};

const char response[] =
    "HTTP/1.1 200 OK\r\nServer: bare\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

SSL_CTX* make_ctx(const char* cert, const char* key) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        std::exit(1);
    }
    return ctx;
}

void close_conn(std::vector<Conn>& conns, int fd) {
    SSL_free(conns[static_cast<std::size_t>(fd)].ssl);
    conns[static_cast<std::size_t>(fd)] = Conn{};
    ::close(fd);
}

// Reads what there is; answers each complete head ("\r\n\r\n").
void serve(std::vector<Conn>& conns, int fd) {
    Conn& c = conns[static_cast<std::size_t>(fd)];
    char buf[16384];
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(c.ssl, buf, sizeof buf);
        if (n <= 0) {
            int e = SSL_get_error(c.ssl, n);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) close_conn(conns, fd);
            return;
        }
        // A head ends with "\r\n\r\n": count the ends in what came (one request per head).
        for (int i = 0; i < n; ++i) {
            c.pending = (buf[i] == (c.pending % 2 == 0 ? '\r' : '\n')) ? c.pending + 1 : (buf[i] == '\r' ? 1 : 0);
            if (c.pending == 4) {
                c.pending = 0;
                if (SSL_write(c.ssl, response, sizeof response - 1) <= 0) return close_conn(conns, fd);
            }
        }
        if (SSL_has_pending(c.ssl) != 1) return;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s PORT CERT KEY\n", argv[0]);
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);  // OpenSSL's socket BIO writes with write()
    SSL_CTX* ctx = make_ctx(argv[2], argv[3]);
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(bench_http::port_arg(argc, argv));
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 4096) != 0) {
        std::perror("bind/listen");
        return 1;
    }
    bench_http::announce(bench_http::bound_port(listener));
    int ep = ::epoll_create1(0);
    epoll_event ev{EPOLLIN, {}};
    ev.data.fd = listener;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    std::vector<Conn> conns(65536);
    epoll_event events[256];
    for (;;) {
        int n = ::epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                for (int c; (c = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
                    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    SSL* ssl = SSL_new(ctx);
                    SSL_set_fd(ssl, c);
                    SSL_set_accept_state(ssl);
                    conns[static_cast<std::size_t>(c)].ssl = ssl;
                    epoll_event cev{EPOLLIN, {}};
                    cev.data.fd = c;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    serve(conns, c);  // the ClientHello is often there already
                }
                continue;
            }
            if (conns[static_cast<std::size_t>(fd)].ssl != nullptr) serve(conns, fd);
        }
    }
}
