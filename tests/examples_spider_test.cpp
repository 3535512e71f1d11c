// The web spider example teaches by its output: both crawls find the same 31
// pages and lose none, and the 10-worker crawl keeps several fetches in
// flight at once. Pinned with lower bounds only: a page is never answered
// before its 30 ms delay, so the 1-worker crawl takes at least 31 x 30 ms;
// how much faster 10 workers are is printed, not asserted (tests never
// assert speed).
#include <cstdlib>
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"

TEST_CASE("webspider: 1 and 10 workers crawl the same 31 pages, 10 of them in flight at once",
          "[examples][queues][httpclient]") {
  std::string out = eddy_test::run_example("webspider", "", "2>&1").out;
  INFO(out);
  std::regex shape(
      "site: http://127\\.0\\.0\\.1:[0-9]+/site, fanout 5, depth 2, each page answered after 30 ms\n"
      "1 worker: fetched 31 URLs \\(0 dead\\) in ([0-9.]+) s, at most 1 in flight\n"
      "10 workers: fetched 31 URLs \\(0 dead\\) in ([0-9.]+) s, at most ([0-9]+) in flight\n"
      "10 workers were [0-9.]+x faster than 1\n");
  std::smatch m;
  REQUIRE(std::regex_match(out, m, shape));
  CHECK(std::strtod(m[1].str().c_str(), nullptr) >= 31 * 0.030);
  CHECK(std::strtol(m[3].str().c_str(), nullptr, 10) > 1);
}
