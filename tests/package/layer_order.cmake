# The layers point one way: every #include in include/eddy names a file of the
# same layer or a lower one. A cmake -P script (ctest: package.layer_order),
# run on a small planted tree first, so that a checker that finds nothing has
# not simply stopped looking, then on include/eddy.
#
# Layers, lowest first (README, "Layout"):
#   base < loop < future < stream < tcp < ssl < http < websocket
#   postgres and redis sit above tcp and ssl; process and net above tcp;
#   these four never include each other.
# A detail header's layer is its folder, include/eddy/detail/<layer>/. A public
# header's layer comes from the table below; a new public header must be added
# to it. eddy.hpp and http.hpp are umbrellas: they may include anything, and
# nothing in include/eddy may include them.
#
# Public headers are the layers' faces, and one of them looks up on purpose:
# <eddy/ioloop.hpp> is the documented entry point that gives the loop *and*
# its future-returning members (run_sync, add_future, run_in_executor), so it
# ends by including future.hpp (listed in `upward_includes`). No detail header
# may lean on that: for detail headers the check is transitive, so a loop
# internal that included ioloop.hpp would fail, naming the chain that reaches
# the future layer. Loop internals include detail/loop/ioloop_impl.hpp.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(layers base loop future stream tcp ssl http websocket postgres redis process net)
set(may_include_base base)
set(may_include_loop base loop)
set(may_include_future ${may_include_loop} future)
set(may_include_stream ${may_include_future} stream)
set(may_include_tcp ${may_include_stream} tcp)
set(may_include_ssl ${may_include_tcp} ssl)
set(may_include_http ${may_include_ssl} http)
set(may_include_websocket ${may_include_http} websocket)
set(may_include_postgres ${may_include_ssl} postgres)
set(may_include_redis ${may_include_ssl} redis)
set(may_include_process ${may_include_tcp} process)
set(may_include_net ${may_include_tcp} net)

# Public header -> layer (the headers of layers still to come are listed
# already, so that they land with a layer).
set(public_layers
  version=base
  ioloop=loop loop_types=loop periodic=loop
  future=future gen=future locks=future queues=future
  iostream=stream
  tcpserver=tcp tcpclient=tcp
  ssl=ssl
  httputil=http httpserver=http httpclient=http web=http
  websocket=websocket postgres=postgres redis=redis process=process netutil=net)
set(umbrellas eddy.hpp http.hpp)
set(upward_includes "ioloop.hpp>future.hpp")

# The layer of `file` (a path relative to include/eddy) into `out`, or the
# reason it has none into `out_error`.
function(layer_of file out out_error)
  set(layer "")
  set(error "")
  if(file MATCHES "^detail/([^/]+)/[^/]+\\.hpp$")
    set(layer ${CMAKE_MATCH_1})
    if(NOT layer IN_LIST layers)
      set(error "detail/${layer}/ is not a layer folder (${layers})")
      set(layer "")
    endif()
  elseif(file MATCHES "^detail/")
    set(error "sits outside a layer folder: put it in detail/<layer>/")
  elseif(file IN_LIST umbrellas)
    set(layer umbrella)
  else()
    string(REGEX REPLACE "\\.hpp$" "" name "${file}")
    foreach(entry IN LISTS public_layers)
      if(entry MATCHES "^${name}=(.+)$")
        set(layer ${CMAKE_MATCH_1})
      endif()
    endforeach()
    if(NOT layer)
      set(error "is a public header missing from the table in tests/package/layer_order.cmake")
    endif()
  endif()
  set(${out} "${layer}" PARENT_SCOPE)
  set(${out_error} "${error}" PARENT_SCOPE)
endfunction()

# Reads every header under `root` (an include/eddy directory) into the
# variables files, includes_<id> (target;line pairs as "target@line"),
# layer_<id> and the list `errors` of problems found on the way.
macro(read_tree root)
  file(GLOB_RECURSE headers RELATIVE ${root} ${root}/*.hpp)
  list(SORT headers)
  set(files ${headers})
  foreach(file IN LISTS headers)
    string(MAKE_C_IDENTIFIER "${file}" id)
    layer_of("${file}" layer_${id} error)
    if(error)
      list(APPEND errors "include/eddy/${file}: ${error}")
    endif()
    set(includes_${id} "")
    file(READ ${root}/${file} text)
    # One list element per line; the characters CMake lists treat specially
    # are masked (only #include lines are looked at).
    string(REPLACE ";" "," text "${text}")
    string(REPLACE "[" "(" text "${text}")
    string(REPLACE "]" ")" text "${text}")
    string(REPLACE "\\" "/" text "${text}")
    string(REPLACE "\n" ";" lines "${text}")
    get_filename_component(dir ${root}/${file} DIRECTORY)
    set(number 0)
    foreach(line IN LISTS lines)
      math(EXPR number "${number} + 1")
      if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\"")
        get_filename_component(target ${dir}/${CMAKE_MATCH_1} ABSOLUTE)
      elseif(line MATCHES "^[ \t]*#[ \t]*include[ \t]*<(eddy/[^>]+)>")
        get_filename_component(target ${root}/../${CMAKE_MATCH_1} ABSOLUTE)
      else()
        continue()
      endif()
      file(RELATIVE_PATH target ${root} ${target})
      if(target MATCHES "^\\.\\./" OR NOT EXISTS ${root}/${target})
        list(APPEND errors "include/eddy/${file}:${number}: includes ${target}, which is not a header of include/eddy")
        continue()
      endif()
      list(APPEND includes_${id} "${target}@${number}")
    endforeach()
  endforeach()
endmacro()

# The layers reachable from each file (itself included): reach_<id>, to a
# fixed point (the headers include each other in cycles under #pragma once).
macro(compute_reach)
  foreach(file IN LISTS files)
    string(MAKE_C_IDENTIFIER "${file}" id)
    set(reach_${id} ${layer_${id}})
  endforeach()
  set(changed ON)
  while(changed)
    set(changed OFF)
    foreach(file IN LISTS files)
      string(MAKE_C_IDENTIFIER "${file}" id)
      set(before ${reach_${id}})
      foreach(edge IN LISTS includes_${id})
        string(REGEX REPLACE "@[0-9]+$" "" target "${edge}")
        string(MAKE_C_IDENTIFIER "${target}" tid)
        list(APPEND reach_${id} ${reach_${tid}})
      endforeach()
      list(REMOVE_DUPLICATES reach_${id})
      list(LENGTH before n_before)
      list(LENGTH reach_${id} n_after)
      if(NOT n_before EQUAL n_after)
        set(changed ON)
      endif()
    endforeach()
  endwhile()
endmacro()

# A chain of includes from `from` to a file of layer `layer`, as "a -> b -> c".
function(chain_to from layer out)
  set(queue ${from})
  set(seen ${from})
  string(MAKE_C_IDENTIFIER "${from}" fid)
  set(path_${fid} ${from})
  while(queue)
    list(POP_FRONT queue file)
    string(MAKE_C_IDENTIFIER "${file}" id)
    if(layer_${id} STREQUAL layer)
      string(REPLACE ";" " -> " chain "${path_${id}}")
      set(${out} "${chain}" PARENT_SCOPE)
      return()
    endif()
    foreach(edge IN LISTS includes_${id})
      string(REGEX REPLACE "@[0-9]+$" "" target "${edge}")
      if(NOT target IN_LIST seen)
        list(APPEND seen ${target})
        list(APPEND queue ${target})
        string(MAKE_C_IDENTIFIER "${target}" tid)
        set(path_${tid} ${path_${id}} ${target})
      endif()
    endforeach()
  endwhile()
  set(${out} "${from}" PARENT_SCOPE)
endfunction()

# Checks the tree at `root`; the problems found go to the list `errors`.
macro(check_tree root)
  set(errors "")
  read_tree(${root})
  compute_reach()
  foreach(file IN LISTS files)
    string(MAKE_C_IDENTIFIER "${file}" id)
    set(layer ${layer_${id}})
    if(NOT layer OR layer STREQUAL "umbrella")
      continue()
    endif()
    foreach(edge IN LISTS includes_${id})
      string(REGEX MATCH "@([0-9]+)$" unused "${edge}")
      set(number ${CMAKE_MATCH_1})
      string(REGEX REPLACE "@[0-9]+$" "" target "${edge}")
      string(MAKE_C_IDENTIFIER "${target}" tid)
      set(where "include/eddy/${file}:${number}")
      set(target_layer ${layer_${tid}})
      if(target_layer STREQUAL "umbrella")
        list(APPEND errors "${where}: a ${layer} header includes the umbrella ${target}")
        continue()
      endif()
      if(target_layer AND NOT target_layer IN_LIST may_include_${layer})
        if(NOT "${file}>${target}" IN_LIST upward_includes)
          list(APPEND errors "${where}: a ${layer} header includes ${target}, of the higher layer ${target_layer}")
        endif()
        continue()
      endif()
      # Internals: nothing they reach, through any chain, may be higher.
      if(file MATCHES "^detail/")
        foreach(reached IN LISTS reach_${tid})
          if(NOT reached IN_LIST may_include_${layer} AND NOT reached STREQUAL "umbrella")
            chain_to(${target} ${reached} chain)
            list(APPEND errors "${where}: a ${layer} header includes ${target}, which reaches the higher layer ${reached}: ${chain}")
          endif()
        endforeach()
      endif()
    endforeach()
  endforeach()
endmacro()

# ---- 1. The checker on a planted tree: it must find exactly these. ----------
set(fixture ${WORK_DIR}/fixture/eddy)
file(REMOVE_RECURSE ${WORK_DIR}/fixture)
file(WRITE ${fixture}/ioloop.hpp "#pragma once\n#include \"detail/loop/ok.hpp\"\n#include \"future.hpp\"\n")
file(WRITE ${fixture}/future.hpp "#pragma once\n#include \"ioloop.hpp\"\n")
file(WRITE ${fixture}/iostream.hpp "#pragma once\n#include \"eddy.hpp\"\n")
file(WRITE ${fixture}/eddy.hpp "#pragma once\n#include \"iostream.hpp\"\n#include \"future.hpp\"\n")
file(WRITE ${fixture}/nameless.hpp "#pragma once\n")
file(WRITE ${fixture}/detail/loop/ok.hpp "#pragma once\n#include \"../base/ok.hpp\"\n#include <vector>\n")
file(WRITE ${fixture}/detail/base/ok.hpp "#pragma once\n")
file(WRITE ${fixture}/detail/loop/up.hpp "#pragma once\n// a comment\n  #  include \"../http/codec.hpp\"\n")
file(WRITE ${fixture}/detail/loop/through.hpp "#pragma once\n#include <eddy/ioloop.hpp>\n")
file(WRITE ${fixture}/detail/loop/missing.hpp "#pragma once\n#include \"gone.hpp\"\n")
file(WRITE ${fixture}/detail/future/fine.hpp "#pragma once\n#include \"../../ioloop.hpp\"\n")
file(WRITE ${fixture}/detail/http/codec.hpp "#pragma once\n#include \"../base/ok.hpp\"\n")
file(WRITE ${fixture}/detail/stray.hpp "#pragma once\n")
file(WRITE ${fixture}/detail/misc/x.hpp "#pragma once\n")
check_tree(${fixture})
set(expected
  "include/eddy/detail/loop/missing.hpp:2: includes detail/loop/gone.hpp, which is not a header of include/eddy"
  "include/eddy/detail/misc/x.hpp: detail/misc/ is not a layer folder (${layers})"
  "include/eddy/detail/stray.hpp: sits outside a layer folder: put it in detail/<layer>/"
  "include/eddy/nameless.hpp: is a public header missing from the table in tests/package/layer_order.cmake"
  "include/eddy/detail/loop/through.hpp:2: a loop header includes ioloop.hpp, which reaches the higher layer future: ioloop.hpp -> future.hpp"
  "include/eddy/detail/loop/up.hpp:3: a loop header includes detail/http/codec.hpp, of the higher layer http"
  "include/eddy/iostream.hpp:2: a stream header includes the umbrella eddy.hpp")
if(NOT errors STREQUAL expected)
  string(REPLACE ";" "\n  " got "${errors}")
  string(REPLACE ";" "\n  " want "${expected}")
  message(FATAL_ERROR "the layer checker is broken; on the planted tree it found\n  ${got}\nbut should find\n  ${want}")
endif()
message(STATUS "the checker finds the 7 planted faults")

# ---- 2. include/eddy -----------------------------------------------------------
check_tree(${EDDY_SOURCE_DIR}/include/eddy)
if(errors)
  list(LENGTH errors count)
  string(REPLACE ";" "\n" text "${errors}")
  message(FATAL_ERROR "${count} include(s) break the layer order (README, \"Layout\"):\n${text}")
endif()
list(LENGTH files count)
message(STATUS "${count} headers of include/eddy, every #include in layer order")
