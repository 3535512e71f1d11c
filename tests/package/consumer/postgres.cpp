// Builds against the installed eddy::postgres (eddy plus libpq) and runs
// without a server: a default Connection is closed, and libpq is linked.
#include <eddy/postgres.hpp>

#include <cstdio>

int main() {
  eddy::postgres::Connection conn;
  std::printf("eddy::postgres consumer: libpq %d, closed %d\n", PQlibVersion(), conn.closed() ? 1 : 0);
  return conn.closed() && PQlibVersion() > 0 ? 0 : 1;
}
