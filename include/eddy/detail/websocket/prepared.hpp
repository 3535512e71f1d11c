// A message prepared once for many connections (uWebSockets' prepared
// message): what a broadcast writes to N sockets without encoding, or
// compressing, it N times.
//
// - The uncompressed server frame (header + payload) is built once, at
//   construction; every server connection without compression writes those
//   same bytes.
// - The compressed frame is built on first need, once per window size
//   (almost always one), for every server connection that negotiated
//   permessage-deflate: a server's compressor starts each message afresh
//   (extensions.hpp), so the compressed bytes do not depend on the
//   connection. When compression does not shrink the message, the plain
//   frame goes instead (RFC 7692 lets any message go uncompressed).
// - A client connection masks every frame with its own key, so it encodes
//   the message itself (write_message).
//
// Thread contract: the loop thread (the compressor is the thread's).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "connection.hpp"

namespace eddy::detail::ws {

class PreparedFrames {
 public:
  PreparedFrames(std::string_view data, bool binary) : payload_(data), binary_(binary) {
    if (!binary && !is_valid_utf8(data)) {
      throw std::invalid_argument("eddy: PreparedWebSocketMessage: text is not UTF-8 (prepare it as binary)");
    }
    plain_.resize(frame_header_size(data.size(), false));
    write_frame_header(plain_.data(), true, false, opcode(), data.size(), nullptr);
    plain_.append(data.data(), data.size());
  }
  PreparedFrames(const PreparedFrames&) = delete;
  PreparedFrames& operator=(const PreparedFrames&) = delete;

  std::string_view payload() const noexcept { return payload_; }
  bool binary() const noexcept { return binary_; }
  std::string_view plain_frame() const noexcept { return plain_; }

  // The frame a server connection compressing with 2^window (afresh per
  // message) sends.
  std::string_view deflated_frame(int window) const {
    std::string& frame = deflated_[window & 15];
    if (!made_[window & 15]) {
      std::string out(max_header_size, '\0');
      shared_deflater(window).compress(payload_, out, true);
      std::size_t size = out.size() - max_header_size;
      if (size < payload_.size()) {
        std::size_t start = max_header_size - frame_header_size(size, false);
        write_frame_header(out.data() + start, true, true, opcode(), size, nullptr);
        frame = out.substr(start);
      }
      made_[window & 15] = true;
    }
    return frame.empty() ? std::string_view(plain_) : std::string_view(frame);
  }

  // Writes the message on `c`, sharing the prepared bytes where it can.
  Future<void> write_to(Connection& c) const {
    if (c.role() == Connection::Role::client || (c.compresses() && !c.compress_reset())) {
      return c.write_message(payload_, binary_);
    }
    if (c.compresses()) return c.write_frame_bytes(deflated_frame(c.compress_window()));
    return c.write_frame_bytes(plain_);
  }

 private:
  Opcode opcode() const noexcept { return binary_ ? Opcode::binary : Opcode::text; }

  std::string payload_;
  bool binary_;
  std::string plain_;
  mutable std::string deflated_[16];
  mutable bool made_[16] = {};
};

}  // namespace eddy::detail::ws
