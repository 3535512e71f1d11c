// Reply and Error as values, and commands as they go on the wire: accessors
// and their errors, sharing on copy, and argument encoding.
#include <eddy/redis.hpp>

#include <array>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using eddy::redis::Error;
using eddy::redis::Reply;
using Type = eddy::redis::Reply::Type;
using namespace eddy::detail::redis;

namespace {

template <class... Args>
std::string wire(const Args&... args) {
  OutputBuffer out;
  append_command(out, args...);
  return std::string(out.view());
}

}  // namespace

TEST_CASE("an accessor of the wrong type throws Error naming both types", "[redis][reply]") {
  Reply text = Reply::make_string(Type::bulk_string, "abc");
  try {
    (void)text.as_integer();
    FAIL("as_integer on a bulk string did not throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "eddy: redis: Reply::as_integer on a bulk_string reply");
    CHECK(e.kind() == Error::Kind::usage);
  }
  CHECK_THROWS_AS(Reply().as_string(), Error);
  CHECK_THROWS_AS(Reply::make_integer(1).elements(), Error);
  CHECK_THROWS_AS(Reply::make_integer(1).as_boolean(), Error);
  CHECK_THROWS_AS(text.as_double(), Error);
  CHECK_THROWS_AS(text.verbatim_format(), Error);
  CHECK(Reply::make_integer(7).as_double() == 7.0);
  Reply error = Reply::make_string(Type::error, "ERR no such key");
  CHECK(error.is_error());
  CHECK(error.as_string() == "ERR no such key");
  CHECK_THROWS_WITH(error.as_integer(), Catch::Contains("ERR no such key"));
}

TEST_CASE("an Error from a reply carries the server's code", "[redis][reply]") {
  Error e("WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(e.kind() == Error::Kind::reply);
  CHECK(e.code() == "WRONGTYPE");
  CHECK(Error("ERR").code() == "ERR");
  CHECK(Error("not a code").code().empty());
  CHECK(Error("x", Error::Kind::connection).code().empty());
  std::runtime_error& base = e;  // catchable as std::runtime_error
  CHECK(std::string(base.what()).rfind("WRONGTYPE", 0) == 0);
}

TEST_CASE("strings up to 24 bytes live in the reply, longer ones are shared by copies", "[redis][reply]") {
  CHECK(sizeof(Reply) == 32);
  Reply small = Reply::make_string(Type::bulk_string, std::string(24, 'x'));
  Reply copy = small;
  CHECK(copy.as_string().data() != small.as_string().data());
  Reply large = Reply::make_string(Type::bulk_string, std::string(1 << 20, 'y'));
  Reply shared = large;
  CHECK(shared.as_string().data() == large.as_string().data());  // nothing copied
  Reply moved = std::move(large);
  CHECK(large.is_nil());  // NOLINT: a moved-from reply is nil
  CHECK(moved.as_string().size() == std::size_t(1) << 20);
  large = moved;
  CHECK(large == shared);
}

TEST_CASE("copies of one reply may be made and dropped on several threads", "[redis][reply]") {
  Reply array = Reply::make_aggregate(Type::array, {Reply::make_string(Type::bulk_string, std::string(100, 'z'))});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&array] {
      for (int i = 0; i < 1000; ++i) {
        Reply copy = array;
        if (copy.elements()[0].as_string().size() != 100) std::abort();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(array.elements().size() == 1);
}

TEST_CASE("replies compare deeply", "[redis][reply]") {
  auto map = [](int v) {
    return Reply::make_aggregate(Type::map, {Reply::make_string(Type::simple_string, "k"), Reply::make_integer(v)});
  };
  CHECK(map(1) == map(1));
  CHECK(map(1) != map(2));
  CHECK(Reply::make_string(Type::simple_string, "a") != Reply::make_string(Type::bulk_string, "a"));
  CHECK(Reply::make_double(std::numeric_limits<double>::quiet_NaN()) ==
        Reply::make_double(std::numeric_limits<double>::quiet_NaN()));
  CHECK(Reply::make_big_number("12") != Reply::make_string(Type::simple_string, "12"));
  CHECK_THROWS_AS(Reply::make_big_number("12x"), std::invalid_argument);
  CHECK_THROWS_AS(Reply::make_aggregate(Type::map, {Reply()}), std::invalid_argument);
}

TEST_CASE("command arguments go as bulk strings: strings, numbers, ranges", "[redis][resp]") {
  CHECK(wire("SET", "k", 42) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n42\r\n");
  CHECK(wire(std::string("GET"), std::string_view("key")) == "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
  CHECK(wire("INCRBYFLOAT", "f", 0.1) == "*3\r\n$11\r\nINCRBYFLOAT\r\n$1\r\nf\r\n$3\r\n0.1\r\n");
  CHECK(wire("X", -9223372036854775807LL - 1, 18446744073709551615ULL) ==
        "*3\r\n$1\r\nX\r\n$20\r\n-9223372036854775808\r\n$20\r\n18446744073709551615\r\n");
  std::vector<std::string> keys{"a", "b"};
  CHECK(wire("DEL", keys) == "*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n");
  std::array<int, 2> numbers{1, 2};
  CHECK(wire("RPUSH", "l", numbers) == "*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\n1\r\n$1\r\n2\r\n");
  CHECK(wire("SET", "k", std::string("a\0b", 3)) == std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", 29));
  CHECK(wire("PING", std::vector<std::string>{}) == "*1\r\n$4\r\nPING\r\n");
  static_assert(!Argument<bool>, "bool is refused");
  static_assert(!Argument<char>, "a single char is refused");
}

TEST_CASE("command names are classified without regard to case", "[redis][resp]") {
  CHECK(classify("ping") == CommandClass::subscriber);
  CHECK(classify("QuIt") == CommandClass::subscriber);
  CHECK(classify("hello") == CommandClass::hello);
  CHECK(classify("psubscribe") == CommandClass::pubsub);
  CHECK(classify("SUNSUBSCRIBE") == CommandClass::pubsub);
  CHECK(classify("monitor") == CommandClass::refused);
  CHECK(classify("reset") == CommandClass::refused);
  CHECK(classify("client", "reply") == CommandClass::refused);
  CHECK(classify("client", "setname") == CommandClass::ordinary);
  CHECK(classify("get") == CommandClass::ordinary);
  CHECK(classify_arguments(std::vector<std::string>{"CLIENT", "REPLY", "OFF"}) == CommandClass::refused);
}
