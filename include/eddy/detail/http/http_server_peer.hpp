// PeerAddress: a connection's remote IP, as its requests' remote_ip, in 17
// bytes instead of a 32-byte std::string (every idle keep-alive connection
// keeps one, so the 15 bytes count; see http1_connection.hpp).
//
// An IP of up to 15 characters (every IPv4 address, short IPv6 ones like
// "::1") is kept as text and copied out as it is, so a request pays what it
// paid for a string copy. A longer IPv6 address is kept as its 16 bytes and
// printed again by inet_ntop per request (round-tripping what TCPServer
// printed with inet_ntop); anything else (not expected from TCPServer) as a
// heap copy.
//
// Thread contract: the owner's thread (a plain value).
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ascii_words.hpp"

namespace eddy::detail {

class PeerAddress {
 public:
  explicit PeerAddress(std::string_view ip) {
    if (ip.size() <= max_text) {
      std::memcpy(bytes_, ip.data(), ip.size());
      kind_ = static_cast<std::uint8_t>(ip.size());
      return;
    }
    char text[INET6_ADDRSTRLEN] = {};
    if (ip.size() < sizeof text) {
      std::memcpy(text, ip.data(), ip.size());
      if (::inet_pton(AF_INET6, text, bytes_) == 1) {
        kind_ = v6;
        return;
      }
    }
    std::string* other = new std::string(ip);
    std::memcpy(bytes_, &other, sizeof other);
    kind_ = heap;
  }
  PeerAddress(const PeerAddress&) = delete;
  PeerAddress& operator=(const PeerAddress&) = delete;
  ~PeerAddress() { delete heap_copy(); }

  // out = the address as text.
  void copy_to(std::string& out) const {
    if (kind_ <= max_text) {
      // A pooled request often held this very address (same connection).
      std::string_view text(reinterpret_cast<const char*>(bytes_), kind_);
      if (out.size() != text.size() || !equal_bytes(out.data(), text.data(), text.size())) {
        out.assign(text.data(), text.size());
      }
    } else if (kind_ == v6) {
      char text[INET6_ADDRSTRLEN];
      out.assign(::inet_ntop(AF_INET6, bytes_, text, sizeof text) != nullptr ? text : "");
    } else {
      out = *heap_copy();
    }
  }

 private:
  static constexpr std::uint8_t max_text = 15;
  static constexpr std::uint8_t v6 = 16;
  static constexpr std::uint8_t heap = 17;

  std::string* heap_copy() const noexcept {
    if (kind_ != heap) return nullptr;
    std::string* other = nullptr;
    std::memcpy(&other, bytes_, sizeof other);
    return other;
  }

  unsigned char bytes_[16];  // text, an in6_addr, or a std::string*
  std::uint8_t kind_;        // 0-15: text of that length; v6; heap
};

}  // namespace eddy::detail
