// The PostgreSQL driver's values without a server: parameters as libpq gets
// them, connection errors parsed from libpq's text, an empty Result,
// connection strings.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <eddy/postgres.hpp>

using eddy::detail::postgres::Statement;
namespace pgd = eddy::detail::postgres;

TEST_CASE("parameters become text with the types the server is told", "[postgres][params]") {
  std::string s = "text";
  std::string_view sv = "view";
  std::optional<int> some = 7, none;
  Statement st("SELECT", s, sv, "literal", 42, -5LL, std::uint64_t(18446744073709551615ULL), 2.5, true, false,
               std::nullopt, some, none);
  REQUIRE(st.size() == 12);
  std::vector<std::string> values;
  for (std::size_t i = 0; i < st.size(); ++i) values.push_back(st.value(i) ? st.value(i) : "NULL");
  CHECK(values == std::vector<std::string>{"text", "view", "literal", "42", "-5", "18446744073709551615", "2.5",
                                           "true", "false", "NULL", "7", "NULL"});
  CHECK(st.slot(0).type == pgd::oid_unknown);
  CHECK(st.slot(3).type == pgd::oid_int4);  // an int
  CHECK(st.slot(4).type == pgd::oid_int8);  // a long long
  CHECK(st.slot(5).type == pgd::oid_numeric);  // past INT64_MAX
  CHECK(st.slot(6).type == pgd::oid_float8);
  CHECK(st.slot(7).type == pgd::oid_bool);
}

TEST_CASE("an integer's type is the smallest that holds every value of its C++ type, whatever the value",
          "[postgres][params]") {
  Statement st("SELECT", static_cast<signed char>(-1), static_cast<unsigned char>(255), static_cast<short>(-32768),
               static_cast<unsigned short>(65535), 7, 4294967295U, std::int64_t(1), std::uint64_t(1),
               std::uint64_t(9223372036854775807ULL), std::uint64_t(9223372036854775808ULL), 0LL, std::size_t(3));
  std::vector<Oid> types;
  for (std::size_t i = 0; i < st.size(); ++i) types.push_back(st.slot(i).type);
  CHECK(types == std::vector<Oid>{pgd::oid_int2, pgd::oid_int2, pgd::oid_int2, pgd::oid_int4, pgd::oid_int4,
                                  pgd::oid_int8, pgd::oid_int8, pgd::oid_int8, pgd::oid_int8, pgd::oid_numeric,
                                  pgd::oid_int8, pgd::oid_int8});
  CHECK(std::string(st.value(1)) == "255");
  CHECK(std::string(st.value(9)) == "9223372036854775808");
}

TEST_CASE("doubles go out exactly, with PostgreSQL's names for NaN and the infinities", "[postgres][params]") {
  Statement st("SELECT", 0.1, 1e300, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
               -std::numeric_limits<double>::infinity(), std::numeric_limits<std::int64_t>::min());
  CHECK(std::string(st.value(0)) == "0.1");
  CHECK(std::string(st.value(1)) == "1e+300");
  CHECK(std::string(st.value(2)) == "NaN");
  CHECK(std::string(st.value(3)) == "Infinity");
  CHECK(std::string(st.value(4)) == "-Infinity");
  CHECK(std::string(st.value(5)) == "-9223372036854775808");
}

TEST_CASE("a NUL byte in the SQL or a text parameter is refused with invalid_argument", "[postgres][params]") {
  CHECK_THROWS_AS(Statement(std::string("SELECT 1\0", 9)), std::invalid_argument);
  CHECK_THROWS_WITH(Statement("SELECT $1", std::string("a\0b", 3)), Catch::Contains("$1 holds a NUL byte"));
}

TEST_CASE("a failed connection's text gives the server's SQLSTATE, or class 08", "[postgres][errors]") {
  pgd::Error bad = pgd::connection_error(
      "connection to server on socket \"/tmp/x/.s.PGSQL.5432\" failed: FATAL:  28P01: password authentication failed "
      "for user \"u\"\nLOCATION:  auth_failed, auth.c:334\n");
  CHECK(bad.sqlstate() == "28P01");
  CHECK(std::string(bad.what()) ==
        "eddy: postgres: connection to server on socket \"/tmp/x/.s.PGSQL.5432\" failed: FATAL:  password "
        "authentication failed for user \"u\"");
  pgd::Error refused = pgd::connection_error(
      "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host "
      "and accepting TCP/IP connections?\n");
  CHECK(refused.sqlstate() == "08001");
  CHECK_THAT(refused.what(), Catch::Contains("Connection refused Is the server running"));
}

TEST_CASE("an empty Result has no rows and refuses indexes past its end", "[postgres][result]") {
  eddy::postgres::Result r;
  CHECK(r.size() == 0);
  CHECK(r.columns() == 0);
  CHECK(r.affected_rows() == 0);
  CHECK(r.command().empty());
  CHECK_THROWS_AS(r.get(0, 0), std::out_of_range);
  CHECK_THROWS_AS(r.column_name(0), std::out_of_range);
  CHECK_FALSE(r.column_index("x"));
}

TEST_CASE("connection strings: host names to resolve are found, sockets and addresses are not", "[postgres][conninfo]") {
  pgd::ConnInfo uri = pgd::parse_conninfo("postgresql://user@db.example:5433,127.0.0.1:5432/app");
  CHECK(uri.hosts == std::vector<std::string>{"db.example", "127.0.0.1"});
  CHECK(pgd::any_to_resolve(uri));
  pgd::ConnInfo socket_uri = pgd::parse_conninfo("postgresql:///app?host=/run/postgresql");
  CHECK(socket_uri.hosts == std::vector<std::string>{"/run/postgresql"});
  CHECK_FALSE(pgd::any_to_resolve(socket_uri));
  pgd::ConnInfo given = pgd::parse_conninfo("host=db.example hostaddr=10.0.0.1");
  CHECK_FALSE(pgd::any_to_resolve(given));
  pgd::ConnInfo local = pgd::parse_conninfo("host=/tmp port=5432");
  CHECK_FALSE(pgd::any_to_resolve(local));
  CHECK_THROWS_AS(pgd::parse_conninfo("host='unterminated"), std::invalid_argument);
  std::vector<std::string> addresses = pgd::resolve_hosts({"localhost", "/tmp", "::1"});
  CHECK((addresses[0] == "127.0.0.1" || addresses[0] == "::1"));
  CHECK(addresses[1].empty());
  CHECK(addresses[2] == "::1");
}

TEST_CASE("a default Connection is closed and fails its calls with 08003", "[postgres][errors]") {
  eddy::IOLoop loop;
  eddy::postgres::Connection conn;
  CHECK(conn.closed());
  eddy::Future<eddy::postgres::Result> q = conn.query("SELECT 1");
  REQUIRE(q.done());
  try {
    q.result();
    FAIL("no error");
  } catch (const eddy::postgres::Error& e) {
    CHECK(e.sqlstate() == "08003");
  }
  conn.close();  // harmless
}
