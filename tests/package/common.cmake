# Helpers shared by the package tests (cmake -P scripts). Every script gets
# EDDY_SOURCE_DIR, WORK_DIR (its own scratch directory), CXX_COMPILER and
# GENERATOR from tests/package/CMakeLists.txt.
cmake_minimum_required(VERSION 3.16)

# Runs a command and stops the test with the command line when it fails.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}")
  endif()
endfunction()

# Reports the test as skipped (its SKIP_REGULAR_EXPRESSION matches "SKIPPED:")
# when a tool it needs is missing, rather than passing without having checked
# anything. A macro, so its return() ends the calling script.
macro(skip_test why)
  message(STATUS "SKIPPED: ${why}")
  return()
endmacro()

# The version in project(eddy VERSION ...) of the source tree.
function(eddy_project_version out)
  file(READ ${EDDY_SOURCE_DIR}/CMakeLists.txt text)
  if(NOT text MATCHES "project\\(eddy[ \t\r\n]+VERSION[ \t\r\n]+([0-9]+\\.[0-9]+\\.[0-9]+)")
    message(FATAL_ERROR "no project(eddy VERSION x.y.z) in ${EDDY_SOURCE_DIR}/CMakeLists.txt")
  endif()
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

# Configures and builds eddy alone (no tests, examples or benchmarks: the
# library of eddy::compiled only) and installs it into
# `prefix` with `cmake --install --prefix`, which is not the prefix it was
# configured with: the installed package files must not depend on it.
function(eddy_install_into prefix)
  run(${CMAKE_COMMAND} -S ${EDDY_SOURCE_DIR} -B ${WORK_DIR}/eddy-build -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/configured-prefix
      -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_EXAMPLES=OFF -DEDDY_BUILD_BENCH=OFF)
  # Builds eddy::compiled (the separately compiled mode), installed with it.
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/eddy-build)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/eddy-build --prefix ${prefix})
  if(EXISTS ${WORK_DIR}/configured-prefix)
    message(FATAL_ERROR "installing with --prefix wrote into the configured prefix too")
  endif()
endfunction()

# Fails unless the files under `prefix` are exactly `expected` (paths relative
# to the prefix, sorted).
function(expect_installed_files prefix)
  set(expected ${ARGN})
  file(GLOB_RECURSE found LIST_DIRECTORIES false RELATIVE ${prefix} ${prefix}/*)
  list(SORT found)
  list(SORT expected)
  if(NOT found STREQUAL expected)
    message(FATAL_ERROR "installed into ${prefix}:\n  ${found}\nexpected only:\n  ${expected}")
  endif()
endfunction()
