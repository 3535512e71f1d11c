// HTTP1Connection: one accepted connection speaking HTTP/1.1 as a server
// (Tornado's HTTP1ServerConnection + HTTP1Connection, the wire side; the
// Application is the delegate).
//
// The cycle: read what the socket has (always one read pending, so a client
// that leaves is noticed even while a handler runs); parse every complete
// request in the bytes; answer them in order, one at a time; put every
// response finished within one batch into one buffer and hand it to the
// stream in one write. A handler that does not finish at once (a Future
// handler) holds the next pipelined request back until its response is
// finished (responses stay in order).
//
// Memory: an idle connection keeps no buffer: the bytes not yet parsed and
// the responses not yet written are freed once empty; request objects come
// from a per-thread pool (web_handler_access.hpp) and the parser's field
// array is per thread.
//
// Bad input (the parser's and framing analysis' errors, a body over
// max_body_size): an error page with its status (400, 413, 431, 501, 505),
// "Connection: close", then a lingering close: write side shut, input read
// and dropped for up to 2 s, so the client sees the answer instead of a reset.
//
// Lifetime: the server's list owns each live connection (self_), and so do
// its pending read and write callbacks; the connection drops self_ when it
// sees its stream closed, and the server drops every self_ when it is
// destroyed (closing the streams). The close callback and the timer hold
// only weak references, so no stream owns its own connection (which would
// free the stream from inside its own teardown).
//
// Thread contract: the loop thread.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "../iostream.hpp"
#include "../ioloop.hpp"
#include "http_chunked.hpp"
#include "http_framing.hpp"
#include "http_parser.hpp"
#include "http_response.hpp"
#include "http_server_shared.hpp"
#include "web_handler_access.hpp"

namespace eddy::detail {

class HTTP1Connection final : public ResponseChannel,
                              public ServedConnection,
                              public std::enable_shared_from_this<HTTP1Connection> {
 public:
  // Serves `stream` (accepted from `address`, "ip:port" or "[ip]:port").
  static void serve(const std::shared_ptr<ServerShared>& shared, IOStream stream, const std::string& address);

  HTTP1Connection(std::shared_ptr<ServerShared> shared, IOStream stream, std::string remote_ip)
      : shared_(std::move(shared)), stream_(std::move(stream)), loop_(&IOLoop::current()), remote_ip_(std::move(remote_ip)) {}
  HTTP1Connection(const HTTP1Connection&) = delete;
  HTTP1Connection& operator=(const HTTP1Connection&) = delete;
  // Runs without touching the loop: a loop being destroyed frees
  // connections from inside its own teardown.
  ~HTTP1Connection() {
    if (current_ != nullptr) {
      HandlerAccess::attach(*current_, nullptr);
      HandlerAccess::release(*current_);
    }
    shared_->unlink(*this, false);
  }

  Future<void> send_response(RequestHandler& h, bool last) override;
  void abort_response() noexcept override { close_now(); }
  void close_when_idle() override;
  void close_now() noexcept override { stream_.close(); }
  void release_self() noexcept override {
    std::shared_ptr<HTTP1Connection> last = std::move(self_);
  }

 private:
  enum class Phase : std::uint8_t { head, body, ready, refused };
  static constexpr std::size_t read_size = 64 * 1024;
  static constexpr auto linger_time = std::chrono::seconds(2);

  void read_more();
  void on_read(const Future<std::string>& f);
  void on_closed() noexcept;
  void process();
  void resume_later();
  bool parse_head();
  void start_request(const http::RequestHead& head, const http::MessageInfo& info, std::size_t consumed);
  bool read_body();
  void dispatch();
  void refuse(int status);
  Future<void> flush_out();
  void end_after_write(Future<void>& written);
  void linger();

  void arm(Clock::time_point deadline);
  void arm_after(Clock::duration d) { arm(loop_->time() + d); }
  void disarm() noexcept { deadline_ = Clock::time_point::max(); }
  void on_timer();

  std::size_t unparsed() const noexcept { return in_.size() - in_pos_; }
  void drop_parsed() {
    if (in_pos_ == in_.size()) {
      std::string().swap(in_);  // idle: no buffer
      in_pos_ = 0;
    }
  }

  std::shared_ptr<ServerShared> shared_;
  std::shared_ptr<HTTP1Connection> self_;  // the server's hold, while listed
  IOStream stream_;
  IOLoop* loop_;
  std::string remote_ip_;
  std::string in_;          // received, not yet consumed from in_pos_
  std::size_t in_pos_ = 0;
  std::size_t scanned_ = 0; // the parser's hint for an unfinished head
  std::string out_;         // responses not yet handed to the stream
  RequestHandler* current_ = nullptr;  // the request being answered
  std::unique_ptr<http::ChunkedDecoder> chunked_;
  std::uint64_t body_left_ = 0;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point timer_at_{};
  Timeout timer_;
  Phase phase_ = Phase::head;
  BodyFraming framing_ = BodyFraming::none;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool reading_ = false;
  bool processing_ = false;
  bool closing_ = false;    // the last response is out or going: no more requests
  bool lingering_ = false;
  bool closed_ = false;
  bool resume_scheduled_ = false;
};

inline void HTTP1Connection::serve(const std::shared_ptr<ServerShared>& shared, IOStream stream,
                                   const std::string& address) {
  std::string ip = address;
  if (!ip.empty() && ip.front() == '[') {
    ip = ip.substr(1, ip.find(']') == std::string::npos ? std::string::npos : ip.find(']') - 1);
  } else if (std::size_t colon = ip.rfind(':'); colon != std::string::npos) {
    ip.resize(colon);
  }
  stream.set_nodelay(true);
  std::shared_ptr<HTTP1Connection> conn(new HTTP1Connection(shared, stream, std::move(ip)));
  conn->self_ = conn;
  shared->link(*conn);
  std::weak_ptr<HTTP1Connection> weak = conn;
  stream.set_close_callback([weak] {
    if (std::shared_ptr<HTTP1Connection> c = weak.lock()) c->on_closed();
  });
  if (shared->closing_all) return conn->close_now();
  conn->arm_after(shared->options.idle_connection_timeout);
  conn->read_more();
}

// ---- reading and parsing ---------------------------------------------------

inline void HTTP1Connection::read_more() {
  if (reading_ || closed_ || stream_.closed()) return;
  // Back-pressure against a client that pipelines faster than it reads:
  // past this much unparsed input, wait until requests were answered.
  if (!lingering_ && unparsed() > shared_->options.max_header_size + read_size) return;
  reading_ = true;
  std::shared_ptr<HTTP1Connection> self = shared_from_this();
  stream_.read_bytes(read_size, true).add_done_callback([self = std::move(self)](const Future<std::string>& f) {
    self->on_read(f);
  });
}

inline void HTTP1Connection::on_read(const Future<std::string>& f) {
  reading_ = false;
  // A failed read means the stream closed: the close callback cleans up.
  if (f.exception() || closed_) return;
  if (lingering_) return read_more();  // input after a refusal is dropped
  if (in_pos_ == in_.size()) {
    in_ = f.result();
    in_pos_ = 0;
  } else {
    if (in_pos_ > 0) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    in_ += f.result();
  }
  if (phase_ == Phase::body) arm_after(shared_->options.body_timeout);  // the body made progress
  process();
}

// Answers every complete request in the input, in order, then writes what
// the batch produced in one go and reads on.
inline void HTTP1Connection::process() {
  if (processing_) return;
  processing_ = true;
  // current_ with phase_ head is a request whose handler runs: the next
  // one waits (responses go in order).
  while (!closed_ && !closing_ && (current_ == nullptr || phase_ != Phase::head)) {
    if (phase_ == Phase::head && !parse_head()) break;
    if (phase_ == Phase::body && !read_body()) break;
    if (phase_ == Phase::ready) dispatch();
    if (phase_ == Phase::refused) break;
  }
  processing_ = false;
  flush_out();
  if (current_ == nullptr) drop_parsed();
  read_more();
}

inline bool HTTP1Connection::parse_head() {
  static thread_local http::RequestHead head;  // its field array is reused
  std::string_view input = std::string_view(in_).substr(in_pos_);
  if (input.empty()) return false;
  http::ParseResult r = http::parse_request_head(input, head, shared_->options.max_header_size, scanned_);
  if (r.incomplete()) {
    scanned_ = input.size();
    return false;
  }
  scanned_ = 0;
  if (r.error()) {
    refuse(r.error_status);
    return false;
  }
  http::MessageInfo info = http::analyze_request(head);
  if (!info.ok()) {
    refuse(info.error_status);
    return false;
  }
  if (info.body == http::BodyKind::content_length && info.content_length > shared_->options.max_body_size) {
    refuse(413);
    return false;
  }
  start_request(head, info, r.consumed);
  return true;
}

// Copies the parsed head into a pooled handler and decides the framing.
inline void HTTP1Connection::start_request(const http::RequestHead& head, const http::MessageInfo& info,
                                           std::size_t consumed) {
  RequestHandler& h = HandlerAccess::acquire();
  HandlerAccess::retain(h);  // the connection's hold
  HandlerAccess::attach(h, this);
  current_ = &h;
  HTTPServerRequest& req = HandlerAccess::request(h);
  req.method.assign(head.method);
  req.uri.assign(head.target);
  std::size_t q = head.target.find('?');
  req.path.assign(head.target.substr(0, q));
  if (q != std::string_view::npos) req.query.assign(head.target.substr(q + 1));
  req.version.assign(http::version_string(head.version_minor));
  for (const http::HeaderField& field : head.headers) req.headers.add(field.name, field.value);
  req.host.assign(info.host);
  req.remote_ip = remote_ip_;
  req.protocol = "http";
  if (shared_->options.xheaders) {
    // Tornado's rules: the last X-Forwarded-For hop, X-Real-Ip over it; the
    // scheme from X-Scheme or X-Forwarded-Proto when it is http or https.
    std::string ip = req.headers.get("X-Forwarded-For", remote_ip_);
    if (std::size_t comma = ip.rfind(','); comma != std::string::npos) ip.erase(0, comma + 1);
    ip = req.headers.get("X-Real-Ip", ip);
    std::size_t b = ip.find_first_not_of(" \t"), e = ip.find_last_not_of(" \t");
    ip = b == std::string::npos ? std::string() : ip.substr(b, e - b + 1);
    if (!ip.empty() && ip.find_first_not_of("0123456789abcdefABCDEF.:") == std::string::npos) req.remote_ip = ip;
    std::string scheme = req.headers.get("X-Scheme", req.headers.get("X-Forwarded-Proto"));
    if (std::size_t comma = scheme.rfind(','); comma != std::string::npos) scheme.erase(0, comma + 1);
    if (scheme.find("https") != std::string::npos) {
      req.protocol = "https";
    }
  }
  HandlerAccess::set_head_only(h, head.method == "HEAD");
  http10_ = head.version_minor == 0;
  keep_alive_ = info.keep_alive && !shared_->options.no_keep_alive && !shared_->closing_all;
  in_pos_ += consumed;
  disarm();  // the idle deadline is met
  phase_ = Phase::ready;
  if (info.body == http::BodyKind::content_length) {
    body_left_ = info.content_length;
    phase_ = Phase::body;
  } else if (info.body == http::BodyKind::chunked) {
    http::ChunkedLimits limits;
    limits.max_body_size = shared_->options.max_body_size;
    limits.max_trailer_size = shared_->options.max_header_size;
    chunked_ = std::make_unique<http::ChunkedDecoder>(limits);
    phase_ = Phase::body;
  }
  if (phase_ == Phase::body) {
    arm_after(shared_->options.body_timeout);
    // The client waits for this before sending the body (RFC 9110 §10.1.1).
    if (info.expect_continue && !http10_ && unparsed() == 0) {
      out_ += "HTTP/1.1 100 Continue\r\n\r\n";
      flush_out();
    }
  }
}

inline bool HTTP1Connection::read_body() {
  std::string& body = HandlerAccess::request(*current_).body;
  if (!chunked_) {
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, unparsed()));
    body.append(in_, in_pos_, take);
    in_pos_ += take;
    body_left_ -= take;
    if (body_left_ != 0) return false;
  } else {
    for (;;) {
      http::ChunkResult r = chunked_->decode(std::string_view(in_).substr(in_pos_));
      in_pos_ += r.consumed;
      if (r.status == http::ChunkStatus::data) {
        body.append(r.data.data(), r.data.size());
        continue;
      }
      if (r.status == http::ChunkStatus::incomplete) return false;
      if (r.status == http::ChunkStatus::error) {
        refuse(r.error_status);
        return false;
      }
      break;  // done
    }
    chunked_.reset();
  }
  disarm();
  phase_ = Phase::ready;
  return true;
}

// Hands the complete request to the Application. current_ stays set until
// its response is finished (send_response) or the client leaves.
inline void HTTP1Connection::dispatch() {
  phase_ = Phase::head;
  RequestHandler& h = *current_;
  try {
    shared_->app->dispatch(h);
  } catch (...) {
    loop_->handle_exception(std::current_exception(), "HTTP dispatch");
    try {
      if (!h.finished()) h.send_error(500);
    } catch (...) {
      close_now();
    }
  }
}

// A request refused before any handler saw it: the error page, then close.
inline void HTTP1Connection::refuse(int status) {
  phase_ = Phase::refused;
  closing_ = true;
  keep_alive_ = false;
  if (current_ != nullptr) {  // refused mid-body: the handler never ran
    RequestHandler* h = current_;
    current_ = nullptr;
    HandlerAccess::attach(*h, nullptr);
    HandlerAccess::release(*h);
  }
  append_refusal(out_, status);
  if (!processing_) flush_out();
}

}  // namespace eddy::detail

// Responses, closing and timeouts.
#include "http1_connection_respond.hpp"
