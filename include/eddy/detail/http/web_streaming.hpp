// Routes whose handler takes the request body as it arrives (Tornado's
// @stream_request_body): Application::route_streaming's handler,
// type-erased, and its options. The connection drives it
// (http1_connection_stream.hpp).
//
// The handler is handler(RequestHandler& h, std::string_view chunk, bool
// last): called with each piece of the body as it is read (Content-Length
// or chunked; the chunk's bytes are valid only during the call), then once
// with last == true and an empty chunk. It returns void or Future<void>;
// while such a future is pending the connection reads no more of the body
// (flow control: the client is held back by TCP). The response is finished
// when the last call returns (or its future resolves), unless the handler
// finished it before.
//
// Thread contract: the loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "web_handler.hpp"

namespace eddy {

/// Options of Application::route_streaming.
struct StreamingOptions {
  /// The methods the route takes ("POST", "PUT", ...); empty: every method.
  std::vector<std::string> methods;
  /// A bound on the body, in bytes: a Content-Length over it is answered
  /// 413 before the handler sees any byte; a chunked body that passes it,
  /// 413 if the response has not started, else the connection is closed.
  /// None (the default): unbounded, HTTPServerOptions::max_body_size does
  /// not apply to a streamed body.
  std::optional<std::uint64_t> max_body_size;
};

namespace detail {

// A streaming route's handler. Kept in place for the Application's
// lifetime and called there, never copied.
class StreamTarget {
 public:
  StreamTarget() = default;
  StreamTarget(const StreamTarget&) = delete;
  StreamTarget& operator=(const StreamTarget&) = delete;
  virtual ~StreamTarget() = default;
  // Calls the handler; a Future<void> handler's future goes to `pending`.
  virtual void invoke(RequestHandler& h, std::string_view chunk, bool last, std::optional<Future<void>>& pending) = 0;
};

template <class F>
class StreamTargetOf final : public StreamTarget {
 public:
  template <class G>
  explicit StreamTargetOf(G&& fn) : fn_(std::forward<G>(fn)) {}
  void invoke(RequestHandler& h, std::string_view chunk, bool last, std::optional<Future<void>>& pending) override {
    using R = std::invoke_result_t<F&, RequestHandler&, std::string_view, bool>;
    if constexpr (std::is_void_v<R>) {
      fn_(h, chunk, last);
    } else {
      pending.emplace(fn_(h, chunk, last));
    }
  }

 private:
  F fn_;
};

template <class F>
std::unique_ptr<StreamTarget> make_stream_target(F&& fn) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&, RequestHandler&, std::string_view, bool>,
                "a streaming route's handler is called as handler(RequestHandler&, std::string_view chunk, bool last)");
  using R = std::invoke_result_t<Fn&, RequestHandler&, std::string_view, bool>;
  static_assert(std::is_void_v<R> || std::is_same_v<R, Future<void>>,
                "a streaming route's handler must return void or eddy::Future<void>");
  return std::make_unique<StreamTargetOf<Fn>>(std::forward<F>(fn));
}

}  // namespace detail
}  // namespace eddy
