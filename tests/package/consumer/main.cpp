// A user's program: the consumer tests build it against eddy found through
// find_package, pkg-config, add_subdirectory and FetchContent.
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>

int main() {
  eddy::IOLoop loop;
  bool fired = false;
  loop.call_later(std::chrono::milliseconds(1), [&] {
    fired = true;
    loop.stop();
  });
  loop.start();
  std::printf("eddy %s: %s\n", EDDY_VERSION_STRING, fired ? "ok" : "FAILED");
  return fired ? 0 : 1;
}
