// HTTP1Connection's hand-over to another protocol (a WebSocket, issue 25):
// after the upgrade request, the 101 goes out behind any response before
// it, and the stream and the bytes read past the request belong to the
// caller. See http1_connection.hpp and ResponseChannel::upgrade.
//
// Only while the request's handler runs inside dispatch (the connection
// has no read of its own pending then). A request pipelined behind one
// still being answered is dispatched while a read is pending, which cannot
// be taken back: that upgrade is refused (false).
//
// Thread contract: the loop thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http1_connection.hpp"
#include "http1_connection_output.hpp"

namespace eddy::detail {

inline bool HTTP1Connection::upgrade(RequestHandler& h, std::string_view head, std::optional<IOStream>& stream,
                                     std::string& unread) {
  if (&h != current_ || closed_ || closing_ || reading_ || stream_.closed() || HandlerAccess::headers_sent(h)) {
    return false;
  }
  unread.assign(input().data(), input().size());
  drop_input();
  scratch_size_ = 0;
  scanned_ = 0;
  current_ = nullptr;
  HandlerAccess::attach(h, nullptr);
  HandlerAccess::release(h);  // the connection's hold
  // Off the server's lists first: its timeouts, send clock and
  // close_all_connections() are the WebSocket's business from here on, so
  // the write below arms no deadline (wait_until ignores an unlisted one).
  shared_->unlink(*this, true);
  out().append(head.data(), head.size());
  (void)write_assembled();  // behind the responses assembled before it; a failure closes the stream
  closed_ = true;     // process(), read_more() and on_closed() stop here
  pending_.reset();
  stream.emplace(stream_);
  // The close callback owned this connection; whoever runs it (a read
  // callback or a scheduled resume) still holds it until it returns.
  stream_.set_close_callback(nullptr);
  return true;
}

}  // namespace eddy::detail
