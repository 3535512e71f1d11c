// Opening a Redis connection: the stream (TCP, TLS for rediss://, or a
// Unix-domain socket), then the handshake: HELLO 3 (with AUTH and SETNAME in it) for RESP3, else
// AUTH and CLIENT SETNAME as needed, then SELECT for a database other than
// 0. The handshake's commands go out as one write; the connection is handed
// over once every one has succeeded.
//
// The whole attempt has one deadline. When it passes first, the attempt
// fails with Error (kind timeout) and whatever it opened is closed; a TCP
// connect still in flight then finishes on its own and its stream is
// dropped. Every failure is an Error naming the URL with its password masked:
// a refused or failed connect (kind connection, the system's reason), a
// handshake error reply (kind reply, the server's code: "WRONGPASS", ...), a
// bad URL (kind usage).
//
// rediss:// goes through <eddy/ssl.hpp>'s hooks (detail/ssl/context.hpp), as
// the HTTP client's https:// does, so <eddy/redis.hpp> includes no OpenSSL
// header: without <eddy/ssl.hpp> in the program the attempt fails with Error
// (kind usage) saying to include it and link eddy::ssl. The client context is
// the one given (ClientOptions::ssl_context), else one made from the TLS
// settings on the executor (making one reads the CA store, 200 KiB of PEM);
// the stream is handed over once the TLS handshake is done, and a failed
// verification is an Error (kind connection) with OpenSSL's reason.
//
// Thread contract: the loop thread. Lifetime: the attempt holds itself
// through its timeout and the callbacks of the futures it waits for.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../tcpclient.hpp"
#include "../ssl/context.hpp"
#include "connection.hpp"
#include "redis_url.hpp"
#include "unix_connect.hpp"

namespace eddy::detail::redis {

struct ConnectSettings {
  Endpoint endpoint;
  Clock::duration timeout;
  int protocol = 2;
  ConnectionOptions connection;
  ClientTLSSettings tls;                    // rediss://: how to make the context
  std::optional<SSLContext> tls_context;   // rediss://: or this one, as is
};

class ConnectAttempt : public std::enable_shared_from_this<ConnectAttempt> {
 public:
  using Done = Function<void(std::shared_ptr<Connection>, std::exception_ptr)>;

  ConnectAttempt(ConnectSettings settings, Done done) : settings_(std::move(settings)), done_(std::move(done)) {}

  void start() {
    IOLoop& loop = IOLoop::current();
    anchor_ = loop.anchor();
    timer_ = loop.call_later(settings_.timeout, [self = shared_from_this()] { self->time_out(); });
    const Endpoint& e = settings_.endpoint;
    if (e.kind == Endpoint::Kind::tls) return start_tls(loop);
    Future<IOStream> stream = e.kind == Endpoint::Kind::unix_socket ? connect_unix_socket(e.path)
                                                                    : TCPClient().connect(e.host, e.port);
    stream.add_done_callback([self = shared_from_this()](Future<IOStream> done) { self->on_stream(done); });
  }

 private:
  void start_tls(IOLoop& loop) {
    if (ssl_hooks.connect == nullptr || ssl_hooks.client_context == nullptr) {
      return finish(nullptr, std::make_exception_ptr(Error(
          "eddy: redis: " + settings_.endpoint.display + ": rediss:// needs TLS: " + ssl_missing, Error::Kind::usage)));
    }
    if (settings_.tls_context) return connect_tls(loop, *settings_.tls_context);
    auto make = ssl_hooks.client_context;
    Future<SSLContext> made = loop.run_in_executor([make, tls = settings_.tls] { return make(tls); });
    made.add_done_callback([self = shared_from_this()](Future<SSLContext> done) {
      if (std::exception_ptr error = done.exception()) return self->finish(nullptr, self->failure(error, Error::Kind::usage));
      IOLoop* loop = self->anchor_->loop;
      if (self->finished_ || loop == nullptr) return;
      self->connect_tls(*loop, done.result());
    });
  }

  void connect_tls(IOLoop& loop, const SSLContext& context) {
    const Endpoint& e = settings_.endpoint;
    Future<IOStream> stream = ssl_hooks.connect(loop, e.host, e.port, context);
    stream.add_done_callback([self = shared_from_this()](Future<IOStream> done) { self->on_stream(done); });
  }

  void on_stream(Future<IOStream>& done) {
    if (std::exception_ptr error = done.exception()) {  // observed even after a timeout
      return finish(nullptr, failure(error, Error::Kind::connection));
    }
    if (finished_) return;  // timed out: the stream closes as it goes
    IOStream stream = done.result();
    // As hiredis and Redis itself: a command goes out when written, not when
    // Nagle's algorithm sees the previous one acknowledged (false on a Unix socket).
    stream.set_nodelay(true);
    connection_ = std::make_shared<Connection>(std::move(stream), settings_.connection);
    connection_->start();
    std::vector<Future<Reply>> steps = send_handshake();
    if (steps.empty()) return finish(connection_, nullptr);
    remaining_ = steps.size();
    for (Future<Reply>& step : steps) {
      step.add_done_callback([self = shared_from_this()](Future<Reply> reply) { self->on_step(reply); });
    }
  }

  std::vector<Future<Reply>> send_handshake() {
    const Endpoint& e = settings_.endpoint;
    Connection& c = *connection_;
    std::vector<Future<Reply>> steps;
    std::string user = e.username.empty() ? std::string("default") : e.username;
    if (settings_.protocol == 3) {
      std::vector<std::string> hello{"HELLO", "3"};
      if (e.has_password) hello.insert(hello.end(), {"AUTH", user, e.password});
      if (!e.client_name.empty()) hello.insert(hello.end(), {"SETNAME", e.client_name});
      steps.push_back(c.command(hello));
    } else {
      if (e.has_password && e.username.empty()) steps.push_back(c.command("AUTH", e.password));
      if (e.has_password && !e.username.empty()) steps.push_back(c.command("AUTH", e.username, e.password));
      if (!e.client_name.empty()) steps.push_back(c.command("CLIENT", "SETNAME", e.client_name));
    }
    if (e.db != 0) steps.push_back(c.command("SELECT", e.db));
    return steps;
  }

  // Every step is observed, so a failure after the first is not reported as
  // never retrieved; the first failure decides.
  void on_step(Future<Reply>& reply) {
    if (std::exception_ptr error = reply.exception()) {
      if (!first_error_) first_error_ = error;
    }
    if (--remaining_ > 0) return;
    if (first_error_) return finish(nullptr, failure(first_error_, Error::Kind::connection));
    finish(connection_, nullptr);
  }

  void time_out() {
    double seconds = std::chrono::duration<double>(settings_.timeout).count();
    finish(nullptr, std::make_exception_ptr(Error("eddy: redis: connect to " + settings_.endpoint.display +
                                                  " timed out after " + std::to_string(seconds) + " s",
                                                  Error::Kind::timeout)));
  }

  // The error, as an Error naming the URL; a server's error keeps its code.
  std::exception_ptr failure(std::exception_ptr error, Error::Kind kind) const {
    std::string prefix = "eddy: redis: connect to " + settings_.endpoint.display + ": ";
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      if (e.kind() == Error::Kind::usage || e.kind() == Error::Kind::timeout) return error;
      return std::make_exception_ptr(Error(prefix + unprefixed(e.what()), e.kind(), e.code()));
    } catch (const std::exception& e) {
      return std::make_exception_ptr(Error(prefix + unprefixed(e.what()), kind));
    } catch (...) {
      return std::make_exception_ptr(Error(prefix + "unknown failure", kind));
    }
  }

  static std::string unprefixed(std::string_view what) {
    for (std::string_view p : {"eddy: redis: ", "eddy: "}) {
      if (what.substr(0, p.size()) == p) return std::string(what.substr(p.size()));
    }
    return std::string(what);
  }

  void finish(std::shared_ptr<Connection> connection, std::exception_ptr error) {
    if (finished_) return;
    finished_ = true;
    if (IOLoop* loop = anchor_->loop) loop->remove_timeout(timer_);
    if (error && connection_) connection_->close();
    Done done = std::move(done_);
    done(std::move(connection), std::move(error));
  }

  ConnectSettings settings_;
  Done done_;
  Timeout timer_;
  std::shared_ptr<const LoopAnchor> anchor_;
  std::shared_ptr<Connection> connection_;
  std::size_t remaining_ = 0;
  std::exception_ptr first_error_;
  bool finished_ = false;
};

}  // namespace eddy::detail::redis
