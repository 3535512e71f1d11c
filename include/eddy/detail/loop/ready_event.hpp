// The one type every backend reports: an fd and the events it is ready for,
// in the loop's (poll-compatible) bit values.
#pragma once

#include <cstdint>

namespace eddy::detail {

// The loop's event bits are poll(2)'s and epoll(7)'s numbers, as in Tornado,
// so the poll and epoll backends pass them through unchanged.
inline constexpr std::uint32_t ev_read = 0x001;
inline constexpr std::uint32_t ev_write = 0x004;
inline constexpr std::uint32_t ev_error = 0x008 | 0x010;  // POLLERR | POLLHUP

// With ev_error, a backend that learns the socket's error from the event
// itself (kqueue's EV_EOF fflags) puts that errno in the top 16 bits: under
// libkqueue reading it consumes SO_ERROR, so the event is the only place it
// survives. epoll and poll leave them 0 (SO_ERROR still holds the error).
inline constexpr unsigned ev_errno_shift = 16;
inline constexpr std::uint32_t ev_errno_bits = 0xffff0000u;

inline constexpr std::uint32_t with_errno(std::uint32_t events, int error) noexcept {
  return error > 0 && error <= 0xffff ? events | ev_error | (static_cast<std::uint32_t>(error) << ev_errno_shift)
                                      : events | ev_error;
}

struct ReadyEvent {
  int fd;
  std::uint32_t events;
};

}  // namespace eddy::detail
