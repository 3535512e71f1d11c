# A project that fetches eddy with FetchContent exactly as the README shows:
# the recipe is read from README.md (the ```cmake block after the marker
# "<!-- fetchcontent-recipe -->"), its placeholder URL replaced by a scratch
# git repository holding this source tree on a branch `main` (a fresh clone
# has no tags, so the recipe names a branch or a commit, never a tag). The
# consumer programs are the README's twenty-line program (the ```cpp block
# after "<!-- twenty-lines -->", which uses co_await, so the recipe must ask
# for C++20) and examples/hello_web.cpp. Then the same with the recipe pinned
# to a commit id (GIT_SHALLOW dropped, as the README says). The vendoring
# project installs none of eddy's files.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
find_program(GIT git)
if(NOT GIT)
  skip_test("no git")
endif()

# The fenced block of kind `lang` right after `marker` in README.md.
function(readme_block marker lang out)
  file(READ ${EDDY_SOURCE_DIR}/README.md readme)
  string(FIND "${readme}" "${marker}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "README.md has no ${marker}")
  endif()
  string(SUBSTRING "${readme}" ${at} -1 rest)
  string(FIND "${rest}" "```${lang}\n" open)
  string(SUBSTRING "${rest}" ${open} -1 rest)
  string(LENGTH "```${lang}\n" skip)
  string(SUBSTRING "${rest}" ${skip} -1 rest)
  string(FIND "${rest}" "```" close)
  string(SUBSTRING "${rest}" 0 ${close} block)
  set(${out} "${block}" PARENT_SCOPE)
endfunction()

readme_block("<!-- fetchcontent-recipe -->" cmake recipe)
readme_block("<!-- twenty-lines -->" cpp twenty_lines)
if(NOT recipe MATCHES "<eddy's git URL>")
  message(FATAL_ERROR "the README's recipe has no <eddy's git URL> placeholder:\n${recipe}")
endif()

# What a clone of the repository contains (tests, examples and benchmarks
# stay out of the build, as they are off when eddy is not top level).
set(repo ${WORK_DIR}/eddy.git-source)
file(MAKE_DIRECTORY ${repo})
foreach(item CMakeLists.txt LICENSE README.md CHANGELOG.md cmake include)
  file(COPY ${EDDY_SOURCE_DIR}/${item} DESTINATION ${repo})
endforeach()
set(git ${GIT} -C ${repo} -c user.name=eddy-test -c user.email=eddy-test@invalid
    -c commit.gpgsign=false -c core.hooksPath=/dev/null)
run(${git} -c init.defaultBranch=main init -q)
run(${git} add -A)
run(${git} commit -q -m "eddy")
execute_process(COMMAND ${git} rev-parse HEAD OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE)

# A consumer project around the recipe: `name` builds `source` as `app`.
function(build_consumer name recipe_text source)
  set(dir ${WORK_DIR}/${name})
  file(MAKE_DIRECTORY ${dir})
  file(WRITE ${dir}/main.cpp "${source}")
  string(REPLACE "<eddy's git URL>" "file://${repo}" text "${recipe_text}")
  file(WRITE ${dir}/CMakeLists.txt
       "cmake_minimum_required(VERSION 3.16)\nproject(app LANGUAGES CXX)\n${text}install(TARGETS app)\n")
  run(${CMAKE_COMMAND} -S ${dir} -B ${dir}/build -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
  run(${CMAKE_COMMAND} --build ${dir}/build)
  run(${CMAKE_COMMAND} --install ${dir}/build --prefix ${dir}/prefix)
  expect_installed_files(${dir}/prefix bin/app)
endfunction()

build_consumer(twenty_lines "${recipe}" "${twenty_lines}")
execute_process(COMMAND ${WORK_DIR}/twenty_lines/build/app RESULT_VARIABLE result OUTPUT_VARIABLE output)
if(NOT result EQUAL 0 OR NOT output MATCHES "sum = 5\n")
  message(FATAL_ERROR "the twenty-line program failed (${result}):\n${output}")
endif()

file(READ ${EDDY_SOURCE_DIR}/examples/hello_web.cpp hello_web)
# Pinned to a commit, as the README advises for reproducible builds.
string(REGEX REPLACE "GIT_TAG main( GIT_SHALLOW TRUE)?" "GIT_TAG ${commit}" pinned "${recipe}")
if(pinned STREQUAL recipe)
  message(FATAL_ERROR "the README's recipe does not say GIT_TAG main:\n${recipe}")
endif()
build_consumer(hello_web_pinned "${pinned}" "${hello_web}")
