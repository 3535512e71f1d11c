// A connection string, prepared so that libpq never resolves a host name on
// the loop thread.
//
// libpq resolves `host` with a blocking getaddrinfo inside PQconnectPoll.
// So the string (key=value or a postgresql:// URI, parsed by libpq's own
// PQconninfoParse) is split here into its options; each host that is a
// name, not a socket directory or a numeric address, is resolved on the
// executor (resolve_hosts, a blocking function meant for run_in_executor),
// and the addresses go back to libpq as `hostaddr`, one per host, while
// `host` stays for TLS verification and the password file. A `hostaddr`
// the caller gave wins: nothing is resolved then. `host` from PGHOST is
// honoured the same way; a host that only a service file names is not seen
// here (libpq would resolve it itself, blocking: give host or hostaddr).
//
// Thread contract: ConnInfo is a plain value. resolve_hosts runs on any
// thread (it blocks); the rest belongs to the caller's thread.
#pragma once

#include "libpq.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "error.hpp"

namespace eddy::detail::postgres {

struct ConnInfo {
  std::vector<std::string> keywords;  // the options the caller set, in libpq's order
  std::vector<std::string> values;
  std::vector<std::string> hosts;     // `host` split on commas ("" for the default)
  bool has_hostaddr = false;

  // The value of `keyword`, or nullptr.
  const std::string* find(std::string_view keyword) const {
    for (std::size_t i = 0; i < keywords.size(); ++i) {
      if (keywords[i] == keyword) return &values[i];
    }
    return nullptr;
  }
  void set(std::string_view keyword, std::string value) {
    for (std::size_t i = 0; i < keywords.size(); ++i) {
      if (keywords[i] == keyword) {
        values[i] = std::move(value);
        return;
      }
    }
    keywords.emplace_back(keyword);
    values.push_back(std::move(value));
  }
};

inline std::vector<std::string> split_commas(std::string_view list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = list.find(',', start);
    out.emplace_back(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

// A socket directory ("/run/postgresql", "@abstract") or the default ("").
inline bool is_socket(const std::string& host) { return host.empty() || host.front() == '/' || host.front() == '@'; }
inline bool is_numeric(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}
// A name: libpq would look it up itself, blocking.
inline bool needs_resolving(const std::string& host) { return !is_socket(host) && !is_numeric(host); }

// Parses `conninfo` (key=value pairs or a URI); std::invalid_argument with
// libpq's reason when it is malformed.
inline ConnInfo parse_conninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    std::string why = error != nullptr ? trimmed(error) : "out of memory";
    PQfreemem(error);
    throw std::invalid_argument("eddy: postgres: bad connection string: " + why);
  }
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> owner(options, &PQconninfoFree);
  ConnInfo info;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    info.keywords.emplace_back(o->keyword);
    info.values.emplace_back(o->val);
  }
  const std::string* host = info.find("host");
  const char* env_host = std::getenv("PGHOST");
  if (host != nullptr) info.hosts = split_commas(*host);
  else if (env_host != nullptr && *env_host != '\0') info.hosts = split_commas(env_host);
  const std::string* hostaddr = info.find("hostaddr");
  info.has_hostaddr = hostaddr != nullptr && !hostaddr->empty();
  if (info.has_hostaddr || std::getenv("PGHOSTADDR") != nullptr) info.has_hostaddr = true;
  return info;
}

// True when some host must be resolved before libpq may connect.
inline bool any_to_resolve(const ConnInfo& info) {
  if (info.has_hostaddr) return false;
  for (const std::string& host : info.hosts) {
    if (needs_resolving(host)) return true;
  }
  return false;
}

// Blocking: the numeric address of each host ("" for a socket, the host
// itself when numeric). Error 08001 naming a host that does not resolve.
// Meant for the executor.
inline std::vector<std::string> resolve_hosts(const std::vector<std::string>& hosts) {
  std::vector<std::string> out;
  for (const std::string& host : hosts) {
    if (!needs_resolving(host)) {
      out.push_back(is_socket(host) ? std::string() : host);
      continue;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
      throw Error(could_not_connect, "eddy: postgres: could not translate host name \"" + host +
                                         "\" to an address: " + ::gai_strerror(rc));
    }
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr = found->ai_family == AF_INET6
                           ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
                           : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
    ::inet_ntop(found->ai_family, addr, text, sizeof text);
    ::freeaddrinfo(found);
    out.emplace_back(text);
  }
  return out;
}

// The options with `hostaddr` set from resolve_hosts' answer (one entry per
// host, empty where libpq needs none).
inline void apply_addresses(ConnInfo& info, const std::vector<std::string>& addresses) {
  std::string list;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (i != 0) list += ',';
    list += addresses[i];
  }
  // libpq takes `host` from PGHOST too; setting it keeps the two lists the
  // same length whichever way host came.
  std::string hosts;
  for (std::size_t i = 0; i < info.hosts.size(); ++i) {
    if (i != 0) hosts += ',';
    hosts += info.hosts[i];
  }
  info.set("host", std::move(hosts));
  info.set("hostaddr", std::move(list));
}

}  // namespace eddy::detail::postgres
