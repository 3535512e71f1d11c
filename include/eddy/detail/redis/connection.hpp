// Connection: one Redis connection on an IOStream, shared by every Client
// handle to it. It writes commands, matches replies to them in order and
// routes pub/sub messages.
//
// Writing (Boost.Redis's design): a command is serialized into one output
// buffer and its reply slot queued; the first command of a loop iteration
// schedules a flush callback, and the flush hands everything gathered by then
// to the stream in one write. So commands issued concurrently by many
// coroutines go out together, and the server reads them as one pipeline.
//
// Reading (connection_input.hpp): a read is always pending, into the
// connection's own buffer (read_into's callback form: no future per read).
// Each read parses every complete reply in the buffer and hands it to the
// slot at the head of the queue (connection_dispatch.hpp).
//
// Cancellation (connection_cancel.hpp): a command or pipeline whose only
// waiter gave up (Future::cancel: with_timeout, a destroyed coroutine)
// fails with CancelledError. Not yet written, it leaves the batch (its
// bytes and its slot); written, its slot stays and its reply is read and
// dropped, so later replies still reach the right callers; written and
// blocking (BLPOP, WAIT, XREAD BLOCK, ...), the connection is closed, since
// the server would hold it (and everything behind) until the command ends.
// A cancelled next_message() stops waiting: the next message is queued.
//
// Lifetime: owned by shared_ptr: the Client handles, the pending read's
// callback and a scheduled flush hold it. Client handles are also counted
// (handles_): when the last one goes, the connection closes, at once if no
// reply is pending, else once the last pending reply has arrived. A dropped
// connection, a protocol error or close() fails every pending command (and
// any pending next_message()) with Error; later calls fail at once.
//
// Thread contract: the thread of the loop the stream runs on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "../../future.hpp"
#include "../../iostream.hpp"
#include "fifo.hpp"
#include "reply.hpp"
#include "resp_parser.hpp"
#include "resp_scan.hpp"
#include "resp_writer.hpp"

namespace eddy::detail::redis {

using eddy::redis::Error;
using eddy::redis::Message;

/// What a connection is told when it is made (ClientOptions' share).
struct ConnectionOptions {
  RespLimits limits;
  std::size_t max_queued_messages = 10000;
};

// A reply (or several) that the connection waits for, in command order.
struct Pending {
  enum class Kind : std::uint8_t { command, hello, pipeline, subscription };
  // The rare parts: a pipeline's results, a subscription's names.
  struct Extra {
    std::vector<Reply> results;
    std::vector<std::string> names;
    bool patterns = false;
  };
  using Outcome = std::variant<Future<Reply>, Future<std::vector<Reply>>, Future<void>>;

  Pending(Kind k, std::uint32_t count, Outcome f) : kind(k), remaining(count), future(std::move(f)) {}

  Kind kind;
  bool blocking = false;    // may block on the server (is_blocking)
  bool discard = false;     // cancelled after it was written: its reply is dropped
  std::uint32_t remaining;  // replies still expected
  std::uint64_t seq = 0;    // increasing along the queue: finds the slot of a cancelled future
  std::size_t out_begin = 0;  // where its bytes start in out_ while not yet written
  Outcome future;
  std::unique_ptr<Extra> extra;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(IOStream stream, const ConnectionOptions& options)
      : stream_(std::move(stream)), limits_(options.limits), max_queued_messages_(options.max_queued_messages) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts reading; call once, right after construction.
  void start() { start_read(); }

  /// Queues one command; see Client::command.
  template <class... Args>
  Future<Reply> command(const Args&... args) {
    CommandName name;
    (name.add(args), ...);
    CommandClass kind = classify(name.words[0], name.words[1]);
    if (std::exception_ptr refusal = admit(kind, args...)) return make_failed_future<Reply>(refusal);
    std::size_t begin = out_.size();
    append_command(out_, args...);
    Future<Reply> future;
    if (kind == CommandClass::hello) {
      note_hello(args...);
      queue(Pending(Pending::Kind::hello, 1, future), begin);  // not cancellable: it switches the protocol
      return future;
    }
    Pending p(Pending::Kind::command, 1, future);
    p.blocking = is_blocking(name.words[0], args...);
    queue(std::move(p), begin);
    watch_cancel(future);
    return future;
  }

  Future<std::vector<Reply>> pipeline(const std::vector<std::vector<std::string>>& commands);
  /// SUBSCRIBE (patterns: PSUBSCRIBE) to `names`; resolves once all are confirmed.
  Future<void> subscribe(const std::vector<std::string>& names, bool patterns);
  /// UNSUBSCRIBE (patterns: PUNSUBSCRIBE) from `names`; none: from every
  /// channel and every pattern.
  Future<void> unsubscribe(const std::vector<std::string>& names, bool patterns);
  /// The next message; with a timeout, fails with TimeoutError (and stops
  /// waiting) when none comes in time.
  Future<Message> next_message(std::optional<Clock::duration> timeout = std::nullopt);

  /// Closes the connection; pending commands and next_message() fail.
  void close() { fail_all(std::make_exception_ptr(Error("eddy: redis: the connection was closed", Error::Kind::connection))); }
  bool closed() const noexcept { return closed_ || stream_.closed(); }

  // Client handle counting (see the file comment).
  void add_handle() noexcept { ++handles_; }
  void drop_handle() {
    if (--handles_ > 0 || closed_) return;
    if (pending_.empty()) return close();
    close_when_idle_ = true;
  }

  int protocol() const noexcept { return protocol_; }
  std::uint64_t write_count() const noexcept { return writes_; }
  std::size_t pending_replies() const noexcept { return pending_.size(); }
  std::size_t queued_messages() const noexcept { return messages_.size(); }
  std::size_t subscriptions() const noexcept { return channels_.size() + patterns_.size(); }

 private:
  // Why a command may not go out now (closed, loop gone, not allowed in
  // this state), or null.
  template <class... Args>
  std::exception_ptr admit(CommandClass kind, const Args&... args) {
    static_assert(sizeof...(Args) > 0, "eddy: redis: a command needs at least its name");
    bool plain = kind == CommandClass::subscriber || (kind == CommandClass::ordinary && !subscriber_mode());
    if (plain && !closed_ && stream_.loop() != nullptr) return nullptr;  // the hot path
    CommandName name;
    (name.add(args), ...);
    return refuse(kind, name.words[0]);
  }
  std::exception_ptr check_open() const;
  std::exception_ptr refuse(CommandClass kind, std::string_view name) const;
  bool subscriber_mode() const noexcept { return send_protocol_ == 2 && (!channels_.empty() || !patterns_.empty()); }

  // HELLO <protover>: commands sent after it are checked against that protocol.
  template <class... Args>
  void note_hello(const Args&... args) {
    CommandName name;
    (name.add(args), ...);
    if (name.words[1] == "2" || name.words[1] == "3") send_protocol_ = name.words[1][0] - '0';
  }

  // connection_cancel.hpp
  void queue(Pending&& p, std::size_t out_begin);
  template <class T>
  void watch_cancel(Future<T>& future) {
    future.set_cancel_callback([weak = weak_from_this(), seq = next_seq_ - 1] {
      if (std::shared_ptr<Connection> self = weak.lock()) self->on_cancelled(seq);
    });
  }
  void on_cancelled(std::uint64_t seq);
  void on_waiter_cancelled();

  void schedule_flush();
  void flush();
  void fail_all(std::exception_ptr error);
  void fail_pending(Pending& p, const std::exception_ptr& error);
  void popped();

  // connection_input.hpp
  void start_read();
  void on_read(std::size_t n, std::exception_ptr error);
  void process_input();
  bool next_reply(Reply& reply);
  void ensure_room();
  void compact() noexcept;

  // connection_dispatch.hpp
  void dispatch(Reply&& reply);
  void finish_command(Reply&& reply);
  void finish_pipeline(Pending& p, Reply&& reply);
  void finish_subscription(Reply&& reply);
  void on_push(Reply&& reply);
  void on_confirmation(const std::vector<Reply>& elements);
  void queue_message(Message message);
  void protocol_error(const std::string& reason);
  void schedule_resume();
  void resolve_waiter(Message* message, std::exception_ptr error);

  IOStream stream_;
  RespLimits limits_;
  std::size_t max_queued_messages_;

  OutputBuffer out_;  // commands not yet handed to the stream
  std::size_t unsent_ = 0;  // slots at the back of pending_ whose bytes are in out_
  std::uint64_t next_seq_ = 0;
  bool flush_scheduled_ = false;
  std::uint64_t writes_ = 0;

  std::unique_ptr<char[]> in_;  // received bytes: [begin_, end_) not yet parsed
  std::size_t in_capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t needed_ = 0;  // the reply at begin_ needs at least this many bytes
  bool reading_ = false;
  bool scanning_ = false;  // a large reply is being framed by scan_ before it is parsed
  std::unique_ptr<ScanState> scan_;

  Fifo<Pending> pending_;
  std::set<std::string> channels_;  // as the commands sent so far leave them
  std::set<std::string> patterns_;
  std::int64_t server_subscriptions_ = 0;  // as the last confirmation received said
  Fifo<Message> messages_;
  std::optional<Future<Message>> waiter_;  // the next_message() waiting, shared by concurrent calls
  Timeout waiter_timer_;                   // its timeout, if the last call gave one
  bool resume_scheduled_ = false;

  int protocol_ = 2;       // what the replies received so far are in
  int send_protocol_ = 2;  // what the replies to commands sent now will be in
  bool closed_ = false;
  std::exception_ptr error_;  // why it closed
  std::size_t handles_ = 0;
  bool close_when_idle_ = false;
};

}  // namespace eddy::detail::redis

#include "connection_cancel.hpp"
#include "connection_commands.hpp"
#include "connection_dispatch.hpp"
#include "connection_input.hpp"
