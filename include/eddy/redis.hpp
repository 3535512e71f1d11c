/// @file
/// A native Redis client on the loop: RESP2 and RESP3 over IOStream, every
/// concurrent command pipelined on one connection, and pub/sub (C++20).
///
///   eddy::redis::Client redis = co_await eddy::redis::Client::connect("redis://localhost:6379/0");
///   co_await redis.command("SET", "greeting", "hello");
///   eddy::redis::Reply r = co_await redis.command("GET", "greeting");   // r.as_string() == "hello"
///
/// - Commands issued in one loop iteration, by any number of coroutines, go
///   out in one write; replies are matched to them in order. An error reply
///   fails only its own command (with Error).
/// - A command whose only waiter gives up (with_timeout, a destroyed
///   coroutine: Future::cancel) fails with CancelledError: not yet written,
///   it is dropped from the batch; written, it keeps its place and its reply
///   is dropped when it comes, so later replies still reach their callers;
///   written and blocking (BLPOP, WAIT, XREAD BLOCK, ...), the connection is
///   closed (see docs/redis.md).
/// - rediss:// is TLS through <eddy/ssl.hpp> (include it and link eddy::ssl;
///   this header includes no OpenSSL header): the server's certificate is
///   verified against the system store unless ClientOptions say otherwise.
/// - A dropped connection, a protocol error or close() fails every pending
///   command, and a pending next_message(), with Error. There is no
///   automatic reconnection: connect again.
/// - Pub/sub: subscribe()/psubscribe() resolve once the server confirmed
///   every name; messages wait for next_message() in a queue of at most
///   ClientOptions::max_queued_messages (10,000): past it the socket is not
///   read until a message is taken. On a RESP2 connection with subscriptions
///   only PING and QUIT may be sent (other commands fail with Error at once);
///   connect with `?protocol=3` (RESP3) to mix commands and subscriptions.
///
/// Lifetime: Client is a copyable handle; copies share one connection. The
/// connection closes when the last handle goes (once the replies still
/// pending have arrived). Thread contract: the loop thread the connection
/// was made on, like IOStream.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/redis/connect.hpp"
#include "detail/redis/connection.hpp"
#include "detail/redis/reply.hpp"
#include "detail/ssl/context.hpp"
#include "future.hpp"

namespace eddy::redis {

/// Bounds on one reply (see RespLimits): nesting depth, string length,
/// element count and size.
using Limits = detail::redis::RespLimits;

/// How Client::connect connects; every field has a default.
struct ClientOptions {
  /// The deadline for the connect and handshake together.
  Clock::duration connect_timeout = std::chrono::seconds(20);
  /// 2 (RESP2) or 3 (RESP3, after HELLO 3); 0: the URL's ?protocol=, else 2.
  int protocol = 0;
  /// CLIENT SETNAME; "": the URL's ?name=, else none.
  std::string client_name;
  /// Bounds on what one reply may make the client hold.
  Limits limits;
  /// Messages held for next_message() before the socket waits.
  std::size_t max_queued_messages = 10000;

  // rediss:// only (TLS; include <eddy/ssl.hpp> and link eddy::ssl).
  /// Verify the server's certificate and host name (the default; redis-py's
  /// ssl_cert_reqs="required"). False accepts any certificate: testing only.
  /// The URL's ?ssl_cert_reqs=none turns it off too.
  bool validate_cert = true;
  /// A PEM file of CAs to trust instead of the system store (redis-py's
  /// ssl_ca_certs); "": the URL's ?ssl_ca_certs=, else the system store.
  std::string ca_certs;
  /// A client certificate (PEM chain), for servers with tls-auth-clients yes.
  std::string client_cert;
  /// client_cert's private key (PEM); "": the key is in client_cert's file.
  std::string client_key;
  /// A client context made with <eddy/ssl.hpp> (SSLContext::client()), used
  /// as is; the four fields above are then ignored. Share one between many
  /// connections to load the CA store once.
  std::optional<SSLContext> ssl_context;
};

/// One Redis connection; a copyable handle to it.
class Client {
 public:
  /// A handle to no connection: closed() is true and every call fails with Error.
  Client() noexcept = default;
  /// Another handle to the same connection.
  Client(const Client& other) noexcept : connection_(other.connection_) {
    if (connection_) connection_->add_handle();
  }
  /// Takes over the handle; `other` is left connected to nothing.
  Client(Client&& other) noexcept = default;
  /// Makes this a handle to the connection of `other` (dropping this one's).
  Client& operator=(Client other) noexcept {
    std::swap(connection_, other.connection_);
    return *this;
  }
  ~Client() {
    if (connection_) connection_->drop_handle();
  }

  /// Connects to `url` ("redis://[user:password@]host[:port][/db]",
  /// "unix:///path/to/socket", query `?protocol=3`, `?db=N`, `?name=...`;
  /// see docs/redis.md) and does AUTH, HELLO, CLIENT SETNAME and SELECT as
  /// the URL asks, on IOLoop::current(). "rediss://..." connects with TLS.
  /// Fails with Error: a bad URL, or rediss:// without <eddy/ssl.hpp> or
  /// with a CA file that cannot be loaded (kind usage), a failed connect or
  /// TLS handshake, a certificate that does not verify (connection), a
  /// handshake error reply (reply), no success within `timeout` (timeout).
  static Future<Client> connect(std::string url, Clock::duration timeout = std::chrono::seconds(20)) {
    ClientOptions options;
    options.connect_timeout = timeout;
    return connect(std::move(url), std::move(options));
  }
  /// As connect(url, timeout), with every option.
  static Future<Client> connect(std::string url, ClientOptions options);

  /// Sends one command: command("SET", "k", 42). Strings and numbers go as
  /// bulk strings, ranges (std::vector<std::string>, ...) one element each.
  /// Resolves with the reply; an error reply fails it with Error (kind
  /// reply, code() "ERR", "WRONGTYPE", ...). Concurrent calls are pipelined.
  /// (P)(UN)SUBSCRIBE go through the members below; MONITOR, RESET and
  /// CLIENT REPLY, which break the one-reply-per-command order, fail with Error.
  template <class... Args>
    requires(sizeof...(Args) > 0 && (detail::redis::Argument<Args> && ...))
  Future<Reply> command(const Args&... args) {
    if (!connection_) return not_connected<Reply>();
    return connection_->command(args...);
  }

  /// Sends the commands as one batch, in one write, and resolves with one
  /// reply per command; an error reply is an error-type entry (the future
  /// itself fails only when the connection does).
  Future<std::vector<Reply>> pipeline(std::vector<std::vector<std::string>> commands) {
    if (!connection_) return not_connected<std::vector<Reply>>();
    return connection_->pipeline(commands);
  }

  /// SUBSCRIBE: resolves once the server confirmed every channel.
  Future<void> subscribe(std::vector<std::string> channels) { return change(channels, false, true); }
  /// PSUBSCRIBE: resolves once the server confirmed every pattern.
  Future<void> psubscribe(std::vector<std::string> patterns) { return change(patterns, true, true); }
  /// UNSUBSCRIBE from `channels`; none: from every channel and every
  /// pattern, so that a RESP2 connection takes commands again.
  Future<void> unsubscribe(std::vector<std::string> channels = {}) { return change(channels, false, false); }
  /// PUNSUBSCRIBE from `patterns`; none: from every pattern.
  Future<void> punsubscribe(std::vector<std::string> patterns = {}) { return change(patterns, true, false); }

  /// Variadic forms, subscribe("a", "b"): g++ 12 rejects a braced list in co_await.
  template <class... Names>
    requires(sizeof...(Names) > 0 && (detail::redis::StringArgument<Names> && ...))
  Future<void> subscribe(const Names&... channels) {
    return subscribe(names(channels...));
  }
  /// Variadic form: psubscribe("news.*", "sport.*").
  template <class... Names>
    requires(sizeof...(Names) > 0 && (detail::redis::StringArgument<Names> && ...))
  Future<void> psubscribe(const Names&... patterns) {
    return psubscribe(names(patterns...));
  }
  /// Variadic form: unsubscribe("a", "b").
  template <class... Names>
    requires(sizeof...(Names) > 0 && (detail::redis::StringArgument<Names> && ...))
  Future<void> unsubscribe(const Names&... channels) {
    return unsubscribe(names(channels...));
  }
  /// Variadic form: punsubscribe("news.*").
  template <class... Names>
    requires(sizeof...(Names) > 0 && (detail::redis::StringArgument<Names> && ...))
  Future<void> punsubscribe(const Names&... patterns) {
    return punsubscribe(names(patterns...));
  }

  /// The next message of a subscribed channel or pattern (RESP3: also other
  /// pushes; see docs/redis.md). Concurrent calls share one future. Once no
  /// waiter is left (with_timeout gave up, the coroutine was destroyed) it
  /// fails with CancelledError and the next message is queued for the next
  /// call: nothing is lost. Fails with Error once the connection is closed
  /// and the queue is empty.
  Future<Message> next_message() {
    if (!connection_) return not_connected<Message>();
    return connection_->next_message();
  }
  /// As next_message(), but fails with eddy::TimeoutError when no message
  /// comes within `timeout`; then it stops waiting, so the next message
  /// stays queued for a later call (nothing is lost).
  Future<Message> next_message(Clock::duration timeout) {
    if (!connection_) return not_connected<Message>();
    return connection_->next_message(timeout);
  }

  /// Closes the connection now: pending commands and next_message() fail
  /// with Error. A no-op when already closed.
  void close() {
    if (connection_) connection_->close();
  }
  /// True once closed (by close(), the server, an error) or never connected.
  bool closed() const noexcept { return !connection_ || connection_->closed(); }

  /// 2 or 3: the protocol of the replies received so far.
  int protocol() const noexcept { return connection_ ? connection_->protocol() : 0; }
  /// Writes handed to the stream so far (one per batch of commands).
  std::uint64_t write_count() const noexcept { return connection_ ? connection_->write_count() : 0; }
  /// Replies still awaited (a pipeline or subscription counts once).
  std::size_t pending_replies() const noexcept { return connection_ ? connection_->pending_replies() : 0; }
  /// Messages waiting for next_message().
  std::size_t queued_messages() const noexcept { return connection_ ? connection_->queued_messages() : 0; }

  /// True when both handles name the same connection.
  friend bool operator==(const Client& a, const Client& b) noexcept { return a.connection_ == b.connection_; }

 private:
  explicit Client(std::shared_ptr<detail::redis::Connection> connection) : connection_(std::move(connection)) {
    connection_->add_handle();
  }

  template <class T>
  static Future<T> not_connected() {
    return make_failed_future<T>(std::make_exception_ptr(Error("eddy: redis: the client is not connected", Error::Kind::usage)));
  }
  Future<void> change(const std::vector<std::string>& names, bool patterns, bool subscribing) {
    if (!connection_) return not_connected<void>();
    return subscribing ? connection_->subscribe(names, patterns) : connection_->unsubscribe(names, patterns);
  }
  template <class... Names>
  static std::vector<std::string> names(const Names&... n) {
    std::vector<std::string> out;
    out.reserve(sizeof...(Names));
    (out.emplace_back(std::string_view(n)), ...);
    return out;
  }

  std::shared_ptr<detail::redis::Connection> connection_;
};

inline Future<Client> Client::connect(std::string url, ClientOptions options) {
  Future<Client> result;
  detail::redis::ConnectSettings settings;
  try {
    settings.endpoint = detail::redis::parse_redis_url(url);
  } catch (...) {
    result.set_exception(std::current_exception());
    return result;
  }
  settings.timeout = options.connect_timeout;
  settings.protocol = options.protocol != 0 ? options.protocol : (settings.endpoint.protocol != 0 ? settings.endpoint.protocol : 2);
  if (!options.client_name.empty()) settings.endpoint.client_name = options.client_name;
  settings.connection.limits = options.limits;
  settings.connection.max_queued_messages = options.max_queued_messages == 0 ? 1 : options.max_queued_messages;
  settings.tls.validate_cert = options.validate_cert && settings.endpoint.validate_cert;
  settings.tls.ca_certs = !options.ca_certs.empty() ? options.ca_certs : settings.endpoint.ca_certs;
  settings.tls.client_cert = options.client_cert;
  settings.tls.client_key = options.client_key;
  settings.tls_context = std::move(options.ssl_context);
  if (settings.protocol != 2 && settings.protocol != 3) {
    result.set_exception(std::make_exception_ptr(Error("eddy: redis: ClientOptions::protocol must be 0, 2 or 3", Error::Kind::usage)));
    return result;
  }
  auto attempt = std::make_shared<detail::redis::ConnectAttempt>(
      std::move(settings), [result](std::shared_ptr<detail::redis::Connection> connection, std::exception_ptr error) mutable {
        if (error) return result.set_exception(std::move(error));
        result.set_result(Client(std::move(connection)));
      });
  attempt->start();
  return result;
}

}  // namespace eddy::redis
