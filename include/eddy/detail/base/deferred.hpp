// Deferred<T, D>: the type T, spelled so that it depends on the template
// parameter D.
//
// Why: an inline function of a plain class (or a plain inline function) is
// compiled in every translation unit that includes its header, and so is
// every template it uses, whether or not the program ever calls it. Most of
// what <eddy/eddy.hpp> cost to compile was such instantiations. So eddy's
// public classes are thin classes over a template base (IOLoop derives from
// detail::IOLoopImpl<void>; see ioloop.hpp), its internal classes are
// templates over a dummy parameter (`using HandlerTable =
// BasicHandlerTable<>`), and its heavy free functions are templates with a
// defaulted dummy parameter; all of these are compiled only where used.
//
// Neither g++ nor clang instantiates what an uninstantiated template calls,
// with one exception: clang instantiates a constexpr function (in C++20 most
// of std::vector and std::string) as soon as a template names it in an
// expression that does not depend on a template parameter, even an
// expression on a member of a class template. A function template whose
// body builds strings or vectors from plain types therefore spells one type
// `Deferred<std::vector<X>, D>` (or takes a `Deferred<int, D>` parameter, a
// non-deduced context: callers still write f(x) and D takes its default), so
// the expression depends on D and clang waits as well.
//
// Thread contract and lifetime: none; a type alias.
#pragma once

namespace eddy::detail {

template <class T, class D>
struct DeferredType {
  using type = T;
};

template <class T, class D>
using Deferred = typename DeferredType<T, D>::type;

}  // namespace eddy::detail
