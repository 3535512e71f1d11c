// The Application's routing table and the code that runs one route's
// handler (Tornado's web.Application.find_handler and RequestHandler._execute).
//
// Rules: a pattern is matched against the whole path, still percent-encoded
// (as Tornado). A pattern without regex metacharacters is compared
// literally (one string compare, no regex engine on the hot path); any other
// is a RoutePattern (route_pattern.hpp: the ECMAScript subset routes use,
// matched in linear time without recursion) whose groups, percent-decoded,
// become path_args(). Routes are tried in the order they were added; the first
// whose pattern matches serves the request, and if it does not take the
// method the answer is 405 with an Allow header (a route that takes GET also
// takes HEAD). No match: 404.
//
// Running a handler: it runs as a loop step named after its route (so the
// blocking detector names it, with where route() was called). A void handler's
// response is finished when it returns; a Future<void> handler's when its
// future resolves. HTTPError(n) from either becomes an error page with n;
// any other exception goes to the loop's exception handler and the client
// gets 500; the server goes on either way.
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
  std::string allow() const {
    std::string out;
    bool head = false, get = false;
    for (const std::string& m : methods) {
      if (!out.empty()) out += ", ";
      out += m;
      head = head || m == "HEAD";
      get = get || m == "GET";
    }
    if (get && !head) out += ", HEAD";
    return out;
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

// Ends the response after a handler failed with `error`.
inline void handler_failed(RequestHandler& h, std::exception_ptr error) noexcept {
  int code = 500;
  try {
    std::rethrow_exception(error);
  } catch (const HTTPError& e) {
    code = e.code();
  } catch (...) {
    IOLoop::current().handle_exception(error, "HTTP handler");
  }
  try {
    if (!h.finished()) h.send_error(code);
  } catch (...) {
    IOLoop::current().handle_exception(std::current_exception(), "HTTP error page");
  }
}

// The handler returned (or its future resolved) with `error` or none:
// finishes the response if the handler did not.
inline void handler_done(RequestHandler& h, std::exception_ptr error) noexcept {
  if (error) return handler_failed(h, std::move(error));
  if (h.finished()) return;
  try {
    h.finish();
  } catch (...) {
    handler_failed(h, std::current_exception());
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
    handler_done(h, std::move(error));
  } else if (pending->done()) {
    handler_done(h, pending->exception());
  } else {
    // The dispatch's hold moves into the callback: released when it ran,
    // or when it is destroyed unrun (its loop torn down with the coroutine
    // suspended), so the handler never leaks.
    pending->add_done_callback([hold = HandlerHold(h)](const Future<void>& done) mutable {
      handler_done(hold.get(), done.exception());
      hold.reset();
    });
    return;
  }
  HandlerAccess::release(h);
}

}  // namespace eddy::detail
