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

struct ReadyEvent {
  int fd;
  std::uint32_t events;
};

}  // namespace eddy::detail
