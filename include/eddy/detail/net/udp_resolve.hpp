// UDPState's names: connecting, and sending to a host name, resolved with
// getaddrinfo on the loop's executor (run_in_executor) so that a slow DNS
// server never blocks the loop. Included by udp_state.hpp.
//
// The rules:
// - connect(literal) connects at once; connect(name) resolves first. Until
//   then send() queues (in order, flushed once connected) and receive()
//   waits; a name that does not resolve, or whose addresses the socket's
//   family cannot reach, closes the socket with that error, failing what
//   waits and every later call.
// - send_to(name) resolves each call, then sends (or queues) the datagram:
//   datagrams to a name may go out after later ones to literals (UDP keeps
//   no order anyway). The first address the socket's family can reach is
//   used.
// - The executor's callbacks hold the state weakly: a socket dropped
//   meanwhile fails the pending send with StreamClosedError.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "udp_state.hpp"

namespace eddy::detail {

// The first of `addresses` the socket's family can reach, fitted to it
// (v4-mapped for a dual-stack socket); errno EAFNOSUPPORT when none.
template <class D = void>
inline int pick_address(Deferred<std::vector<ResolvedAddress>, D> addresses, int family, ResolvedAddress& out) {
  for (ResolvedAddress& a : addresses) {
    if (fit_family(a, family) == 0) {
      out = a;
      return 0;
    }
  }
  return addresses.empty() ? EADDRNOTAVAIL : EAFNOSUPPORT;
}

template <class D>
inline void BasicUDPState<D>::connect_to(ResolvedAddress address, const std::string& context) {
  if (int error = fit_family(address, family_)) throw std::system_error(error, std::generic_category(), context);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address.addr), address.len) == -1) {
    throw std::system_error(errno, std::generic_category(), context);
  }
  connected_ = true;
  note_port();  // connect bound the socket, if it was not yet
}

template <class D>
inline void BasicUDPState<D>::connect_by_name(const std::string& host, std::uint16_t port) {
  connecting_ = true;
  std::string context = "eddy: UDPSocket::connect " + format_host_port(host, port);
  std::weak_ptr<BasicUDPState> weak = this->weak_from_this();
  auto resolved = loop()->run_in_executor([host, port, context] { return resolve(host, port, false, context); });
  resolved.add_done_callback([weak, context](const Future<std::vector<ResolvedAddress>>& done) {
    if (std::shared_ptr<BasicUDPState> state = weak.lock()) state->finish_connect(done, context);
  });
}

template <class D>
inline void BasicUDPState<D>::finish_connect(const Future<std::vector<ResolvedAddress>>& resolved,
                                             const std::string& context) {
  if (closed_) return;
  connecting_ = false;
  if (std::exception_ptr error = resolved.exception()) return close_with(error);
  ResolvedAddress address;
  int error = pick_address<D>(resolved.result(), family_, address);
  if (error != 0) {
    return close_with(std::make_exception_ptr(std::system_error(error, std::generic_category(), context)));
  }
  try {
    connect_to(address, context);
  } catch (...) {
    return close_with(std::current_exception());
  }
  if (!sends_.empty()) want(IOLoop::WRITE);
}

template <class D>
inline Future<void> BasicUDPState<D>::send_to_name(std::string_view data, const std::string& host,
                                                   std::uint16_t port) {
  std::string context = "eddy: UDPSocket::send_to " + format_host_port(host, port);
  auto resolved = loop()->run_in_executor([host, port, context] { return resolve(host, port, false, context); });
  Future<void> done;
  std::weak_ptr<BasicUDPState> weak = this->weak_from_this();
  resolved.add_done_callback(
      [weak, done, context, payload = std::string(data)](const Future<std::vector<ResolvedAddress>>& addresses) mutable {
        if (std::shared_ptr<BasicUDPState> state = weak.lock()) {
          state->send_resolved(std::move(payload), addresses, std::move(done), context);
        } else {
          done.set_exception(closed_error("its last handle was dropped"));
        }
      });
  return done;
}

template <class D>
inline void BasicUDPState<D>::send_resolved(std::string data, const Future<std::vector<ResolvedAddress>>& resolved,
                                            Future<void> done, const std::string& context) {
  if (closed_) return done.set_exception(failure());
  if (std::exception_ptr error = resolved.exception()) return done.set_exception(error);
  ResolvedAddress to;
  if (int error = pick_address<D>(resolved.result(), family_, to)) {
    return done.set_exception(std::make_exception_ptr(std::system_error(error, std::generic_category(), context)));
  }
  Future<void> sent = send_or_queue(data, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
  sent.add_done_callback([done](const Future<void>& outcome) mutable {
    if (std::exception_ptr error = outcome.exception()) {
      done.set_exception(error);
    } else {
      done.set_result();
    }
  });
}

}  // namespace eddy::detail
