// libwebsockets' WebSocket server for bench/websocket/run, in lws's own idiom
// (its minimal-ws-server-echo and -broadcast examples, C written so that it
// also compiles as C++): one service thread, messages gathered in RECEIVE,
// written in SERVER_WRITEABLE after lws_callback_on_writable. Echoes every
// message; a text message "broadcast" makes it send one 100-byte message to
// every connection. Prints "port N".
//
//   websocket_lws [--deflate]
//
// lws is built by Debian with its poll(2) event loop (LWS_WITH_POLL), its
// default.
#include <libwebsockets.h>

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct session {
  session* next;
  lws* wsi;
  unsigned char* rx;  // LWS_PRE + the message being received, then echoed
  size_t rx_len, rx_cap;
  int binary;
  int echo_ready;  // rx holds a whole message to echo
  int broadcasts;  // 100-byte messages owed
};

session* sessions;
unsigned char payload100[LWS_PRE + 100];
volatile std::sig_atomic_t interrupted, report_heap;

void owe_broadcast() {
  lws_start_foreach_llp(session**, p, sessions) {
    (*p)->broadcasts++;
    lws_callback_on_writable((*p)->wsi);
  } lws_end_foreach_llp(p, next);
}

int append(session* s, const void* in, size_t len) {
  if (LWS_PRE + s->rx_len + len > s->rx_cap) {
    size_t cap = s->rx_cap ? s->rx_cap * 2 : LWS_PRE + 4096;
    while (cap < LWS_PRE + s->rx_len + len) cap *= 2;
    auto* grown = static_cast<unsigned char*>(std::realloc(s->rx, cap));
    if (!grown) return -1;
    s->rx = grown;
    s->rx_cap = cap;
  }
  memcpy(s->rx + LWS_PRE + s->rx_len, in, len);
  s->rx_len += len;
  return 0;
}

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* s = static_cast<session*>(user);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      std::memset(s, 0, sizeof *s);
      s->wsi = wsi;
      lws_ll_fwd_insert(s, next, sessions);
      break;
    case LWS_CALLBACK_CLOSED:
      lws_ll_fwd_remove(session, next, s, sessions);
      std::free(s->rx);
      break;
    case LWS_CALLBACK_RECEIVE:
      if (s->echo_ready) return -1;  // one message in flight per connection, as the client does
      if (append(s, in, len)) return -1;
      if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) break;
      s->binary = lws_frame_is_binary(wsi);
      if (!s->binary && s->rx_len == 9 && !std::memcmp(s->rx + LWS_PRE, "broadcast", 9)) {
        s->rx_len = 0;
        owe_broadcast();
        break;
      }
      s->echo_ready = 1;
      lws_callback_on_writable(wsi);
      break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (s->echo_ready) {
        if (lws_write(wsi, s->rx + LWS_PRE, s->rx_len, s->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
            static_cast<int>(s->rx_len))
          return -1;
        s->echo_ready = 0;
        s->rx_len = 0;
      } else if (s->broadcasts) {
        if (lws_write(wsi, payload100 + LWS_PRE, 100, LWS_WRITE_TEXT) < 100) return -1;
        s->broadcasts--;
      }
      if (s->echo_ready || s->broadcasts) lws_callback_on_writable(wsi);
      break;
    default:
      break;
  }
  return 0;
}

const lws_protocols protocols[] = {{"bench", callback, sizeof(session), 65536, 0, nullptr, 0},
                                   {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

const lws_extension extensions[] = {{"permessage-deflate", lws_extension_callback_pm_deflate,
                                     "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
                                    {nullptr, nullptr, nullptr}};

void on_signal(int sig) {
  if (sig == SIGUSR1) {
    report_heap = 1;
  } else {
    interrupted = 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool deflate = false;
  for (int i = 1; i < argc; ++i) deflate = deflate || std::strcmp(argv[i], "--deflate") == 0;
  std::memset(payload100 + LWS_PRE, 'B', 100);
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = 0;
  info.iface = "127.0.0.1";
  info.protocols = protocols;
  if (deflate) info.extensions = extensions;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
  info.fd_limit_per_thread = 20000;
  lws_context* context = lws_create_context(&info);
  if (!context) return 1;
  lws_vhost* vhost = lws_get_vhost_by_name(context, "default");
  std::printf("port %d\n", lws_get_vhost_listen_port(vhost));
  std::fflush(stdout);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGUSR1, on_signal);
  while (!interrupted) {
    if (lws_service(context, 0) < 0) break;
    if (report_heap) {
      report_heap = 0;
      std::printf("heap %zu\n", mallinfo2().uordblks);
      std::fflush(stdout);
    }
  }
  lws_context_destroy(context);
  return 0;
}
