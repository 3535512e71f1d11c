# A project that vendors eddy with add_subdirectory builds and runs against it;
# its `cmake --install` installs its own program and none of eddy's files,
# since EDDY_INSTALL is ON only when eddy is the top-level project. Asking for
# EDDY_INSTALL=ON installs eddy's files too (so the first check is not vacuous).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})

function(build_and_install name)
  set(build ${WORK_DIR}/${name}-build)
  run(${CMAKE_COMMAND} -S ${EDDY_SOURCE_DIR}/tests/package/subdir -B ${build} -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DEDDY_SOURCE_DIR=${EDDY_SOURCE_DIR} ${ARGN})
  run(${CMAKE_COMMAND} --build ${build})
  run(${build}/consumer)
  run(${CMAKE_COMMAND} --install ${build} --prefix ${WORK_DIR}/${name}-prefix)
endfunction()

build_and_install(default)
expect_installed_files(${WORK_DIR}/default-prefix bin/consumer)
build_and_install(off -DEDDY_INSTALL=OFF)
expect_installed_files(${WORK_DIR}/off-prefix bin/consumer)

build_and_install(on -DEDDY_INSTALL=ON)
foreach(file bin/consumer include/eddy/eddy.hpp include/eddy/version.hpp share/pkgconfig/eddy.pc)
  if(NOT EXISTS ${WORK_DIR}/on-prefix/${file})
    message(FATAL_ERROR "EDDY_INSTALL=ON did not install ${file}")
  endif()
endforeach()
file(GLOB_RECURSE config ${WORK_DIR}/on-prefix/*/eddyConfig.cmake)
if(NOT config)
  message(FATAL_ERROR "EDDY_INSTALL=ON did not install eddyConfig.cmake")
endif()
