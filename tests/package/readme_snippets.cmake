# Every ```cpp block of README.md and docs/*.md compiles, so what a newcomer
# copies from the documentation is code that works with today's headers.
# Each block is compiled alone, with the configured compiler,
# `-std=c++20 -fsyntax-only -I<eddy>/include`: a block is a whole translation
# unit. An HTML comment on the line right before the fence marks the
# exceptions (the README's "Testing and contributing" states them):
#   <!-- fragment -->      a piece of a larger program: not compiled
#   <!-- needs: ssl -->    compiled only when the module's headers are found
#                          (ssl, postgres, zlib; several may be listed)
# A block that does not compile fails the test with its file and line and
# the compiler's first lines of output. Only fences at the start of a line
# count (the README mentions ```cpp in running text).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# Whether `header` compiles with `flags`, cached per module in <module>_found.
function(probe module header flags)
  file(WRITE ${WORK_DIR}/probe_${module}.cpp "#include <${header}>\n")
  execute_process(COMMAND ${CXX_COMPILER} -std=c++20 -fsyntax-only ${flags} ${WORK_DIR}/probe_${module}.cpp
                  RESULT_VARIABLE result OUTPUT_QUIET ERROR_QUIET)
  if(result EQUAL 0)
    set(${module}_found TRUE PARENT_SCOPE)
  else()
    set(${module}_found FALSE PARENT_SCOPE)
  endif()
endfunction()

# The optional modules: the library's own header and, for layers that wrap
# it, eddy's public header of that layer.
set(pq_include /usr/include/postgresql)
find_program(PG_CONFIG pg_config)
if(PG_CONFIG)
  execute_process(COMMAND ${PG_CONFIG} --includedir OUTPUT_VARIABLE pq_include OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
probe(ssl openssl/ssl.h "")
probe(postgres libpq-fe.h "-I${pq_include}")
probe(zlib zlib.h "")
if(NOT EXISTS ${EDDY_SOURCE_DIR}/include/eddy/ssl.hpp)
  set(ssl_found FALSE)
endif()
if(NOT EXISTS ${EDDY_SOURCE_DIR}/include/eddy/postgres.hpp)
  set(postgres_found FALSE)
endif()
set(postgres_flags -I${pq_include})

# Compiles the blocks of one file; appends failures to `failures` and counts
# compiled and skipped blocks in the parent's `compiled` and `skipped`.
function(check_file path relative)
  file(READ ${path} text)
  set(consumed 0)  # characters of `text` already scanned
  set(rest "${text}")
  while(TRUE)
    string(FIND "${rest}" "\n```cpp\n" at)
    if(at EQUAL -1)
      break()
    endif()
    math(EXPR upto "${at} + 1")
    string(SUBSTRING "${rest}" 0 ${upto} before)          # up to the fence's line
    math(EXPR body_at "${at} + 8")
    string(SUBSTRING "${rest}" ${body_at} -1 rest)
    string(FIND "${rest}" "\n```" close)
    if(close EQUAL -1)
      string(APPEND failures "${relative}: an unclosed ```cpp block\n\n")
      break()
    endif()
    math(EXPR block_len "${close} + 1")
    string(SUBSTRING "${rest}" 0 ${block_len} block)
    string(SUBSTRING "${rest}" ${block_len} -1 rest)
    # The fence's line number: the newlines before it, plus those of the
    # blocks and text already consumed.
    string(REGEX REPLACE "[^\n]" "" newlines "${before}")
    string(LENGTH "${newlines}" n)
    math(EXPR line "${consumed} + ${n} + 1")
    string(REGEX REPLACE "[^\n]" "" newlines "${block}")
    string(LENGTH "${newlines}" m)
    math(EXPR consumed "${consumed} + ${n} + 1 + ${m}")
    math(EXPR first "${line} + 1")
    # The marker: the last line of `before` (which ends in the newline).
    string(REGEX MATCH "([^\n]*)\n$" _ "${before}")
    set(marker "${CMAKE_MATCH_1}")
    set(flags "")
    if(marker MATCHES "<!-- *fragment *-->")
      math(EXPR skipped "${skipped} + 1")
      continue()
    endif()
    if(marker MATCHES "<!-- *needs: *([a-z, ]+) *-->")
      string(STRIP "${CMAKE_MATCH_1}" modules)
      string(REGEX REPLACE "[, ]+" ";" modules "${modules}")
      set(missing "")
      foreach(module IN LISTS modules)
        if(NOT DEFINED ${module}_found)
          string(APPEND failures "${relative}:${line}: unknown module '${module}' in ${marker}\n\n")
          set(missing ${module})
        elseif(NOT ${module}_found)
          set(missing ${module})
        endif()
        list(APPEND flags ${${module}_flags})
      endforeach()
      if(missing)
        message(STATUS "${relative}:${line}: skipped, needs ${missing}")
        math(EXPR skipped "${skipped} + 1")
        continue()
      endif()
    endif()
    string(REPLACE "/" "_" stem "${relative}")
    set(source ${WORK_DIR}/${stem}_${line}.cpp)
    file(WRITE ${source} "#line ${first} \"${relative}\"\n${block}")
    execute_process(COMMAND ${CXX_COMPILER} -std=c++20 -fsyntax-only -I${EDDY_SOURCE_DIR}/include ${flags} ${source}
                    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
    math(EXPR compiled "${compiled} + 1")
    if(NOT result EQUAL 0)
      string(SUBSTRING "${output}" 0 3000 output)
      string(APPEND failures "${relative}:${line}: this ```cpp block does not compile:\n${output}\n\n")
    endif()
  endwhile()
  set(failures "${failures}" PARENT_SCOPE)
  set(compiled ${compiled} PARENT_SCOPE)
  set(skipped ${skipped} PARENT_SCOPE)
endfunction()

set(failures "")
set(compiled 0)
set(skipped 0)
file(GLOB pages RELATIVE ${EDDY_SOURCE_DIR} ${EDDY_SOURCE_DIR}/docs/*.md)
foreach(relative README.md ${pages})
  check_file(${EDDY_SOURCE_DIR}/${relative} ${relative})
endforeach()
message(STATUS "${compiled} blocks compiled, ${skipped} skipped (fragments or modules not found)")
if(failures)
  message(FATAL_ERROR "${failures}")
endif()
