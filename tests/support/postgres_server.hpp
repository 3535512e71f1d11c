// A private PostgreSQL 15 server for the PostgreSQL tests and the db_query
// example test: initdb into a temporary directory, started with pg_ctl,
// listening on a Unix socket in that directory and on a free TCP port of
// 127.0.0.1, with two users: `eddy` (trust, a superuser) and `eddy_scram`
// (password "eddy-secret", scram-sha-256).
//
// PostgreSQL refuses to run as root, so under root every server command
// runs as the `postgres` account through runuser, and the directory is
// given to it. The binaries are found in $EDDY_PG_BIN or
// /usr/lib/postgresql/15/bin.
//
// Always stopped: a guardian process, forked at start, waits for the test
// process to go (its pipe closes: at exit, in the destructor, or on a crash)
// and then stops the server (immediate mode) and removes the directory.
// shared() is one server per test binary run, started on first use, so the
// suite pays for initdb once; a test that must stop a server makes its own.
//
// Thread contract: the test's main thread.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <libpq-fe.h>

namespace eddy_test {

class PostgresServer {
 public:
  static constexpr const char* scram_user = "eddy_scram";
  static constexpr const char* scram_password = "eddy-secret";

  PostgresServer() {
    const char* bin = std::getenv("EDDY_PG_BIN");
    bin_ = bin != nullptr ? bin : "/usr/lib/postgresql/15/bin";
    if (::access((bin_ + "/initdb").c_str(), X_OK) != 0) {
      throw std::runtime_error("PostgresServer: no initdb in " + bin_ + " (install postgresql, or set EDDY_PG_BIN)");
    }
    char dir[] = "/tmp/eddy-pg-XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw std::runtime_error("PostgresServer: mkdtemp failed");
    dir_ = dir;
    as_postgres_ = ::geteuid() == 0;
    if (as_postgres_) give_to_postgres(dir_);
    start_guardian();
    port_ = free_port();
    run("initdb -D " + dir_ + "/data -U eddy -A trust -E UTF8 --no-sync --no-instructions > " + dir_ + "/initdb.log 2>&1");
    write_hba();
    run("pg_ctl -w -t 60 -D " + dir_ + "/data -l " + dir_ + "/server.log -o \"-k " + dir_ + " -p " +
        std::to_string(port_) + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start > " +
        dir_ + "/pg_ctl.log 2>&1");
    execute(std::string("CREATE ROLE ") + scram_user + " LOGIN PASSWORD '" + scram_password + "'");
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  // Closing the pipe wakes the guardian, which stops the server; waiting
  // for it means the server is gone when this returns.
  ~PostgresServer() { stop(); }

  // The server the test binary shares, started on first use.
  static PostgresServer& shared() {
    static PostgresServer server;
    return server;
  }

  void stop() {
    if (guardian_write_ < 0) return;
    ::close(guardian_write_);
    guardian_write_ = -1;
    int status = 0;
    ::waitpid(guardian_, &status, 0);
  }

  const std::string& socket_dir() const noexcept { return dir_; }
  int port() const noexcept { return port_; }
  // The trust superuser `eddy` over the Unix socket / over TCP.
  std::string socket_conninfo(const std::string& extra = "") const {
    return "host=" + dir_ + " port=" + std::to_string(port_) + " user=eddy dbname=postgres " + extra;
  }
  std::string tcp_conninfo(const std::string& extra = "") const {
    return "hostaddr=127.0.0.1 port=" + std::to_string(port_) + " user=eddy dbname=postgres " + extra;
  }

  // Runs `sql` with blocking libpq (setup only, never on a loop thread).
  void execute(const std::string& sql) const {
    PGconn* conn = PQconnectdb(socket_conninfo().c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
      error = PQerrorMessage(conn);
    } else {
      PGresult* r = PQexec(conn, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) error = PQerrorMessage(conn);
      PQclear(r);
    }
    PQfinish(conn);
    if (!error.empty()) throw std::runtime_error("PostgresServer: " + sql + ": " + error);
  }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  static void give_to_postgres(const std::string& path) {
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) throw std::runtime_error("PostgresServer: running as root, but there is no postgres user");
    if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("PostgresServer: chown failed");
  }

  // A server command, as `postgres` under root.
  std::string command(const std::string& cmd) const {
    std::string full = bin_ + "/" + cmd;
    return as_postgres_ ? "runuser -u postgres -- sh -c '" + full + "'" : full;
  }
  void run(const std::string& cmd) const {
    std::string full = command(cmd);
    if (std::system(full.c_str()) != 0) {
      throw std::runtime_error("PostgresServer: failed: " + full + " (logs in " + dir_ + ")");
    }
  }

  void write_hba() const {
    std::ofstream hba(dir_ + "/data/pg_hba.conf", std::ios::trunc);
    hba << "local all " << scram_user << " scram-sha-256\n"
        << "host all " << scram_user << " 127.0.0.1/32 scram-sha-256\n"
        << "local all all trust\n"
        << "host all all 127.0.0.1/32 trust\n";
  }

  // Forks the guardian: it blocks reading the pipe until every write end is
  // closed (this object's, or the process's at its death), then stops the
  // server and removes the directory. Only async-signal-safe calls between
  // fork and exec; the command is built before.
  void start_guardian() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("PostgresServer: pipe failed");
    std::string stop = command("pg_ctl -D " + dir_ + "/data -m immediate stop >/dev/null 2>&1") + "; rm -rf " + dir_;
    std::string script = "while read -r line; do :; done; " + stop;
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("PostgresServer: fork failed");
    if (pid == 0) {
      ::dup2(fds[0], 0);  // dup2 clears FD_CLOEXEC on the copy
      ::close_range(3, ~0U, 0);
      ::signal(SIGINT, SIG_IGN);  // a ^C to the tests must still let it clean up
      ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[0]);
    guardian_ = pid;
    guardian_write_ = fds[1];
  }

  std::string bin_;
  std::string dir_;
  bool as_postgres_ = false;
  int port_ = 0;
  pid_t guardian_ = -1;
  int guardian_write_ = -1;
};

}  // namespace eddy_test
