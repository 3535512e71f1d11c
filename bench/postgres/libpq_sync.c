/* The serial workload's reference: synchronous libpq, PQexecParams in a loop
 * (n `SELECT $1::int`, one at a time, blocking). Prints RESULT
 * workload=pg_serial impl=libpq_sync n= c=1 queries_per_s= cpu_us_per_query=
 * after a warm-up of n/10. Connection string: $EDDY_PG_CONNINFO.
 *   libpq_sync <n> */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long run(PGconn* conn, long n) {
  long sum = 0;
  for (long i = 0; i < n; ++i) {
    char text[24];
    const char* values[1] = {text};
    snprintf(text, sizeof text, "%ld", i);
    PGresult* r = PQexecParams(conn, "SELECT $1::int", 1, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      fprintf(stderr, "libpq_sync: %s", PQerrorMessage(conn));
      exit(1);
    }
    sum += strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
  }
  return sum;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <n>\n", argv[0]);
    return 2;
  }
  long n = atol(argv[1]);
  const char* conninfo = getenv("EDDY_PG_CONNINFO");
  PGconn* conn = PQconnectdb(conninfo ? conninfo : "");
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "libpq_sync: connect: %s", PQerrorMessage(conn));
    return 1;
  }
  run(conn, n / 10);
  double wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
  long sum = run(conn, n);
  double wall = now(CLOCK_MONOTONIC) - wall0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  if (sum != (n - 1) * n / 2) {
    fprintf(stderr, "libpq_sync: wrong answers\n");
    return 1;
  }
  printf("RESULT workload=pg_serial impl=libpq_sync n=%ld c=1 queries_per_s=%.0f cpu_us_per_query=%.3f\n", n,
         (double)n / wall, cpu * 1e6 / (double)n);
  PQfinish(conn);
  return 0;
}
