/// @file
/// The web layer, after Tornado's web.py: an Application maps URL patterns to
/// handlers; each request gets a RequestHandler to read the request from and
/// write the response through.
///
///   eddy::Application app;
///   app.route("/", [](eddy::RequestHandler& h) { h.write("Hello, world"); });
///   app.route("/user/([0-9]+)", {"GET"}, [](eddy::RequestHandler& h) { h.write(h.path_args()[0]); });
///   eddy::HTTPServer server(app);
///   server.listen(8888);
///
/// Routing and error rules: see detail/http/web_routing.hpp. A handler is
/// void(RequestHandler&), finished when it returns, or
/// Future<void>(RequestHandler&), finished when the future resolves (a
/// coroutine that co_awaits, for long polling or upstream calls).
///
/// Lifetime: the Application keeps each handler for its own lifetime and
/// calls it in place, never a copy, so a coroutine lambda's captures outlive
/// its frames as long as the Application outlives the server's connections.
/// Add routes before serving; do not add them while requests are running.
///
/// Thread contract: the loop thread of the servers that use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/base/source_location.hpp"
#include "detail/http/web_handler.hpp"
#include "detail/http/web_handler_access.hpp"
#include "detail/http/web_routing.hpp"
#include "detail/http/web_settings.hpp"
#include "future.hpp"
#include "httputil.hpp"

namespace eddy {

class HTTPServer;
struct WebSocketOptions;  // <eddy/websocket.hpp>
class WebSocketHandler;   // <eddy/websocket.hpp>
/// @cond EDDY_DETAIL
namespace detail {
template <class D>
class HTTPServerImpl;
}  // namespace detail
/// @endcond

/// Tornado's Application: an ordered list of routes (pattern, methods,
/// handler); the first whose pattern matches the whole path serves the
/// request. See the file comment for handlers, lifetime and the thread
/// contract (the loop thread of the servers that use it).
class Application {
 public:
  /// No route: every request gets 404. Default settings.
  Application() = default;
  /// No route yet, with these settings (Tornado's Application(**settings)).
  /// With settings.compress_response and no zlib to be found (no <zlib.h>
  /// at build time, no libz at run time): std::runtime_error.
  explicit Application(ApplicationSettings settings) : settings_(std::move(settings)) {
    if (settings_.compress_response && !detail::gzip_available()) {
      throw std::runtime_error("eddy: compress_response needs zlib: install zlib1g-dev and link -lz or eddy::deflate");
    }
  }
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;
  /// Takes over the routes (never while a server uses either Application).
  Application(Application&&) noexcept = default;
  /// Replaces the routes by those of the other (never while a server uses
  /// either Application).
  Application& operator=(Application&&) noexcept = default;

  /// Adds a route for every method. A pattern that is not a valid regex, or
  /// uses what routing does not support (backreferences, lookaround; see
  /// detail/http/route_pattern_program.hpp), throws std::regex_error here, not at
  /// request time.
  template <class F>
  Application& route(std::string pattern, F&& handler, SourceLocation where = SourceLocation::current()) {
    return add(std::move(pattern), {}, detail::make_route_target(std::forward<F>(handler)), where);
  }
  /// Adds a route for the listed methods ("GET", "POST", ...); GET implies HEAD.
  template <class F>
  Application& route(std::string pattern, std::vector<std::string> methods, F&& handler,
                     SourceLocation where = SourceLocation::current()) {
    if (methods.empty()) throw std::invalid_argument("eddy: Application::route: empty method list");
    for (const std::string& m : methods) {
      if (!is_token(m)) throw std::invalid_argument("eddy: Application::route: bad method \"" + m + "\"");
    }
    return add(std::move(pattern), std::move(methods), detail::make_route_target(std::forward<F>(handler)), where);
  }

  /// A route whose handler gets the request body as it arrives (Tornado's
  /// stream_request_body), called as handler(RequestHandler&,
  /// std::string_view chunk, bool last): see detail/http/web_streaming.hpp
  /// and docs/web.md, "Streaming request bodies". Not bounded by
  /// HTTPServerOptions::max_body_size; options.max_body_size sets a bound.
  template <class F>
  Application& route_streaming(std::string pattern, F&& handler, StreamingOptions options = {},
                               SourceLocation where = SourceLocation::current()) {
    for (const std::string& m : options.methods) {
      if (!is_token(m)) throw std::invalid_argument("eddy: Application::route_streaming: bad method \"" + m + "\"");
    }
    add(std::move(pattern), std::move(options.methods), nullptr, where);
    detail::Route& route = *routes_.back();
    route.stream = detail::make_stream_target(std::forward<F>(handler));
    route.stream_limit = options.max_body_size.value_or(UINT64_MAX);
    route.kind = "streaming HTTP handler for " + route.pattern;
    has_streaming_ = true;
    return *this;
  }

  /// A route that upgrades GET requests to WebSocket connections (RFC
  /// 6455) and calls `handler(WebSocket)` for each, a function returning
  /// Future<void>; the connection closes (1000) when that future resolves,
  /// if still open. Any other method is answered as HTTP. Needs
  /// <eddy/websocket.hpp>, which defines it (see docs/websocket.md).
  template <class F, class Options = WebSocketOptions>
    requires(!std::is_base_of_v<WebSocketHandler, std::remove_cvref_t<F>>)
  Application& websocket(std::string pattern, F&& handler, Options options = {},
                         SourceLocation where = SourceLocation::current());
  /// As above, with one H (derived from WebSocketHandler, default
  /// constructible) per connection: Tornado's class style.
  template <class H, class Options = WebSocketOptions>
  Application& websocket(std::string pattern, Options options = {}, SourceLocation where = SourceLocation::current());

  /// Serves the files under `directory` at `url_prefix` (Tornado's
  /// StaticFileHandler): GET and HEAD of `url_prefix` + a relative path
  /// answer with the file, sent with sendfile; Content-Type from the
  /// extension; ETag, Last-Modified and their conditional requests (304);
  /// one byte range (206, 416); a path that leaves the directory, or names
  /// a directory, 403; a missing file 404. A prefix without a trailing '/'
  /// gets one. Throws std::invalid_argument for a prefix not starting with
  /// '/', std::system_error when `directory` cannot be opened (it is opened
  /// here, once). See docs/web.md, "Static files".
  Application& static_files(std::string url_prefix, std::string directory);

  /// The longest path (in bytes, as received: percent-encoded, without the
  /// query) that is routed; a longer one is answered 414 URI Too Long before
  /// any route is tried. Default 8 KiB (nginx's and Apache's request-line
  /// bound); at most the server's max_header_size reaches a handler anyway.
  /// Matching costs time in proportion to the path's length and the
  /// patterns' sizes, so this bounds a request's routing cost. An
  /// HTTPServer made with a single handler does no routing and has no such
  /// bound. Set it before serving.
  Application& set_max_path_length(std::size_t bytes) noexcept {
    max_path_length_ = bytes;
    return *this;
  }
  /// The bound set_max_path_length sets (8192 unless set).
  std::size_t max_path_length() const noexcept { return max_path_length_; }

  /// The settings given at construction (handlers see them as
  /// RequestHandler::settings()).
  const ApplicationSettings& settings() const noexcept { return settings_; }
  /// The same, to change before serving (never while requests are running).
  ApplicationSettings& settings() noexcept { return settings_; }

  /// Serves one request: finds its route and runs it, or answers 404/405/414.
  /// What the server calls; the handler carries the request.
  void dispatch(RequestHandler& h);

  /// True once a route_streaming route was added.
  bool has_streaming_routes() const noexcept { return has_streaming_; }
  /// The streaming route (route_streaming) that serves `h`'s request, once
  /// its head is in, or nullptr when a plain route (or an error page) does.
  /// What the server asks before reading a body.
  detail::Route* streaming_route(RequestHandler& h) const {
    if (!has_streaming_) return nullptr;
    try {
      std::string allow;
      detail::Route* route = match(h, allow);
      if (route != nullptr && route->stream) return route;
    } catch (const HTTPError&) {
    }
    return nullptr;
  }

 private:
  template <class D>
  friend class detail::HTTPServerImpl;

  Application& add(std::string pattern, std::vector<std::string> methods, std::unique_ptr<detail::RouteTarget> target,
                   SourceLocation where) {
    auto route = std::make_unique<detail::Route>();
    route->literal = !detail::has_regex_metacharacters(pattern);
    if (!route->literal) route->regex.emplace(pattern);
    route->kind = "HTTP handler for " + pattern;
    route->pattern = std::move(pattern);
    route->methods = std::move(methods);
    route->target = std::move(target);
    route->where = where;
    routes_.push_back(std::move(route));
    return *this;
  }
  /// HTTPServer(handler): one route that takes every path and method.
  template <class F>
  void serve_everything(F&& handler, SourceLocation where) {
    add("", {}, detail::make_route_target(std::forward<F>(handler)), where);
    routes_.back()->any_path = true;
    routes_.back()->kind = "HTTP handler";
  }

  detail::Route* match(RequestHandler& h, std::string& allow) const;
  static void set_path_args(RequestHandler& h, const std::string& path, const std::vector<detail::RouteSpan>& groups);

  std::vector<std::unique_ptr<detail::Route>> routes_;
  std::size_t max_path_length_ = 8192;
  bool has_streaming_ = false;  // any route_streaming: the server asks streaming_route per request
  ApplicationSettings settings_;
};

/// The first route whose pattern matches the whole path and that takes the
/// request's method; its groups go to path_args, percent-decoded (a bad
/// escape: HTTPError 400). Routes that match the path but not the method add
/// what they take to `allow` (the 405's Allow header when no route serves).
/// A path over max_path_length: HTTPError 414.
inline detail::Route* Application::match(RequestHandler& h, std::string& allow) const {
  const std::string& path = h.request().path;
  const std::string& method = h.request().method;
  bool single_handler = !routes_.empty() && routes_.front()->any_path;  // HTTPServer(handler): no routing
  if (path.size() > max_path_length_ && !single_handler) {
    throw HTTPError(414, "eddy: the path is longer than max_path_length");
  }
  for (const std::unique_ptr<detail::Route>& route : routes_) {
    if (route->any_path) return route.get();
    const std::vector<detail::RouteSpan>* groups = nullptr;
    if (route->literal) {
      // Inline words, not a memcmp call: routing runs on every request.
      if (route->pattern.size() != path.size() || !detail::equal_bytes(route->pattern.data(), path.data(), path.size()))
        continue;
    } else if ((groups = route->regex->match(path)) == nullptr) {
      continue;
    }
    if (!route->takes(method)) {
      route->add_allowed(allow);
      continue;
    }
    if (groups != nullptr) set_path_args(h, path, *groups);
    return route.get();
  }
  return nullptr;
}

inline void Application::set_path_args(RequestHandler& h, const std::string& path,
                                       const std::vector<detail::RouteSpan>& groups) {
  std::vector<std::string>& args = detail::HandlerAccess::path_args(h);
  args.resize(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const detail::RouteSpan& g = groups[i];
    std::string_view raw;
    if (g.matched()) raw = std::string_view(path).substr(g.begin, g.end - g.begin);
    args[i].clear();
    if (!url_unescape_to(raw, args[i])) throw HTTPError(400, "eddy: bad percent-escape in the path");
  }
}

inline void Application::dispatch(RequestHandler& h) {
  detail::HandlerAccess::set_settings(h, &settings_);
  detail::Route* route = nullptr;
  std::string allow;
  try {
    route = match(h, allow);
  } catch (const HTTPError&) {
    detail::handler_failed(h, std::current_exception(), nullptr);
    return;
  }
  if (route != nullptr && route->stream) {
    // Reached only by a server that does not stream bodies (a streaming
    // route is served from the connection, http1_connection_stream.hpp).
    IOLoop::current().handle_exception(
        std::make_exception_ptr(std::logic_error("eddy: a streaming route reached without a streamed body")),
        "HTTP dispatch");
    h.send_error(500);
    return;
  }
  if (route != nullptr) return detail::run_route(*route, h);
  if (allow.empty()) return detail::HandlerAccess::send_error(h, 404, nullptr);
  detail::HandlerAccess::send_error(h, 405, nullptr, allow);
}

}  // namespace eddy

// static_files (needs Application complete).
#include "detail/http/static_files.hpp"
