// urlopen_vs_fetch teaches by its output: blocking GETs from a loop callback
// take about 5 s and freeze the ticker, the detector names the line, eddy's
// HTTPClient refuses; AsyncHTTPClient takes about 1 s and the ticker ticks.
// Generous bounds, and only the ones the lesson needs (tests never assert
// speed: "about 1 s" is checked as "well under the 5 s of running in turn").
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"

TEST_CASE("urlopen_vs_fetch: blocking GETs run in turn and freeze the loop, AsyncHTTPClient overlaps them",
          "[examples][http][client]") {
  std::string out = eddy_test::run_example("urlopen_vs_fetch").out;
  INFO(out);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex("1\\. urlopen-style blocking GETs from a loop callback:\n"
                                               "   5 pages in ([0-9.]+) s; the ticker ticked ([0-9]+) times "
                                               "meanwhile \\(frozen\\)\n")));
  CHECK(std::stod(m[1]) >= 4.9);   // five 1 s answers, one after the other
  CHECK(std::stod(m[1]) < 60.0);
  CHECK(std::stoi(m[2]) == 0);     // not one tick while the callback blocked
  REQUIRE(std::regex_search(out, m, std::regex("   blocking detector: a timeout scheduled at [^\n]*urlopen_vs_fetch\\.cpp:"
                                               "[0-9]+ held the loop for ([0-9.]+) s\n")));
  CHECK(std::stod(m[1]) >= 4.9);
  CHECK_THAT(out, Catch::Contains("   eddy::HTTPClient refuses to run there: eddy: HTTPClient::fetch called on a thread "
                                  "whose IOLoop is running: it would block that loop"));
  REQUIRE(std::regex_search(out, m, std::regex("2\\. AsyncHTTPClient.fetch and multi \\(gather\\):\n"
                                               "   5 pages in ([0-9.]+) s; the ticker ticked ([0-9]+) times "
                                               "meanwhile\n")));
  CHECK(std::stod(m[1]) >= 0.95);  // the server waits 1 s per page
  CHECK(std::stod(m[1]) < 4.0);    // overlapping, not five in turn
  CHECK(std::stoi(m[2]) >= 3);     // the loop kept running
  CHECK_THAT(out, Catch::EndsWith("lesson: inside asynchronous code, use only asynchronous libraries\n"));
}
