// The HTTP benchmark server on libevent's evhttp: one callback for
// /plaintext answering "Hello, World!" as text/plain, on 127.0.0.1, one
// thread. argv[1] port (0: a free one, printed as "PORT <n>"). Runs until
// killed. Idle connections are kept for an hour, as eddy's are.
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "support/http_common.hpp"

namespace {

void plaintext(evhttp_request* req, void*) {
    evkeyvalq* headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "text/plain");
    evbuffer* out = evhttp_request_get_output_buffer(req);
    evbuffer_add(out, bench_http::body, 13);
    evhttp_send_reply(req, HTTP_OK, "OK", nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    event_base* base = event_base_new();
    evhttp* http = evhttp_new(base);
    evhttp_set_timeout(http, 3600);
    evhttp_set_cb(http, "/plaintext", plaintext, nullptr);
    evhttp_bound_socket* sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", bench_http::port_arg(argc, argv));
    if (sock == nullptr) return 1;
    bench_http::announce(bench_http::bound_port(evhttp_bound_socket_get_fd(sock)));
    event_base_dispatch(base);
    evhttp_free(http);
    event_base_free(base);
}
