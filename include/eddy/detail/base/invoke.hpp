// detail::invoke: std::invoke's rules without <functional>.
//
// <functional> is 39,000 preprocessed lines as C++20 (it brings the
// searchers, std::function, the hash tables), and eddy needs only the call:
// a callable is called with the arguments; a pointer to member is applied to
// the first argument, an object (or a class derived from the member's) or a
// pointer to one. Unlike std::invoke a std::reference_wrapper is not
// unwrapped for a pointer to member: wrap the call in a lambda instead.
//
// Thread contract: none (a pure function).
#pragma once

#include <type_traits>
#include <utility>

namespace eddy::detail {

template <class M>
struct MemberClass;
template <class M, class C>
struct MemberClass<M C::*> {
  using type = C;
};

template <class M, class T, class... Args>
constexpr decltype(auto) invoke_member(M member, T&& object, Args&&... args) {
  using C = typename MemberClass<M>::type;
  if constexpr (std::is_member_function_pointer_v<M>) {
    if constexpr (std::is_base_of_v<C, std::decay_t<T>>) {
      return (std::forward<T>(object).*member)(std::forward<Args>(args)...);
    } else {
      return ((*std::forward<T>(object)).*member)(std::forward<Args>(args)...);
    }
  } else {
    static_assert(sizeof...(Args) == 0, "a pointer to data member takes only the object");
    if constexpr (std::is_base_of_v<C, std::decay_t<T>>) {
      return std::forward<T>(object).*member;
    } else {
      return (*std::forward<T>(object)).*member;
    }
  }
}

template <class F, class... Args>
constexpr decltype(auto) invoke(F&& f, Args&&... args) {
  if constexpr (std::is_member_pointer_v<std::decay_t<F>>) {
    return invoke_member(f, std::forward<Args>(args)...);
  } else {
    return std::forward<F>(f)(std::forward<Args>(args)...);
  }
}

}  // namespace eddy::detail
