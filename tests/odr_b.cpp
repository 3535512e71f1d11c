// The second ODR translation unit (see odr_a.cpp).
#include <eddy/eddy.hpp>

#include <catch2/catch.hpp>

int odr_unit_a();

TEST_CASE("two translation units that include everything link and run", "[odr]") {
  eddy::IOLoop loop;
  int n = 0;
  loop.add_callback([&] { ++n; loop.stop(); });
  loop.start();
  CHECK(n + odr_unit_a() == 2);
}
