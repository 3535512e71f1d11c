# eddy::postgres: eddy plus libpq, for <eddy/postgres.hpp> (C++20). Defined
# only when libpq is found (pkg-config's libpq, else CMake's FindPostgreSQL);
# a program that does not include <eddy/postgres.hpp> never needs it.
# Included by the top-level CMakeLists.txt for the build tree, and installed
# next to eddyConfig.cmake, which includes it, so that find_package(eddy)
# looks for libpq on the consumer's machine.
if(NOT TARGET eddy::postgres)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(EDDY_LIBPQ QUIET IMPORTED_TARGET GLOBAL libpq)
  endif()
  set(_eddy_libpq "")
  if(TARGET PkgConfig::EDDY_LIBPQ)
    set(_eddy_libpq PkgConfig::EDDY_LIBPQ)
  else()
    find_package(PostgreSQL QUIET)
    if(TARGET PostgreSQL::PostgreSQL)
      set(_eddy_libpq PostgreSQL::PostgreSQL)
    endif()
  endif()
  if(_eddy_libpq)
    add_library(eddy::postgres INTERFACE IMPORTED GLOBAL)
    target_link_libraries(eddy::postgres INTERFACE eddy::eddy ${_eddy_libpq})
    target_compile_features(eddy::postgres INTERFACE cxx_std_20)
  endif()
  unset(_eddy_libpq)
endif()
