/* hiredis's async API on libev on the redis workload (bench/redis/run drives
 * it): `commands` SETs of a 16-byte value, then as many GETs, with
 * `in_flight` commands outstanding on one connection (each reply's callback
 * issues the next command, as an application would). With 1 in flight it is
 * one command at a time, a round trip each. The key is redis-benchmark's.
 *
 *   hiredis_redis <host> <port> <commands> <in_flight>
 *
 * Prints one RESULT line per phase, as eddy_redis does. */
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char key[] = "key:__rand_int__";
static const char value[] = "xxxxxxxxxxxxxxxx"; /* 16 bytes, as redis-benchmark -d 16 */

static long total, in_flight, issued, completed;
static int set_phase = 1;
static double wall0, cpu0;

static double clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void on_reply(redisAsyncContext *c, void *r, void *privdata);

static void issue(redisAsyncContext *c) {
  ++issued;
  if (set_phase) {
    redisAsyncCommand(c, on_reply, NULL, "SET %s %b", key, value, (size_t)16);
  } else {
    redisAsyncCommand(c, on_reply, NULL, "GET %s", key);
  }
}

static void start_phase(redisAsyncContext *c) {
  issued = completed = 0;
  wall0 = clock_ns(CLOCK_MONOTONIC);
  cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  for (long i = 0; i < in_flight && issued < total; ++i) issue(c);
}

static void end_phase(void) {
  double wall = clock_ns(CLOCK_MONOTONIC) - wall0;
  double cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  printf("RESULT workload=redis impl=hiredis op=%s concurrency=%ld n=%ld wall_ns=%.1f cpu_ns=%.1f ops_per_s=%.0f\n",
         set_phase ? "SET" : "GET", in_flight, total, wall / (double)total, cpu / (double)total,
         (double)total * 1e9 / wall);
  fflush(stdout);
}

static void on_reply(redisAsyncContext *c, void *r, void *privdata) {
  redisReply *reply = r;
  (void)privdata;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
    fprintf(stderr, "hiredis_redis: %s\n", reply ? reply->str : c->errstr);
    exit(1);
  }
  ++completed;
  if (issued < total) {
    issue(c);
  } else if (completed == total) {
    end_phase();
    if (set_phase) {
      set_phase = 0;
      start_phase(c);
    } else {
      redisAsyncDisconnect(c);
    }
  }
}

static void on_connect(const redisAsyncContext *c, int status) {
  if (status != REDIS_OK) {
    fprintf(stderr, "hiredis_redis: connect: %s\n", c->errstr);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <host> <port> <commands> <in_flight>\n", argv[0]);
    return 2;
  }
  total = strtol(argv[3], NULL, 10);
  in_flight = strtol(argv[4], NULL, 10);
  if (total <= 0 || in_flight <= 0) return 2;
  struct ev_loop *loop = EV_DEFAULT;
  redisAsyncContext *c = redisAsyncConnect(argv[1], atoi(argv[2]));
  if (c == NULL || c->err) {
    fprintf(stderr, "hiredis_redis: %s\n", c ? c->errstr : "out of memory");
    return 1;
  }
  redisLibevAttach(loop, c);
  redisAsyncSetConnectCallback(c, on_connect);
  start_phase(c);
  ev_run(loop, 0);
  return 0;
}
