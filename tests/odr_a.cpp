// One of two translation units that include everything: if any non-template
// function in a header were not inline, linking them together would fail.
#include <eddy/eddy.hpp>

int odr_unit_a() {
  eddy::IOLoop loop(eddy::Backend::poll);
  int n = 0;
  loop.add_callback([&] { ++n; loop.stop(); });
  loop.start();
  return n;
}
