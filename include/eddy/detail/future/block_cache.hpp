// BlockCache<Size>: a small per-thread free list of fixed-size blocks, so
// that objects made and dropped once per operation (a future's shared state
// per read, write or coroutine step) reuse memory instead of paying malloc
// and free each time. It keeps at most `capacity` blocks per size and
// thread; beyond that, blocks go back to operator delete.
//
// Blocks are plain operator new memory, so a block freed on another thread
// than the one that made it (the executor hands futures across) simply
// joins that thread's list. At thread exit the list is freed; a block freed
// after that goes straight to operator delete (the list head and the flag
// are trivially destructible thread_locals, valid for the whole thread).
//
// Under AddressSanitizer the cache is off: recycled memory would hide a
// use-after-free of the very objects it serves.
//
// Thread contract: each thread uses its own list; nothing is shared.
#pragma once

#include <cstddef>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define EDDY_BLOCK_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDDY_BLOCK_CACHE 0
#endif
#endif
#ifndef EDDY_BLOCK_CACHE
#define EDDY_BLOCK_CACHE 1
#endif

namespace eddy::detail {

// True when freed blocks are recycled (false under AddressSanitizer).
inline constexpr bool block_cache_enabled = EDDY_BLOCK_CACHE != 0;

template <std::size_t Size>
class BlockCache {
  static_assert(Size >= sizeof(void*), "a block must hold the free-list link");

 public:
  static constexpr std::size_t capacity = 64;

  static void* allocate() {
#if EDDY_BLOCK_CACHE
    if (Node* node = head_) {
      head_ = node->next;
      --count_;
      return node;
    }
    reaper_.arm();
#endif
    return ::operator new(Size);
  }

  static void deallocate(void* block) noexcept {
#if EDDY_BLOCK_CACHE
    if (count_ < capacity && !thread_exited_) {
      Node* node = static_cast<Node*>(block);
      node->next = head_;
      head_ = node;
      ++count_;
      return;
    }
#endif
    ::operator delete(block);
  }

 private:
  struct Node {
    Node* next;
  };

  // Frees the list when the thread ends. Touched (armed) on the first
  // allocation that misses, so threads that never allocate pay nothing.
  struct Reaper {
    void arm() noexcept {}
    ~Reaper() {
      thread_exited_ = true;
      while (Node* node = head_) {
        head_ = node->next;
        ::operator delete(node);
      }
      count_ = 0;
    }
  };

  static inline thread_local Node* head_ = nullptr;
  static inline thread_local std::size_t count_ = 0;
  static inline thread_local bool thread_exited_ = false;
  static inline thread_local Reaper reaper_;
};

}  // namespace eddy::detail
