// Every reply type as a real redis-server sends it: RESP2 on a plain
// connection, RESP3 after HELLO 3 (DEBUG PROTOCOL returns each RESP3 type,
// attributes and an out-of-band push included).
#include <eddy/redis.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/redis_loop.hpp"

using eddy::Future;
using eddy::redis::Client;
using eddy::redis::Message;
using eddy::redis::Reply;
using Type = eddy::redis::Reply::Type;
using namespace std::chrono_literals;
using eddy_test::run_redis;
using eddy_test::shared_redis;

namespace {

Future<Reply> debug_protocol(Client& client, const char* type) { return client.command("DEBUG", "PROTOCOL", type); }

}  // namespace

TEST_CASE("RESP2 replies from a server arrive as their types", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = Client::connect(shared_redis().url());
    Client client = co_await connecting;
    Future<Reply> f1 = client.command("SET", "types:s", "v");
    Reply simple = co_await f1;
    CHECK(simple.type() == Type::simple_string);
    Future<Reply> f2 = client.command("GET", "types:s");
    Reply bulk = co_await f2;
    CHECK(bulk.type() == Type::bulk_string);
    Future<Reply> f3 = client.command("GET", "types:none");
    Reply nil = co_await f3;
    CHECK(nil.type() == Type::nil);
    Future<Reply> f4 = client.command("STRLEN", "types:s");
    Reply integer = co_await f4;
    CHECK(integer.as_integer() == 1);
    Future<Reply> f5 = client.command("DEL", "types:list");
    co_await f5;
    Future<Reply> f6 = client.command("RPUSH", "types:list", "a", "b", "c");
    co_await f6;
    Future<Reply> f7 = client.command("LRANGE", "types:list", 0, -1);
    Reply array = co_await f7;
    REQUIRE(array.type() == Type::array);
    CHECK(array.elements().size() == 3);
    CHECK(array.elements()[2].as_string() == "c");
    Future<Reply> f8 = client.command("SCAN", 0, "MATCH", "types:list", "COUNT", 1000);
    Reply nested = co_await f8;  // [cursor, [keys]]
    REQUIRE(nested.elements().size() == 2);
    CHECK(nested.elements()[1].type() == Type::array);
    Future<Reply> f9 = client.command("BLPOP", "types:empty", "0.01");
    Reply nil_array = co_await f9;
    CHECK(nil_array.is_nil());
    Future<Reply> f10 = client.command("HGETALL", "types:nohash");
    Reply empty = co_await f10;
    CHECK(empty.type() == Type::array);  // RESP2 has no maps
    Future<Reply> f11 = client.command("DEBUG", "PROTOCOL", "double");
    Reply double_as_bulk = co_await f11;
    CHECK(double_as_bulk.type() == Type::bulk_string);  // RESP2 sends doubles as strings
  });
}

TEST_CASE("RESP3 replies from a server arrive as their types after HELLO 3", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = Client::connect(shared_redis().url("", "?protocol=3"));
    Client client = co_await connecting;
    CHECK(client.protocol() == 3);
    Future<Reply> f1 = debug_protocol(client, "string");
    Reply s = co_await f1;
    CHECK(s.type() == Type::bulk_string);
    CHECK(s.as_string() == "Hello World");
    Future<Reply> f2 = debug_protocol(client, "integer");
    Reply i = co_await f2;
    CHECK(i.as_integer() == 12345);
    Future<Reply> f3 = debug_protocol(client, "double");
    Reply d = co_await f3;
    CHECK(d.type() == Type::double_);
    CHECK(std::fabs(d.as_double() - 3.141) < 1e-12);
    Future<Reply> f4 = debug_protocol(client, "bignum");
    Reply big = co_await f4;
    CHECK(big.is_big_number());
    CHECK(big.as_string() == "1234567999999999999999999999999999999");
    Future<Reply> f5 = debug_protocol(client, "null");
    Reply null = co_await f5;
    CHECK(null.is_nil());
    Future<Reply> f6 = debug_protocol(client, "array");
    Reply array = co_await f6;
    CHECK(array.type() == Type::array);
    CHECK(array.elements().size() == 3);
    Future<Reply> f7 = debug_protocol(client, "set");
    Reply set = co_await f7;
    CHECK(set.type() == Type::set);
    Future<Reply> f8 = debug_protocol(client, "map");
    Reply map = co_await f8;
    REQUIRE(map.type() == Type::map);
    REQUIRE(map.elements().size() == 6);
    CHECK(map.elements()[3].as_boolean());
    Future<Reply> f9 = debug_protocol(client, "verbatim");
    Reply verbatim = co_await f9;
    CHECK(verbatim.type() == Type::verbatim);
    CHECK(verbatim.as_string() == "This is a verbatim\nstring");
    CHECK(verbatim.verbatim_format() == "txt");
    Future<Reply> f10 = debug_protocol(client, "true");
    Reply yes = co_await f10;
    CHECK(yes.as_boolean());
    Future<Reply> f11 = debug_protocol(client, "false");
    Reply no = co_await f11;
    CHECK_FALSE(no.as_boolean());
    Future<Reply> f12 = debug_protocol(client, "attrib");
    Reply annotated = co_await f12;  // the attribute is dropped
    CHECK(annotated.as_string() == "Some real reply following the attribute");
  });
}

TEST_CASE("an out-of-band push reaches next_message and the reply after it its command", "[redis][server]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = Client::connect(shared_redis().url("", "?protocol=3"));
    Client client = co_await connecting;
    Future<Reply> f = debug_protocol(client, "push");
    Reply reply = co_await f;
    CHECK(reply.as_string() == "Some real reply following the push reply");
    Future<Message> next = client.next_message();
    Message push = co_await next;
    CHECK(push.channel == "server-cpu-usage");
    CHECK(push.payload == "42");
    CHECK(push.pattern.empty());
  });
}
