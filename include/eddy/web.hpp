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
/// Routing and error rules: see detail/web_routing.hpp. A handler is
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

#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/source_location.hpp"
#include "detail/web_handler.hpp"
#include "detail/web_handler_access.hpp"
#include "detail/web_routing.hpp"
#include "future.hpp"
#include "httputil.hpp"

namespace eddy {

class HTTPServer;
struct WebSocketOptions;  // <eddy/websocket.hpp>
class WebSocketHandler;   // <eddy/websocket.hpp>

/// Tornado's Application: an ordered list of routes (pattern, methods,
/// handler); the first whose pattern matches the whole path serves the
/// request. See the file comment for handlers, lifetime and the thread
/// contract (the loop thread of the servers that use it).
class Application {
 public:
  /// No route: every request gets 404.
  Application() = default;
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;
  /// Takes over the routes (never while a server uses either Application).
  Application(Application&&) noexcept = default;
  /// Replaces the routes by those of the other (never while a server uses
  /// either Application).
  Application& operator=(Application&&) noexcept = default;

  /// Adds a route for every method. A pattern that is not a valid regex
  /// throws std::regex_error here, not at request time.
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

  /// Serves one request: finds its route and runs it, or answers 404/405.
  /// What the server calls; the handler carries the request.
  void dispatch(RequestHandler& h);

 private:
  friend class HTTPServer;

  Application& add(std::string pattern, std::vector<std::string> methods, std::unique_ptr<detail::RouteTarget> target,
                   SourceLocation where) {
    auto route = std::make_unique<detail::Route>();
    route->literal = !detail::has_regex_metacharacters(pattern);
    if (!route->literal) route->regex.emplace(pattern, std::regex::ECMAScript);
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

  detail::Route* match(RequestHandler& h) const;

  std::vector<std::unique_ptr<detail::Route>> routes_;
};

/// First route whose pattern matches the whole path; its groups go to
/// path_args, percent-decoded (a bad escape: HTTPError 400).
inline detail::Route* Application::match(RequestHandler& h) const {
  const std::string& path = h.request().path;
  for (const std::unique_ptr<detail::Route>& route : routes_) {
    if (route->any_path) return route.get();
    if (route->literal) {
      if (route->pattern == path) return route.get();
      continue;
    }
    std::smatch groups;
    if (!std::regex_match(path, groups, *route->regex)) continue;
    std::vector<std::string>& args = detail::HandlerAccess::path_args(h);
    args.clear();
    for (std::size_t i = 1; i < groups.size(); ++i) {
      std::string decoded;
      std::string_view raw;
      if (groups[i].matched) {
        raw = std::string_view(path).substr(static_cast<std::size_t>(groups[i].first - path.begin()),
                                            static_cast<std::size_t>(groups[i].length()));
      }
      if (!url_unescape_to(raw, decoded)) {
        throw HTTPError(400, "eddy: bad percent-escape in the path");
      }
      args.push_back(std::move(decoded));
    }
    return route.get();
  }
  return nullptr;
}

inline void Application::dispatch(RequestHandler& h) {
  detail::Route* route = nullptr;
  try {
    route = match(h);
  } catch (const HTTPError& e) {
    h.send_error(e.code());
    return;
  }
  if (route == nullptr) {
    h.send_error(404);
    return;
  }
  if (!route->takes(h.request().method)) {
    std::string page = "<html><title>405: Method Not Allowed</title><body>405: Method Not Allowed</body></html>";
    h.set_status(405);
    h.set_header("Allow", route->allow());
    h.write(page);
    h.finish();
    return;
  }
  detail::run_route(*route, h);
}

}  // namespace eddy
