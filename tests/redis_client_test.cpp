// The Redis client against a real redis-server: commands over TCP and a Unix
// socket, large values, many concurrent coroutines on one connection,
// pipelines, error replies, timeouts, authentication, databases and the
// connection's lifetime. (See support/redis_loop.hpp for why every future is
// bound to a local before co_await.)
#include <eddy/gen.hpp>
#include <eddy/redis.hpp>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/redis_loop.hpp"

using eddy::Future;
using eddy::redis::Client;
using eddy::redis::Error;
using eddy::redis::Reply;
using Type = eddy::redis::Reply::Type;
using namespace std::chrono_literals;
using eddy_test::describe;
using eddy_test::failure_of;
using eddy_test::run_redis;
using eddy_test::shared_redis;
using eddy_test::shared_redis_auth;

namespace {

Future<Client> connect(const std::string& url) { return Client::connect(url, 20s); }

// SET key value, then GET it back.
Future<std::string> set_and_get(Client client, std::string key, std::string value) {
  Future<Reply> set = client.command("SET", key, value);
  Reply ok = co_await set;
  REQUIRE(ok.as_string() == "OK");
  Future<Reply> get = client.command("GET", key);
  Reply got = co_await get;
  co_return std::string(got.as_string());
}

// How a future that must fail failed.
Future<eddy_test::Failure> failure(Future<std::exception_ptr> outcome) {
  std::exception_ptr error = co_await outcome;
  co_return describe(error);
}
template <class T>
Future<eddy_test::Failure> failure(Future<T> future) {
  return failure(failure_of(std::move(future)));
}

}  // namespace

TEST_CASE("commands round-trip over TCP and over a Unix socket", "[redis][server]") {
  for (const std::string& url : {shared_redis().url(), shared_redis().unix_url()}) {
    run_redis([&]() -> Future<void> {
      Future<Client> connecting = connect(url);
      Client client = co_await connecting;
      CHECK_FALSE(client.closed());
      CHECK(client.protocol() == 2);
      std::string value = "value over " + url;
      Future<std::string> roundtrip = set_and_get(client, "client:rt", value);
      std::string back = co_await roundtrip;
      CHECK(back == value);
      Future<Reply> missing = client.command("GET", "client:missing");
      Reply nil = co_await missing;
      CHECK(nil.is_nil());
      Future<Reply> del = client.command("DEL", "client:counter");
      co_await del;
      Future<Reply> incr = client.command("INCRBY", "client:counter", 42);
      Reply counter = co_await incr;
      CHECK(counter.as_integer() == 42);
      std::vector<std::string> keys{"client:rt", "client:counter"};
      Future<Reply> del_both = client.command("DEL", keys);
      Reply deleted = co_await del_both;
      CHECK(deleted.as_integer() == 2);
    });
  }
}

TEST_CASE("1 MiB values go out and come back whole", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    std::string big(1 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7919) % 26);
    Future<std::string> roundtrip = set_and_get(client, "client:big", big);
    std::string back = co_await roundtrip;
    CHECK(back == big);
    // Four at once in a pipeline: 4 MiB each way.
    std::vector<std::vector<std::string>> batch;
    for (int i = 0; i < 4; ++i) batch.push_back({"GET", "client:big"});
    Future<std::vector<Reply>> piped = client.pipeline(batch);
    std::vector<Reply> replies = co_await piped;
    REQUIRE(replies.size() == 4);
    for (const Reply& r : replies) CHECK(r.as_string() == big);
  });
}

TEST_CASE("1,000 concurrent commands from 100 coroutines each get their own reply", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    auto worker = [](Client c, int id) -> Future<int> {
      int matched = 0;
      for (int i = 0; i < 5; ++i) {
        std::string key = "client:c:" + std::to_string(id);
        std::string value = std::to_string(id) + ":" + std::to_string(i);
        Future<std::string> roundtrip = set_and_get(c, key, value);
        std::string back = co_await roundtrip;
        if (back == value) ++matched;
      }
      co_return matched;
    };
    std::vector<Future<int>> workers;
    for (int id = 0; id < 100; ++id) workers.push_back(worker(client, id));
    Future<std::vector<int>> all = eddy::multi(workers);
    std::vector<int> matched = co_await all;
    int total = 0;
    for (int m : matched) total += m;
    CHECK(total == 500);  // 500 SET/GET pairs: 1,000 commands, every reply to its caller
    CHECK(client.pending_replies() == 0);
  });
}

TEST_CASE("commands issued in one loop iteration go out in one write", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    std::uint64_t before = client.write_count();
    std::vector<Future<Reply>> replies;
    for (int i = 0; i < 100; ++i) replies.push_back(client.command("INCR", "client:batched"));
    Future<std::vector<Reply>> all = eddy::multi(replies);
    std::vector<Reply> values = co_await all;
    CHECK(client.write_count() == before + 1);
    for (std::size_t i = 1; i < values.size(); ++i) CHECK(values[i].as_integer() == values[i - 1].as_integer() + 1);
  });
}

TEST_CASE("a pipeline is one batch, and an error reply in it is an entry while the rest still run", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    std::uint64_t before = client.write_count();
    std::vector<std::vector<std::string>> batch{
        {"SET", "client:p", "text"}, {"INCR", "client:p"}, {"NOSUCHCOMMAND"}, {"GET", "client:p"}};
    Future<std::vector<Reply>> piped = client.pipeline(batch);
    std::vector<Reply> replies = co_await piped;
    CHECK(client.write_count() == before + 1);
    REQUIRE(replies.size() == 4);
    CHECK(replies[0].as_string() == "OK");
    CHECK(replies[1].is_error());
    CHECK(replies[1].as_string().rfind("ERR value is not an integer", 0) == 0);
    CHECK(replies[2].is_error());
    CHECK(replies[3].as_string() == "text");
    Future<std::vector<Reply>> empty = client.pipeline({});
    std::vector<Reply> none = co_await empty;
    CHECK(none.empty());
    std::vector<std::vector<std::string>> with_empty{{"GET", "k"}, {}};
    Future<eddy_test::Failure> bad = failure(client.pipeline(with_empty));
    eddy_test::Failure f = co_await bad;
    CHECK(f.kind == Error::Kind::usage);
  });
}

TEST_CASE("an error reply fails only its own command", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    Future<Reply> setup = client.command("SET", "client:str", "x");
    co_await setup;
    Future<Reply> before = client.command("GET", "client:str");
    Future<eddy_test::Failure> wrong = failure(client.command("LPUSH", "client:str", "y"));
    Future<Reply> after = client.command("GET", "client:str");
    Reply first = co_await before;
    CHECK(first.as_string() == "x");
    eddy_test::Failure f = co_await wrong;
    CHECK(f.is_redis_error);
    CHECK(f.kind == Error::Kind::reply);
    CHECK(f.what.rfind("WRONGTYPE", 0) == 0);
    Reply last = co_await after;
    CHECK(last.as_string() == "x");
    std::string code;
    try {
      Future<Reply> again = client.command("LPUSH", "client:str", "y");
      co_await again;
    } catch (const Error& e) {
      code = e.code();
    }
    CHECK(code == "WRONGTYPE");
  });
}

TEST_CASE("with_timeout on a command gives TimeoutError and later replies still match", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    Future<Reply> set = client.command("SET", "client:after", "later");
    co_await set;
    // DEBUG SLEEP holds the server for 0.3 s; the caller gives up after 50 ms.
    // The command was sent: its slot stays and its +OK is dropped.
    Future<Reply> slow = client.command("DEBUG", "SLEEP", "0.3");
    Future<eddy_test::Failure> impatient = failure(eddy::with_timeout(50ms, slow));
    eddy_test::Failure f = co_await impatient;
    CHECK(f.is_timeout);
    Future<Reply> next = client.command("GET", "client:after");
    Reply later = co_await next;
    CHECK(later.as_string() == "later");  // not DEBUG's OK
    REQUIRE(slow.done());
    Future<eddy_test::Failure> abandoned = failure(slow);
    eddy_test::Failure g = co_await abandoned;
    CHECK(g.is_cancelled);
    CHECK_FALSE(client.closed());
  });
}

TEST_CASE("AUTH happens at connect: a password, an ACL user, a wrong one", "[redis][server]") {
  eddy_test::RedisServer& server = shared_redis_auth();
  run_redis([&]() -> Future<void> {
    Future<Client> with_password = connect(server.url(":secret"));
    Client a = co_await with_password;
    Future<Reply> who = a.command("ACL", "WHOAMI");
    Reply default_user = co_await who;
    CHECK(default_user.as_string() == "default");
    Future<Client> as_alice = connect(server.unix_url("alice:wonderland"));
    Client b = co_await as_alice;
    Future<Reply> whoami = b.command("ACL", "WHOAMI");
    Reply alice = co_await whoami;
    CHECK(alice.as_string() == "alice");
    Future<Client> resp3 = connect(server.url("alice:wonderland", "?protocol=3"));
    Client c = co_await resp3;
    CHECK(c.protocol() == 3);

    Future<eddy_test::Failure> wrong = failure(connect(server.url(":nope")));
    eddy_test::Failure f = co_await wrong;
    CHECK(f.kind == Error::Kind::reply);
    CHECK(f.what.find("WRONGPASS") != std::string::npos);
    CHECK(f.what.find("nope") == std::string::npos);  // the password is masked
    Future<Client> anonymous = connect(server.url());
    Client d = co_await anonymous;  // no AUTH asked for: the first command says so
    std::string code;
    try {
      Future<Reply> refused = d.command("GET", "k");
      co_await refused;
    } catch (const Error& e) {
      code = e.code();
    }
    CHECK(code == "NOAUTH");
  });
}

TEST_CASE("the URL's database and client name are set at connect", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> in_two = connect(shared_redis().url("", "/2?name=eddy-test"));
    Client two = co_await in_two;
    Future<Reply> set = two.command("SET", "client:db", "in two");
    co_await set;
    Future<Reply> getname = two.command("CLIENT", "GETNAME");
    Reply name = co_await getname;
    CHECK(name.as_string() == "eddy-test");
    Future<Client> in_zero = connect(shared_redis().url());
    Client zero = co_await in_zero;
    Future<Reply> get_zero = zero.command("GET", "client:db");
    Reply absent = co_await get_zero;
    CHECK(absent.is_nil());
    Future<Client> unix_two = connect(shared_redis().unix_url("", "?db=2"));
    Client other = co_await unix_two;
    Future<Reply> get_two = other.command("GET", "client:db");
    Reply present = co_await get_two;
    CHECK(present.as_string() == "in two");
  });
}

TEST_CASE("close() fails pending commands, and later calls fail at once", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    Future<eddy_test::Failure> blocked = failure(client.command("BLPOP", "client:never", "5"));
    Future<eddy_test::Failure> queued = failure(client.command("PING"));
    client.close();
    CHECK(client.closed());
    eddy_test::Failure f = co_await blocked;
    CHECK(f.kind == Error::Kind::connection);
    CHECK(f.what == "eddy: redis: the connection was closed");
    eddy_test::Failure g = co_await queued;
    CHECK(g.kind == Error::Kind::connection);
    Future<Reply> late_command = client.command("PING");
    CHECK(late_command.done());
    Future<eddy_test::Failure> late = failure(late_command);
    eddy_test::Failure h = co_await late;
    CHECK(h.kind == Error::Kind::connection);
    client.close();  // a no-op
  });
}

TEST_CASE("the last handle closes the connection once its replies have arrived", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Future<Reply> pending = eddy::make_ready_future(Reply());
    {
      Client client = co_await connecting;
      Client copy = client;
      pending = copy.command("ECHO", "still answered");
    }
    Reply echoed = co_await pending;
    CHECK(echoed.as_string() == "still answered");
    Client none;
    CHECK(none.closed());
    Future<eddy_test::Failure> refused = failure(none.command("PING"));
    eddy_test::Failure f = co_await refused;
    CHECK(f.kind == Error::Kind::usage);
  });
}

TEST_CASE("commands that break the reply order are refused with Error", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    for (const char* name : {"MONITOR", "subscribe", "PUNSUBSCRIBE", "RESET"}) {
      Future<eddy_test::Failure> refused = failure(client.command(name, "x"));
      eddy_test::Failure f = co_await refused;
      CHECK(f.kind == Error::Kind::usage);
      CHECK(f.what.find("eddy: redis: ") == 0);
    }
    Future<eddy_test::Failure> reply_off = failure(client.command("CLIENT", "REPLY", "OFF"));
    eddy_test::Failure f = co_await reply_off;
    CHECK(f.what.find("CLIENT is not supported") != std::string::npos);
    Future<Reply> ping = client.command("PING");
    Reply pong = co_await ping;
    CHECK(pong.as_string() == "PONG");
  });
}

TEST_CASE("HELLO 3 through command() switches the connection to RESP3", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = connect(shared_redis().url());
    Client client = co_await connecting;
    CHECK(client.protocol() == 2);
    Future<Reply> hello = client.command("HELLO", 3);
    Reply info = co_await hello;
    CHECK(info.type() == Type::map);
    CHECK(client.protocol() == 3);
    Future<Reply> hgetall = client.command("HGETALL", "client:nohash");
    Reply map = co_await hgetall;
    CHECK(map.type() == Type::map);
  });
}
