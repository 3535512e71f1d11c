// The type of an exception, by name, for log lines ("std::runtime_error",
// "eddy::HTTPError"): demangled where the C++ ABI offers it (libstdc++ and
// libc++ both declare abi::__cxa_demangle in <cxxabi.h>), the raw
// type_info name elsewhere.
//
// Thread contract: a pure function; any thread.
#pragma once

#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define EDDY_HAS_CXXABI 1
#endif

namespace eddy::detail {

// The demangled name of `type`.
inline std::string type_name(const std::type_info& type) {
#if defined(EDDY_HAS_CXXABI)
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  if (status == 0 && name != nullptr) {
    std::string out(name);
    std::free(name);
    return out;
  }
  std::free(name);
#endif
  return type.name();
}

// The dynamic type of the exception `error` holds ("unknown" for one that
// is not a std::exception, where the ABI cannot tell).
inline std::string exception_type_name(const std::exception_ptr& error) {
  if (!error) return "none";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return type_name(typeid(e));
  } catch (...) {
#if defined(EDDY_HAS_CXXABI)
    if (const std::type_info* t = abi::__cxa_current_exception_type()) return type_name(*t);
#endif
    return "unknown";
  }
}

}  // namespace eddy::detail
