# Installs eddy into a scratch prefix and builds tests/package/consumer as a
# Makefile or Meson user would: one compiler call with the flags
# `pkg-config --cflags --libs eddy` prints, found through PKG_CONFIG_PATH; then
# the same with eddy-compiled.pc (the separately compiled mode).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
find_program(PKG_CONFIG NAMES pkg-config pkgconf)
if(NOT PKG_CONFIG)
  skip_test("no pkg-config")
endif()
eddy_project_version(version)
set(prefix ${WORK_DIR}/prefix)
eddy_install_into(${prefix})

function(pkg_config out)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/share/pkgconfig
                          ${PKG_CONFIG} ${ARGN} eddy
                  RESULT_VARIABLE result OUTPUT_VARIABLE output OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config ${ARGN} eddy failed (${result}) with PKG_CONFIG_PATH=${prefix}/share/pkgconfig")
  endif()
  set(${out} "${output}" PARENT_SCOPE)
endfunction()

pkg_config(modversion --modversion)
if(NOT modversion STREQUAL version)
  message(FATAL_ERROR "pkg-config says eddy ${modversion}; the source tree is ${version}")
endif()
pkg_config(flags --cflags --libs)
message(STATUS "pkg-config --cflags --libs eddy: ${flags}")
# The include directory is where the headers were installed (--prefix), not
# the prefix eddy was configured with.
file(REAL_PATH ${prefix}/include wanted_include)
separate_arguments(flags UNIX_COMMAND "${flags}")
set(include_found OFF)
foreach(flag IN LISTS flags)
  # Two steps: ${CMAKE_MATCH_1} in the same if() would be expanded before
  # MATCHES sets it.
  if(flag MATCHES "^-I(.+)$")
    file(REAL_PATH "${CMAKE_MATCH_1}" dir)
    if(dir STREQUAL wanted_include AND EXISTS "${dir}/eddy/eddy.hpp")
      set(include_found ON)
    endif()
  endif()
endforeach()
if(NOT include_found OR NOT "-pthread" IN_LIST flags)
  message(FATAL_ERROR "pkg-config's flags lack -I${wanted_include} or -pthread: ${flags}")
endif()
# Each flag once, and the include directory as a plain path (no "/../").
set(unique_flags ${flags})
list(REMOVE_DUPLICATES unique_flags)
if(NOT unique_flags STREQUAL flags OR flags MATCHES "/\\.\\./")
  message(FATAL_ERROR "pkg-config's flags repeat a flag or are not normalised: ${flags}")
endif()
run(${CXX_COMPILER} -std=c++17 -Wall -Wextra -Werror ${EDDY_SOURCE_DIR}/tests/package/consumer/main.cpp
    ${flags} -o ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer)

# eddy-ssl: eddy's flags plus OpenSSL's, for a program that includes <eddy/ssl.hpp>.
execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/share/pkgconfig
                        ${PKG_CONFIG} --cflags --libs eddy-ssl
                RESULT_VARIABLE ssl_result OUTPUT_VARIABLE ssl_flags OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(ssl_result EQUAL 0)
  message(STATUS "pkg-config --cflags --libs eddy-ssl: ${ssl_flags}")
  separate_arguments(ssl_flags UNIX_COMMAND "${ssl_flags}")
  run(${CXX_COMPILER} -std=c++17 -Wall -Wextra -Werror ${EDDY_SOURCE_DIR}/tests/package/consumer/ssl_main.cpp
      ${ssl_flags} -o ${WORK_DIR}/ssl_consumer)
  run(${WORK_DIR}/ssl_consumer)
else()
  message(STATUS "no OpenSSL for pkg-config: eddy-ssl not checked")
endif()
# The separately compiled mode: eddy-compiled.pc gives the macro and the library.
execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/share/pkgconfig
                        ${PKG_CONFIG} --cflags --libs eddy-compiled
                RESULT_VARIABLE result OUTPUT_VARIABLE compiled_flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT result EQUAL 0 OR NOT compiled_flags MATCHES "-DEDDY_SEPARATE_COMPILATION" OR
   NOT compiled_flags MATCHES "-leddy_compiled")
  message(FATAL_ERROR "pkg-config --cflags --libs eddy-compiled failed (${result}): ${compiled_flags}")
endif()
message(STATUS "pkg-config --cflags --libs eddy-compiled: ${compiled_flags}")
separate_arguments(compiled_flags UNIX_COMMAND "${compiled_flags}")
run(${CXX_COMPILER} -std=c++20 -Wall -Wextra -Werror ${EDDY_SOURCE_DIR}/tests/package/consumer/main.cpp
    ${compiled_flags} -o ${WORK_DIR}/consumer_compiled)
run(${WORK_DIR}/consumer_compiled)
