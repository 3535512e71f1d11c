// The process-wide half of IOLoop::add_signal_handler.
//
// A signal arrives on whichever thread the kernel picks. The relay, installed
// with sigaction, does only async-signal-safe work: it sets two atomic flags
// in the owning loop's SignalSink and wakes that loop's poller with a write(2)
// (never kevent(2): libkqueue takes a lock inside it, so calling it from a
// handler can deadlock). The loop then runs the user's handler as an ordinary callback
// on its own thread. Because nothing needs the signal blocked, threads that
// the application starts need no special signal mask.
//
// Thread contract: install/uninstall from any thread (serialised by a mutex);
// relay() from a signal handler.
#pragma once

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <string>

#include "../base/deferred.hpp"
#include "../base/fd_ops.hpp"
#include "poller.hpp"
#include "../base/thread.hpp"  // std::mutex, std::lock_guard

namespace eddy::detail {

#if defined(NSIG)
inline constexpr int signal_count = NSIG;
#else
inline constexpr int signal_count = 65;
#endif

struct SignalSink {
  std::atomic<bool> any{false};
  std::atomic<bool> pending[signal_count] = {};
  Poller* poller = nullptr;
};

struct SignalRegistration {
  std::atomic<SignalSink*> sink{nullptr};
  struct sigaction previous {};
};

inline SignalRegistration signal_registrations[signal_count];
inline std::mutex signal_mutex;

inline void relay_signal(int signum) {
  int saved_errno = errno;  // write(2) below must not clobber the interrupted code's errno
  SignalSink* sink = signal_registrations[signum].sink.load(std::memory_order_acquire);
  if (sink != nullptr) {
    sink->pending[signum].store(true, std::memory_order_relaxed);
    sink->any.store(true, std::memory_order_release);
    sink->poller->signal_wake();
  }
  errno = saved_errno;
}

template <class D = void>
inline void check_signal_number(Deferred<int, D> signum) {
  if (signum <= 0 || signum >= signal_count || signum == SIGKILL || signum == SIGSTOP) {
    throw std::invalid_argument("eddy: cannot handle signal " + std::to_string(signum));
  }
}

// Routes signum to `sink`. Throws std::logic_error if another loop owns it.
template <class D = void>
inline void install_signal(Deferred<int, D> signum, SignalSink* sink) {
  check_signal_number<>(signum);
  std::lock_guard<std::mutex> lock(signal_mutex);
  SignalRegistration& reg = signal_registrations[signum];
  SignalSink* owner = reg.sink.load(std::memory_order_relaxed);
  if (owner == sink) return;
  if (owner != nullptr) {
    throw std::logic_error("eddy: signal " + std::to_string(signum) +
                           " is already handled by another IOLoop");
  }
  struct sigaction action {};
  action.sa_handler = &relay_signal;
  sigfillset(&action.sa_mask);
  // SA_RESTART keeps unrelated blocking calls elsewhere in the program from
  // failing with EINTR; the loop's own wait is woken by the poller instead.
  action.sa_flags = SA_RESTART;
  reg.sink.store(sink, std::memory_order_release);
  if (::sigaction(signum, &action, &reg.previous) == -1) {
    int error = errno;
    reg.sink.store(nullptr, std::memory_order_release);
    throw_error(error, ("sigaction(" + std::to_string(signum) + ")").c_str());
  }
}

// Restores the disposition that was in place before install_signal(). Does
// nothing if `sink` does not own signum.
inline void uninstall_signal(int signum, SignalSink* sink) noexcept {
  if (signum <= 0 || signum >= signal_count) return;
  std::lock_guard<std::mutex> lock(signal_mutex);
  SignalRegistration& reg = signal_registrations[signum];
  if (reg.sink.load(std::memory_order_relaxed) != sink) return;
  ::sigaction(signum, &reg.previous, nullptr);
  reg.sink.store(nullptr, std::memory_order_release);
}

// Blocks every signal in the calling thread. Threads the library starts call
// this first, so signals are only ever handled on application threads.
inline void block_all_signals() noexcept {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

}  // namespace eddy::detail
