// One client connection and the reader of one response on it: the client
// half of the HTTP/1.1 codec (the same head parser, framing analysis and
// chunked decoder as the server's, so a response cannot smuggle what a
// request could not).
//
// read_response() reads heads until a final one (1xx heads are skipped;
// a 101 that nobody asked for is an error), frames the body by
// analyze_response (HEAD, 1xx, 204 and 304 have none; Content-Length;
// chunked with extensions and trailers; or until the server closes) and
// hands the head and each piece of body to a ResponseSink. The future
// resolves when the response has ended, or fails with the reason:
// malformed (the parser's reason), over a limit, or closed early.
//
// Reads go through the callback form of IOStream::read_into into one
// buffer per connection, kept across responses: a small response costs one
// recv and no allocation here. The connection can be reused when the
// response said keep-alive and no byte followed it (bytes the server sent
// unasked make the connection suspect).
//
// Lifetime: held by shared_ptr (the fetch using it, the pool, and a pending
// read's callback). The sink is held only while a response is being read.
// Thread contract: the loop thread of the stream.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "../../future.hpp"
#include "../../iostream.hpp"
#include "http_chunked.hpp"
#include "http_framing.hpp"
#include "http_parser.hpp"

namespace eddy::detail {

// Where a response goes: the final head (with its raw bytes), then the
// body in pieces. Views are valid during the call only. An exception thrown
// from either fails the read with it and closes the connection.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void on_head(const http::ResponseHead& head, std::string_view raw_head) = 0;
  virtual void on_data(std::string_view data) = 0;
};

struct ResponseLimits {
  std::size_t max_header_size = 64 * 1024;
  std::uint64_t max_body_size = UINT64_MAX;
};

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(IOStream stream, std::string key) : stream_(std::move(stream)), key_(std::move(key)) {}
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  IOStream& stream() noexcept { return stream_; }
  const std::string& key() const noexcept { return key_; }
  // The buffer requests are assembled in: reused, so a request costs no
  // allocation once the connection has sent one of its size.
  std::string& out() noexcept { return out_; }

  // Reads one response to a request with `method`. One at a time.
  Future<void> read_response(std::shared_ptr<ResponseSink> sink, std::string_view method, ResponseLimits limits) {
    sink_ = std::move(sink);
    head_request_ = method == "HEAD";
    connect_ = method == "CONNECT";
    limits_ = limits;
    state_ = State::head;
    got_bytes_ = begin_ != end_;
    keep_alive_ = false;
    interim_ = 0;
    scanned_ = 0;
    done_ = Future<void>();
    Future<void> result = done_;
    pump();
    return result;
  }

  // Whether any byte of the current response arrived (a reused connection
  // that fails before one did may be retried).
  bool got_bytes() const noexcept { return got_bytes_; }
  // After a response ended: may the connection carry another request?
  bool reusable() const noexcept { return keep_alive_ && begin_ == end_ && !stream_.closed(); }
  void mark_not_reusable() noexcept { keep_alive_ = false; }

  // Still usable after sitting in the pool: open, nothing buffered, and the
  // kernel holds neither an EOF nor bytes nobody asked for.
  bool alive() noexcept {
    int fd = stream_.fd();
    if (fd < 0 || begin_ != end_ || stream_.read_buffer_size() != 0) return false;
    char c;
    ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void close() noexcept { stream_.close(); }

  Clock::time_point idle_since{};

 private:
  enum class State : unsigned char { head, length, chunked, until_close, done };

  // Advances on the buffered bytes; reads more when they run out.
  void pump() {
    while (true) {
      std::string_view have(buf_.data() + begin_, end_ - begin_);
      switch (state_) {
        case State::head:
          if (!take_head(have)) return;
          break;
        case State::length: {
          std::size_t n = static_cast<std::size_t>(remaining_ < have.size() ? remaining_ : have.size());
          if (n > 0) {
            consume(n);
            remaining_ -= n;
            if (!deliver(have.substr(0, n))) return;
          }
          if (remaining_ == 0) return finish();
          return read_more();
        }
        case State::chunked: {
          http::ChunkResult r = chunked_.decode(have);
          consume(r.consumed);
          if (r.status == http::ChunkStatus::data) {
            if (!deliver(r.data)) return;
            break;
          }
          if (r.status == http::ChunkStatus::done) return finish();
          if (r.status == http::ChunkStatus::error) {
            if (r.error_status == 413) return over_body_limit();
            return fail("malformed chunked body: " + std::string(r.reason));
          }
          return read_more();
        }
        case State::until_close:
          if (!have.empty()) {
            consume(have.size());
            if (body_size_ + have.size() > limits_.max_body_size) return over_body_limit();
            body_size_ += have.size();
            if (!deliver(have)) return;
          }
          return read_more();
        case State::done:
          return;
      }
    }
  }

  // Parses a head in `have`. Returns true to go on with the next state.
  bool take_head(std::string_view have) {
    http::ParseResult r = http::parse_response_head(have, head_, limits_.max_header_size, scanned_);
    if (r.incomplete()) {
      scanned_ = have.size();
      read_more();
      return false;
    }
    if (r.error()) {
      if (r.error_status == 431) {
        fail("response header block over max_header_size (" + std::to_string(limits_.max_header_size) + " bytes)");
      } else {
        fail("malformed response head: " + std::string(r.reason));
      }
      return false;
    }
    scanned_ = 0;
    std::string_view raw = have.substr(0, r.consumed);
    int code = head_.status_code;
    if (code >= 100 && code < 200) {
      if (code == 101) {
        fail("unexpected 101 Switching Protocols (no upgrade was asked for)");
        return false;
      }
      // 100 Continue, 102, 103: interim, skipped; bounded so a server cannot
      // keep the client reading interim heads forever.
      if (++interim_ > 32) {
        fail("more than 32 interim (1xx) responses");
        return false;
      }
      consume(r.consumed);
      return true;
    }
    http::MessageInfo info = http::analyze_response(head_, head_request_ ? "HEAD" : (connect_ ? "CONNECT" : "GET"));
    if (!info.ok()) {
      fail("malformed response framing: " + std::string(info.reason));
      return false;
    }
    keep_alive_ = info.keep_alive;
    body_size_ = 0;
    // Views into the buffer stay valid through on_head: nothing moves it.
    try {
      sink_->on_head(head_, raw);
    } catch (...) {
      keep_alive_ = false;
      stream_.close();
      complete(std::current_exception());
      return false;
    }
    consume(r.consumed);
    switch (info.body) {
      case http::BodyKind::none:
        finish();
        return false;
      case http::BodyKind::content_length:
        if (info.content_length > limits_.max_body_size) {
          over_body_limit();
          return false;
        }
        remaining_ = info.content_length;
        state_ = State::length;
        return true;
      case http::BodyKind::chunked:
        chunked_ = http::ChunkedDecoder(http::ChunkedLimits{limits_.max_body_size, 4096, limits_.max_header_size});
        state_ = State::chunked;
        return true;
      case http::BodyKind::until_close:
        state_ = State::until_close;
        return true;
    }
    return true;
  }

  bool deliver(std::string_view data) {
    try {
      sink_->on_data(data);
      return true;
    } catch (...) {
      keep_alive_ = false;
      stream_.close();
      complete(std::current_exception());
      return false;
    }
  }

  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Makes room and reads what the socket has (at least a byte).
  void read_more() {
    if (eof_) return on_eof();
    if (begin_ > 0) {
      // The unconsumed bytes keep their offsets from begin_, so the parser's
      // and the decoder's notes of what they scanned stay right.
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_.size()) {
      // A head longer than the buffer needs room up to the limit (where the
      // parser says 431); a body reads in pieces of the buffer's size.
      std::size_t grow = buf_.empty() ? 16 * 1024 : buf_.size() * 2;
      if (state_ != State::head && grow > 64 * 1024) grow = 64 * 1024;
      if (state_ == State::head && grow > limits_.max_header_size + 1) grow = limits_.max_header_size + 1;
      if (grow <= buf_.size()) grow = buf_.size() + 4096;
      buf_.resize(grow);
    }
    std::shared_ptr<ClientConnection> self = shared_from_this();
    stream_.read_into(buf_.data() + end_, buf_.size() - end_, true,
                      [self](std::size_t n, std::exception_ptr error) { self->on_read(n, error); });
  }

  void on_read(std::size_t n, std::exception_ptr error) {
    end_ += n;
    if (n > 0) got_bytes_ = true;
    if (error) eof_ = std::move(error);
    pump();
  }

  // The stream closed and every buffered byte was taken: the end of a
  // close-delimited body, else the response was cut short.
  void on_eof() {
    keep_alive_ = false;
    // A close-delimited body ends with the connection, unless TLS says the
    // end was not the server's (no close_notify): a truncation is an error.
    if (state_ == State::until_close && !transport_failed(eof_)) return finish();
    std::string why = "connection closed";
    try {
      std::rethrow_exception(eof_);
    } catch (const std::exception& e) {
      why = e.what();
    } catch (...) {
    }
    if (state_ == State::head) {
      fail(std::string(got_bytes_ ? "connection closed in the middle of the response head"
                                  : "connection closed before any response") +
           " (" + why + ")");
    } else {
      fail("connection closed before the response body ended (" + why + ")");
    }
  }

  static bool transport_failed(const std::exception_ptr& error) noexcept {
    try {
      std::rethrow_exception(error);
    } catch (const StreamClosedError& e) {
      return e.error() == transport_errno;
    } catch (...) {
    }
    return false;
  }

  void over_body_limit() {
    fail("response body over max_body_size (" + std::to_string(limits_.max_body_size) + " bytes)");
  }

  void fail(const std::string& why) {
    keep_alive_ = false;
    stream_.close();
    complete(std::make_exception_ptr(std::runtime_error(why)));
  }

  void finish() { complete(nullptr); }

  void complete(std::exception_ptr error) {
    if (state_ == State::done) return;
    state_ = State::done;
    sink_.reset();
    Future<void> done = std::move(done_);
    if (error) {
      done.set_exception(std::move(error));
      // The fetch always takes this outcome, unless it was aborted and its
      // loop goes before the coroutine resumes: then nobody needs it, and
      // it must not be reported as lost.
      (void)done.exception();
    } else {
      done.set_result();
    }
  }

  IOStream stream_;
  std::string key_;
  std::string out_;
  std::string buf_;                  // received bytes: [begin_, end_) not yet consumed
  std::size_t begin_ = 0, end_ = 0;
  std::size_t scanned_ = 0;          // head bytes already searched for its end
  http::ResponseHead head_;          // reused: its vector keeps capacity
  http::ChunkedDecoder chunked_;
  std::shared_ptr<ResponseSink> sink_;
  Future<void> done_;
  std::exception_ptr eof_;           // why the stream closed, once it has
  std::uint64_t remaining_ = 0, body_size_ = 0;
  State state_ = State::done;
  int interim_ = 0;
  bool head_request_ = false, connect_ = false, got_bytes_ = false, keep_alive_ = false;
  ResponseLimits limits_;
};

}  // namespace eddy::detail
