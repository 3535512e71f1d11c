// db_query teaches by its output: two pg_sleep(1) queries run with blocking
// libpq from loop callbacks take about 2 s, one after the other; with
// eddy::postgres they interleave and take about 1 s. Generous bounds.
#include <regex>
#include <string>

#include "support/postgres_helpers.hpp"
#include "support/run_command.hpp"

TEST_CASE("db_query: blocking libpq runs the tasks in turn, eddy::postgres interleaves them",
          "[examples][postgres][server]") {
  std::string conninfo = eddy_test::pg_server().socket_conninfo();
  std::string out = eddy_test::run_example("db_query", "'" + conninfo + "'").out;
  INFO(out);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex("blocking libpq \\(PQexec\\) on the loop:\n"
                                               "  task 1: SELECT pg_sleep\\(1\\)\n"
                                               "  task 1: done\n"
                                               "  task 2: SELECT pg_sleep\\(1\\)\n"
                                               "  task 2: done\n"
                                               "  took ([0-9.]+) s\n")));
  CHECK(std::stod(m[1]) >= 1.9);   // two 1 s queries, one after the other
  CHECK(std::stod(m[1]) < 30.0);
  REQUIRE(std::regex_search(out, m, std::regex("eddy::postgres on the loop:\n"
                                               "  task 1: SELECT pg_sleep\\(1\\)\n"
                                               "  task 2: SELECT pg_sleep\\(1\\)\n"
                                               "  task [12]: done\n"
                                               "  task [12]: done\n"
                                               "  took ([0-9.]+) s\n")));
  CHECK(std::stod(m[1]) >= 0.95);  // the server sleeps 1 s per query
  CHECK(std::stod(m[1]) < 1.9);    // both in flight at once
}
