// The idle-connection memory workload on nginx, for HTTP keep-alive (see
// support/idle_client.hpp): nginx with a generated configuration (one
// worker, access_log off, `return 200` for every request) on a free port;
// 10,000 connections each send one request, read the response and stay
// open. The worker process's RSS growth per connection is reported (nginx
// offers no heap figure, and HTTP has no line burst: after_line only).
//
//   nginx_idle [connections]
//
// EDDY_BENCH_NGINX is the nginx binary found by CMake.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "support/idle_client.hpp"

#ifndef EDDY_BENCH_NGINX
#define EDDY_BENCH_NGINX "nginx"
#endif

namespace {

std::uint16_t free_port() {
    std::uint16_t port = 0;
    int fd = bench::idle::listen_loopback(port);
    ::close(fd);
    return port;
}

void write_config(const std::string& dir, std::uint16_t port) {
    std::ofstream out(dir + "/nginx.conf");
    out << "daemon off;\nmaster_process on;\nworker_processes 1;\nworker_rlimit_nofile 30000;\n"
        << "pid " << dir << "/nginx.pid;\nerror_log " << dir << "/error.log;\n"
        << "events { worker_connections 20000; }\n"
        << "http {\n  access_log off;\n  keepalive_timeout 3600s;\n  keepalive_requests 1000000;\n"
        << "  client_body_temp_path " << dir << "/body;\n  proxy_temp_path " << dir << "/proxy;\n"
        << "  fastcgi_temp_path " << dir << "/fastcgi;\n  uwsgi_temp_path " << dir << "/uwsgi;\n"
        << "  scgi_temp_path " << dir << "/scgi;\n"
        << "  server {\n    listen 127.0.0.1:" << port << ";\n"
        << "    location / { return 200 \"hello, idle server\\n\"; }\n  }\n}\n";
}

// The worker: the master's only child.
pid_t worker_of(pid_t master) {
    std::string path = "/proc/" + std::to_string(master) + "/task/" + std::to_string(master) + "/children";
    for (int i = 0; i < 500; ++i) {
        std::ifstream in(path);
        long pid = 0;
        if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
        ::usleep(10000);
    }
    bench::idle::die("no nginx worker");
}

bench::idle::Protocol http_keep_alive() {
    return {"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", [](const std::string& got) {
                std::size_t end = got.find("\r\n\r\n");
                return end != std::string::npos && got.size() >= end + 4 + 19;
            }};
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t conns = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
    bench::idle::raise_nofile();
    char dir_template[] = "/tmp/eddy-nginx-idle-XXXXXX";
    const char* dir = ::mkdtemp(dir_template);
    if (dir == nullptr) bench::idle::die("mkdtemp");
    std::uint16_t port = free_port();
    write_config(dir, port);
    pid_t master = ::fork();
    if (master == 0) {
        std::string conf = std::string(dir) + "/nginx.conf";
        std::string log = std::string(dir) + "/error.log";
        ::execl(EDDY_BENCH_NGINX, "nginx", "-p", dir, "-e", log.c_str(), "-c", conf.c_str(), static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    // Wait until it answers (bounded), then measure its worker.
    bool up = false;
    for (int i = 0; i < 500 && !up; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (!up) ::usleep(10000);
    }
    if (up) {
        bench::idle::measure("nginx", conns, 0, worker_of(master), port, bench::idle::Control{}, http_keep_alive());
    }
    ::kill(master, SIGTERM);
    int status = 0;
    ::waitpid(master, &status, 0);
    std::string cleanup = std::string("rm -rf ") + dir;
    if (std::system(cleanup.c_str()) != 0) std::fprintf(stderr, "nginx_idle: could not remove %s\n", dir);
    if (!up) bench::idle::die("nginx did not start");
    return 0;
}
