/// @file
/// Tornado's netutil on the loop: Unix-domain sockets (bind_unix_socket, and
/// TCPClient::connect_unix in tcpclient.hpp) and UDPSocket, one datagram
/// socket.
///
///   eddy::TCPServer server(handle);
///   server.add_socket(eddy::bind_unix_socket("/run/app.sock"));   // HTTPServer too
///   eddy::IOStream s = co_await eddy::TCPClient().connect_unix("/run/app.sock");
///
///   eddy::UDPSocket udp = eddy::UDPSocket::bind(0, "127.0.0.1");
///   eddy::UDPSocket::Datagram d = co_await udp.receive();
///   co_await udp.send_to(d.data, d.host, d.port);
///
/// Everything here works on every backend (epoll, kqueue, poll) and builds as
/// C++17. Thread contract: the thread of the loop current when the socket
/// was made.
#pragma once

#include <cstdint>
#include <string>

#include "detail/deferred.hpp"
#include "detail/net/unix_socket.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"
#include "tcpclient.hpp"
#include "tcpserver.hpp"

namespace eddy {

/// A listening Unix-domain stream socket at `path`, as Tornado's
/// netutil.bind_unix_socket: non-blocking, close-on-exec, the file's
/// permissions set to `mode`, listening with `backlog`. Serve it with
/// TCPServer::add_socket or HTTPServer::add_socket (which own it from then
/// on); connections' addresses read "" (an unnamed peer), and so does an
/// HTTP request's remote_ip.
///
/// A socket file already at `path` is replaced (a stale file left by a
/// server that died; a live one's too, as in Tornado). Anything else there
/// (a regular file, a directory, a link) is refused with std::system_error
/// (EEXIST) and left untouched. Other failures throw std::system_error
/// naming the path and the step (bind: EACCES, ENOENT for a missing
/// directory, ...); a path over 107 bytes throws ENAMETOOLONG. The file is
/// not removed when the socket closes. Any thread; nothing blocks.
template <class D = void>
inline int bind_unix_socket(const detail::Deferred<std::string, D>& path, int mode = 0600, int backlog = 128) {
  return detail::bind_unix_socket<D>(path, mode, backlog);
}

}  // namespace eddy
