// The server side of the opening handshake: the two kinds of route that
// Application::websocket adds (a handler function, a WebSocketHandler
// class). Each is an ordinary route target (web_routing.hpp) for GET: it
// checks the upgrade request (handshake.hpp), answers a refusal as HTTP,
// and otherwise writes the 101 and takes the stream over from the HTTP
// connection (ResponseChannel::upgrade), which stops serving HTTP on it.
//
// Order of the checks, and the answers: a method other than GET (HEAD,
// which a GET route takes too): 405; the upgrade fields: 400 or 426
// (handshake.hpp); a malformed Sec-WebSocket-Extensions when compression is
// on: 400; the Origin (check_origin): 403. Nothing refused reaches the
// handler. A request that cannot be handed over (pipelined behind a request
// still being answered) gets 503.
//
// Then: a class handler's open() runs, or the handler function is called
// with the WebSocket (it runs to its first suspension); only after that do
// messages flow, so open() sees none before it returns. While they run,
// request() is the HTTP request itself (nothing copied); afterwards it is
// rebuilt from the compact copy on first use (request_store.hpp). A handler
// function's future resolving closes the connection (1000; 1011 after an
// exception, which goes to the loop's exception handler).
//
// Lifetime: a route owns its Settings (shared with its connections, which
// may outlive the Application) and its handler function (which they may
// not: a function handler is called in place, as HTTP handlers are, so the
// Application must outlive its connections, as it must its server's).
//
// Thread contract: the loop thread of the server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../http/web_routing.hpp"
#include "connection.hpp"
#include "handshake.hpp"

namespace eddy::detail::ws {

class RouteBase : public RouteTarget {
 public:
  explicit RouteBase(WebSocketOptions options) : settings_(Settings::make(std::move(options))) {
    if (settings_->options.compression) require_zlib();
  }
  ~RouteBase() override { settings_->release(); }

 protected:
  // The checks that need no handler; false when the request was answered.
  bool check(RequestHandler& h, std::string_view& key, std::string& extensions,
             std::optional<DeflateAgreement>& deflate) const {
    const HTTPServerRequest& req = h.request();
    if (req.method != "GET") return refuse(h, 405, "a WebSocket upgrade is a GET");
    UpgradeCheck c = check_upgrade_request(req);
    if (c.status != 0) return refuse(h, c.status, c.why);
    key = c.key;
    if (!settings_->options.compression || !req.headers.contains("Sec-WebSocket-Extensions")) return true;
    std::optional<std::vector<Extension>> offers = parse_extensions(req.headers.get("Sec-WebSocket-Extensions"));
    if (!offers) return refuse(h, 400, "malformed Sec-WebSocket-Extensions");
    if (auto agreed = negotiate_deflate(*offers)) {
      deflate = agreed->first;
      extensions = std::move(agreed->second);
    }
    return true;
  }

  static bool refuse(RequestHandler& h, int status, std::string_view why) {
    h.set_status(status);
    if (status == 426) h.set_header("Sec-WebSocket-Version", "13");
    if (status == 405) h.set_header("Allow", "GET");
    h.set_header("Content-Type", "text/plain; charset=UTF-8");
    h.write(why);
    h.finish();
    return false;
  }

  // The 101 and the hand-over; false when the request was answered instead
  // (or the client is gone).
  bool take_over(RequestHandler& h, Connection& conn, std::string_view key, const std::string& extensions,
                 const std::optional<DeflateAgreement>& deflate) const {
    int subprotocol = pick_subprotocol(h.request().headers, settings_->options.subprotocols);
    std::string_view chosen;
    if (subprotocol >= 0) chosen = settings_->options.subprotocols[static_cast<std::size_t>(subprotocol)];
    // The answer is assembled in a buffer of the thread: an upgrade
    // leaves no garbage behind in the heap of a server holding thousands.
    static thread_local std::string head;
    head.clear();
    switching_protocols(head, key, chosen, extensions);
    ResponseChannel* channel = HandlerAccess::channel(h);
    if (channel == nullptr) return false;  // the client left
    std::optional<IOStream> stream;
    std::string unread;
    if (!channel->upgrade(h, head, stream, unread)) return refuse(h, 503, "the upgrade cannot be served now");
    conn.set_subprotocol(subprotocol);
    if (deflate) conn.set_deflate(*deflate);
    conn.attach(std::move(*stream), std::move(unread));
    return true;
  }

  // Tornado's origin rule, or the options' own.
  bool origin_allowed(const HTTPServerRequest& req) const {
    const std::string* origin = req.headers.find("Origin");
    if (origin == nullptr) return true;  // not a browser: nothing to check
    if (settings_->options.check_origin != nullptr) return settings_->options.check_origin(*origin, req);
    return same_origin(*origin, req.host);
  }

  Settings* settings_;
};

// Application::websocket(pattern, handler function, options).
template <class F>
class FunctionRoute final : public RouteBase {
 public:
  template <class G>
  FunctionRoute(G&& fn, WebSocketOptions options) : RouteBase(std::move(options)), fn_(std::forward<G>(fn)) {}

  void invoke(RequestHandler& h, std::optional<Future<void>>&) override {
    std::string_view key;
    std::string extensions;
    std::optional<DeflateAgreement> deflate;
    if (!check(h, key, extensions, deflate)) return;
    if (!origin_allowed(h.request())) {
      refuse(h, 403, "cross-origin WebSocket refused");
      return;
    }
    auto* raw = Connection::make<Connection>(&h.request(), Connection::Role::server, settings_);
    Ref conn(raw);
    raw->release();  // conn holds the one count
    if (!take_over(h, *raw, key, extensions, deflate)) return;
    std::optional<Future<void>> done;
    try {
      Connection::LiveRequest live(*raw, h.request());
      WebSocket socket = Access::make(raw);
      done.emplace(fn_(socket));
    } catch (...) {
      done.emplace();
      done->set_exception(std::current_exception());
    }
    raw->begin_reading();
    done->add_done_callback([conn](const Future<void>& d) { conn->handler_done(d); });
  }

 private:
  F fn_;
};

// Application::websocket<H>(pattern, options).
template <class H>
class ClassRoute final : public RouteBase {
 public:
  explicit ClassRoute(WebSocketOptions options) : RouteBase(std::move(options)) {}

  void invoke(RequestHandler& h, std::optional<Future<void>>&) override {
    std::string_view key;
    std::string extensions;
    std::optional<DeflateAgreement> deflate;
    if (!check(h, key, extensions, deflate)) return;
    auto* raw = Connection::make<ConnectionWith<H>>(&h.request(), settings_);
    Ref conn(raw);
    raw->release();
    bind_handler(raw->handler, raw);
    {
      Connection::LiveRequest live(*raw, h.request());
      const std::string* origin = h.request().headers.find("Origin");
      if (origin != nullptr && !raw->handler.check_origin(*origin)) {
        refuse(h, 403, "cross-origin WebSocket refused");
        return;
      }
      if (!take_over(h, *raw, key, extensions, deflate)) return;
      raw->notify_open();
    }
    raw->begin_reading();
  }
};

}  // namespace eddy::detail::ws
