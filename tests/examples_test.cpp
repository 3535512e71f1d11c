// The examples teach by their output and their timing, so both are pinned
// here (with generous bounds: tests never assert speed).
#include <string>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"

using eddy_test::CommandRun;
using eddy_test::example_path;
using eddy_test::run_command;
using eddy_test::run_example;

TEST_CASE("blocking_sleep prints sleeping, awake!, sleeping, awake! and takes about 2 s", "[examples]") {
  CommandRun r = run_example("blocking_sleep");
  CHECK(r.out == "sleeping\nawake!\nsleeping\nawake!\n");
  CHECK(r.seconds >= 2.0);
  CHECK(r.seconds < 30.0);
}

TEST_CASE("add_timeout prints sleeping, sleeping, awake!, awake! and takes about 1 s", "[examples]") {
  CommandRun r = run_example("add_timeout");
  CHECK(r.out == "sleeping\nsleeping\nawake!\nawake!\n");
  CHECK(r.seconds >= 1.0);
  CHECK(r.seconds < 1.9);  // both waits overlap; 2 s would mean they ran in turn
}

TEST_CASE("periodic ticks until its limit and stops cleanly", "[examples]") {
  CommandRun r = run_example("periodic", "3");
  CHECK(r.out == "tick 1\ntick 2\ntick 3\nstopped after 3 ticks\n");
}

TEST_CASE("periodic stops cleanly on SIGINT", "[examples][signals]") {
  CommandRun r = run_command("sh -c '" + example_path("periodic") + " & pid=$!; sleep 0.7; kill -INT $pid; wait $pid'");
  CHECK(r.status == 0);
  const std::string& out = r.out;
  CHECK(out.find("tick 1\n") != std::string::npos);
  CHECK(out.find("SIGINT: stopping\nstopped after") != std::string::npos);
}

TEST_CASE("task_is_not_magic: a task over a blocking function runs in turn, over an async one at once",
          "[examples]") {
  CommandRun r = run_example("task_is_not_magic");
  CHECK(r.out == "sleeping\nawake!\nsleeping\nawake!\n--\nsleeping\nsleeping\nawake!\nawake!\n");
  CHECK(r.seconds >= 3.0);
  CHECK(r.seconds < 30.0);
}

TEST_CASE("coroutines prints sleeping, sleeping, awake!, awake! and takes about 1 s", "[examples]") {
  CommandRun r = run_example("coroutines");
  CHECK(r.out == "sleeping\nsleeping\nawake!\nawake!\n");
  CHECK(r.seconds >= 1.0);
  CHECK(r.seconds < 1.9);
}

TEST_CASE("run_in_executor keeps the loop ticking while the query blocks a worker", "[examples]") {
  CommandRun r = run_example("run_in_executor");
  CHECK(r.out.rfind("query started\n", 0) == 0);
  CHECK(r.out.find("tick 3 (the loop is free)") != std::string::npos);
  CHECK(r.out.find("query returned 42 rows") != std::string::npos);
}

TEST_CASE("blocking_detector names the line that blocked the loop", "[examples][blocking]") {
  CommandRun r = run_command(example_path("blocking_detector") + " 2>&1 >/dev/null");
  CHECK(r.status == 0);
  const std::string& err = r.out;
  CHECK(err.find("still blocking the loop") != std::string::npos);
  CHECK(err.find("blocked the loop for 10") != std::string::npos);  // ~1000 ms
  CHECK(err.find("blocking_detector.cpp:28") != std::string::npos);
}
