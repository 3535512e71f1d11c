// Cancellation in the Redis client (Future::cancel: with_timeout, a
// destroyed coroutine): a command not yet written leaves the batch; one
// written keeps its slot and its reply is dropped; a blocking one written
// closes the connection; a cancelled next_message() leaves no hole; a loop
// destroyed with a coroutine awaiting a command. (Every future is bound to a
// local before co_await: see support/redis_loop.hpp.)
#include <eddy/gen.hpp>
#include <eddy/redis.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/redis_loop.hpp"

using eddy::Future;
using eddy::redis::Client;
using eddy::redis::Error;
using eddy::redis::Message;
using eddy::redis::Reply;
using namespace std::chrono_literals;
using eddy_test::describe;
using eddy_test::failure_of;
using eddy_test::run_redis;
using eddy_test::shared_redis;

namespace {

template <class T>
Future<eddy_test::Failure> failure(Future<T> future) {
  Future<std::exception_ptr> outcome = failure_of(std::move(future));
  std::exception_ptr error = co_await outcome;
  co_return describe(error);
}

Future<Client> connect_shared() { return Client::connect(shared_redis().url(), 20s); }

}  // namespace

TEST_CASE("a command cancelled before it is written leaves the batch and never reaches the server",
          "[redis][server][cancel]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect_shared();
    Client client = co_await connecting;
    Future<Reply> reset = client.command("DEL", "cancel:counter", "cancel:a", "cancel:b");
    co_await reset;
    std::uint64_t writes = client.write_count();
    Future<Reply> first = client.command("SET", "cancel:a", "1");
    Future<Reply> dropped = client.command("INCR", "cancel:counter");
    Future<Reply> kept = client.command("SET", "cancel:b", "2");
    Future<std::vector<Reply>> dropped_pipeline = client.pipeline({{"INCR", "cancel:counter"}, {"PING"}});
    CHECK(client.pending_replies() == 4);
    CHECK(dropped.cancel());
    CHECK(dropped_pipeline.cancel());  // the last of the batch
    CHECK(client.pending_replies() == 2);
    REQUIRE(dropped.done());
    REQUIRE(dropped_pipeline.done());
    Reply a = co_await first;
    Reply b = co_await kept;
    CHECK(a.as_string() == "OK");
    CHECK(b.as_string() == "OK");
    CHECK(client.write_count() == writes + 1);
    Future<Reply> get = client.command("GET", "cancel:counter");
    Reply counter = co_await get;
    CHECK(counter.is_nil());  // neither INCR was sent
    Future<eddy_test::Failure> why = failure(dropped);
    eddy_test::Failure f = co_await why;
    CHECK(f.is_cancelled);
    Future<eddy_test::Failure> why_pipeline = failure(dropped_pipeline);
    eddy_test::Failure g = co_await why_pipeline;
    CHECK(g.is_cancelled);
  });
}

TEST_CASE("commands cancelled before and after they were written leave every other reply in order",
          "[redis][server][cancel]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect_shared();
    Client client = co_await connecting;
    std::vector<Future<Reply>> echoes;
    for (int i = 0; i < 300; ++i) echoes.push_back(client.command("ECHO", i));
    for (int i = 0; i < 300; i += 3) echoes[i].cancel();  // not yet written: dropped
    Future<void> written = eddy::sleep(0ms);               // the flush runs first
    co_await written;
    for (int i = 1; i < 300; i += 5) echoes[i].cancel();  // written (or answered already): replies dropped
    for (int i = 0; i < 300; ++i) {
      if (i % 3 == 0 || echoes[i].cancelled()) {
        Future<eddy_test::Failure> outcome = failure(echoes[i]);
        eddy_test::Failure f = co_await outcome;
        CHECK(f.is_cancelled);
        continue;
      }
      Reply r = co_await echoes[i];
      CHECK(r.as_string() == std::to_string(i));
    }
    Future<Reply> ping = client.command("PING");
    Reply pong = co_await ping;
    CHECK(pong.as_string() == "PONG");
    CHECK(client.pending_replies() == 0);
  });
}

TEST_CASE("a pipeline cancelled after it was written drops its replies; the next command gets its own",
          "[redis][server][cancel]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect_shared();
    Client client = co_await connecting;
    Future<std::vector<Reply>> slow = client.pipeline({{"DEBUG", "SLEEP", "0.2"}, {"ECHO", "from the pipeline"}});
    Future<eddy_test::Failure> impatient = failure(eddy::with_timeout(30ms, slow));
    eddy_test::Failure f = co_await impatient;
    CHECK(f.is_timeout);
    REQUIRE(slow.done());
    Future<eddy_test::Failure> why = failure(slow);
    eddy_test::Failure g = co_await why;
    CHECK(g.is_cancelled);
    Future<Reply> echo = client.command("ECHO", "mine");
    Reply mine = co_await echo;
    CHECK(mine.as_string() == "mine");
    CHECK_FALSE(client.closed());
  });
}

TEST_CASE("a blocking command cancelled after it was sent closes the connection", "[redis][server][cancel]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect_shared();
    Client client = co_await connecting;
    // Not yet sent: dropped like any other command, the connection stays.
    Future<Reply> unsent = client.command("BLPOP", "cancel:empty", 0);
    CHECK(unsent.cancel());
    Future<Reply> ping = client.command("PING");
    co_await ping;
    CHECK_FALSE(client.closed());
    // Sent: the server would hold the connection until BLPOP ends (never).
    Future<Reply> blocked = client.command("BLPOP", "cancel:empty", 0);
    Future<eddy_test::Failure> impatient = failure(eddy::with_timeout(50ms, blocked));
    Future<Reply> behind = client.command("GET", "cancel:a");
    Future<eddy_test::Failure> behind_failure = failure(behind);
    eddy_test::Failure f = co_await impatient;
    CHECK(f.is_timeout);
    CHECK(client.closed());
    Future<eddy_test::Failure> why = failure(blocked);
    eddy_test::Failure g = co_await why;
    CHECK(g.is_cancelled);
    eddy_test::Failure h = co_await behind_failure;
    CHECK(h.is_redis_error);
    CHECK(h.kind == Error::Kind::connection);
    CHECK(h.what.find("blocking command") != std::string::npos);
    // XREAD with BLOCK counts as blocking too; without BLOCK it does not.
    Future<Client> again = connect_shared();
    Client other = co_await again;
    Future<Reply> xread = other.command("XREAD", "block", 0, "STREAMS", "cancel:stream", "$");
    Future<eddy_test::Failure> xread_timeout = failure(eddy::with_timeout(50ms, xread));
    eddy_test::Failure x = co_await xread_timeout;
    CHECK(x.is_timeout);
    CHECK(other.closed());
  });
}

TEST_CASE("a cancelled next_message leaves no hole: the next message waits for the next call",
          "[redis][server][cancel][pubsub]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect_shared();
    Client subscriber = co_await connecting;
    Future<Client> connecting_publisher = connect_shared();
    Client publisher = co_await connecting_publisher;
    Future<void> subscribed = subscriber.subscribe("cancel:channel");
    co_await subscribed;
    Future<Message> waiting = subscriber.next_message();
    Future<eddy_test::Failure> impatient = failure(eddy::with_timeout(30ms, waiting));
    eddy_test::Failure f = co_await impatient;
    CHECK(f.is_timeout);
    REQUIRE(waiting.done());
    Future<eddy_test::Failure> why = failure(waiting);
    eddy_test::Failure g = co_await why;
    CHECK(g.is_cancelled);
    Future<Reply> published = publisher.command("PUBLISH", "cancel:channel", "kept");
    co_await published;
    for (int i = 0; i < 200 && subscriber.queued_messages() == 0; ++i) {
      Future<void> pause = eddy::sleep(5ms);
      co_await pause;
    }
    CHECK(subscriber.queued_messages() == 1);
    Future<Message> next = subscriber.next_message();
    Message m = co_await next;
    CHECK(m.payload == "kept");
  });
}

namespace {
Future<void> await_reply(Future<Reply> reply) {
  co_await reply;
}
}  // namespace

TEST_CASE("a loop destroyed with a coroutine awaiting a command resolves it and leaves the client closed",
          "[redis][server][cancel][lifecycle]") {
  eddy::IOLoop keep_loop;  // current afterwards, so late resolutions have a loop to be dropped on
  Client client;
  Future<Reply> blocked;
  {
    eddy::IOLoop loop;
    loop.make_current();
    client = loop.run_sync([] { return connect_shared(); }, 20s);
    blocked = client.command("BLPOP", "cancel:never", 0);
    loop.add_callback([blocked] { await_reply(blocked); });
    loop.run_sync([] { return eddy::sleep(50ms); });
    keep_loop.make_current();
  }  // the loop destroys its handlers and the suspended coroutine
  CHECK(blocked.done());
  CHECK(client.closed());
  Future<Reply> later = client.command("PING");
  REQUIRE(later.done());
  CHECK_THROWS_AS(later.result(), Error);
}
