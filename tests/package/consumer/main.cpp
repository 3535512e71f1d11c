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
  std::printf("eddy %s from an installed package: %s\n", EDDY_VERSION_STRING, fired ? "ok" : "FAILED");
  return fired ? 0 : 1;
}
