// eddy's Redis client on the redis workload (bench/redis/run drives it):
// `commands` SETs of a 16-byte value, then as many GETs, spread over
// `concurrency` coroutines sharing one connection. With 100 coroutines the
// client pipelines on its own (every command issued in one loop iteration
// goes out in one write); with 1 it is one command at a time, a round trip
// each. The key is redis-benchmark's ("key:__rand_int__" without -r).
//
//   eddy_redis <host> <port> <commands> <concurrency>
//
// Prints one RESULT line per phase: wall and process CPU ns per command and
// commands per second.
#include <eddy/gen.hpp>
#include <eddy/redis.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "support/measure.hpp"

namespace {

const std::string key = "key:__rand_int__";
const std::string value = "xxxxxxxxxxxxxxxx";  // 16 bytes, as redis-benchmark -d 16

eddy::Future<void> worker(eddy::redis::Client client, long count, bool set) {
  for (long i = 0; i < count; ++i) {
    eddy::Future<eddy::redis::Reply> reply = set ? client.command("SET", key, value) : client.command("GET", key);
    co_await reply;
  }
}

// Runs one phase: `commands` commands over `concurrency` coroutines.
eddy::Future<void> phase(eddy::redis::Client client, long commands, long concurrency, bool set) {
  std::vector<eddy::Future<void>> workers;
  bench::Stopwatch watch;
  for (long w = 0; w < concurrency; ++w) {
    long share = commands / concurrency + (w < commands % concurrency ? 1 : 0);
    workers.push_back(worker(client, share, set));
  }
  eddy::Future<void> all = eddy::multi(workers);
  co_await all;
  double wall = watch.wall_ns();
  double cpu = watch.cpu_used_ns();
  std::printf("RESULT workload=redis impl=eddy op=%s concurrency=%ld n=%ld wall_ns=%.1f cpu_ns=%.1f ops_per_s=%.0f\n",
              set ? "SET" : "GET", concurrency, commands, wall / double(commands), cpu / double(commands),
              double(commands) * 1e9 / wall);
}

eddy::Future<void> run(std::string url, long commands, long concurrency) {
  eddy::Future<eddy::redis::Client> connecting = eddy::redis::Client::connect(url);
  eddy::redis::Client client = co_await connecting;
  eddy::Future<void> sets = phase(client, commands, concurrency, true);
  co_await sets;
  eddy::Future<void> gets = phase(client, commands, concurrency, false);
  co_await gets;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <host> <port> <commands> <concurrency>\n", argv[0]);
    return 2;
  }
  std::string url = std::string("redis://") + argv[1] + ":" + argv[2];
  long commands = std::strtol(argv[3], nullptr, 10);
  long concurrency = std::strtol(argv[4], nullptr, 10);
  if (commands <= 0 || concurrency <= 0) return 2;
  eddy::IOLoop loop;
  loop.make_current();
  loop.run_sync([&] { return run(url, commands, concurrency); });
  return 0;
}
