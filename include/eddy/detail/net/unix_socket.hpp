// bind_unix_socket's work: a listening Unix-domain stream socket on a file
// path, as Tornado's netutil.bind_unix_socket.
//
// The rules (Tornado's, with its choices kept):
// - A socket file already at the path is removed first: it is taken to be
//   left over from an earlier run (a server that died leaves its file), and
//   removing it is what lets a restarted server bind. A live server's file
//   is replaced as well, as in Tornado: run one server per path.
// - Anything else at the path (a regular file, a directory, a FIFO, a
//   symbolic link) is refused with std::system_error (EEXIST) and left alone;
//   eddy never deletes what is not a socket.
// - The file gets `mode` (chmod after bind; between the two it has the
//   process umask's permissions, as with Tornado).
// - The socket is non-blocking and close-on-exec; the file is not removed
//   when the socket closes (as Tornado: the next bind replaces it).
//
// Thread contract: any thread (plain system calls; nothing blocks).
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "../base/deferred.hpp"
#include "../stream/socket_ops.hpp"

namespace eddy::detail {

// Removes a socket file at `path`; throws if something else is there.
template <class D = void>
inline void clear_socket_path(const Deferred<std::string, D>& path, const std::string& context) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == -1) {
    if (errno == ENOENT) return;
    throw std::system_error(errno, std::generic_category(), context + ": stat");
  }
  if (!S_ISSOCK(st.st_mode)) {
    throw std::system_error(EEXIST, std::generic_category(),
                            context + ": the path exists and is not a socket; it was left alone");
  }
  if (::unlink(path.c_str()) == -1 && errno != ENOENT) {
    throw std::system_error(errno, std::generic_category(), context + ": removing the old socket file");
  }
}

template <class D = void>
inline int bind_unix_socket(const Deferred<std::string, D>& path, int mode, int backlog) {
  std::string context = "eddy: bind_unix_socket " + path;
  ResolvedAddress address = unix_address(path, context);
  clear_socket_path<D>(path, context);
  int fd = open_socket(AF_UNIX);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.len) == -1) {
    int error = errno;
    close_fd(fd);
    throw std::system_error(error, std::generic_category(), context + ": bind");
  }
  const char* step = nullptr;
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) == -1) {
    step = ": chmod";
  } else if (::listen(fd, backlog) == -1) {
    step = ": listen";
  }
  if (step != nullptr) {
    int error = errno;
    close_fd(fd);
    ::unlink(path.c_str());  // ours: bind made it
    throw std::system_error(error, std::generic_category(), context + step);
  }
  return fd;
}

}  // namespace eddy::detail
