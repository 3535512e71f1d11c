// HTTP1Connection: one accepted connection speaking HTTP/1.1 as a server
// (Tornado's HTTP1ServerConnection + HTTP1Connection, the wire side; the
// Application is the delegate).
//
// The cycle: read what the socket has (always one read pending, so a client
// that leaves is noticed even while a handler runs) into the thread's
// scratch buffer, with read_into's callback form (no future, no copy); parse
// every complete request in the bytes; answer them in order, one at a time;
// put every response finished within one batch into one buffer and hand it to
// the stream in one write (a file body follows it: http1_connection_file.hpp). A handler that does not finish at once (a Future
// handler) holds the next pipelined request back until its response is
// finished (responses stay in order). So do responses the client has not
// read: past max_queued_response_bytes queued (in the batch's buffer and
// the stream's), the next request waits until the stream's queue drains
// (http1_connection_output.hpp), and reading stops once the unparsed input
// is past its own bound: a client that pipelines and never reads costs a
// bounded amount of memory.
//
// Memory: an idle connection keeps no buffer. Reads land in one 64 KiB
// scratch buffer per thread: read_into's callback runs straight from the
// stream's handler, right after the recv, so the bytes are parsed in place
// before any other stream can read; only what a batch leaves unparsed is
// copied into the connection's side block. (A read that completes inside
// read_into(), which the stream reports by no longer reading, is rescued into
// a copy at once.) The responses not yet written are freed once empty; request
// objects come from a per-thread pool (web_handler_access.hpp) and the
// parser's field array is per thread. State only a request in flight needs now and then
// (a response buffer of its own, a rescued read, a chunked decoder) lives in
// a side block that exists only while it is used (so does input a batch left
// unparsed: a request that arrives in pieces). Timeouts cost no timer of
// their own: the server keeps its connections on lists ordered by deadline,
// swept by one timer (http_server_shared.hpp). An idle keep-alive connection
// is this object, its stream, the stream's side block and its handler slot.
//
// Once the connection is closed, by anyone (the client, close_now(), a
// timeout, the server's destruction), nothing more is parsed or dispatched:
// gone() asks the stream, which knows at once, not only the close callback,
// which runs later (after a read that was already done, say).
//
// Bad input (the parser's and framing analysis' errors, a body over
// max_body_size): an error page with its status (400, 413, 431, 501, 505),
// "Connection: close", then a lingering close: write side shut, input read
// and dropped for up to 2 s, so the client sees the answer instead of a reset.
//
// Lifetime: a live connection is owned by its stream's close callback (the
// stream is the connection's own: a cycle, broken when the stream closes
// and the callback runs, or is dropped with a loop that is gone), and by its
// pending read and write callbacks. The server's lists only point at it;
// closing its stream is all it takes to let it go. The pending read's
// callback owns the connection, and so the stream's last handle: the stream
// destroys such a callback only after it has run (or, at loop teardown, been
// dropped) and while it still counts itself busy, so the stream outlives it.
//
// Thread contract: the loop thread.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../../iostream.hpp"
#include "../../ioloop.hpp"
#include "http_chunked.hpp"
#include "http_framing.hpp"
#include "http_parser.hpp"
#include "http_response.hpp"
#include "http_server_peer.hpp"
#include "http_server_shared.hpp"
#include "web_handler_access.hpp"

namespace eddy::detail {

// ServedConnection is the last base so that the small members below sit in
// its tail padding (after its 1-byte wait_; the Itanium C++ ABI reuses a
// non-POD base's tail padding). With unparsed input kept in the side block,
// the object is 152 bytes, 168 with make_shared's control block: one
// 176-byte malloc chunk.
class HTTP1Connection final : public ResponseChannel,
                              public std::enable_shared_from_this<HTTP1Connection>,
                              public ServedConnection {
 public:
  // Serves `stream` (accepted from `address`, "ip:port" or "[ip]:port").
  static void serve(const std::shared_ptr<ServerShared>& shared, IOStream stream, const std::string& address);

  HTTP1Connection(std::shared_ptr<ServerShared> shared, IOStream stream, std::string_view remote_ip)
      : remote_ip_(remote_ip), shared_(std::move(shared)), stream_(std::move(stream)) {}
  HTTP1Connection(const HTTP1Connection&) = delete;
  HTTP1Connection& operator=(const HTTP1Connection&) = delete;
  // Runs without touching the loop: a loop being destroyed frees
  // connections from inside its own teardown.
  ~HTTP1Connection() {
    if (out_owner() == this) {
      shared_out().clear();
      out_owner() = nullptr;
    }
    if (current_ != nullptr) {
      HandlerAccess::attach(*current_, nullptr);
      HandlerAccess::release(*current_);
    }
    shared_->unlink(*this, false);
  }

  // Declared inline here: a virtual not inline at the class's end is its key function (Itanium ABI),
  // and g++ then emits the vtable, so every virtual and all they call, in every file.
  inline Future<void> send_response(RequestHandler& h, bool last) override;
  inline void end_response(RequestHandler& h) override;
  void abort_response() noexcept override { close_now(); }
  inline void close_when_idle() override;
  void close_now() noexcept override { stream_.close(); }
  inline bool output_moved() noexcept override;
  inline bool upgrade(RequestHandler& h, std::string_view head, std::optional<IOStream>& stream,
                      std::string& unread) override;  // http1_connection_upgrade.hpp
  inline bool send_file(RequestHandler& h, FileRange& file) override;  // http1_connection_file.hpp
  void write_with_file(FileRange& file);

 private:
  enum class Phase : std::uint8_t { head, body, ready, refused };
  static constexpr std::size_t read_size = 64 * 1024;
  static constexpr auto linger_time = std::chrono::seconds(2);

  // What a connection needs only now and then, allocated on first use and
  // freed once the connection is idle again (drop_parsed), so an idle one
  // carries one null pointer for all of it.
  struct Pending {
    std::string in;       // input a batch left unparsed (a partial request), from in_pos_
    std::string out;      // responses not yet handed to the stream, when out() is not ours
    std::string rescued;  // a read that completed inside read_into()
    bool has_rescued = false;
    std::optional<http::ChunkedDecoder> chunked;  // a chunked body being read
    // A body streamed to route_streaming's handler (http1_connection_stream.hpp):
    // its route while the response is not finished; waiting while the
    // handler's future for the last piece is pending (no body is read then).
    Route* stream_route = nullptr;
    bool stream_waiting = false;
    // While output is queued in the stream: the queue's size when the send
    // clock last looked, plus what was queued since (output_moved()).
    std::size_t unsent_mark = 0;
    bool unused() const noexcept {
      return in.empty() && out.empty() && !has_rescued && !chunked && unsent_mark == 0 && stream_route == nullptr;
    }
  };
  Pending& pending() {
    if (!pending_) pending_ = std::make_unique<Pending>();
    return *pending_;
  }
  bool chunked() const noexcept { return pending_ && pending_->chunked; }
  void drop_pending_if_unused() noexcept {
    if (pending_ && pending_->unused()) pending_.reset();
  }

  void read_more();
  void on_read(std::size_t n, std::exception_ptr error);
  void on_closed() noexcept;
  void process();
  bool flush_at_bound();
  void resume_later();
  bool parse_head();
  void start_request(const http::RequestHead& head, const http::MessageInfo& info, std::size_t consumed);
  bool read_body();
  bool begin_streaming(bool over_limit);
  bool stream_body();
  bool deliver(std::string_view chunk, bool last);
  void stream_resumed(RequestHandler& h, std::exception_ptr error, const Route& route, bool last);
  bool stream_step_done(RequestHandler& h, std::exception_ptr error, const Route& route, bool last);
  void stream_failed(int status);
  bool streaming() const noexcept { return pending_ && pending_->stream_route != nullptr; }
  bool app_streams() const noexcept { return shared_->app != nullptr && shared_->app->has_streaming_routes(); }
  void dispatch();
  void refuse(int status);
  Future<void> flush_out();
  bool frame_response(RequestHandler& h, bool last);
  Future<void> write_framed(bool last);
  Future<void> write_assembled();
  void watch_write(Future<void>& written, std::size_t added);
  void note_queued(std::size_t added);
  void output_drained();
  void end_after_write(Future<void> written);
  void linger();

  // Closed, by anyone: the stream knows at once, closed_ (set by the close
  // callback) only later.
  bool gone() const noexcept { return closed_ || stream_.closed(); }
  // The responses assembled and not yet handed to the stream.
  std::size_t assembled() const noexcept {
    if (out_owner() == this) return shared_out().size();
    return pending_ ? pending_->out.size() : 0;
  }
  // Past the bound, no further request is taken (see the file comment).
  bool output_over_bound() const noexcept {
    return stream_.write_buffer_size() + assembled() > shared_->options.max_queued_response_bytes;
  }

  // Closes the connection `d` from now unless moved again; `wait` names
  // the server's list for timeouts of that length.
  void arm_after(ServedWait wait, Clock::duration d) { shared_->wait_until(*this, wait, coarse_now() + d, loop()); }
  IOLoop& loop() const noexcept { return *stream_.loop(); }
  // The loop's clock, read coarsely (a memory read; it lags by at most a
  // scheduler tick, a few ms, which a timeout of seconds does not notice);
  // the loop's own time under virtual time.
  Clock::time_point coarse_now() const noexcept {
#if defined(CLOCK_MONOTONIC_COARSE)
    if (!loop().virtual_time()) {
      timespec ts{};
      clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
      return Clock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    }
#endif
    return loop().time();
  }
  // No deadline of the request's own (one is being answered); queued
  // output still has the send timeout's.
  void disarm() {
    if (stream_.writing()) return keep_send_clock();
    shared_->no_deadline(*this);
  }
  // Waiting for the next request: the idle timeout, once queued output
  // (with the send timeout meanwhile) has drained.
  void arm_idle() {
    if (stream_.writing()) return keep_send_clock();
    arm_after(ServedWait::idle, shared_->options.idle_connection_timeout);
  }
  // Puts the connection on the send list unless it is there already (so
  // the clock is not restarted by a later write).
  void keep_send_clock() {
    if (wait_ == ServedWait::send) return;
    pending().unsent_mark = stream_.write_buffer_size();
    arm_after(ServedWait::send, shared_->options.send_timeout);
  }

  // The input not yet consumed, from in_pos_: in the scratch while a batch
  // parses in place, else what an earlier batch left in the side block.
  EDDY_ALWAYS_INLINE std::string_view input() const noexcept {
    if (scratch_size_ != 0) return std::string_view(scratch() + in_pos_, scratch_size_ - in_pos_);
    if (!pending_) return {};
    return std::string_view(pending_->in).substr(in_pos_);
  }
  std::size_t unparsed() const noexcept { return input().size(); }
  // Forgets every byte not yet consumed and frees its memory.
  void drop_input() noexcept {
    if (pending_) std::string().swap(pending_->in);
    in_pos_ = 0;
  }
  void drop_parsed() {
    if (scratch_size_ == 0 && unparsed() == 0) drop_input();  // idle: no buffer
    drop_pending_if_unused();
  }
  // The end of a batch parsed in place: what is left moves into the side
  // block, since the scratch belongs to the next read of any stream.
  void keep_unparsed() {
    if (scratch_size_ == 0) return;
    std::string_view rest = input();
    if (!rest.empty()) pending().in.assign(rest.data(), rest.size());
    in_pos_ = 0;
    scratch_size_ = 0;
  }
  // Responses are assembled in one buffer per thread, owned by one
  // connection from its first byte until flush_out() hands it to the stream
  // (always within one loop step). A connection that needs it while another
  // owns it (a handler finishing another connection's response) uses a
  // buffer of its own, in its side block.
  std::string& out() {
    HTTP1Connection*& owner = out_owner();
    if (owner == this) return shared_out();
    if (owner == nullptr && (!pending_ || pending_->out.empty())) {
      owner = this;
      return shared_out();
    }
    return pending().out;
  }
  static HTTP1Connection*& out_owner() noexcept {
    static thread_local HTTP1Connection* owner = nullptr;
    return owner;
  }
  static std::string& shared_out() {
    static thread_local std::string buffer;
    return buffer;
  }
  static constexpr std::size_t scratch_size = 64 * 1024;
  static char* scratch() noexcept {
    static thread_local std::unique_ptr<char[]> buffer(new char[scratch_size]);
    return buffer.get();
  }

  // Every byte here is paid by each idle keep-alive connection: the 1-byte
  // members come first, into ServedConnection's tail padding, then the
  // 4-byte ones, then the 8-byte ones. The loop is the stream's (no pointer
  // of its own): a connection runs only from its loop's callbacks.
  Phase phase_ = Phase::head;
  BodyFraming framing_ = BodyFraming::none;
  bool keep_alive_ : 1 = true;
  bool http10_ : 1 = false;
  bool reading_ : 1 = false;
  bool processing_ : 1 = false;
  bool closing_ : 1 = false;    // the last response is out or going: no more requests
  bool lingering_ : 1 = false;
  bool closed_ : 1 = false;
  bool resume_scheduled_ : 1 = false;
  PeerAddress remote_ip_;           // 17 bytes, 1-aligned
  std::uint32_t scratch_size_ = 0;  // > 0: the input is scratch()[0, scratch_size_)
  std::uint32_t scanned_ = 0;       // the parser's hint for an unfinished head (a lower bound)
  std::shared_ptr<ServerShared> shared_;
  IOStream stream_;
  std::size_t in_pos_ = 0;  // the first byte of input() (see there)
  RequestHandler* current_ = nullptr;  // the request being answered
  std::unique_ptr<Pending> pending_;   // see Pending
  std::uint64_t body_left_ = 0;        // of a Content-Length body
};

#if defined(__GLIBCXX__) && defined(__LP64__) && !defined(_WIN32)
// The layout the idle-connection figure (bench/http-bench) rests on.
static_assert(sizeof(HTTP1Connection) <= 152, "an idle HTTP connection must fit a 176-byte malloc chunk");
#endif

inline void HTTP1Connection::serve(const std::shared_ptr<ServerShared>& shared, IOStream stream,
                                   const std::string& address) {
  std::string ip = address;  // "host:port", or a Unix-domain peer's "" or path (kept as it is)
  if (!ip.empty() && ip.front() == '[') {
    ip = ip.substr(1, ip.find(']') == std::string::npos ? std::string::npos : ip.find(']') - 1);
  } else if (std::size_t colon = ip.rfind(':'); colon != std::string::npos && ip.front() != '/') {
    ip.resize(colon);
  }
  stream.set_nodelay(true);
  auto conn = std::make_shared<HTTP1Connection>(shared, stream, ip);
  shared->link(*conn);
  stream.set_close_callback([conn] {
    conn->on_closed();
  });
  if (shared->closing_all) return conn->close_now();
  conn->arm_after(ServedWait::idle, shared->options.idle_connection_timeout);
  conn->read_more();
}

// ---- answering ---------------------------------------------------------------

// Answers every complete request in the input, in order, then writes what
// the batch produced in one go and reads on. A batch that stopped at the
// queued-response bound is written at once: if the kernel takes it, the
// batch goes on; if not, the write's completion resumes it
// (output_drained), so the connection never polls.
inline void HTTP1Connection::process() {
  if (processing_) return;
  processing_ = true;
  // current_ with phase_ head is a request whose handler runs: the next
  // one waits (responses go in order).
  while (!gone() && !closing_ && (current_ == nullptr || phase_ != Phase::head)) {
    if (phase_ == Phase::head) {
      if (output_over_bound() && !flush_at_bound()) break;
      if (!parse_head()) break;
    }
    if (phase_ == Phase::body && !read_body()) break;
    if (phase_ == Phase::ready) dispatch();
    if (phase_ == Phase::refused) break;
  }
  processing_ = false;
  // A response finished in the batch and no request followed it: the idle
  // deadline frame_response left for now (the state it leaves is busy, no
  // request in flight; nothing else leaves that state but closing).
  if (current_ == nullptr && !closing_ && wait_ == ServedWait::busy && !gone()) arm_idle();
  keep_unparsed();
  flush_out();
  if (current_ == nullptr) drop_parsed();
  read_more();
}

// The batch reached the bound: it goes out now; true when the kernel took
// enough of it for the batch to go on. (Out of line: rare.)
EDDY_NOINLINE inline bool HTTP1Connection::flush_at_bound() {
  flush_out();
  return !output_over_bound();
}

}  // namespace eddy::detail
// A request's head and body; responses; output, closing and timeouts; upgrades; file bodies.
#include "http1_connection_request.hpp"
#include "http1_connection_respond.hpp"
#include "http1_connection_output.hpp"
#include "http1_connection_upgrade.hpp"
#include "http1_connection_file.hpp"
#include "http1_connection_stream.hpp"
