// The exceptions a stream raises into its futures and callbacks.
//
// StreamClosedError: every pending and later operation of a closed stream
// fails with it, and IOStream::error() returns it. what() says why, e.g.
// "eddy: stream closed: peer closed the connection", "... connection reset by
// peer", "... closed locally", "... its loop was destroyed"; error() is the
// errno behind it, or 0 when there is none.
//
// UnsatisfiableReadError: the read that can never complete (read_until found
// no delimiter within max_bytes, or the read buffer passed max_buffer_size);
// the stream is closed. Tornado's UnsatisfiableReadError and
// StreamBufferFullError in one.
#pragma once

#include <stdexcept>
#include <string>

namespace eddy {

class StreamClosedError : public std::runtime_error {
 public:
  explicit StreamClosedError(const std::string& what, int error = 0) : std::runtime_error(what), error_(error) {}
  int error() const noexcept { return error_; }

 private:
  int error_;
};

class UnsatisfiableReadError : public StreamClosedError {
 public:
  using StreamClosedError::StreamClosedError;
};

}  // namespace eddy
