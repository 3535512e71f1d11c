// Connection: one WebSocket connection, either side, over an IOStream. The
// public WebSocket handle and WebSocketHandler (websocket.hpp) are thin
// fronts for it; the server (server.hpp) and the client (client.hpp) make
// it after the opening handshake. This file holds the class, its state and
// its lifetime; the read path is in connection_read.hpp, writes and the
// closing handshake in connection_write.hpp, pings and timers in
// connection_timers.hpp.
//
// Reading. One read is always pending on the stream while the connection
// is open (so pings are answered and a peer that leaves is noticed), into a
// 64 KiB scratch buffer per thread, with read_into's callback form (no
// future, no copy). Frames are parsed in place, unmasked in place, and a
// message that arrives whole in one read goes to its reader without being
// assembled. Only what a read leaves unparsed (a partial frame header, or a
// control frame cut short: at most 139 bytes) is kept, in the side block.
//
// Flow control. A class handler (WebSocketHandler) gets every message as
// it arrives. A function handler reads with read_message(): while none is
// pending, control frames are still read and answered, but at the first
// data frame the connection stops reading (paused_), so TCP pushes back on
// the peer: received messages are never queued beyond the bytes of one read.
//
// Lifetime. The connection is counted by hand (refs_): WebSocket handles,
// the pending read's callback, a pending timer and a pending write's
// callback each hold one. A class handler lives in the same allocation
// (ConnectionWith<H>) and holds a non-owning handle, so no cycle keeps a
// dead connection: once the stream is closed and no callback is pending,
// only user handles keep it. A loop being destroyed drops the stream's
// callbacks and the timers, and with them the connection's counts.
//
// Memory. An idle connection is this object (and its handler), its compact
// request (request_store.hpp), its stream and the stream's side blocks: the
// rare state (a message being assembled, a partial frame, pings in flight,
// timers, zlib streams, the close reason) lives in a side block that exists
// only while it is used.
//
// Thread contract: the loop thread of its stream, for everything.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../iostream.hpp"
#include "../base/os_random.hpp"
#include "../stream/stream_errors.hpp"
#include "connection_parts.hpp"
#include "deflate.hpp"
#include "extensions.hpp"
#include "frame.hpp"
#include "options.hpp"
#include "request_blob.hpp"
#include "utf8.hpp"

namespace eddy {
class WebSocketHandler;
}

namespace eddy::detail::ws {

class Connection {
 public:
  enum class Role : std::uint8_t { server, client };
  using ReadResult = std::optional<WebSocketMessage>;

  Connection(Role role, Settings* settings) noexcept : settings_(settings), handler_(nullptr), role_(role) {
    settings_->add_ref();
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection();

  // A new C (Connection, or ConnectionWith<H>) counted once, with the
  // compact copy of `req` (server side; nullptr: client) in the same
  // allocation, right after the object.
  template <class C, class... Args>
  static C* make(const HTTPServerRequest* req, Args&&... args);
  // What make() allocated goes back the same way.
  static void operator delete(void* p) noexcept { ::operator delete(p); }

  void add_ref() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) delete this;
  }

  // ---- setup (server.hpp, client.hpp) ------------------------------------
  void set_handler(WebSocketHandler* handler) noexcept {
    handler_ = handler;
    has_handler_ = handler != nullptr;
  }
  void set_subprotocol(int index) noexcept { subprotocol_ = static_cast<std::int8_t>(index); }
  void set_deflate(const DeflateAgreement& a) noexcept;
  // The upgraded stream, and the bytes read past the handshake: kept until
  // begin_reading(), so a handler's open() runs before any message.
  void attach(IOStream stream, std::string unread);
  void begin_reading();
  const Settings& settings() const noexcept { return *settings_; }
  const WebSocketOptions& options() const noexcept { return settings_->options; }
  Role role() const noexcept { return role_; }
  WebSocketHandler* handler() const noexcept { return has_handler_ ? handler_ : nullptr; }

  // ---- the WebSocket API ---------------------------------------------------
  Future<ReadResult> read_message();
  Future<void> write_message(std::string_view data, bool binary);
  Future<void> write_frame_bytes(std::string_view frame);  // a prepared, complete frame
  Future<void> ping(std::string_view data);
  void close(int code, std::string_view reason);
  std::optional<int> close_code() const noexcept {
    return peer_code_ != 0 ? std::optional<int>(peer_code_) : std::nullopt;
  }
  std::string close_reason() const { return side_ ? side_->close_reason : std::string(); }
  std::string selected_subprotocol() const {
    return subprotocol_ >= 0 ? options().subprotocols[static_cast<std::size_t>(subprotocol_)] : std::string();
  }
  // While the handshake runs (check_origin, open(), a handler function's
  // first step) the HTTP request itself; later a copy rebuilt from the
  // compact one on first use (request_blob.hpp). Client side: nullptr.
  const HTTPServerRequest* request() const;
  // Makes request() the HTTP request itself while it lives (a scope).
  class LiveRequest {
   public:
    LiveRequest(const Connection& c, const HTTPServerRequest& r) noexcept : saved_(current()) { current() = {&c, &r}; }
    LiveRequest(const LiveRequest&) = delete;
    LiveRequest& operator=(const LiveRequest&) = delete;
    ~LiveRequest() { current() = saved_; }

   private:
    friend class Connection;
    struct Pair {
      const Connection* owner = nullptr;
      const HTTPServerRequest* request = nullptr;
    };
    static Pair& current() noexcept {
      static thread_local Pair pair;
      return pair;
    }
    Pair saved_;
  };
  // True once the handler learned the end (read_message gives nullopt).
  bool finished() const noexcept { return finished_; }
  // True while messages may be written.
  bool writable() const noexcept { return has_stream_ && !close_sent_ && !finished_ && !stream().closed(); }
  // What a prepared message sends on this connection (prepared.hpp).
  bool compresses() const noexcept { return deflate_ && compress_window_ != 8; }
  bool compress_reset() const noexcept { return compress_reset_; }
  int compress_window() const noexcept { return compress_window_; }
  // The handler function's future resolved: close (1000, or 1011 after an
  // exception) if still open.
  void handler_done(const Future<void>& done);

  // Defined in websocket.hpp, where WebSocketHandler is complete.
  void notify_open();

 private:
  friend class Ref;
  static constexpr std::size_t scratch_size = 64 * 1024;

  IOStream& stream() noexcept { return *std::launder(reinterpret_cast<IOStream*>(stream_storage_)); }
  const IOStream& stream() const noexcept { return *std::launder(reinterpret_cast<const IOStream*>(stream_storage_)); }
  Side& side() const {
    if (!side_) side_ = std::make_unique<Side>();
    return *side_;
  }
  void drop_side_if_unused() noexcept {
    if (side_ && side_->unused()) side_.reset();
  }
  static char* scratch() noexcept {
    static thread_local std::unique_ptr<char[]> buffer(new char[scratch_size]);
    return buffer.get();
  }
  // True while some connection of this thread parses bytes in the scratch:
  // a read started then must not recv into it (see read_more).
  static bool& scratch_busy() noexcept {
    static thread_local bool busy = false;
    return busy;
  }
  // Messages are written into this buffer per thread, then handed to the
  // stream in one write (which copies only what the kernel does not take).
  static std::string& out_buffer() {
    static thread_local std::string buffer;
    return buffer;
  }

  // Read path (connection_read.hpp).
  void resume();
  void read_more();
  void schedule_read();
  void on_read(std::size_t n, std::exception_ptr error);
  void consume(char* data, std::size_t size);
  void keep_rest(const char* data, std::size_t size);
  std::size_t next_frame(char* data, std::size_t size);
  FrameRules rules() const noexcept;
  bool wants_message() const noexcept { return has_handler_ || has_waiter_ || messages_done_; }
  // The pending read_message's future (only without a class handler: the
  // two share their storage).
  void set_waiter(Future<ReadResult> f) {
    new (&waiter_) Future<ReadResult>(std::move(f));
    has_waiter_ = true;
  }
  Future<ReadResult> take_waiter() {
    Future<ReadResult> f = std::move(waiter_);
    waiter_.~Future<ReadResult>();
    has_waiter_ = false;
    handler_ = nullptr;
    return f;
  }
  void begin_data_frame(const FrameHeader& h);
  std::size_t take_payload(char* data, std::size_t size);
  bool add_to_message(std::string_view bytes);
  void end_data_frame();
  void deliver(std::string&& data, bool binary);
  void deliver_view(std::string_view data, bool binary);
  void on_control(Opcode op, std::string_view payload);
  void on_close_frame(std::string_view payload);
  void release_inflater() noexcept;
  // Write path and closing (connection_write.hpp).
  Future<void> send_frame(Opcode op, std::string_view payload, bool may_compress);
  std::exception_ptr refuse_write();
  Deflater& own_deflater();
  void send_close(std::uint16_t code, std::string_view reason);
  void end_messages();
  void fail(std::uint16_t code, const char* why);
  void finish();
  void close_tcp_when_written();
  void abort();
  void on_tcp_closed();
  void resolve_pings(std::string_view payload);
  // Timers (connection_timers.hpp).
  void start_pinging();
  void arm(Clock::time_point when);
  void disarm() noexcept;
  void on_timer();
  void notify_message(const WebSocketMessage& message);  // websocket.hpp
  void notify_close();                                   // websocket.hpp

  // Ordered for size: the 8-byte members, then the small ones.
  alignas(IOStream) unsigned char stream_storage_[sizeof(IOStream)];
  Settings* settings_;
  union {
    WebSocketHandler* handler_;   // a class handler (same allocation): has_handler_
    Future<ReadResult> waiter_;   // a pending read_message: has_waiter_
  };
  mutable std::unique_ptr<Side> side_;
  std::uint64_t frame_left_ = 0;         // payload bytes of the current data frame still to come
  std::uint32_t refs_ = 1;
  std::uint32_t blob_size_ = 0;          // the compact request after the object (server side)
  std::uint16_t object_size_ = 0;        // where it starts: sizeof the most derived object
  unsigned char mask_[4] = {0, 0, 0, 0};
  Utf8Validator utf8_;
  std::uint16_t peer_code_ = 0;          // the peer's close code, 0: none
  std::int8_t subprotocol_ = -1;
  std::uint8_t lead_ = 0;                // leftover bytes copied in front of the pending read
  std::uint8_t mask_pos_ = 0;
  std::uint8_t compress_window_ = 15;
  Role role_;
  bool has_stream_ : 1 = false;
  bool has_handler_ : 1 = false;
  bool has_waiter_ : 1 = false;
  bool reading_ : 1 = false;          // a read is pending on the stream
  bool read_scheduled_ : 1 = false;   // ... or about to be started (schedule_read)
  bool paused_ : 1 = false;           // stopped at a data frame nobody reads yet
  bool rescue_ : 1 = false;           // the pending read's bytes go to side_->rescued
  bool in_message_ : 1 = false;       // a message's first frame arrived, not its last
  bool frame_fin_ : 1 = false;        // the current data frame ends its message
  bool frame_masked_ : 1 = false;
  bool message_binary_ : 1 = false;
  bool message_compressed_ : 1 = false;
  bool discard_message_ : 1 = false;  // arriving after close(): parsed, dropped
  bool messages_done_ : 1 = false;    // no more messages for the handler
  bool close_sent_ : 1 = false;
  bool close_received_ : 1 = false;
  bool failed_ : 1 = false;           // a protocol error: input is drained and dropped
  bool finished_ : 1 = false;         // the handler learned the end
  bool tcp_closed_ : 1 = false;
  bool heard_ : 1 = false;            // something arrived since the last liveness ping
  bool deflate_ : 1 = false;          // permessage-deflate negotiated
  bool compress_reset_ : 1 = false;
  bool decompress_reset_ : 1 = false;
};

inline Ref::Ref(Connection* c) noexcept : c_(c) {
  if (c_ != nullptr) c_->add_ref();
}
inline Ref::~Ref() {
  if (c_ != nullptr) c_->release();
}

// A class handler and its connection in one allocation.
template <class H>
class ConnectionWith final : public Connection {
 public:
  explicit ConnectionWith(Settings* settings) : Connection(Role::server, settings) { set_handler(&handler); }
  H handler;
};

inline Connection::~Connection() {
  if (side_ && side_->timer && has_stream_) {
    if (IOLoop* loop = stream().loop()) loop->remove_timeout(side_->timer);
  }
  side_.reset();  // zlib streams are freed, not pooled: the pools may be gone at thread exit
  if (has_stream_) stream().~IOStream();
  if (has_waiter_) waiter_.~Future<ReadResult>();
  settings_->release();
}

template <class C, class... Args>
C* Connection::make(const HTTPServerRequest* req, Args&&... args) {
  std::size_t extra = req != nullptr ? request_blob_size(*req) : 0;
  void* raw = ::operator new(sizeof(C) + extra);
  C* c = nullptr;
  try {
    c = new (raw) C(std::forward<Args>(args)...);
  } catch (...) {
    ::operator delete(raw);
    throw;
  }
  if (req != nullptr) {
    write_request_blob(*req, static_cast<char*>(raw) + sizeof(C));
    c->object_size_ = static_cast<std::uint16_t>(sizeof(C));
    c->blob_size_ = static_cast<std::uint32_t>(extra);
  }
  return c;
}

inline const HTTPServerRequest* Connection::request() const {
  const LiveRequest::Pair& live = LiveRequest::current();
  if (live.owner == this) return live.request;
  if (object_size_ == 0) return nullptr;  // client side
  Side& s = side();
  if (!s.full_request) {
    const char* blob = reinterpret_cast<const char*>(this) + object_size_;
    s.full_request = rebuild_request(std::string_view(blob, blob_size_));
  }
  return s.full_request.get();
}

inline void Connection::set_deflate(const DeflateAgreement& a) noexcept {
  deflate_ = true;
  compress_reset_ = a.compress_reset;
  decompress_reset_ = a.decompress_reset;
  compress_window_ = a.compress_window;
}

inline void Connection::attach(IOStream stream, std::string unread) {
  new (stream_storage_) IOStream(std::move(stream));
  has_stream_ = true;
  if (!unread.empty()) side().leftover = std::move(unread);
  paused_ = true;  // until begin_reading()
}

inline void Connection::begin_reading() {
  start_pinging();
  resume();
}

inline void Connection::resume() {
  paused_ = false;
  if (side_ && !side_->leftover.empty()) {
    std::string bytes = std::move(side_->leftover);
    side_->leftover.clear();
    consume(bytes.data(), bytes.size());
  }
  drop_side_if_unused();
  read_more();
}

}  // namespace eddy::detail::ws

#include "connection_read.hpp"
#include "connection_timers.hpp"
#include "connection_write.hpp"
