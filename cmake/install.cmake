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
# eddy::ssl in a file of its own, which eddyConfig.cmake loads only when it
# finds OpenSSL: find_package(eddy) works without OpenSSL too.
if(TARGET eddy_ssl)
  install(TARGETS eddy_ssl EXPORT eddySSLTargets)
  install(EXPORT eddySSLTargets NAMESPACE eddy:: DESTINATION ${EDDY_INSTALL_CMAKEDIR})
endif()
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
# The optional targets look for their libraries where eddy is used.
install(FILES cmake/postgres.cmake DESTINATION ${EDDY_INSTALL_CMAKEDIR})

# eddy.pc (and eddy-ssl.pc: eddy with TLS, `pkg-config --cflags --libs
# eddy-ssl` adds OpenSSL's flags) are written at install time, with the prefix
# the install really goes to (`cmake --install --prefix` may differ from
# CMAKE_INSTALL_PREFIX): plain absolute paths, so `pkg-config --cflags` prints
# a clean -I. The templates are configured now; install(CODE) fills in the prefix.
set(EDDY_PC_INCLUDEDIR "__EDDY_PC_INCLUDEDIR__")
foreach(eddy_pc_name eddy eddy-ssl)
  configure_file(cmake/${eddy_pc_name}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${eddy_pc_name}.pc.template @ONLY)
  install(CODE "
    set(eddy_pc_includedir \"${CMAKE_INSTALL_INCLUDEDIR}\")
    if(NOT IS_ABSOLUTE \"\${eddy_pc_includedir}\")
      set(eddy_pc_includedir \"\${CMAKE_INSTALL_PREFIX}/\${eddy_pc_includedir}\")
    endif()
    get_filename_component(eddy_pc_includedir \"\${eddy_pc_includedir}\" ABSOLUTE)
    set(eddy_pc_dir \"${EDDY_INSTALL_PKGCONFIGDIR}\")
    if(NOT IS_ABSOLUTE \"\${eddy_pc_dir}\")
      set(eddy_pc_dir \"\${CMAKE_INSTALL_PREFIX}/\${eddy_pc_dir}\")
    endif()
    file(READ \"${CMAKE_CURRENT_BINARY_DIR}/${eddy_pc_name}.pc.template\" eddy_pc)
    string(REPLACE \"__EDDY_PC_INCLUDEDIR__\" \"\${eddy_pc_includedir}\" eddy_pc \"\${eddy_pc}\")
    message(STATUS \"Installing: \$ENV{DESTDIR}\${eddy_pc_dir}/${eddy_pc_name}.pc\")
    file(WRITE \"\$ENV{DESTDIR}\${eddy_pc_dir}/${eddy_pc_name}.pc\" \"\${eddy_pc}\")
  ")
endforeach()
