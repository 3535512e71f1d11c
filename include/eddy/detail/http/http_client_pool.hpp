// The client's keep-alive pool: idle connections per (host, port), as
// libcurl's connection cache.
//
// - take(key) hands out the most recently used idle connection that is
//   still alive (ClientConnection::alive: open, nothing unread, no EOF
//   waiting in the kernel); dead or expired ones met on the way are closed.
//   One non-blocking recv(MSG_PEEK) per reuse is the price of never sending
//   a request into a connection the server has already closed.
// - put() keeps at most max_per_key connections per key; one more closes
//   the oldest.
// - One sweep timer, armed while anything is pooled, closes connections
//   idle longer than idle_timeout (no timer per connection).
//
// Lifetime: owned by the client's shared state; clear() closes everything
// and cancels the sweep (and touches no loop that is gone: it checks the
// loop's anchor). The sweep holds a weak reference only.
// Thread contract: the loop thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../../ioloop.hpp"
#include "http_client_connection.hpp"

namespace eddy::detail {

class ClientPool {
 public:
  using Connection = std::shared_ptr<ClientConnection>;

  ClientPool(IOLoop& loop, std::size_t max_per_key, Clock::duration idle_timeout)
      : loop_(&loop), anchor_(loop.anchor()), max_per_key_(max_per_key), idle_timeout_(idle_timeout) {}
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;
  ~ClientPool() { clear(); }

  // The weak self the sweep timer holds; set by the owner once it is shared.
  void set_self(std::weak_ptr<ClientPool> self) { self_ = std::move(self); }

  Connection take(const std::string& key) {
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    std::vector<Connection>& list = it->second;
    Clock::time_point now = Clock::now();
    while (!list.empty()) {
      Connection c = std::move(list.back());
      list.pop_back();
      --count_;
      if (now - c->idle_since < idle_timeout_ && c->alive()) return c;
      c->close();
    }
    return nullptr;
  }

  void put(Connection c) {
    if (max_per_key_ == 0) {
      c->close();
      return;
    }
    c->idle_since = Clock::now();
    std::vector<Connection>& list = idle_[c->key()];
    if (list.size() >= max_per_key_) {
      list.front()->close();
      list.erase(list.begin());
      --count_;
    }
    list.push_back(std::move(c));
    ++count_;
    arm();
  }

  std::size_t size() const noexcept { return count_; }

  void clear() noexcept {
    for (auto& [key, list] : idle_) {
      for (Connection& c : list) c->close();
    }
    idle_.clear();
    count_ = 0;
    // A client kept past its loop (a bug, but one that must not crash)
    // finds the anchor cleared and the timer gone with the loop.
    if (sweep_ && anchor_->loop != nullptr) loop_->remove_timeout(sweep_);
    sweep_ = Timeout();
  }

 private:
  void arm() {
    if (sweep_ || anchor_->loop == nullptr) return;
    sweep_ = loop_->call_later(idle_timeout_, [weak = self_] {
      if (std::shared_ptr<ClientPool> pool = weak.lock()) pool->sweep();
    });
  }

  void sweep() {
    sweep_ = Timeout();
    Clock::time_point now = Clock::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      std::vector<Connection>& list = it->second;
      std::size_t kept = 0;
      for (Connection& c : list) {
        if (now - c->idle_since >= idle_timeout_ || !c->alive()) {
          c->close();
          --count_;
        } else {
          list[kept++] = std::move(c);
        }
      }
      list.resize(kept);
      it = list.empty() ? idle_.erase(it) : std::next(it);
    }
    if (count_ > 0) arm();
  }

  IOLoop* loop_;
  std::shared_ptr<const LoopAnchor> anchor_;
  std::size_t max_per_key_;
  Clock::duration idle_timeout_;
  std::unordered_map<std::string, std::vector<Connection>> idle_;
  std::size_t count_ = 0;
  Timeout sweep_;
  std::weak_ptr<ClientPool> self_;
};

}  // namespace eddy::detail
