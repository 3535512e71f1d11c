// Pub/sub against a real redis-server: channels and patterns, the RESP2
// subscriber mode's rules, RESP3 mixing commands and messages, the bounded
// message queue, and next_message() when the connection closes or a caller
// gives up.
#include <eddy/gen.hpp>
#include <eddy/redis.hpp>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/redis_loop.hpp"

using eddy::Future;
using eddy::redis::Client;
using eddy::redis::ClientOptions;
using eddy::redis::Error;
using eddy::redis::Message;
using eddy::redis::Reply;
using namespace std::chrono_literals;
using eddy_test::describe;
using eddy_test::failure_of;
using eddy_test::run_redis;
using eddy_test::shared_redis;

namespace {

// A connection for publishing and one subscribed with `options`.
struct Pair {
  Client publisher;
  Client subscriber;
};

Future<Pair> connect_pair(std::string subscriber_url, ClientOptions options = {}) {
  Future<Client> p = Client::connect(shared_redis().url());
  Pair pair;
  pair.publisher = co_await p;
  Future<Client> s = Client::connect(subscriber_url, options);
  pair.subscriber = co_await s;
  co_return pair;
}

Future<std::int64_t> publish(Client& c, std::string channel, std::string payload) {
  Future<Reply> f = c.command("PUBLISH", channel, payload);
  Reply receivers = co_await f;
  co_return receivers.as_integer();
}

}  // namespace

TEST_CASE("subscribe resolves once confirmed, and messages reach next_message in order", "[redis][server][pubsub]") {
  run_redis([&]() -> Future<void> {
    Future<Pair> connecting = connect_pair(shared_redis().url());
    Pair c = co_await connecting;
    std::vector<std::string> channels{"ps:a", "ps:b"};
    Future<void> subscribed = c.subscriber.subscribe(channels);
    co_await subscribed;
    for (int i = 0; i < 3; ++i) {
      Future<std::int64_t> sent = publish(c.publisher, i % 2 == 0 ? "ps:a" : "ps:b", "hello " + std::to_string(i));
      std::int64_t receivers = co_await sent;
      CHECK(receivers == 1);
    }
    for (int i = 0; i < 3; ++i) {
      Future<Message> next = c.subscriber.next_message();
      Message m = co_await next;
      CHECK(m.channel == (i % 2 == 0 ? "ps:a" : "ps:b"));
      CHECK(m.payload == "hello " + std::to_string(i));
      CHECK(m.pattern.empty());
    }
    // Unsubscribed from one channel: nobody hears it any more.
    Future<void> left = c.subscriber.unsubscribe("ps:a");
    co_await left;
    Future<std::int64_t> unheard = publish(c.publisher, "ps:a", "lost");
    std::int64_t receivers = co_await unheard;
    CHECK(receivers == 0);
  });
}

TEST_CASE("psubscribe delivers messages with the pattern they matched", "[redis][server][pubsub]") {
  run_redis([&]() -> Future<void> {
    Future<Pair> connecting = connect_pair(shared_redis().url());
    Pair c = co_await connecting;
    Future<void> subscribed = c.subscriber.psubscribe("ps:news.*", "ps:sport.?");
    co_await subscribed;
    Future<std::int64_t> sent = publish(c.publisher, "ps:news.world", std::string("binary\r\n\0payload", 16));
    co_await sent;
    Future<Message> next = c.subscriber.next_message();
    Message m = co_await next;
    CHECK(m.channel == "ps:news.world");
    CHECK(m.pattern == "ps:news.*");
    CHECK(m.payload == std::string("binary\r\n\0payload", 16));
    Future<void> left = c.subscriber.punsubscribe();
    co_await left;
    Future<std::int64_t> unheard = publish(c.publisher, "ps:news.world", "lost");
    std::int64_t receivers = co_await unheard;
    CHECK(receivers == 0);
  });
}

TEST_CASE("a RESP2 subscriber refuses commands but PING until it unsubscribes from everything", "[redis][server][pubsub]") {
  run_redis([&]() -> Future<void> {
    Future<Pair> connecting = connect_pair(shared_redis().url());
    Pair c = co_await connecting;
    Future<void> subscribed = c.subscriber.subscribe("ps:mode");
    co_await subscribed;
    Future<void> patterns = c.subscriber.psubscribe("ps:mode.*");
    co_await patterns;
    Future<eddy::redis::Reply> get = c.subscriber.command("GET", "k");
    CHECK(get.done());
    Future<std::exception_ptr> refused = failure_of(get);
    eddy_test::Failure f = describe(co_await refused);
    CHECK(f.kind == Error::Kind::usage);
    CHECK(f.what == "eddy: redis: GET is not allowed on a subscriber connection (RESP2): unsubscribe first, "
                    "use another connection, or connect with protocol=3");
    Future<Reply> ping = c.subscriber.command("PING");
    Reply pong = co_await ping;  // RESP2 subscribers get ["pong", ""]
    CHECK(pong.elements()[0].as_string() == "pong");
    Future<void> all = c.subscriber.unsubscribe();  // channels and patterns
    co_await all;
    Future<Reply> works = c.subscriber.command("ECHO", "back");
    Reply echoed = co_await works;
    CHECK(echoed.as_string() == "back");
    Future<void> none = c.subscriber.unsubscribe();  // nothing left: one confirmation
    co_await none;
  });
}

TEST_CASE("with RESP3, commands work while subscribed and messages are pushes", "[redis][server][pubsub]") {
  run_redis([&]() -> Future<void> {
    Future<Pair> connecting = connect_pair(shared_redis().url("", "?protocol=3"));
    Pair c = co_await connecting;
    CHECK(c.subscriber.protocol() == 3);
    Future<void> subscribed = c.subscriber.subscribe("ps:r3");
    Future<Reply> set = c.subscriber.command("SET", "ps:r3:key", "during");
    co_await subscribed;
    Future<std::int64_t> sent = publish(c.publisher, "ps:r3", "pushed");
    co_await sent;
    Future<Reply> get = c.subscriber.command("GET", "ps:r3:key");
    Reply set_reply = co_await set;
    CHECK(set_reply.as_string() == "OK");
    Reply value = co_await get;
    CHECK(value.as_string() == "during");
    Future<Message> next = c.subscriber.next_message();
    Message m = co_await next;
    CHECK(m.channel == "ps:r3");
    CHECK(m.payload == "pushed");
    Future<void> left = c.subscriber.unsubscribe();
    co_await left;
  });
}

TEST_CASE("past max_queued_messages the socket is not read until a message is taken", "[redis][server][pubsub]") {
  run_redis([&]() -> Future<void> {
    ClientOptions options;
    options.max_queued_messages = 4;
    Future<Pair> connecting = connect_pair(shared_redis().url(), options);
    Pair c = co_await connecting;
    Future<void> subscribed = c.subscriber.subscribe("ps:flood");
    co_await subscribed;
    for (int i = 0; i < 50; ++i) {
      Future<std::int64_t> sent = publish(c.publisher, "ps:flood", std::to_string(i));
      co_await sent;
    }
    Future<void> settle = eddy::sleep(100ms);
    co_await settle;
    CHECK(c.subscriber.queued_messages() == 4);
    for (int i = 0; i < 50; ++i) {
      Future<Message> next = c.subscriber.next_message();
      Message m = co_await next;
      CHECK(m.payload == std::to_string(i));
      CHECK(c.subscriber.queued_messages() <= 4);
    }
  });
}

TEST_CASE("a next_message abandoned by with_timeout is taken over by the next call", "[redis][server][pubsub]") {
  run_redis([&]() -> Future<void> {
    Future<Pair> connecting = connect_pair(shared_redis().url());
    Pair c = co_await connecting;
    Future<void> subscribed = c.subscriber.subscribe("ps:patient");
    co_await subscribed;
    Future<std::exception_ptr> gave_up = failure_of(eddy::with_timeout(30ms, c.subscriber.next_message()));
    eddy_test::Failure f = describe(co_await gave_up);
    CHECK(f.is_timeout);
    Future<Message> next = c.subscriber.next_message();
    Future<std::int64_t> sent = publish(c.publisher, "ps:patient", "kept");
    co_await sent;
    Message m = co_await next;
    CHECK(m.payload == "kept");
  });
}

TEST_CASE("next_message(timeout) stops waiting, and the next message stays queued", "[redis][server][pubsub]") {
  run_redis([&]() -> Future<void> {
    Future<Pair> connecting = connect_pair(shared_redis().url());
    Pair c = co_await connecting;
    Future<void> subscribed = c.subscriber.subscribe("ps:timed");
    co_await subscribed;
    Future<std::exception_ptr> gave_up = failure_of(c.subscriber.next_message(30ms));
    eddy_test::Failure f = describe(co_await gave_up);
    CHECK(f.is_timeout);
    CHECK(f.what.find("next_message: no message within") != std::string::npos);
    Future<std::int64_t> sent = publish(c.publisher, "ps:timed", "queued");
    co_await sent;
    Future<void> settle = eddy::sleep(50ms);
    co_await settle;
    CHECK(c.subscriber.queued_messages() == 1);
    Future<Message> next = c.subscriber.next_message(10s);
    Message m = co_await next;
    CHECK(m.payload == "queued");
  });
}

TEST_CASE("close() fails a pending next_message, and queued messages can still be taken", "[redis][server][pubsub]") {
  run_redis([&]() -> Future<void> {
    Future<Pair> connecting = connect_pair(shared_redis().url());
    Pair c = co_await connecting;
    Future<void> subscribed = c.subscriber.subscribe("ps:closing");
    co_await subscribed;
    Future<Message> waiting = c.subscriber.next_message();
    Future<std::exception_ptr> failed = failure_of(waiting);
    c.subscriber.close();
    eddy_test::Failure f = describe(co_await failed);
    CHECK(f.kind == Error::Kind::connection);
    Future<std::exception_ptr> after = failure_of(c.subscriber.next_message());
    eddy_test::Failure g = describe(co_await after);
    CHECK(g.kind == Error::Kind::connection);

    // Messages that were queued when the connection closed are not lost.
    Future<Client> again = Client::connect(shared_redis().url());
    Client subscriber = co_await again;
    Future<void> resubscribed = subscriber.subscribe("ps:closing");
    co_await resubscribed;
    for (const char* payload : {"one", "two"}) {
      Future<std::int64_t> sent = publish(c.publisher, "ps:closing", payload);
      co_await sent;
    }
    Future<void> settle = eddy::sleep(100ms);
    co_await settle;
    CHECK(subscriber.queued_messages() == 2);
    subscriber.close();
    Future<Message> first = subscriber.next_message();
    Message one = co_await first;
    CHECK(one.payload == "one");
    Future<Message> second = subscriber.next_message();
    Message two = co_await second;
    CHECK(two.payload == "two");
    Future<std::exception_ptr> drained = failure_of(subscriber.next_message());
    eddy_test::Failure h = describe(co_await drained);
    CHECK(h.kind == Error::Kind::connection);
  });
}
