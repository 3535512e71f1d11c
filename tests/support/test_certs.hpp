// Test certificates, made at test time with the openssl command-line tool
// (no key is ever committed), once per process, in a temporary directory
// removed at exit. Every key is ECDSA P-256.
//
//   const eddy_test::TestCerts& c = eddy_test::test_certs();
//   eddy::SSLContext server = eddy::SSLContext::server(c.server_cert, c.server_key);
//   eddy::SSLContext client = eddy::SSLContext::client();
//   client.load_verify_locations(c.ca_cert);
//
// What there is (all leaves signed by the test CA unless said otherwise):
//   ca_cert                 the test CA (trust it to accept the others)
//   server_cert/_key        CN localhost; SAN DNS:localhost, IP:127.0.0.1, IP:::1
//   expired_cert/_key       the same names, valid in 2000 only
//   future_cert/_key        the same names, valid from 2100 (not yet valid)
//   other_host_cert/_key    SAN DNS:other.invalid only (a wrong host for localhost)
//   self_signed_cert/_key   localhost and 127.0.0.1, signed by itself
//   client_cert/_key        CN eddy test client (client certificate auth)
//   dir                     where they are
//
// Thread contract: call test_certs() first from one thread (tests do).
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

namespace eddy_test {

struct TestCerts {
  std::string dir;
  std::string ca_cert, ca_key;
  std::string server_cert, server_key;
  std::string expired_cert, expired_key;
  std::string future_cert, future_key;
  std::string other_host_cert, other_host_key;
  std::string self_signed_cert, self_signed_key;
  std::string client_cert, client_key;

  TestCerts() {
    char tmpl[] = "/tmp/eddy-certs-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("test certs: mkdtemp failed");
    dir = tmpl;
    write_ca_config();
    ca_key = key("ca");
    ca_cert = path("ca.pem");
    run("openssl req -x509 -new -key ca.key -subj '/CN=eddy test CA' -days 3650 -out ca.pem"
        " -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'");
    const char* localhost = "DNS:localhost,IP:127.0.0.1,IP:::1";
    leaf("server", "localhost", localhost, "-days 3650", server_cert, server_key);
    leaf("expired", "localhost", localhost, "-startdate 20000101000000Z -enddate 20010101000000Z", expired_cert,
         expired_key);
    leaf("future", "localhost", localhost, "-startdate 21000101000000Z -enddate 21010101000000Z", future_cert,
         future_key);
    leaf("other", "other.invalid", "DNS:other.invalid", "-days 3650", other_host_cert, other_host_key);
    leaf("client", "eddy test client", "", "-days 3650", client_cert, client_key);
    self_signed_key = key("self");
    self_signed_cert = path("self.pem");
    run("openssl req -x509 -new -key self.key -subj '/CN=localhost' -days 3650 -out self.pem"
        " -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1'");
  }
  ~TestCerts() {
    std::string command = "rm -rf '" + dir + "'";
    if (std::system(command.c_str()) != 0) std::fprintf(stderr, "test certs: could not remove %s\n", dir.c_str());
  }
  TestCerts(const TestCerts&) = delete;
  TestCerts& operator=(const TestCerts&) = delete;

  std::string path(const std::string& name) const { return dir + "/" + name; }

 private:
  void run(const std::string& command) const {
    std::string full = "cd '" + dir + "' && " + command + " >/dev/null 2>&1";
    if (std::system(full.c_str()) != 0) throw std::runtime_error("test certs: failed: " + command);
  }
  std::string key(const std::string& name) const {
    run("openssl ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
    return path(name + ".key");
  }
  // A leaf signed by the CA with `dates` (openssl ca's -days or
  // -startdate/-enddate) and, when given, the subjectAltName `san`.
  void leaf(const std::string& name, const std::string& cn, const std::string& san, const std::string& dates,
            std::string& cert, std::string& key_path) const {
    key_path = key(name);
    std::string ext = san.empty() ? "" : " -addext 'subjectAltName=" + san + "'";
    run("openssl req -new -key " + name + ".key -subj '/CN=" + cn + "'" + ext + " -out " + name + ".csr");
    run("openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -notext " + dates + " -in " + name +
        ".csr -out " + name + ".pem");
    cert = path(name + ".pem");
  }
  void write_ca_config() const {
    std::ofstream(path("ca.cnf")) << "[ ca ]\ndefault_ca = test_ca\n[ test_ca ]\ndir = .\ndatabase = ./index.txt\n"
                                     "new_certs_dir = .\nserial = ./serial\ndefault_md = sha256\n"
                                     "policy = anything\ncopy_extensions = copy\nunique_subject = no\n"
                                     "[ anything ]\ncommonName = supplied\n";
    std::ofstream(path("index.txt"));
    std::ofstream(path("serial")) << "01\n";
  }
};

// The process's certificates, made on first use.
inline const TestCerts& test_certs() {
  static TestCerts certs;
  return certs;
}

}  // namespace eddy_test
