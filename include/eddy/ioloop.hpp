/// @file
/// IOLoop: a single-threaded event loop in the model of Tornado 4.5's
/// PollIOLoop: timeouts, callbacks, fd handlers and signals, over epoll,
/// kqueue or poll.
///
/// Thread contract: an IOLoop belongs to the thread that runs start(). Every
/// member must be called from that thread while the loop runs, except
/// add_callback() and stop(), which are safe from any thread (and
/// add_callback() wakes the loop). Debug builds (no NDEBUG, or EDDY_DEBUG=1)
/// abort with a message when another member is called from a foreign thread
/// while the loop runs.
///
/// Fork: an IOLoop must not be used in a child process after fork(); the child
/// creates a new loop (its epoll/kqueue descriptor is shared with the parent).
///
/// This header is the loop's entry point: it gives IOLoop and, defined in
/// future.hpp (which it includes last), its future-returning members
/// run_sync, add_future and run_in_executor. The loop's internals live in
/// detail/loop/ and never include the future layer.
#pragma once

#include "detail/loop/ioloop_impl.hpp"
#include "loop_types.hpp"

namespace eddy {

/// The event loop: timeouts, callbacks, fd handlers and signals on one thread, as Tornado's IOLoop.
///
/// One thread runs it; add_callback is the one member safe from any thread (see the file comment and the
/// README's thread contract). Its members live in detail::IOLoopImpl, a class template over a dummy
/// parameter, so that only the members a program uses are compiled (a plain class's inline members, and
/// every template they use, are compiled in every translation unit that includes the header).
// Doxygen does not see the detail namespace (its opening is hidden from it), so it finds
// the base, and shows its members on this page, by the name IOLoopImpl.
#if defined(EDDY_DOXYGEN)
class IOLoop : public IOLoopImpl<void> {
#else
class IOLoop : public detail::IOLoopImpl<void> {
#endif
 public:
  /// A loop over the platform's best backend (epoll on Linux, kqueue on macOS
  /// and the BSDs). Throws std::system_error if the OS refuses.
  IOLoop() = default;
  using IOLoopImpl::IOLoopImpl;
  IOLoop(const IOLoop&) = delete;
  IOLoop& operator=(const IOLoop&) = delete;
};

}  // namespace eddy

#include "detail/loop/ioloop_handlers.hpp"
#include "detail/loop/ioloop_iteration.hpp"
#include "detail/loop/ioloop_teardown.hpp"
#include "detail/loop/ioloop_timers.hpp"

// The futures half of the API (run_sync, add_future, run_in_executor) lives
// in future.hpp and detail/future/ioloop_futures.hpp; including it here makes
// <eddy/ioloop.hpp> complete alone.
#include "future.hpp"

// EDDY_SEPARATE_COMPILATION (the eddy::compiled target): the members of the
// base above are compiled once, in src/eddy_core.cpp; a user's file
// compiles their declarations only (see docs/compile-time.md).
#if defined(EDDY_SEPARATE_COMPILATION)
extern template class eddy::detail::IOLoopImpl<void>;
#endif
