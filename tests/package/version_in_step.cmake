# The three places that state eddy's version agree: project(eddy VERSION ...)
# in CMakeLists.txt, the macros in include/eddy/version.hpp and the newest
# release heading ("## x.y.z - date") in CHANGELOG.md.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
eddy_project_version(cmake_version)

file(READ ${EDDY_SOURCE_DIR}/include/eddy/version.hpp header)
foreach(part MAJOR MINOR PATCH)
  if(NOT header MATCHES "#define EDDY_VERSION_${part} ([0-9]+)")
    message(FATAL_ERROR "version.hpp has no EDDY_VERSION_${part}")
  endif()
  list(APPEND parts ${CMAKE_MATCH_1})
endforeach()
list(JOIN parts . header_version)
if(NOT header MATCHES "#define EDDY_VERSION_STRING \"([^\"]*)\"")
  message(FATAL_ERROR "version.hpp has no EDDY_VERSION_STRING")
endif()
set(header_string ${CMAKE_MATCH_1})

file(STRINGS ${EDDY_SOURCE_DIR}/CHANGELOG.md headings REGEX "^## ")
set(changelog_version "")
foreach(heading IN LISTS headings)
  if(heading MATCHES "^## \\[?([0-9]+\\.[0-9]+\\.[0-9]+)\\]? - [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$")
    set(changelog_version ${CMAKE_MATCH_1})
    break()
  elseif(NOT heading MATCHES "^## \\[?Unreleased\\]?$")
    message(FATAL_ERROR "CHANGELOG.md: a heading is neither \"## Unreleased\" nor \"## x.y.z - yyyy-mm-dd\": ${heading}")
  endif()
endforeach()

message(STATUS "CMakeLists.txt ${cmake_version}, version.hpp ${header_version} (\"${header_string}\"), "
               "CHANGELOG.md ${changelog_version}")
if(NOT header_version STREQUAL cmake_version OR NOT header_string STREQUAL cmake_version
   OR NOT changelog_version STREQUAL cmake_version)
  message(FATAL_ERROR "eddy's version is not in step: CMakeLists.txt ${cmake_version}, version.hpp "
                      "${header_version} (string \"${header_string}\"), CHANGELOG.md \"${changelog_version}\"")
endif()
