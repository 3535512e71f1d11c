// A user's TLS program: found through find_package (eddy::ssl) or
// pkg-config (eddy-ssl), it links OpenSSL through eddy's package alone.
#include <eddy/ssl.hpp>

#include <cstdio>

int main() {
  eddy::SSLContext ctx = eddy::SSLContext::client();
  ctx.set_alpn_protocols({"http/1.1"});
  std::puts(ctx.server_side() ? "server?" : "ssl consumer: a client context");
  return ctx.server_side() ? 1 : 0;
}
