// The subprocess example's lesson, pinned by its output and timing (generous
// bounds: tests never assert speed): two one-second commands take 2 s when
// a blocking call runs them, 1 s as Subprocesses on the loop.
#include <string>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"

using eddy_test::CommandRun;
using eddy_test::run_example;

TEST_CASE("subprocess --blocking runs two one-second commands in turn, in about 2 s", "[examples][process]") {
  CommandRun r = run_example("subprocess", "--blocking");
  CHECK(r.out == "started tea\ntea is ready\nstarted toast\ntoast is ready\n");
  CHECK(r.seconds >= 2.0);
  CHECK(r.seconds < 30.0);
}

TEST_CASE("subprocess runs two one-second commands at once on the loop, in about 1 s", "[examples][process]") {
  CommandRun r = run_example("subprocess");
  CHECK(r.out == "started tea\nstarted toast\ntea is ready\ntoast is ready\n");
  CHECK(r.seconds >= 1.0);
  CHECK(r.seconds < 1.9);  // both run at once; 2 s would mean they ran in turn
}
