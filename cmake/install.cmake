# What `cmake --install` puts in the prefix: the headers, the exported target
# with its CMake package files (find_package(eddy)), and eddy.pc (pkg-config).
# Included from the top-level CMakeLists.txt only when EDDY_INSTALL is ON.

# eddy is headers only, so its package files do not depend on the
# architecture: the pkg-config file goes where arch-independent .pc files go
# (share/pkgconfig, on pkg-config's default path as lib/pkgconfig is).
set(EDDY_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/eddy CACHE STRING
  "Where eddy's CMake package files are installed (relative to the prefix)")
set(EDDY_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_DATADIR}/pkgconfig CACHE STRING
  "Where eddy.pc is installed (relative to the prefix)")

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS eddy EXPORT eddyTargets)
install(EXPORT eddyTargets NAMESPACE eddy:: DESTINATION ${EDDY_INSTALL_CMAKEDIR})
# eddy::deflate in a file of its own, loaded by eddyConfig only where zlib is
# found, so that find_package(eddy) never needs zlib.
if(TARGET eddy_deflate)
  install(TARGETS eddy_deflate EXPORT eddyDeflateTargets)
  install(EXPORT eddyDeflateTargets NAMESPACE eddy:: DESTINATION ${EDDY_INSTALL_CMAKEDIR})
endif()
configure_package_config_file(cmake/eddyConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/eddyConfig.cmake
  INSTALL_DESTINATION ${EDDY_INSTALL_CMAKEDIR})
# Before 1.0 a minor release may break the API, so 0.2 satisfies only 0.2.x.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/eddyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/eddyConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/eddyConfigVersion.cmake
  DESTINATION ${EDDY_INSTALL_CMAKEDIR})

# eddy.pc names its directories relative to its own location (${pcfiledir}),
# so the installed tree can be moved, or installed with `cmake --install
# --prefix` somewhere else than CMAKE_INSTALL_PREFIX, and still be right.
# An absolute directory (a distribution's layout) is written as it is.
function(eddy_pc_path out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${EDDY_INSTALL_PKGCONFIGDIR}")
  set(EDDY_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH up "/root/${EDDY_INSTALL_PKGCONFIGDIR}" "/root")
  string(REGEX REPLACE "/$" "" up "${up}")
  set(EDDY_PC_PREFIX "\${pcfiledir}/${up}")
endif()
eddy_pc_path(EDDY_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
configure_file(cmake/eddy.pc.in ${CMAKE_CURRENT_BINARY_DIR}/eddy.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/eddy.pc DESTINATION ${EDDY_INSTALL_PKGCONFIGDIR})
