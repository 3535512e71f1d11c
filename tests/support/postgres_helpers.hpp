// Helpers shared by the PostgreSQL tests: the shared server's connection
// strings, a connection made on a loop, and a value read as a string.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include <eddy/eddy.hpp>
#include <eddy/postgres.hpp>

#include "postgres_server.hpp"

namespace eddy_test {

using namespace std::chrono_literals;
namespace pg = eddy::postgres;

inline PostgresServer& pg_server() { return PostgresServer::shared(); }

// A connection to the shared server over its Unix socket (or `conninfo`).
inline pg::Connection pg_connect(eddy::IOLoop& loop, const std::string& conninfo = "") {
  std::string info = conninfo.empty() ? pg_server().socket_conninfo() : conninfo;
  return loop.run_sync([&] { return pg::Connection::connect(info); }, 30s);
}

// The value at (row, column) as a string; "NULL" for NULL.
inline std::string text(const pg::Result& r, std::size_t row = 0, std::size_t column = 0) {
  std::optional<std::string_view> v = r.get(row, column);
  return v ? std::string(*v) : std::string("NULL");
}

// One query run to its end on `loop`.
template <class... Args>
pg::Result run_query(eddy::IOLoop& loop, pg::Connection& conn, const std::string& sql, const Args&... params) {
  return loop.run_sync([&] { return conn.query(sql, params...); }, 60s);
}

// The SQLSTATE the future failed with ("" if it did not fail with an Error).
template <class T>
std::string sqlstate_of(eddy::Future<T>& f) {
  try {
    f.result();
  } catch (const pg::Error& e) {
    return e.sqlstate();
  } catch (...) {
    return "(not an Error)";
  }
  return "";
}

}  // namespace eddy_test
