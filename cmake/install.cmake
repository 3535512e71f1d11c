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
# eddy::compiled (cmake/compiled.cmake), when built: the static library of
# the separately compiled mode, in the same export set.
if(TARGET eddy_compiled)
  install(TARGETS eddy_compiled EXPORT eddyTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
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
# With eddy::compiled the package holds a library built for one architecture.
if(TARGET eddy_compiled)
  set(eddy_arch_independent "")
else()
  set(eddy_arch_independent ARCH_INDEPENDENT)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/eddyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ${eddy_arch_independent})
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
set(EDDY_PC_LIBDIR "__EDDY_PC_LIBDIR__")
set(eddy_pc_files eddy eddy-ssl)
foreach(eddy_pc_name ${eddy_pc_files})
  configure_file(cmake/${eddy_pc_name}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${eddy_pc_name}.pc.template @ONLY)
endforeach()
# eddy-compiled.pc: the separately compiled mode (eddy::compiled), when built.
if(TARGET eddy_compiled)
  list(APPEND eddy_pc_files eddy-compiled)
  configure_file(cmake/eddy-compiled.pc.in ${CMAKE_CURRENT_BINARY_DIR}/eddy-compiled.pc.template @ONLY)
endif()
install(CODE "
  set(eddy_dir_includedir \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(eddy_dir_libdir \"${CMAKE_INSTALL_LIBDIR}\")
  foreach(dir_name includedir libdir)
    set(dir \"\${eddy_dir_\${dir_name}}\")
    if(NOT IS_ABSOLUTE \"\${dir}\")
      set(dir \"\${CMAKE_INSTALL_PREFIX}/\${dir}\")
    endif()
    get_filename_component(eddy_pc_\${dir_name} \"\${dir}\" ABSOLUTE)
  endforeach()
  set(eddy_pc_dir \"${EDDY_INSTALL_PKGCONFIGDIR}\")
  if(NOT IS_ABSOLUTE \"\${eddy_pc_dir}\")
    set(eddy_pc_dir \"\${CMAKE_INSTALL_PREFIX}/\${eddy_pc_dir}\")
  endif()
  foreach(name ${eddy_pc_files})
    file(READ \"${CMAKE_CURRENT_BINARY_DIR}/\${name}.pc.template\" eddy_pc)
    string(REPLACE \"__EDDY_PC_INCLUDEDIR__\" \"\${eddy_pc_includedir}\" eddy_pc \"\${eddy_pc}\")
    string(REPLACE \"__EDDY_PC_LIBDIR__\" \"\${eddy_pc_libdir}\" eddy_pc \"\${eddy_pc}\")
    message(STATUS \"Installing: \$ENV{DESTDIR}\${eddy_pc_dir}/\${name}.pc\")
    file(WRITE \"\$ENV{DESTDIR}\${eddy_pc_dir}/\${name}.pc\" \"\${eddy_pc}\")
  endforeach()
")
