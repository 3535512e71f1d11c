// Compile-time configuration: which backends this platform offers and the
// debug assertion macro. This is the only file that looks at the platform.
#pragma once

#include <cstdio>
#include <cstdlib>

#if defined(__linux__)
#define EDDY_HAVE_EPOLL 1
#define EDDY_HAVE_EVENTFD 1
#endif

// kqueue is native on the BSDs and macOS; on Linux it is only available
// through libkqueue, which the build enables with -DEDDY_HAVE_KQUEUE=1.
#if !defined(EDDY_HAVE_KQUEUE) &&                                                    \
    (defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) ||          \
     defined(__NetBSD__) || defined(__DragonFly__))
#define EDDY_HAVE_KQUEUE 1
#endif

#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) ||            \
    defined(__NetBSD__) || defined(__DragonFly__)
#define EDDY_HAVE_PPOLL 1
#endif

#ifndef EDDY_HAVE_EPOLL
#define EDDY_HAVE_EPOLL 0
#endif
#ifndef EDDY_HAVE_KQUEUE
#define EDDY_HAVE_KQUEUE 0
#endif
#ifndef EDDY_HAVE_PPOLL
#define EDDY_HAVE_PPOLL 0
#endif

// EDDY_DEBUG turns on the thread-contract assertions. It follows NDEBUG unless
// the user sets it explicitly.
#if !defined(EDDY_DEBUG)
#if defined(NDEBUG)
#define EDDY_DEBUG 0
#else
#define EDDY_DEBUG 1
#endif
#endif

namespace eddy::detail {

[[noreturn]] inline void assertion_failed(const char* what, const char* file, int line) noexcept {
  std::fprintf(stderr, "eddy: assertion failed: %s (%s:%d)\n", what, file, line);
  std::abort();
}

}  // namespace eddy::detail

#if EDDY_DEBUG
#define EDDY_ASSERT(cond, what) \
  ((cond) ? (void)0 : ::eddy::detail::assertion_failed(what, __FILE__, __LINE__))
#else
#define EDDY_ASSERT(cond, what) ((void)0)
#endif

#if defined(__GNUC__)
#define EDDY_NOINLINE __attribute__((noinline))
#define EDDY_COLD __attribute__((cold))
#define EDDY_ALWAYS_INLINE __attribute__((always_inline))
#define EDDY_LIKELY(x) __builtin_expect(!!(x), 1)
#define EDDY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define EDDY_NOINLINE
#define EDDY_COLD
#define EDDY_ALWAYS_INLINE
#define EDDY_LIKELY(x) (x)
#define EDDY_UNLIKELY(x) (x)
#endif
