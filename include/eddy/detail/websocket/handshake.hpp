// The opening handshake (RFC 6455 §4) as pure functions: the server's
// checks of an upgrade request and its 101 answer, the client's request
// and its checks of the answer. The connection code (server.hpp,
// client.hpp) does the I/O around them.
//
// Server rules, each with the status it answers: an Upgrade field without
// the token "websocket" or a Connection field without "upgrade" (tokens
// compared case-insensitively, in comma lists across field lines), HTTP/1.0,
// a Sec-WebSocket-Key that is missing, repeated or not the base64 of 16
// bytes: 400. A Sec-WebSocket-Version other than 13 (missing included): 426
// with "Sec-WebSocket-Version: 13". A malformed Sec-WebSocket-Extensions:
// 400. (The Origin check, 403, needs the handler: server.hpp.)
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../../httputil.hpp"
#include "../base/base64.hpp"
#include "../base/sha1.hpp"
#include "../http/http_server_request.hpp"

namespace eddy::detail::ws {

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2 step 5.4).
inline std::string accept_key(std::string_view key) {
  Sha1 s;
  s.update(key);
  s.update("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  Sha1::Digest d = s.finish();
  return base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// Calls f(token) for each element of a comma list (OWS trimmed, empty
// elements skipped); stops early when f returns true, and says so.
template <class F>
bool any_list_element(std::string_view list, F&& f) {
  std::size_t i = 0;
  while (i <= list.size()) {
    std::size_t comma = list.find(',', i);
    std::string_view item = list.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    std::size_t b = item.find_first_not_of(" \t");
    if (b != std::string_view::npos) {
      std::size_t e = item.find_last_not_of(" \t");
      if (f(item.substr(b, e - b + 1))) return true;
    }
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
  return false;
}

// True when a field of `headers` named `name` lists `token` (ASCII case ignored).
inline bool has_token(const HTTPHeaders& headers, std::string_view name, std::string_view token) {
  for (const auto& [n, value] : headers) {
    if (!iequals(n, name)) continue;
    if (any_list_element(value, [&](std::string_view t) { return iequals(t, token); })) return true;
  }
  return false;
}

// The outcome of the server's checks: status 0 to upgrade, else the answer.
struct UpgradeCheck {
  int status = 0;
  const char* why = "";
  std::string_view key;  // ok: the Sec-WebSocket-Key (into the request)
};

inline UpgradeCheck check_upgrade_request(const HTTPServerRequest& req) {
  UpgradeCheck c;
  auto refuse = [&c](int status, const char* why) {
    c.status = status;
    c.why = why;
    return c;
  };
  if (!has_token(req.headers, "Upgrade", "websocket")) return refuse(400, "Can \"Upgrade\" only to \"WebSocket\".");
  if (!has_token(req.headers, "Connection", "upgrade")) return refuse(400, "\"Connection\" must be \"Upgrade\".");
  if (req.version != "HTTP/1.1") return refuse(400, "a WebSocket upgrade needs HTTP/1.1");
  const std::string* version = req.headers.find("Sec-WebSocket-Version");
  if (version == nullptr || req.headers.count("Sec-WebSocket-Version") != 1 || *version != "13") {
    return refuse(426, "unsupported Sec-WebSocket-Version (13 only)");
  }
  const std::string* key = req.headers.find("Sec-WebSocket-Key");
  if (key == nullptr || req.headers.count("Sec-WebSocket-Key") != 1) return refuse(400, "missing Sec-WebSocket-Key");
  std::optional<std::string> raw = base64_decode(*key);
  if (!raw || raw->size() != 16) return refuse(400, "Sec-WebSocket-Key is not the base64 of 16 bytes");
  c.key = *key;
  return c;
}

// Tornado's default origin rule: allowed when the Origin's host (and port)
// equals the request's Host, ASCII case ignored. The Origin is a
// serialized origin, "scheme://host[:port]".
inline bool same_origin(std::string_view origin, std::string_view host) {
  std::size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view netloc = origin.substr(scheme_end + 3);
  netloc = netloc.substr(0, netloc.find('/'));
  return !netloc.empty() && iequals(netloc, host);
}

// The subprotocol the server picks: the first of the client's offers (the
// Sec-WebSocket-Protocol lists, in order) that `accepted` holds. Returns
// its index in `accepted`, or -1.
inline int pick_subprotocol(const HTTPHeaders& headers, const std::vector<std::string>& accepted) {
  int chosen = -1;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "Sec-WebSocket-Protocol")) continue;
    bool found = any_list_element(value, [&](std::string_view offer) {
      for (std::size_t i = 0; i < accepted.size(); ++i) {
        if (accepted[i] == offer) {
          chosen = static_cast<int>(i);
          return true;
        }
      }
      return false;
    });
    if (found) break;
  }
  return chosen;
}

// The server's 101 answer, appended to `out`.
inline void switching_protocols(std::string& out, std::string_view key, std::string_view subprotocol,
                                std::string_view extensions) {
  out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  out += "Sec-WebSocket-Accept: ";
  out += accept_key(key);
  out += "\r\n";
  if (!subprotocol.empty()) {
    out += "Sec-WebSocket-Protocol: ";
    out.append(subprotocol.data(), subprotocol.size());
    out += "\r\n";
  }
  if (!extensions.empty()) {
    out += "Sec-WebSocket-Extensions: ";
    out.append(extensions.data(), extensions.size());
    out += "\r\n";
  }
  out += "\r\n";
}

// The client's request. `host` is the Host field's value and `target` the
// path and query; `subprotocols` are offered in order. Names and values of
// `extra` were checked by the caller.
inline std::string client_request(std::string_view host, std::string_view target, std::string_view key,
                                  const std::vector<std::string>& subprotocols, bool offer_deflate,
                                  const HTTPHeaders& extra) {
  std::string out = "GET ";
  out.append(target.data(), target.size());
  out += " HTTP/1.1\r\nHost: ";
  out.append(host.data(), host.size());
  out += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  out.append(key.data(), key.size());
  out += "\r\nSec-WebSocket-Version: 13\r\n";
  if (!subprotocols.empty()) {
    out += "Sec-WebSocket-Protocol: ";
    for (std::size_t i = 0; i < subprotocols.size(); ++i) {
      if (i != 0) out += ", ";
      out += subprotocols[i];
    }
    out += "\r\n";
  }
  if (offer_deflate) {
    out += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
  }
  for (const auto& [name, value] : extra) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

// The client's checks of a 101 answer's fields (the status was checked):
// nullptr when they are right, else what is wrong. `subprotocol` gets the
// index of the chosen subprotocol in `offered`, or -1.
inline const char* check_switching_protocols(const HTTPHeaders& headers, std::string_view key,
                                             const std::vector<std::string>& offered, int& subprotocol) {
  if (!has_token(headers, "Upgrade", "websocket")) return "the answer's Upgrade is not websocket";
  if (!has_token(headers, "Connection", "upgrade")) return "the answer's Connection is not upgrade";
  const std::string* accept = headers.find("Sec-WebSocket-Accept");
  if (accept == nullptr || headers.count("Sec-WebSocket-Accept") != 1 || *accept != accept_key(key)) {
    return "bad Sec-WebSocket-Accept";
  }
  subprotocol = -1;
  if (const std::string* chosen = headers.find("Sec-WebSocket-Protocol")) {
    for (std::size_t i = 0; i < offered.size(); ++i) {
      if (offered[i] == *chosen) subprotocol = static_cast<int>(i);
    }
    if (subprotocol < 0 || headers.count("Sec-WebSocket-Protocol") != 1) {
      return "the server chose a subprotocol the client did not offer";
    }
  }
  return nullptr;
}

}  // namespace eddy::detail::ws
