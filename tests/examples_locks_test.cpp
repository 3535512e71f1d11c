// The producer/consumer example teaches by its output: the first puts finish
// at once, later ones wait about one consumer step each. Pinned here with
// lower bounds only (a timer never fires early; tests never assert speed).
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"

namespace {

// The output with every "N ms" replaced by "_ ms", and the N in order.
std::string without_numbers(const std::string& out, std::vector<long>& ms) {
  std::regex number(R"((\d+) ms)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), number); it != std::sregex_iterator(); ++it) {
    ms.push_back(std::strtol((*it)[1].str().c_str(), nullptr, 10));
  }
  return std::regex_replace(out, number, "_ ms");
}

}  // namespace

TEST_CASE("producer_consumer: the producer slows to the consumer's pace once the queue is full",
          "[examples][queues]") {
  std::vector<long> ms;
  std::string shape = without_numbers(eddy_test::run_example("producer_consumer").out, ms);
  CHECK(shape ==
        "producer: put 0 at once\n"
        "producer: put 1 at once\n"
        "producer: put 2 at once\n"
        "consumer: took 0\n"
        "consumer: took 1\n"
        "producer: put 3 after waiting _ ms\n"
        "consumer: took 2\n"
        "producer: put 4 after waiting _ ms\n"
        "consumer: took 3\n"
        "producer: put 5 after waiting _ ms\n"
        "consumer: took 4\n"
        "producer: put 6 after waiting _ ms\n"
        "consumer: took 5\n"
        "producer: put 7 after waiting _ ms\n"
        "consumer: took 6\n"
        "producer done after _ ms\n"
        "consumer: took 7\n"
        "all 8 items consumed after _ ms (_ ms of work each)\n");
  REQUIRE(ms.size() == 8);
  CHECK(ms[0] >= 50);              // put 3 waited for the consumer's first item (50 ms)
  for (int i = 1; i < 5; ++i) CHECK(ms[i] >= 45);  // then one consumer step per put
  CHECK(ms[5] >= 250);             // the producer needed about 5 consumer steps
  CHECK(ms[6] >= 400);             // and everything about 8
  CHECK(ms[7] == 50);
}
