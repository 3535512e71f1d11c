// Sec-WebSocket-Extensions (RFC 6455 §9.1) and the permessage-deflate
// negotiation (RFC 7692 §7), as pure functions: what a server answers to a
// client's offers, what a client offers, and what it accepts back.
//
// The server's choices (where RFC 7692 lets it choose):
// - server_no_context_takeover is always in the answer: the server's
//   compressor starts every message afresh, so one compressor per thread
//   serves every connection, and a prepared broadcast message is compressed
//   once for all of them. Small messages compress a little worse.
// - client_no_context_takeover is answered when the client offered it; then
//   the server keeps no inflate state between messages either.
// - server_max_window_bits=N offered is answered with N (the server
//   compresses with that window; with 8, which zlib cannot produce, it
//   sends every message uncompressed, as RFC 7692 allows).
// - client_max_window_bits is answered only when the client gave a value
//   (echoed); the server inflates with a 15-bit window, which reads any.
// - The first offer whose parameters are valid wins; an offer with an
//   unknown, repeated or out-of-range parameter is declined, as §7.1 asks.
//
// The client offers "permessage-deflate; client_max_window_bits" (as
// Tornado and Python's websockets do) and fails the handshake when the
// answer names another extension, repeats one, or carries a parameter that
// is unknown, repeated, out of range or unasked for.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../httputil.hpp"

namespace eddy::detail::ws {

// One extension of a Sec-WebSocket-Extensions list: its name and parameters
// (a parameter without "=value" has has_value false).
struct ExtensionParam {
  std::string name;
  std::string value;
  bool has_value = false;
};
struct Extension {
  std::string name;
  std::vector<ExtensionParam> params;
};

namespace extensions_detail {

inline void skip_ows(std::string_view s, std::size_t& i) noexcept {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}
inline std::string_view token_at(std::string_view s, std::size_t& i) noexcept {
  std::size_t start = i;
  while (i < s.size() && is_tchar(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(start, i - start);
}
// A quoted-string's content (the RFC wants a token inside; checked by the caller).
inline bool quoted_at(std::string_view s, std::size_t& i, std::string& out) {
  ++i;  // the opening quote
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\') ++i;
    if (i >= s.size()) return false;
    out += s[i++];
  }
  if (i >= s.size()) return false;
  ++i;
  return true;
}

}  // namespace extensions_detail

// Parses a header value (several field lines joined by ','). nullopt when
// the syntax is broken.
inline std::optional<std::vector<Extension>> parse_extensions(std::string_view value) {
  using namespace extensions_detail;
  std::vector<Extension> out;
  std::size_t i = 0;
  for (;;) {
    skip_ows(value, i);
    if (i == value.size()) break;
    if (value[i] == ',') {  // empty list elements are allowed (RFC 9110 §5.6.1)
      ++i;
      continue;
    }
    Extension ext;
    ext.name = std::string(token_at(value, i));
    if (ext.name.empty()) return std::nullopt;
    for (skip_ows(value, i); i < value.size() && value[i] == ';'; skip_ows(value, i)) {
      ++i;
      skip_ows(value, i);
      ExtensionParam p;
      p.name = std::string(token_at(value, i));
      if (p.name.empty()) return std::nullopt;
      skip_ows(value, i);
      if (i < value.size() && value[i] == '=') {
        ++i;
        skip_ows(value, i);
        p.has_value = true;
        if (i < value.size() && value[i] == '"') {
          if (!quoted_at(value, i, p.value) || !is_token(p.value)) return std::nullopt;
        } else {
          p.value = std::string(token_at(value, i));
          if (p.value.empty()) return std::nullopt;
        }
      }
      ext.params.push_back(std::move(p));
    }
    if (i < value.size() && value[i] != ',') return std::nullopt;
    out.push_back(std::move(ext));
  }
  return out;
}

// What one side does once permessage-deflate is agreed.
struct DeflateAgreement {
  bool compress_reset = false;          // our compressor starts each message afresh
  bool decompress_reset = false;        // the peer's does: our inflater may too
  std::uint8_t compress_window = 15;    // 9-15; 8: never compress (zlib cannot)
  std::uint8_t decompress_window = 15;  // the peer's window, 8-15
};

// permessage-deflate's parameters as offered or answered.
struct DeflateParams {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  std::uint8_t server_max_window_bits = 0;  // 0: absent
  bool client_max_window_bits = false;      // present (with or without a value)
  std::uint8_t client_max_window_bits_value = 0;  // 0: no value
};

// Reads permessage-deflate's parameters; nullopt when one is unknown,
// repeated, or has a bad value. In an answer (offer = false) every
// parameter that takes a value must have one.
inline std::optional<DeflateParams> read_deflate_params(const Extension& ext, bool offer) {
  DeflateParams d;
  auto bits = [](const ExtensionParam& p) -> std::uint8_t {
    if (p.value.size() == 1 && p.value[0] >= '8' && p.value[0] <= '9') return static_cast<std::uint8_t>(p.value[0] - '0');
    if (p.value.size() == 2 && p.value[0] == '1' && p.value[1] >= '0' && p.value[1] <= '5') {
      return static_cast<std::uint8_t>(10 + p.value[1] - '0');
    }
    return 0;
  };
  bool seen[4] = {false, false, false, false};
  for (const ExtensionParam& p : ext.params) {
    int which = p.name == "server_no_context_takeover"   ? 0
                : p.name == "client_no_context_takeover" ? 1
                : p.name == "server_max_window_bits"     ? 2
                : p.name == "client_max_window_bits"     ? 3
                                                         : -1;
    if (which < 0 || seen[which]) return std::nullopt;
    seen[which] = true;
    if (which <= 1) {
      if (p.has_value) return std::nullopt;
      (which == 0 ? d.server_no_context_takeover : d.client_no_context_takeover) = true;
    } else if (which == 2) {
      d.server_max_window_bits = bits(p);
      if (d.server_max_window_bits == 0) return std::nullopt;
    } else {
      d.client_max_window_bits = true;
      if (p.has_value || !offer) {
        d.client_max_window_bits_value = bits(p);
        if (d.client_max_window_bits_value == 0) return std::nullopt;
      }
    }
  }
  return d;
}

// The server's answer to the client's offers (the whole
// Sec-WebSocket-Extensions value): the agreement and the answer's value,
// or nullopt when no permessage-deflate offer is acceptable.
inline std::optional<std::pair<DeflateAgreement, std::string>> negotiate_deflate(const std::vector<Extension>& offers) {
  for (const Extension& ext : offers) {
    if (ext.name != "permessage-deflate") continue;
    std::optional<DeflateParams> d = read_deflate_params(ext, true);
    if (!d) continue;
    DeflateAgreement a;
    std::string answer = "permessage-deflate; server_no_context_takeover";
    a.compress_reset = true;
    if (d->client_no_context_takeover) {
      answer += "; client_no_context_takeover";
      a.decompress_reset = true;
    }
    if (d->server_max_window_bits != 0) {
      answer += "; server_max_window_bits=" + std::to_string(d->server_max_window_bits);
      a.compress_window = d->server_max_window_bits;
    }
    if (d->client_max_window_bits_value != 0) {
      answer += "; client_max_window_bits=" + std::to_string(d->client_max_window_bits_value);
      a.decompress_window = d->client_max_window_bits_value;
    }
    return std::make_pair(a, std::move(answer));
  }
  return std::nullopt;
}

// What the client offers.
constexpr std::string_view client_deflate_offer = "permessage-deflate; client_max_window_bits";

// The client's reading of the server's answer (the whole header value;
// empty when absent): ok with an agreement or none, or an error to fail
// the handshake with.
struct ClientExtensions {
  const char* error = nullptr;
  std::optional<DeflateAgreement> deflate;
};
inline ClientExtensions accept_extensions(std::string_view answer, bool offered_deflate) {
  ClientExtensions out;
  std::optional<std::vector<Extension>> list = parse_extensions(answer);
  if (!list) {
    out.error = "malformed Sec-WebSocket-Extensions";
    return out;
  }
  for (const Extension& ext : *list) {
    if (ext.name != "permessage-deflate" || !offered_deflate) {
      out.error = "the server chose an extension the client did not offer";
      return out;
    }
    std::optional<DeflateParams> d = read_deflate_params(ext, false);
    if (!d || out.deflate) {
      out.error = d ? "permessage-deflate answered twice" : "bad permessage-deflate parameters";
      return out;
    }
    DeflateAgreement a;
    a.compress_reset = d->client_no_context_takeover;
    a.decompress_reset = d->server_no_context_takeover;
    if (d->client_max_window_bits_value != 0) a.compress_window = d->client_max_window_bits_value;
    if (d->server_max_window_bits != 0) a.decompress_window = d->server_max_window_bits;
    out.deflate = a;
  }
  return out;
}

}  // namespace eddy::detail::ws
