// HandlerAccess: the server's side of a RequestHandler (what the connection
// and the Application may do that a route's handler may not), and the pool
// that recycles handlers.
//
// A handler carries two holds: the connection's (until the response is
// finished or the client left) and the dispatch's (until the route's handler
// returned or its future resolved). When both are gone it goes back to the
// pool of its thread, which keeps a few dozen, their strings' storage
// included, so a server in steady state builds no handler and allocates no
// string per request. Storage grown past a bound by a large request or
// response is freed instead of kept.
//
// Thread contract: the loop thread; the pool is per thread.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web_handler.hpp"

namespace eddy::detail {

struct HandlerAccess {
  static HTTPServerRequest& request(RequestHandler& h) noexcept { return h.request_; }
  static std::vector<std::string>& path_args(RequestHandler& h) noexcept { return h.path_args_; }
  static HTTPHeaders& headers(RequestHandler& h) noexcept { return h.headers_; }
  static std::string& body(RequestHandler& h) noexcept { return h.body_; }
  static int status(const RequestHandler& h) noexcept { return h.status_; }
  static bool headers_sent(const RequestHandler& h) noexcept { return h.headers_sent_; }
  static void mark_headers_sent(RequestHandler& h) noexcept { h.headers_sent_ = true; }
  // The response ends without finish(): its body is a file the channel
  // sends (static_files). Logged as finish() would.
  static void mark_finished(RequestHandler& h) noexcept {
    h.finished_ = true;
    if (h.settings_ != nullptr && h.settings_->log_function) h.log_request();
  }
  static bool head_only(const RequestHandler& h) noexcept { return h.head_only_; }
  static void set_head_only(RequestHandler& h, bool on) noexcept { h.head_only_ = on; }
  static void attach(RequestHandler& h, ResponseChannel* channel) noexcept { h.channel_ = channel; }
  static ResponseChannel* channel(const RequestHandler& h) noexcept { return h.channel_; }
  static void set_settings(RequestHandler& h, const ApplicationSettings* s) noexcept { h.settings_ = s; }
  static void set_start(RequestHandler& h, Clock::time_point t) noexcept { h.start_ = t; }
  // The ETag line eddy adds to the head, formatted, or null; see HeadSpec.
  static const char* etag_line(const RequestHandler& h) noexcept { return h.has_etag_ ? h.etag_line_ : nullptr; }
  // Whether the request may carry If-None-Match: false only when the parser
  // saw no field named If-* (start_request), so the ETag's 304 check skips
  // the header lookup on nearly every request.
  static void set_maybe_conditional(RequestHandler& h, bool maybe) noexcept { h.maybe_conditional_ = maybe; }
  // send_error with the exception behind it (for write_error) and, for a
  // 405, the Allow header's value.
  static void send_error(RequestHandler& h, int code, std::exception_ptr error, std::string_view allow = {}) {
    h.send_error_page(code, std::move(error), allow);
  }

  // The client left before the response was finished: nothing more is
  // sent, and on_connection_close runs (scheduled, never inline).
  static void client_gone(RequestHandler& h) {
    h.channel_ = nullptr;
    h.client_gone_ = true;
    h.body_.clear();
    if (!h.finished_ && h.on_close_) IOLoop::current().add_callback(std::move(h.on_close_));
  }

  static void retain(RequestHandler& h) noexcept { ++h.holds_; }
  static void release(RequestHandler& h) noexcept;
  static RequestHandler& acquire();
  static void reset(RequestHandler& h) noexcept;
};

// The per-thread pool behind acquire/release.
//
// Lifetime: the pool is a thread_local made on first use, so at thread exit
// it can be destroyed before objects made earlier, such as the thread's
// default IOLoop, whose teardown may still release a handler (a request
// mid-body when the loop dies). So the pool is reached through local(),
// which gives nullptr once the pool is gone (a trivially destructible
// thread_local flag, valid for the whole thread), and a handler released
// after that is deleted instead of kept.
class HandlerPool {
 public:
  static constexpr std::size_t max_kept = 64;
  // Strings grown past this are freed rather than kept for the next request.
  static constexpr std::size_t max_kept_capacity = 64 * 1024;

  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;
  ~HandlerPool() { exited_ = true; }

  RequestHandler* take() {
    if (free_.empty()) return new RequestHandler();
    RequestHandler* h = free_.back().release();
    free_.pop_back();
    return h;
  }
  void give(RequestHandler* h) noexcept {
    if (free_.size() < max_kept) {
      try {
        free_.emplace_back(h);
        return;
      } catch (...) {
      }
    }
    delete h;
  }
  // How many handlers wait for reuse.
  std::size_t kept() const noexcept { return free_.size(); }

  // This thread's pool, made on first use; nullptr once it was destroyed at
  // thread exit.
  static HandlerPool* local() noexcept {
    if (exited_) return nullptr;
    static thread_local HandlerPool pool;
    return &pool;
  }

 private:
  HandlerPool() = default;

  static inline thread_local bool exited_ = false;
  std::vector<std::unique_ptr<RequestHandler>> free_;
};

inline RequestHandler& HandlerAccess::acquire() {
  HandlerPool* pool = HandlerPool::local();
  RequestHandler* h = pool != nullptr ? pool->take() : new RequestHandler();
  h->holds_ = 0;
  return *h;
}

inline void HandlerAccess::release(RequestHandler& h) noexcept {
  if (--h.holds_ != 0) return;
  HandlerPool* pool = HandlerPool::local();
  if (pool == nullptr) {  // thread exit, the pool already gone
    delete &h;
    return;
  }
  reset(h);
  pool->give(&h);
}

// Back to a fresh handler's state, keeping storage unless it grew large.
inline void HandlerAccess::reset(RequestHandler& h) noexcept {
  auto trim = [](std::string& s) {
    if (s.capacity() > HandlerPool::max_kept_capacity) {
      std::string().swap(s);
    } else {
      s.clear();
    }
  };
  HTTPServerRequest& r = h.request_;
  // method, uri, path, version, host, remote_ip and protocol are kept: the
  // pool hands a handler out only to HTTP1Connection::start_request, which
  // sets every one of them (comparing first: usually they are the same).
  // What a request may lack is cleared.
  auto free_if_big = [](std::string& s) {
    if (s.capacity() > HandlerPool::max_kept_capacity) std::string().swap(s);
  };
  r.headers.clear();
  trim(r.body);
  trim(r.query);
  free_if_big(r.uri);
  free_if_big(r.path);
  h.path_args_.clear();
  h.settings_ = nullptr;
  h.start_ = Clock::time_point();
  h.has_etag_ = false;
  h.maybe_conditional_ = true;
  if (h.arguments_parsed_) {  // else both are empty (arguments() clears them when it throws)
    h.arguments_.clear();
    h.arguments_parsed_ = false;
    h.files_.clear();
  }
  h.status_ = 200;
  h.headers_sent_ = false;
  h.finished_ = false;
  h.client_gone_ = false;
  h.head_only_ = false;
  h.headers_.clear();
  h.content_length_ = RequestHandler::no_length;
  h.body_written_ = 0;
  trim(h.body_);
  h.channel_ = nullptr;
  h.on_close_ = nullptr;
}

}  // namespace eddy::detail
