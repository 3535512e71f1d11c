/* The floor: libpq's pipeline mode by hand, as a C program would use it, for
 * the pipelined workload: n `SELECT $1::int` with c in flight at once on one
 * connection, each followed by its own PQpipelineSync (the same semantics as
 * eddy::postgres: every query its own implicit transaction). Non-blocking,
 * poll() for readiness; a new query goes out as each answer comes back.
 * Prints RESULT workload=pg_pipelined impl=libpq_pipeline n= c= queries_per_s=
 * cpu_us_per_query= after a warm-up of n/10. Connection string:
 * $EDDY_PG_CONNINFO.
 *   libpq_pipeline <n> [c] */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(PGconn* conn, const char* what) {
  fprintf(stderr, "libpq_pipeline: %s: %s", what, PQerrorMessage(conn));
  exit(1);
}

static void send_one(PGconn* conn, long i) {
  char text[24];
  const char* values[1] = {text};
  snprintf(text, sizeof text, "%ld", i);
  if (!PQsendQueryParams(conn, "SELECT $1::int", 1, NULL, values, NULL, NULL, 0)) die(conn, "send");
  if (!PQpipelineSync(conn)) die(conn, "sync");
}

/* Runs n queries, c in flight; returns the sum of the answers. */
static long run(PGconn* conn, long n, long c) {
  long sent = 0, done = 0, sum = 0;
  while (sent < n && sent < c) send_one(conn, sent++);
  while (done < n) {
    int flushing = PQflush(conn);
    if (flushing < 0) die(conn, "flush");
    struct pollfd p = {PQsocket(conn), (short)(POLLIN | (flushing ? POLLOUT : 0)), 0};
    if (poll(&p, 1, -1) < 0) die(conn, "poll");
    if ((p.revents & POLLIN) && !PQconsumeInput(conn)) die(conn, "consume");
    while (!PQisBusy(conn)) {
      PGresult* r = PQgetResult(conn);
      if (r == NULL) {
        if (PQisBusy(conn) || done == sent) break;
        continue;
      }
      ExecStatusType status = PQresultStatus(r);
      if (status == PGRES_TUPLES_OK) {
        sum += strtol(PQgetvalue(r, 0, 0), NULL, 10);
      } else if (status == PGRES_PIPELINE_SYNC) {
        ++done;
        if (sent < n) send_one(conn, sent++);
      } else {
        die(conn, "query");
      }
      PQclear(r);
      if (done == n) break;
    }
  }
  return sum;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <n> [c]\n", argv[0]);
    return 2;
  }
  long n = atol(argv[1]);
  long c = argc > 2 ? atol(argv[2]) : 100;
  const char* conninfo = getenv("EDDY_PG_CONNINFO");
  PGconn* conn = PQconnectdb(conninfo ? conninfo : "");
  if (PQstatus(conn) != CONNECTION_OK) die(conn, "connect");
  if (PQsetnonblocking(conn, 1) != 0 || !PQenterPipelineMode(conn)) die(conn, "pipeline mode");
  run(conn, n / 10, c);
  double wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
  long sum = run(conn, n, c);
  double wall = now(CLOCK_MONOTONIC) - wall0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  if (sum != (n - 1) * n / 2) {
    fprintf(stderr, "libpq_pipeline: wrong answers\n");
    return 1;
  }
  printf("RESULT workload=pg_pipelined impl=libpq_pipeline n=%ld c=%ld queries_per_s=%.0f cpu_us_per_query=%.3f\n",
         n, c, (double)n / wall, cpu * 1e6 / (double)n);
  PQfinish(conn);
  return 0;
}
