// Helpers shared by the IOStream suites (iostream_*_test.cpp): a loop made
// current and a deterministic byte pattern. Callback style only, so the
// suites that include it still build as C++17.
#pragma once

#include <eddy/ioloop.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace eddy_test {

// A loop made current (IOStream registers with IOLoop::current()).
struct CurrentLoop {
  eddy::IOLoop loop;
  explicit CurrentLoop(eddy::Backend backend = eddy::Backend::automatic) : loop(backend) { loop.make_current(); }
};

// `n` bytes of a fixed pseudo-random sequence (same bytes on every call).
inline std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

}  // namespace eddy_test
