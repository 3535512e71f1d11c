// HTTP1Connection's input side: reading the socket (one read always
// pending, with back-pressure on unparsed input), parsing a request head,
// turning it into a request (a pooled handler, its fields, the body's
// framing, 100-continue) and reading its body by Content-Length or chunked
// coding. See http1_connection.hpp.
//
// Thread contract: the loop thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "ascii_words.hpp"
#include "http1_connection.hpp"

namespace eddy::detail {

inline void HTTP1Connection::read_more() {
  if (reading_ || gone()) return;
  // Flow control: a streaming handler's future holds the body back.
  if (pending_ && pending_->stream_waiting) return;
  // Back-pressure against a client that pipelines faster than it reads:
  // past this much unparsed input, wait until requests were answered.
  if (!lingering_ && unparsed() > shared_->options.max_header_size + read_size) return;
  reading_ = true;
  // The callback owns the connection (see "Lifetime" above).
  std::shared_ptr<HTTP1Connection> self = shared_from_this();
  stream_.read_into(scratch(), scratch_size, true, [self = std::move(self)](std::size_t n, std::exception_ptr error) {
    self->on_read(n, std::move(error));
  });
  if (!stream_.reading() && !stream_.closed()) {
    // Completed inside the call (bytes the stream had buffered): the
    // callback comes from a later job, by when the scratch may hold
    // another stream's bytes. Keep a copy now.
    Pending& p = pending();
    p.rescued.assign(scratch(), scratch_size);
    p.has_rescued = true;
  }
}

inline void HTTP1Connection::on_read(std::size_t n, std::exception_ptr error) {
  reading_ = false;
  std::string rescued;
  bool was_rescued = pending_ && pending_->has_rescued;
  if (was_rescued) {
    rescued.swap(pending_->rescued);
    pending_->has_rescued = false;
  }
  // A failed read means the stream closed: the close callback cleans up.
  // A read done before a close (even one by the server) is dropped too.
  if (error || gone()) return;
  if (lingering_) return read_more();  // input after a refusal is dropped
  const char* data = was_rescued ? rescued.data() : scratch();
  bool handler_running = current_ != nullptr && phase_ == Phase::head;
  if (!was_rescued && unparsed() == 0 && !handler_running) {
    drop_input();
    scratch_size_ = static_cast<std::uint32_t>(n);  // parse in place (n <= scratch_size)
  } else {
    std::string& in = pending().in;
    if (in_pos_ > 0) {
      in.erase(0, in_pos_);
      in_pos_ = 0;
    }
    in.append(data, n);
  }
  // The body made progress.
  if (phase_ == Phase::body) arm_after(ServedWait::body, shared_->options.body_timeout);
  process();
}

// Parses the next request head in the input and starts its request; a bad
// one is refused. False when there is none yet (or it was refused).
EDDY_ALWAYS_INLINE inline bool HTTP1Connection::parse_head() {
  static thread_local http::RequestHead head;  // its field array is reused
  std::string_view bytes = input();
  if (bytes.empty()) return false;
  http::ParseResult r = http::parse_request_head(bytes, head, shared_->options.max_header_size, scanned_);
  if (r.incomplete()) {
    scanned_ = static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size(), UINT32_MAX));
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
  bool over = info.body == http::BodyKind::content_length && info.content_length > shared_->options.max_body_size;
  // A streamed body is bounded by its route, not max_body_size: that needs
  // the route, found once the request is started.
  bool streams = app_streams();
  if (over && !streams) {
    refuse(413);
    return false;
  }
  start_request(head, info, r.consumed);
  if (streams) return begin_streaming(over);
  return true;
}

// Copies the parsed head into a pooled handler and decides the framing.
// Sets a request string the handler pool reuses. The pool keeps the fields
// every request sets (HandlerAccess::reset), so a handler that served the
// connection's previous request usually holds the same method, version,
// host and path already: a comparison then replaces the copy. Otherwise
// clear() then append() only checks the capacity the string kept, where
// assign() goes through the general replace (overlap, growth).
EDDY_ALWAYS_INLINE inline void refill(std::string& s, std::string_view v) {
  if (s.size() == v.size() && equal_bytes(s.data(), v.data(), v.size())) return;
  s.clear();
  s.append(v.data(), v.size());
}

inline void HTTP1Connection::start_request(const http::RequestHead& head, const http::MessageInfo& info,
                                           std::size_t consumed) {
  RequestHandler& h = HandlerAccess::acquire();
  HandlerAccess::retain(h);  // the connection's hold
  // The access log times a request from its head's arrival, as Tornado.
  if (shared_->app != nullptr && shared_->app->settings().log_function) HandlerAccess::set_start(h, Clock::now());
  HandlerAccess::attach(h, this);
  current_ = &h;
  HTTPServerRequest& req = HandlerAccess::request(h);
  refill(req.method, head.method);
  refill(req.uri, head.target);
  std::size_t q = head.target.find('?');
  refill(req.path, head.target.substr(0, q));
  if (q != std::string_view::npos) refill(req.query, head.target.substr(q + 1));
  refill(req.version, http::version_string(head.version_minor));
  for (const http::HeaderField& field : head.headers) req.headers.add(field.name, field.value);
  refill(req.host, info.host);
  remote_ip_.copy_to(req.remote_ip);
  refill(req.protocol, shared_->options.ssl ? std::string_view("https") : std::string_view("http"));
  if (shared_->options.xheaders) {
    // Tornado's rules: the last X-Forwarded-For hop, X-Real-Ip over it; the
    // scheme from X-Scheme or X-Forwarded-Proto when it is http or https.
    std::string ip = req.headers.get("X-Forwarded-For", req.remote_ip);
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
  HandlerAccess::set_maybe_conditional(h, info.conditional);
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
    pending().chunked.emplace(limits);
    phase_ = Phase::body;
  }
  if (phase_ == Phase::body) {
    arm_after(ServedWait::body, shared_->options.body_timeout);
    // The client waits for this before sending the body (RFC 9110 §10.1.1).
    if (info.expect_continue && !http10_ && unparsed() == 0) {
      out() += "HTTP/1.1 100 Continue\r\n\r\n";
      flush_out();
    }
  }
}

inline bool HTTP1Connection::read_body() {
  if (streaming()) return stream_body();
  std::string& body = HandlerAccess::request(*current_).body;
  if (!chunked()) {
    std::string_view bytes = input();
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, bytes.size()));
    body.append(bytes.data(), take);
    in_pos_ += take;
    body_left_ -= take;
    if (body_left_ != 0) return false;
  } else {
    for (;;) {
      http::ChunkResult r = pending_->chunked->decode(input());
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
    pending_->chunked.reset();
  }
  disarm();
  phase_ = Phase::ready;
  return true;
}

}  // namespace eddy::detail
