# A project that fetches eddy with FetchContent by release tag, as the README
# shows. No network and no dependence on this checkout's own tags: the test
# copies the source tree into a scratch git repository, tags it v<version>,
# then commits a broken header on top, so a build that took HEAD instead of
# the tag fails. The vendoring project installs none of eddy's files.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
find_program(GIT git)
if(NOT GIT)
  skip_test("no git")
endif()
eddy_project_version(version)
set(repo ${WORK_DIR}/eddy.git-source)

# What a release contains: the library and its build files (tests, examples
# and benchmarks stay out, as they are off when eddy is not top level).
file(MAKE_DIRECTORY ${repo})
foreach(item CMakeLists.txt LICENSE README.md CHANGELOG.md cmake include)
  file(COPY ${EDDY_SOURCE_DIR}/${item} DESTINATION ${repo})
endforeach()
set(git ${GIT} -C ${repo} -c user.name=eddy-test -c user.email=eddy-test@invalid
    -c commit.gpgsign=false -c tag.gpgsign=false -c core.hooksPath=/dev/null)
run(${git} -c init.defaultBranch=main init -q)
run(${git} add -A)
run(${git} commit -q -m "eddy ${version}")
run(${git} tag -a v${version} -m "eddy ${version}")
file(WRITE ${repo}/include/eddy/version.hpp "#error \"FetchContent built HEAD, not the tag v${version}\"\n")
run(${git} commit -q -a -m "after the release")

set(build ${WORK_DIR}/consumer-build)
run(${CMAKE_COMMAND} -S ${EDDY_SOURCE_DIR}/tests/package/subdir -B ${build} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DEDDY_GIT_REPOSITORY=file://${repo} -DEDDY_GIT_TAG=v${version})
run(${CMAKE_COMMAND} --build ${build})
run(${build}/consumer)
run(${CMAKE_COMMAND} --install ${build} --prefix ${WORK_DIR}/prefix)
expect_installed_files(${WORK_DIR}/prefix bin/consumer)
