// Queries on one connection: every parameter type, NULLs, large results, the
// Result API, and errors coming back with the right SQLSTATE.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "support/postgres_helpers.hpp"

using namespace eddy_test;

TEST_CASE("every parameter type reaches the server as its value", "[postgres][server][query]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  std::string s = "it's \"quoted\" ünïcode";
  std::string_view sv = "a view";
  pg::Result r = run_query(loop, conn,
                           "SELECT $1::text, $2::text, $3::text, $4::int, $5::bigint, $6::numeric, $7::float8, "
                           "$8::bool, $9::bool, $10::int2, $11::float8",
                           s, sv, "a literal", 42, std::int64_t(-9223372036854775807LL - 1),
                           std::uint64_t(18446744073709551615ULL), 0.1, true, false, static_cast<short>(-7), 1e-300);
  REQUIRE(r.size() == 1);
  CHECK(text(r, 0, 0) == s);
  CHECK(text(r, 0, 1) == "a view");
  CHECK(text(r, 0, 2) == "a literal");
  CHECK(text(r, 0, 3) == "42");
  CHECK(text(r, 0, 4) == "-9223372036854775808");
  CHECK(text(r, 0, 5) == "18446744073709551615");
  CHECK(text(r, 0, 6) == "0.1");
  CHECK(text(r, 0, 7) == "t");
  CHECK(text(r, 0, 8) == "f");
  CHECK(text(r, 0, 9) == "-7");
  CHECK(text(r, 0, 10) == "1e-300");
}

TEST_CASE("untyped parameters take their type from the query", "[postgres][server][query]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  pg::Result r = run_query(loop, conn, "SELECT $1 + $2, $3::date + 1, $4 || 'x'", 2, 3, "2024-02-28", "text");
  CHECK(text(r, 0, 0) == "5");
  CHECK(text(r, 0, 1) == "2024-02-29");
  CHECK(text(r, 0, 2) == "textx");
  pg::Result nan = run_query(loop, conn, "SELECT $1::float8, $2::float8", std::numeric_limits<double>::quiet_NaN(),
                             -std::numeric_limits<double>::infinity());
  CHECK(text(nan, 0, 0) == "NaN");
  CHECK(text(nan, 0, 1) == "-Infinity");
}

TEST_CASE("the server sees an integer as its C++ type's SQL type, and widens it where a wider one is wanted",
          "[postgres][server][query]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  pg::Result types = run_query(loop, conn, "SELECT pg_typeof($1)::text, pg_typeof($2)::text, pg_typeof($3)::text, "
                                           "pg_typeof($4)::text, pg_typeof($5)::text",
                               static_cast<short>(1), 2, 3LL, 4294967295U, std::uint64_t(18446744073709551615ULL));
  CHECK(text(types, 0, 0) == "smallint");
  CHECK(text(types, 0, 1) == "integer");
  CHECK(text(types, 0, 2) == "bigint");
  CHECK(text(types, 0, 3) == "bigint");
  CHECK(text(types, 0, 4) == "numeric");
  // An int where a wider type is wanted: a bigint key, a LIMIT (bigint), a numeric column.
  run_query(loop, conn, "CREATE TEMP TABLE widen (id bigint PRIMARY KEY, n numeric)");
  run_query(loop, conn, "INSERT INTO widen VALUES ($1, $2), (5000000000, 1)", 7, 8);
  pg::Result found = run_query(loop, conn, "SELECT n FROM widen WHERE id = $1 LIMIT $2", 7, 1);
  REQUIRE(found.size() == 1);
  CHECK(text(found, 0, 0) == "8");
  CHECK(text(run_query(loop, conn, "SELECT count(*) FROM widen WHERE id > $1", 2147483647)) == "1");
  CHECK(text(run_query(loop, conn, "SELECT $1::int8 * 4", 2147483647), 0, 0) == "8589934588");
}

TEST_CASE("NULLs go out from nullopt and empty optionals and come back as nullopt", "[postgres][server][query][null]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  std::optional<std::string> none;
  std::optional<int> some = 5;
  pg::Result r = run_query(loop, conn, "SELECT $1::text, $2::text IS NULL, $3::int, NULL::int, ''::text", std::nullopt,
                           none, some);
  CHECK_FALSE(r.get(0, 0).has_value());
  CHECK(text(r, 0, 1) == "t");
  CHECK(text(r, 0, 2) == "5");
  CHECK_FALSE(r.get(0, 3).has_value());
  REQUIRE(r.get(0, 4).has_value());  // the empty string is not NULL
  CHECK(r.get(0, 4)->empty());
}

TEST_CASE("a 10,000-row result arrives whole and in order", "[postgres][server][query][large]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  pg::Result r = run_query(loop, conn, "SELECT g, repeat('x', g % 100) FROM generate_series(1, 10000) g");
  REQUIRE(r.size() == 10000);
  REQUIRE(r.columns() == 2);
  bool ordered = true;
  for (std::size_t i = 0; i < r.size(); ++i) {
    ordered = ordered && text(r, i, 0) == std::to_string(i + 1) && r.get(i, 1)->size() == (i + 1) % 100;
  }
  CHECK(ordered);
  // A large value too: 4 MB in one field.
  pg::Result big = run_query(loop, conn, "SELECT repeat('y', 4 * 1024 * 1024)");
  CHECK(big.get(0, 0)->size() == 4u * 1024 * 1024);
}

TEST_CASE("Result: column names and indexes, affected rows, command tags, bounds", "[postgres][server][query]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  pg::Result r = run_query(loop, conn, "SELECT 1 AS one, 2 AS two");
  CHECK(r.column_name(0) == "one");
  CHECK(r.column_name(1) == "two");
  CHECK(r.column_index("two") == std::optional<std::size_t>(1));
  CHECK_FALSE(r.column_index("three"));
  CHECK_THROWS_AS(r.get(1, 0), std::out_of_range);
  CHECK_THROWS_AS(r.get(0, 2), std::out_of_range);
  CHECK_THROWS_AS(r.column_name(2), std::out_of_range);
  run_query(loop, conn, "CREATE TEMP TABLE items (id int PRIMARY KEY, name text)");
  pg::Result inserted = run_query(loop, conn, "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 5) g");
  CHECK(inserted.affected_rows() == 5);
  CHECK(inserted.command() == "INSERT 0 5");
  CHECK(inserted.size() == 0);
  CHECK(run_query(loop, conn, "UPDATE items SET name = $1 WHERE id > $2", "big", 2).affected_rows() == 3);
  CHECK(run_query(loop, conn, "DELETE FROM items WHERE id = $1", 1).affected_rows() == 1);
  pg::Result returning = run_query(loop, conn, "DELETE FROM items WHERE id = $1 RETURNING name", 2);
  CHECK(text(returning) == "n2");
  CHECK(run_query(loop, conn, "").command().empty());  // an empty query is answered, with nothing
}

TEST_CASE("Result: column types, and rows that outlive their connection and loop", "[postgres][server][query]") {
  pg::Result kept;
  {
    eddy::IOLoop loop;
    pg::Connection conn = pg_connect(loop);
    kept = run_query(loop, conn, "SELECT 1::int4 AS i, 'x'::text AS t, true AS b, 2.5::float8 AS f, NULL::int8 AS n");
  }
  REQUIRE(kept.columns() == 5);
  CHECK(kept.column_type(0) == 23);
  CHECK(kept.column_type(1) == 25);
  CHECK(kept.column_type(2) == 16);
  CHECK(kept.column_type(3) == 701);
  CHECK(kept.column_type(4) == 20);
  CHECK_THROWS_AS(kept.column_type(5), std::out_of_range);
  pg::Result copy = kept;
  CHECK(text(copy, 0, 1) == "x");
  CHECK(copy.command() == "SELECT 1");
}

TEST_CASE("errors come back with their SQLSTATE and fail only their own query", "[postgres][server][query][errors]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  run_query(loop, conn, "CREATE TEMP TABLE uniq (id int PRIMARY KEY)");
  run_query(loop, conn, "INSERT INTO uniq VALUES (1)");
  struct Case {
    const char* sql;
    const char* sqlstate;
  };
  for (Case c : {Case{"SELEC 1", "42601"}, Case{"INSERT INTO uniq VALUES (1)", "23505"}, Case{"SELECT 1/0", "22012"},
                 Case{"SELECT * FROM no_such_table", "42P01"}, Case{"SELECT 'x'::int", "22P02"}}) {
    INFO(c.sql);
    eddy::Future<pg::Result> f = conn.query(c.sql);
    CHECK_THROWS_AS(loop.run_sync([&] { return f; }, 60s), pg::Error);
    CHECK(sqlstate_of(f) == c.sqlstate);
  }
  CHECK(text(run_query(loop, conn, "SELECT 'still fine'")) == "still fine");
}

TEST_CASE("statement_timeout comes back as 57014", "[postgres][server][query][errors]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop, pg_server().socket_conninfo("options='-c statement_timeout=100'"));
  eddy::Future<pg::Result> slow = conn.query("SELECT pg_sleep(10)");
  CHECK_THROWS_AS(loop.run_sync([&] { return slow; }, 30s), pg::Error);
  CHECK(sqlstate_of(slow) == "57014");
}
