// Helpers for the WebSocket tests: a raw, blocking WebSocket client that
// sends exactly the bytes a test wants (masked or not, any flag, any
// length form), a raw server for the client tests, and a thread-safe log of
// what handlers saw on the server's loop thread.
//
//   eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) { app.websocket(...); });
//   eddy_test::RawWebSocket c(server.port());
//   REQUIRE(c.handshake("/ws").status == 101);
//   c.send_frame(0x81, "hello");
//   eddy_test::RawFrame f = c.read_frame();
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <eddy/websocket.hpp>

#include "http_test_server.hpp"

namespace eddy_test {

struct RawFrame {
  int opcode = -1;
  bool fin = false;
  bool rsv1 = false;
  std::string payload;
  // The close code of a close frame (0: none).
  int close_code() const {
    if (payload.size() < 2) return 0;
    return static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1]);
  }
};

// Encodes one frame. length_form 16/64 forces a longer length encoding.
inline std::string encode_frame(int first_byte, std::string_view payload, bool masked = true, int length_form = 0) {
  std::string out(1, static_cast<char>(first_byte));
  unsigned char bit = masked ? 0x80 : 0;
  std::size_t n = payload.size();
  if (length_form == 0 && n < 126) {
    out += static_cast<char>(bit | n);
  } else if ((length_form == 0 && n <= 0xFFFF) || length_form == 16) {
    out += static_cast<char>(bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
  }
  std::string body(payload);
  if (masked) {
    const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    out.append(reinterpret_cast<const char*>(key), 4);
    eddy::detail::ws::apply_mask(body.data(), body.size(), key);
  }
  return out + body;
}

inline std::string close_payload(int code, std::string_view reason = {}) {
  return eddy::detail::ws::close_payload(static_cast<std::uint16_t>(code), reason);
}

// Reads one frame from `buffer` (refilled by `more()`, false at EOF).
template <class More>
RawFrame read_frame_from(std::string& buffer, More&& more, bool expect_masked) {
  namespace ws = eddy::detail::ws;
  ws::FrameRules rules;
  rules.from_client = expect_masked;
  rules.rsv1_allowed = true;
  for (;;) {
    // Any order of frames is accepted here: the tests check the sequence.
    rules.in_message = !buffer.empty() && (buffer[0] & 0x0F) == 0;
    ws::FrameParse f = ws::parse_frame(buffer, rules);
    if (f.status == ws::FrameStatus::error) throw std::runtime_error(std::string("raw: bad frame: ") + f.reason);
    if (f.status == ws::FrameStatus::complete) {
      RawFrame out;
      out.opcode = static_cast<int>(f.header.opcode);
      out.fin = f.header.fin;
      out.rsv1 = f.header.rsv1;
      out.payload = std::string(f.payload);
      if (f.header.masked) ws::apply_mask(out.payload.data(), out.payload.size(), f.header.mask);
      buffer.erase(0, f.header.header_size + f.payload.size());
      return out;
    }
    if (!more()) throw std::runtime_error("raw: closed before a whole frame");
  }
}

// A blocking WebSocket client speaking raw frames (every wait times out).
class RawWebSocket : public Client {
 public:
  using Client::Client;

  // Sends the upgrade request (extra: more "Name: value\r\n" lines; the
  // default fields can be replaced by passing `fields`).
  Response handshake(std::string_view path = "/ws", std::string_view extra = "",
                     std::string_view fields = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                               "Sec-WebSocket-Version: 13\r\n") {
    send("GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(fields) + std::string(extra) +
         "\r\n");
    return response();
  }
  void send_frame(int first_byte, std::string_view payload, bool masked = true, int length_form = 0) {
    send(encode_frame(first_byte, payload, masked, length_form));
  }
  RawFrame read_frame() {
    return read_frame_from(buffered(), [this] { return receive_some(); }, false);
  }
  // Frames until a close frame; returns it (a data frame before it is skipped).
  RawFrame read_close() {
    for (;;) {
      RawFrame f = read_frame();
      if (f.opcode == 8) return f;
    }
  }
  // True once the server closed TCP (EOF or reset), dropping what comes first.
  bool wait_eof() {
    try {
      for (;;) {
        buffered().clear();
        if (!receive_some()) return true;
      }
    } catch (const std::runtime_error&) {
      return false;  // timed out
    }
  }
};

// What handlers on the server's thread saw, for the test's thread to wait on.
class EventLog {
 public:
  void add(std::string event) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
    changed_.notify_all();
  }
  // Waits until `event` was added (10 s at most); true if it was.
  bool wait_for(const std::string& event, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, limit, [&] {
      for (const std::string& e : events_)
        if (e == event) return true;
      return false;
    });
  }
  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  bool has(const std::string& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& e : events_)
      if (e == event) return true;
    return false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> events_;
};

}  // namespace eddy_test
