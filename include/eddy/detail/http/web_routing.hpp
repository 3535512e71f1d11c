// The Application's routing table and the code that runs one route's
// handler (Tornado's web.Application.find_handler and RequestHandler._execute).
//
// Rules: a pattern is matched against the whole path, still percent-encoded
// (as Tornado). A pattern without regex metacharacters is compared
// literally (one string compare, no regex engine on the hot path); any other
// is a RoutePattern (route_pattern.hpp: the ECMAScript subset routes use,
// matched in linear time without recursion) whose groups, percent-decoded,
// become path_args(). Routes are tried in the order they were added; the first
// whose pattern matches and that takes the method serves the request (a route
// that takes GET also takes HEAD), so two routes on one pattern can split the
// methods between them. When routes match the path but none takes the
// method, the answer is 405 with an Allow header listing what they take
// together. No match: 404.
//
// Running a handler: it runs as a loop step named after its route (so the
// blocking detector names it, with where route() was called). A void handler's
// response is finished when it returns; a Future<void> handler's when its
// future resolves. HTTPError(n) from either becomes an error page with n
// (its message, when it has one, goes to the loop's exception handler); any
// other exception goes to the loop's exception handler and the client gets
// 500; the server goes on either way. The default exception handler's line
// names the request's method and URI, the route's pattern and the
// exception's type. Error pages go through settings().write_error when set.
//
// Thread contract: the loop thread.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../base/config.hpp"
#include "../base/exception_type.hpp"
#include "../base/source_location.hpp"
#include "route_pattern.hpp"
#include "web_handler_access.hpp"
#include "web_streaming.hpp"

namespace eddy::detail {

// One route's handler, type-erased. Kept in place for the Application's
// lifetime and called there, never copied.
class RouteTarget {
 public:
  RouteTarget() = default;
  RouteTarget(const RouteTarget&) = delete;
  RouteTarget& operator=(const RouteTarget&) = delete;
  virtual ~RouteTarget() = default;
  // Calls the handler; a Future<void> handler's future goes to `pending`.
  virtual void invoke(RequestHandler& h, std::optional<Future<void>>& pending) = 0;
};

template <class F>
class RouteTargetOf final : public RouteTarget {
 public:
  template <class G>
  explicit RouteTargetOf(G&& fn) : fn_(std::forward<G>(fn)) {}
  void invoke(RequestHandler& h, std::optional<Future<void>>& pending) override {
    using R = std::invoke_result_t<F&, RequestHandler&>;
    if constexpr (std::is_void_v<R>) {
      fn_(h);
    } else {
      pending.emplace(fn_(h));
    }
  }

 private:
  F fn_;
};

template <class F>
std::unique_ptr<RouteTarget> make_route_target(F&& fn) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&, RequestHandler&>, "a route's handler is called as handler(RequestHandler&)");
  using R = std::invoke_result_t<Fn&, RequestHandler&>;
  static_assert(std::is_void_v<R> || std::is_same_v<R, Future<void>>,
                "a route's handler must return void or eddy::Future<void>");
  return std::make_unique<RouteTargetOf<Fn>>(std::forward<F>(fn));
}

inline bool has_regex_metacharacters(std::string_view pattern) noexcept {
  return pattern.find_first_of("\\^$.|?*+()[]{}") != std::string_view::npos;
}

struct Route {
  std::string pattern;
  bool literal = true;
  bool any_path = false;  // HTTPServer's single handler: every path
  std::optional<RoutePattern> regex;  // when neither literal nor any_path
  std::vector<std::string> methods;  // empty: every method
  std::unique_ptr<RouteTarget> target;
  std::unique_ptr<StreamTarget> stream;  // route_streaming's handler (target is null then)
  std::uint64_t stream_limit = UINT64_MAX;  // its StreamingOptions::max_body_size
  SourceLocation where;
  std::string kind;  // what the blocking detector calls a step of this route

  bool takes(std::string_view method) const noexcept {
    if (methods.empty()) return true;
    for (const std::string& m : methods) {
      if (m == method || (method == "HEAD" && m == "GET")) return true;
    }
    return false;
  }
  // Adds the methods this route takes to an Allow value (`out`), each once;
  // HEAD after GET when the route lists GET alone.
  void add_allowed(std::string& out) const {
    auto add = [&out](std::string_view m) {
      std::string_view list = out;
      while (!list.empty()) {
        std::size_t comma = list.find(',');
        if (list.substr(0, comma) == m) return;
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 2);
      }
      if (!out.empty()) out += ", ";
      out += m;
    };
    for (const std::string& m : methods) {
      add(m);
      if (m == "GET") add("HEAD");
    }
  }
};

// Owns one hold on a RequestHandler (HandlerAccess::retain was called for
// it) and releases it once: by reset(), or when destroyed. Move-only.
class HandlerHold {
 public:
  explicit HandlerHold(RequestHandler& h) noexcept : h_(&h) {}
  HandlerHold(HandlerHold&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  HandlerHold& operator=(HandlerHold&&) = delete;
  HandlerHold(const HandlerHold&) = delete;
  HandlerHold& operator=(const HandlerHold&) = delete;
  ~HandlerHold() { reset(); }

  RequestHandler& get() const noexcept { return *h_; }
  void reset() noexcept {
    if (h_ != nullptr) HandlerAccess::release(*std::exchange(h_, nullptr));
  }

 private:
  RequestHandler* h_;
};

// What the log says about a failed request: its method and URI, the route
// (if routing got that far) and `what` went wrong.
inline std::string request_error_context(const RequestHandler& h, const Route* route, std::string_view what) {
  const HTTPServerRequest& r = h.request();
  std::string out = (route != nullptr ? "the handler of " : "routing ") + r.method + " " + r.uri;
  if (route != nullptr) out += route->any_path ? " (the server's handler)" : " (route \"" + route->pattern + "\")";
  return out.append(", ").append(what);
}

// Ends the response after a handler (of `route`, or routing itself when
// null) failed with `error`, and logs it: any exception but an HTTPError
// without a message. Out of line: the cold path.
EDDY_NOINLINE inline void handler_failed(RequestHandler& h, std::exception_ptr error, const Route* route) noexcept {
  int code = 500;
  bool log = true;
  try {
    std::rethrow_exception(error);
  } catch (const HTTPError& e) {
    code = e.code();
    log = e.has_message();
  } catch (...) {
  }
  if (log) {
    try {
      std::string what = code == 500 ? "a " + exception_type_name(error) : "answered " + std::to_string(code);
      std::string context = request_error_context(h, route, what);
      IOLoop::current().handle_exception(error, context.c_str());
    } catch (...) {
      IOLoop::current().handle_exception(error, "HTTP handler");
    }
  }
  try {
    if (!h.finished()) HandlerAccess::send_error(h, code, error);
  } catch (...) {
    IOLoop::current().handle_exception(std::current_exception(), "HTTP error page");
  }
}

// The handler returned (or its future resolved) with `error` or none:
// finishes the response if the handler did not. Inlined into its callers:
// it runs once per request, and a plain handler's success is a test and a
// finish() (a call here cost the plaintext benchmark ~7 instructions).
EDDY_ALWAYS_INLINE inline void handler_done(RequestHandler& h, std::exception_ptr error, const Route* route) noexcept {
  if (error) return handler_failed(h, std::move(error), route);
  if (h.finished()) return;
  try {
    h.finish();
  } catch (...) {
    handler_failed(h, std::current_exception(), route);
  }
}

// Runs the route's handler for h (see the header comment).
inline void run_route(Route& route, RequestHandler& h) noexcept {
  HandlerAccess::retain(h);  // the dispatch's hold
  std::optional<Future<void>> pending;
  std::exception_ptr error;
  IOLoop& loop = IOLoop::current();
  loop.run_step(route.kind.c_str(), route.where, [&] {
    try {
      route.target->invoke(h, pending);
    } catch (...) {
      error = std::current_exception();
    }
  });
  if (error || !pending) {
    handler_done(h, std::move(error), &route);
  } else if (pending->done()) {
    handler_done(h, pending->exception(), &route);
  } else {
    // The dispatch's hold moves into the callback: released when it ran,
    // or when it is destroyed unrun (its loop torn down with the coroutine
    // suspended), so the handler never leaks.
    pending->add_done_callback([hold = HandlerHold(h), r = &route](const Future<void>& done) mutable {
      handler_done(hold.get(), done.exception(), r);
      hold.reset();
    });
    return;
  }
  HandlerAccess::release(h);
}

}  // namespace eddy::detail
