// Function<R(Args...)>: a move-only callable with a small inline buffer.
//
// Every timeout, callback and handler the loop stores is one of these. A
// lambda that captures up to four pointers (or a std::string, or a
// shared_ptr and two pointers) is stored inline, so scheduling it allocates
// nothing; larger or throwing-move callables go to the heap. Unlike
// std::function it accepts move-only callables (a lambda owning a
// unique_ptr or a coroutine handle) and never copies.
//
// Thread contract: none; a Function is a plain value owned by one thread at a
// time.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>
// std::bad_function_call is declared in <functional>, which costs 39,000
// preprocessed lines as C++20; libstdc++ declares it in <bits/std_function.h>
// (6,000). Anywhere else, the standard header.
#include <version>
#if defined(__GLIBCXX__) && __has_include(<bits/std_function.h>)
#include <bits/std_function.h>
#else
#include <functional>
#endif

#include "invoke.hpp"

namespace eddy::detail {

template <class Signature>
class Function;

template <class R, class... Args>
class Function<R(Args...)> {
 public:
  // Room for four pointers: the floor is three, and four lets a
  // lambda hold a std::string or a shared_ptr plus two pointers inline.
  static constexpr std::size_t inline_size = 4 * sizeof(void*);
  static constexpr std::size_t inline_align = alignof(void*);

  template <class F>
  static constexpr bool stored_inline =
      sizeof(F) <= inline_size && alignof(F) <= inline_align &&
      std::is_nothrow_move_constructible_v<F>;

  Function() noexcept = default;
  Function(std::nullptr_t) noexcept {}  // NOLINT: mirrors std::function

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, Function> &&
                                     std::is_invocable_r_v<R, D&, Args...>>>
  Function(F&& f) {  // NOLINT: implicit, as std::function
    construct<D>(std::forward<F>(f));
  }

  // Replaces the target with f, constructed in place.
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, Function> &&
                                     std::is_invocable_r_v<R, D&, Args...>>>
  void emplace(F&& f) {
    reset();
    construct<D>(std::forward<F>(f));
  }

  // emplace() into a Function known to be empty (a free timer node): no
  // load of the old target, so a node in memory not yet cached costs a
  // store that need not wait, not a load that must.
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, Function> &&
                                     std::is_invocable_r_v<R, D&, Args...>>>
  void emplace_empty(F&& f) {
    construct<D>(std::forward<F>(f));
  }

  Function(Function&& other) noexcept { take(other); }

  Function& operator=(Function&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }

  Function& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }

  Function(const Function&) = delete;
  Function& operator=(const Function&) = delete;

  ~Function() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  // Calling an empty Function throws std::bad_function_call, as std::function.
  R operator()(Args... args) {
    if (ops_ == nullptr) throw std::bad_function_call();
    return ops_->invoke(buffer_, std::forward<Args>(args)...);
  }

  // Calls a Function known to be non-empty, without the check.
  R call_unchecked(Args... args) { return ops_->invoke(buffer_, std::forward<Args>(args)...); }

  void reset() noexcept {
    if (ops_ != nullptr) {
      if (ops_->destroy != nullptr) ops_->destroy(buffer_);
      ops_ = nullptr;
    }
  }

 private:
  template <class D, class F>
  void construct(F&& f) {
    if constexpr (std::is_pointer_v<D> || std::is_member_pointer_v<D>) {
      if (f == nullptr) return;
    }
    if constexpr (stored_inline<D>) {
      ::new (static_cast<void*>(buffer_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      D* heap = new D(std::forward<F>(f));
      std::memcpy(buffer_, &heap, sizeof heap);
      ops_ = &heap_ops<D>;
    }
  }

  // Arguments travel as the signature declares them (by value for
  // Function<void(int, std::uint32_t)>), so scalars stay in registers.
  struct Ops {
    R (*invoke)(void*, Args...);
    // Null means "relocate with memcpy": true of trivially copyable inline
    // callables and of every heap-stored one (only the pointer moves).
    void (*relocate)(void* from, void* to) noexcept;
    // Null means "nothing to do".
    void (*destroy)(void*) noexcept;
  };

  template <class D>
  static R invoke_inline(void* p, Args... args) {
    return detail::invoke(*static_cast<D*>(p), std::forward<Args>(args)...);
  }
  template <class D>
  static void relocate_inline(void* from, void* to) noexcept {
    D* src = static_cast<D*>(from);
    ::new (to) D(std::move(*src));
    src->~D();
  }
  template <class D>
  static void destroy_inline(void* p) noexcept {
    static_cast<D*>(p)->~D();
  }
  template <class D>
  static D* heap_object(void* p) noexcept {
    D* heap;
    std::memcpy(&heap, p, sizeof heap);
    return heap;
  }
  template <class D>
  static R invoke_heap(void* p, Args... args) {
    return detail::invoke(*heap_object<D>(p), std::forward<Args>(args)...);
  }
  template <class D>
  static void destroy_heap(void* p) noexcept {
    delete heap_object<D>(p);
  }

  template <class D>
  static constexpr bool trivially_relocatable =
      std::is_trivially_copyable_v<D> && std::is_trivially_destructible_v<D>;

  template <class D>
  static constexpr Ops inline_ops{
      &invoke_inline<D>, trivially_relocatable<D> ? nullptr : &relocate_inline<D>,
      std::is_trivially_destructible_v<D> ? nullptr : &destroy_inline<D>};

  template <class D>
  static constexpr Ops heap_ops{&invoke_heap<D>, nullptr, &destroy_heap<D>};

  void take(Function& other) noexcept {
    ops_ = other.ops_;
    if (ops_ == nullptr) return;
    if (ops_->relocate == nullptr) {
      std::memcpy(buffer_, other.buffer_, inline_size);
    } else {
      ops_->relocate(other.buffer_, buffer_);
    }
    other.ops_ = nullptr;
  }

  const Ops* ops_ = nullptr;
  alignas(inline_align) unsigned char buffer_[inline_size];
};

}  // namespace eddy::detail
