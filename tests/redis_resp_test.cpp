// The RESP parser and the framing scan, as pure functions over bytes: every
// RESP2 and RESP3 type, replies split at every byte, malformed input, and the
// limits at limit - 1, limit and limit + 1.
#include <eddy/detail/redis/resp_parser.hpp>
#include <eddy/detail/redis/resp_scan.hpp>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/alloc_counter.hpp"

using eddy::redis::Reply;
using Type = eddy::redis::Reply::Type;
using namespace eddy::detail::redis;

namespace {

Reply parse_ok(const std::string& in, const RespLimits& limits = {}) {
  Reply r;
  RespResult result = parse_reply(in, r, limits);
  INFO(in << " -> " << result.reason);
  REQUIRE(result.complete());
  CHECK(result.consumed == in.size());
  return r;
}

RespResult parse(const std::string& in, const RespLimits& limits = {}) {
  Reply r;
  return parse_reply(in, r, limits);
}

std::string error_of(const std::string& in, const RespLimits& limits = {}) {
  RespResult r = parse(in, limits);
  REQUIRE(r.error());
  ScanState state;
  RespResult scanned = scan_reply(in, state, limits);  // the scan refuses the same bytes
  CHECK(scanned.error());
  CHECK(std::string(scanned.reason) == r.reason);
  return r.reason;
}

std::string nested_arrays(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "*1\r\n";
  return s + ":1\r\n";
}

}  // namespace

TEST_CASE("RESP2 replies parse to their types", "[redis][resp]") {
  CHECK(parse_ok("+OK\r\n").as_string() == "OK");
  CHECK(parse_ok("+OK\r\n").type() == Type::simple_string);
  Reply err = parse_ok("-WRONGTYPE Operation against a key\r\n");
  CHECK(err.type() == Type::error);
  CHECK(err.as_string() == "WRONGTYPE Operation against a key");
  CHECK(parse_ok(":-42\r\n").as_integer() == -42);
  CHECK(parse_ok(":9223372036854775807\r\n").as_integer() == INT64_MAX);
  CHECK(parse_ok(":-9223372036854775808\r\n").as_integer() == INT64_MIN);
  CHECK(parse_ok("$5\r\nhello\r\n").as_string() == "hello");
  CHECK(parse_ok("$0\r\n\r\n").as_string().empty());
  CHECK(parse_ok("$4\r\na\r\nb\r\n").as_string() == "a\r\nb");  // binary safe
  CHECK(parse_ok("$-1\r\n").is_nil());
  CHECK(parse_ok("*-1\r\n").is_nil());
  CHECK(parse_ok("*0\r\n").elements().empty());
  Reply array = parse_ok("*3\r\n$1\r\na\r\n:2\r\n*2\r\n+x\r\n$-1\r\n");
  REQUIRE(array.elements().size() == 3);
  CHECK(array.elements()[0].as_string() == "a");
  CHECK(array.elements()[1].as_integer() == 2);
  CHECK(array.elements()[2].elements()[0].as_string() == "x");
  CHECK(array.elements()[2].elements()[1].is_nil());
}

TEST_CASE("RESP3 replies parse to their types", "[redis][resp]") {
  CHECK(parse_ok("_\r\n").is_nil());
  CHECK(parse_ok(",3.25\r\n").as_double() == 3.25);
  CHECK(parse_ok(",-1.5e3\r\n").as_double() == -1500.0);
  CHECK(parse_ok(",+7\r\n").as_double() == 7.0);
  CHECK(parse_ok(",inf\r\n").as_double() == HUGE_VAL);
  CHECK(parse_ok(",-inf\r\n").as_double() == -HUGE_VAL);
  double nan = parse_ok(",nan\r\n").as_double();
  CHECK(nan != nan);
  CHECK(parse_ok("#t\r\n").as_boolean());
  CHECK_FALSE(parse_ok("#f\r\n").as_boolean());
  Reply big = parse_ok("(3492890328409238509324850943850943825024385\r\n");
  CHECK(big.type() == Type::simple_string);
  CHECK(big.is_big_number());
  CHECK(big.as_string() == "3492890328409238509324850943850943825024385");
  CHECK(parse_ok("(-12\r\n").as_integer() == -12);
  CHECK_THROWS_AS(big.as_integer(), eddy::redis::Error);
  CHECK(big.as_double() > 3.4e42);
  Reply bulk_error = parse_ok("!21\r\nSYNTAX invalid syntax\r\n");
  CHECK(bulk_error.type() == Type::error);
  CHECK(bulk_error.as_string() == "SYNTAX invalid syntax");
  Reply verbatim = parse_ok("=15\r\ntxt:Some string\r\n");
  CHECK(verbatim.type() == Type::verbatim);
  CHECK(verbatim.as_string() == "Some string");
  CHECK(verbatim.verbatim_format() == "txt");
  Reply map = parse_ok("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n");
  CHECK(map.type() == Type::map);
  REQUIRE(map.elements().size() == 4);
  CHECK(map.elements()[2].as_string() == "second");
  CHECK(map.elements()[3].as_integer() == 2);
  CHECK(parse_ok("~2\r\n+a\r\n+b\r\n").type() == Type::set);
  Reply push = parse_ok(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  CHECK(push.type() == Type::push);
  CHECK(push.elements()[2].as_string() == "hi");
  CHECK(parse_ok("%0\r\n").type() == Type::map);
  CHECK(parse_ok("~0\r\n").elements().empty());
}

TEST_CASE("attributes are checked and dropped, at the top and inside aggregates", "[redis][resp]") {
  Reply r = parse_ok("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.19\r\n$1\r\nb\r\n,0.54\r\n*2\r\n:2039123\r\n:9543892\r\n");
  REQUIRE(r.type() == Type::array);
  CHECK(r.elements().size() == 2);
  CHECK(r.elements()[1].as_integer() == 9543892);
  Reply inner = parse_ok("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n");
  REQUIRE(inner.elements().size() == 2);
  CHECK(inner.elements()[1].as_integer() == 2);
  CHECK(parse_ok("|0\r\n+OK\r\n").as_string() == "OK");
  CHECK(parse("|1\r\n+a\r\n+b\r\n").incomplete());  // the annotated value has not come yet
}

TEST_CASE("a reply cut at any byte is incomplete, and the scan agrees with the parser", "[redis][resp]") {
  std::string wire = "*4\r\n$5\r\nhello\r\n%1\r\n+k\r\n,1.5\r\n|1\r\n+a\r\n+b\r\n=7\r\ntxt:abc\r\n:-7\r\n";
  Reply whole = parse_ok(wire);
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    std::string prefix = wire.substr(0, cut);
    RespResult r = parse(prefix);
    INFO("cut at " << cut);
    CHECK(r.incomplete());
    CHECK(r.needed > cut);
    CHECK(r.needed <= wire.size());
    ScanState fresh;
    RespResult s = scan_reply(prefix, fresh);
    CHECK(s.incomplete());
    CHECK(s.needed == r.needed);
    // Resumed: the scan of the prefix continues over the whole.
    RespResult resumed = scan_reply(wire, fresh);
    CHECK(resumed.complete());
    CHECK(resumed.consumed == wire.size());
  }
  ScanState state;
  std::string two = wire + "+next\r\n";
  CHECK(scan_reply(two, state).consumed == wire.size());
  Reply first;
  CHECK(parse_reply(two, first).consumed == wire.size());
  CHECK(first == whole);
}

TEST_CASE("malformed RESP is an error with a reason", "[redis][resp]") {
  CHECK(error_of("?x\r\n") == "unknown type byte");
  CHECK(error_of(":12a\r\n") == "malformed integer");
  CHECK(error_of(":\r\n") == "malformed integer");
  CHECK(error_of(":9223372036854775808\r\n") == "malformed integer");
  CHECK(error_of("+OK\nmore\r\n") == "LF without CR in a line");
  CHECK(error_of("+OK\rx\r\n") == "CR without LF in a line");
  CHECK(error_of("$-2\r\n") == "negative length");
  CHECK(error_of("*-2\r\n") == "negative count");
  CHECK(error_of("%-1\r\n") == "negative count");
  CHECK(error_of("$3\r\nabcd\r\n") == "string not followed by CRLF");
  CHECK(error_of("$?\r\n") == "streamed strings and aggregates are not supported");
  CHECK(error_of("*?\r\n") == "streamed strings and aggregates are not supported");
  CHECK(error_of("=3\r\ntxt\r\n") == "verbatim string without its format");
  CHECK(error_of("=5\r\ntxtab\r\n") == "verbatim string without its format");
  CHECK(error_of("#x\r\n") == "malformed boolean");
  CHECK(error_of("_x\r\n") == "malformed null");
  CHECK(error_of(",1.5x\r\n") == "malformed double");
  CHECK(error_of(",\r\n") == "malformed double");
  CHECK(error_of("(12a\r\n") == "malformed big number");
  CHECK(error_of("$1x\r\n") == "malformed length");
  CHECK(error_of("*123456789012345678901\r\n") == "line too long");
  CHECK(error_of("*2\r\n:1\r\n:2\n") == "LF without CR in a line");
}

TEST_CASE("nesting is bounded by max_depth at limit - 1, limit and limit + 1", "[redis][resp]") {
  RespLimits limits;
  limits.max_depth = 5;
  CHECK(parse_ok(nested_arrays(4), limits).type() == Type::array);
  CHECK(parse_ok(nested_arrays(5), limits).type() == Type::array);
  CHECK(error_of(nested_arrays(6), limits) == "nesting deeper than max_depth");
  // The default, and a hostile depth far past the stack's capacity.
  CHECK(parse_ok(nested_arrays(64)).type() == Type::array);
  CHECK(error_of(nested_arrays(65)) == "nesting deeper than max_depth");
  limits.max_depth = 100000;  // clamped to max_depth_cap
  CHECK(parse_ok(nested_arrays(static_cast<int>(max_depth_cap)), limits).type() == Type::array);
  CHECK(error_of(nested_arrays(100000), limits) == "nesting deeper than max_depth");
}

TEST_CASE("string length is bounded by max_bulk_length at limit - 1, limit and limit + 1", "[redis][resp]") {
  RespLimits limits;
  limits.max_bulk_length = 4;
  CHECK(parse_ok("$3\r\nabc\r\n", limits).as_string() == "abc");
  CHECK(parse_ok("$4\r\nabcd\r\n", limits).as_string() == "abcd");
  CHECK(error_of("$5\r\nabcde\r\n", limits) == "string longer than max_bulk_length");
  CHECK(error_of("$5\r\n", limits) == "string longer than max_bulk_length");  // refused before the bytes come
  CHECK(parse_ok("+abcd\r\n", limits).as_string() == "abcd");
  CHECK(error_of("+abcde\r\n", limits) == "line too long");
  CHECK(error_of("+abcde", limits) == "line too long");
  CHECK(parse("+abcd", limits).incomplete());
}

TEST_CASE("elements are bounded by max_elements over the whole reply", "[redis][resp]") {
  RespLimits limits;
  limits.max_elements = 4;
  CHECK(parse_ok("*3\r\n:1\r\n:2\r\n:3\r\n", limits).elements().size() == 3);
  CHECK(parse_ok("*2\r\n:1\r\n*2\r\n:2\r\n:3\r\n", limits).elements().size() == 2);  // 2 + 2
  CHECK(error_of("*2\r\n:1\r\n*3\r\n:2\r\n:3\r\n:4\r\n", limits) == "more elements than max_elements");
  CHECK(parse_ok("%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n", limits).elements().size() == 4);  // a map entry counts 2
  CHECK(error_of("%3\r\n", limits) == "more elements than max_elements");
}

TEST_CASE("reply size is bounded by max_reply_size at limit - 1, limit and limit + 1", "[redis][resp]") {
  RespLimits limits;
  limits.max_reply_size = 10;
  CHECK(parse_ok("$3\r\nabc\r\n", limits).as_string() == "abc");    // 9 bytes
  CHECK(parse_ok("$4\r\nabcd\r\n", limits).as_string() == "abcd");  // 10 bytes
  CHECK(error_of("$5\r\nabcde\r\n", limits) == "reply larger than max_reply_size");
  CHECK(error_of("*4\r\n", limits) == "reply larger than max_reply_size");  // needs at least 4 + 4 * 3
  CHECK(error_of("+abcdefghijk", limits) == "reply larger than max_reply_size");
}

TEST_CASE("a declared size allocates nothing before its bytes arrive", "[redis][resp]") {
  std::string declared = "*1000000\r\n$536870912\r\n";
  eddy_test::AllocationProbe probe;
  RespResult r = parse(declared);
  CHECK(r.incomplete());
  CHECK(r.needed >= 536870912u);
  // One element per 3 bytes present at most: here one.
  CHECK_ALLOCATIONS(probe, 1);
  std::string bulk_header = "$536870912\r\nabc";
  eddy_test::AllocationProbe bulk;
  CHECK(parse(bulk_header).incomplete());
  CHECK_ALLOCATIONS(bulk, 0);
}

TEST_CASE("a short bulk string parses without allocating", "[redis][resp]") {
  std::string wire = "$16\r\n0123456789abcdef\r\n";
  Reply r;
  eddy_test::AllocationProbe probe;
  RespResult result = parse_reply(wire, r);
  CHECK_ALLOCATIONS(probe, 0);
  CHECK(result.complete());
  CHECK(r.as_string() == "0123456789abcdef");
}
