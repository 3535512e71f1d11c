// Real TLS peers for the TLS tests, each a child process on a free port of
// 127.0.0.1, waited for until it answers and always stopped (SIGTERM, then
// SIGKILL) with its temporary directory removed:
// - nginx with TLS (nginx-light; 1 worker; /hello answers "Hello, world!");
//   optionally requiring client certificates signed by the test CA.
// - Python's ssl around http.server (Debian's /usr/bin/python3); its
//   /info page answers "sni=<name> alpn=<protocol> client=<CN or ->", what
//   the client sent; optionally requiring client certificates.
// And run_python(): runs a Python script with arguments, returns its output.
//
// available() is false when the peer's program is not installed (the test
// then says so and is skipped by its own check).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "peer_process.hpp"
#include "test_certs.hpp"
#include "run_command.hpp"

namespace eddy_test {

class TLSPeer : public PeerProcess {
 public:
  // nginx serving HTTPS with the given certificate; with `client_ca`, it
  // requires client certificates that CA signed.
  static TLSPeer nginx(const std::string& cert, const std::string& key, const std::string& client_ca = "") {
    TLSPeer p;
    const char* binary = "/usr/sbin/nginx";
    if (::access(binary, X_OK) != 0) return p;
    p.make_dir("tls-nginx");
    p.port_ = free_port();
    std::string d = p.dir_;
    std::ofstream conf(d + "/nginx.conf");
    conf << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << d << "/nginx.pid;\n"
         << "error_log " << d << "/error.log;\nevents { worker_connections 1024; }\n"
         << "http {\n  access_log off;\n  client_body_temp_path " << d << ";\n  proxy_temp_path " << d
         << ";\n  fastcgi_temp_path " << d << ";\n  uwsgi_temp_path " << d << ";\n  scgi_temp_path " << d
         << ";\n  keepalive_timeout 75s;\n"
         << "  server {\n    listen 127.0.0.1:" << p.port_ << " ssl;\n"
         << "    ssl_certificate " << cert << ";\n    ssl_certificate_key " << key << ";\n"
         << "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_tickets on;\n";
    if (!client_ca.empty()) conf << "    ssl_client_certificate " << client_ca << ";\n    ssl_verify_client on;\n";
    conf << "    location = /hello { default_type text/plain; return 200 \"Hello, world!\"; }\n"
         << "    location = /client { default_type text/plain; return 200 \"$ssl_client_s_dn\"; }\n"
         << "  }\n}\n";
    conf.close();
    p.spawn({binary, "-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"});
    return p;
  }

  // Python's ssl + http.server; with `client_ca`, client certificates are
  // required (ssl.CERT_REQUIRED).
  static TLSPeer python(const std::string& cert, const std::string& key, const std::string& client_ca = "") {
    TLSPeer p;
    const char* binary = "/usr/bin/python3";
    if (::access(binary, X_OK) != 0) return p;
    p.make_dir("tls-python");
    std::ofstream script(p.dir_ + "/serve.py");
    script << "import http.server, ssl, sys\n"
              "cert, key, ca, portfile = sys.argv[1:5]\n"
              "seen = {}\n"
              "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
              "ctx.load_cert_chain(cert, key)\n"
              "ctx.set_alpn_protocols(['h2', 'http/1.1'])\n"
              "def sni(sock, name, c):\n"
              "    seen[id(sock)] = name\n"
              "ctx.sni_callback = sni\n"
              "if ca != '-':\n"
              "    ctx.load_verify_locations(ca)\n"
              "    ctx.verify_mode = ssl.CERT_REQUIRED\n"
              "class H(http.server.BaseHTTPRequestHandler):\n"
              "    protocol_version = 'HTTP/1.1'\n"
              "    def log_message(self, *a): pass\n"
              "    def do_GET(self):\n"
              "        s = self.connection\n"
              "        peer = s.getpeercert()\n"
              "        cn = dict(x[0] for x in peer['subject'])['commonName'] if peer else '-'\n"
              "        body = ('sni=%s alpn=%s client=%s' % (seen.get(id(s)), s.selected_alpn_protocol(), cn)).encode()\n"
              "        self.send_response(200)\n"
              "        self.send_header('Content-Length', str(len(body)))\n"
              "        self.end_headers()\n"
              "        self.wfile.write(body)\n"
              "class S(http.server.ThreadingHTTPServer):\n"
              "    daemon_threads = True\n"
              "    def get_request(self):\n"
              "        sock, addr = self.socket.accept()\n"
              "        return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr\n"
              "    def finish_request(self, request, addr):\n"
              "        try:\n"
              "            request.do_handshake()\n"
              "        except (ssl.SSLError, OSError):\n"
              "            return\n"
              "        super().finish_request(request, addr)\n"
              "s = S(('127.0.0.1', 0), H)\n"
              "open(portfile, 'w').write(str(s.server_address[1]))\n"
              "s.serve_forever()\n";
    script.close();
    p.spawn({binary, p.dir_ + "/serve.py", cert, key, client_ca.empty() ? "-" : client_ca, p.dir_ + "/port"});
    return p;
  }

  TLSPeer() = default;
  TLSPeer(TLSPeer&&) = default;

  std::string url(const std::string& path, const std::string& host = "localhost") const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }
};

// Runs Debian's python3 on `script` (written to a temporary file) with
// `args`; returns what it prints on stdout (stderr joins it), or "" with
// `*ok` false when it fails.
inline std::string run_python(const std::string& script, const std::string& args, bool* ok = nullptr) {
  char tmpl[] = "/tmp/eddy-tls-py-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp");
  ::close(fd);
  std::ofstream(tmpl) << script;
  std::string command = std::string("/usr/bin/python3 ") + tmpl + " " + args + " 2>&1";
  CommandRun run = run_command_anywhere(command);
  ::unlink(tmpl);
  if (ok != nullptr) *ok = run.status == 0;
  return run.out;
}

}  // namespace eddy_test
