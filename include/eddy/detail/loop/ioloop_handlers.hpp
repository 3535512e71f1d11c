// IOLoop's registrations: fd handlers, signal handlers and the exception
// handler (declared, with their contracts, in ioloop_impl.hpp). Included by
// <eddy/ioloop.hpp> once IOLoop is complete; not meant to be included alone.
//
// Thread contract: the loop thread only (assert_loop_thread() checks it in
// debug builds), as every IOLoop member but add_callback() and stop().
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "ioloop_impl.hpp"

namespace eddy {

template <class D>
template <class H>
inline void detail::IOLoopImpl<D>::add_handler(int fd, H&& handler, std::uint32_t events, SourceLocation where) {
  assert_loop_thread();
  if (fd < 0) throw std::invalid_argument("eddy: add_handler: invalid fd " + std::to_string(fd));
  if (handlers_.contains(fd)) {
    throw std::invalid_argument("eddy: add_handler: fd " + std::to_string(fd) + " is already registered");
  }
  detail::HandlerTable::Handler fn(std::forward<H>(handler));
  if (!fn) throw std::invalid_argument("eddy: add_handler: empty handler for fd " + std::to_string(fd));
  // The registration's tag travels with its events (epoll's data), so
  // events of an earlier registration of the same number are told apart.
  std::uint32_t tag = handlers_.next_tag();
  poller_.add(fd, events, tag);
  try {
    handlers_.insert(fd, std::move(fn), events, batch_, where, tag);
  } catch (...) {
    poller_.remove(fd);
    throw;
  }
}

template <class D>
inline void detail::IOLoopImpl<D>::update_handler(int fd, std::uint32_t events) {
  assert_loop_thread();
  detail::HandlerTable::Slot* slot = handlers_.find(fd);
  if (slot == nullptr) {
    throw std::invalid_argument("eddy: update_handler: fd " + std::to_string(fd) + " is not registered");
  }
  if (slot->events == events) return;
  poller_.modify(fd, events, slot->tag);
  slot->events = events;
}

template <class D>
inline void detail::IOLoopImpl<D>::remove_handler(int fd) noexcept {
  assert_loop_thread();
  if (!handlers_.contains(fd)) return;
  poller_.remove(fd);
  handlers_.erase(fd);
}

template <class D>
template <class S>
inline void detail::IOLoopImpl<D>::add_signal_handler(int signum, S&& handler) {
  assert_loop_thread();
  detail::check_signal_number(signum);
  detail::Function<void(int)> fn(std::forward<S>(handler));
  if (signal_handlers_.empty()) signal_handlers_.resize(detail::signal_count);
  detail::install_signal(signum, &sink_);
  // The old handler is destroyed after the new one is in place.
  auto old = std::move(signal_handlers_[static_cast<std::size_t>(signum)]);
  signal_handlers_[static_cast<std::size_t>(signum)] = std::move(fn);
}

template <class D>
inline void detail::IOLoopImpl<D>::remove_signal_handler(int signum) {
  assert_loop_thread();
  if (signum <= 0 || static_cast<std::size_t>(signum) >= signal_handlers_.size()) return;
  detail::uninstall_signal(signum, &sink_);
  sink_.pending[signum].store(false, std::memory_order_relaxed);
  auto old = std::move(signal_handlers_[static_cast<std::size_t>(signum)]);
}

template <class D>
template <class E>
inline void detail::IOLoopImpl<D>::set_exception_handler(E&& handler) {
  exception_handler_ = detail::Function<void(std::exception_ptr)>(std::forward<E>(handler));
  ++exception_handler_version_;
}

}  // namespace eddy
