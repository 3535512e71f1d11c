# TLS (issue 24): eddy_ssl_tests links eddy::ssl (OpenSSL 3) and talks to real
# peers (curl, Python's ssl, openssl s_client, nginx). Built only when
# OpenSSL is found; <eddy/ssl.hpp> must also compile on its own.
if(TARGET eddy::ssl)
  eddy_add_test_binary(eddy_ssl_tests 20 eddy::ssl main.cpp support/alloc_counter.cpp
                       ssl_stream_test.cpp ssl_verify_test.cpp ssl_tcp_test.cpp ssl_hostile_test.cpp
                       ssl_http_server_test.cpp ssl_http_client_test.cpp ssl_static_test.cpp
                       http_client_proxy_test.cpp)
  target_compile_definitions(eddy_ssl_tests PRIVATE EDDY_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}/tests")
  # The stream parts build as C++17, like <eddy/iostream.hpp>.
  if(EDDY_CXX17_TESTS)
    eddy_add_test_binary(eddy_ssl_tests_cxx17 17 eddy::ssl main.cpp support/alloc_counter.cpp ssl_cxx17_test.cpp)
  endif()
  list(APPEND EDDY_PUBLIC_HEADERS_CXX17 eddy/ssl.hpp)
  list(APPEND EDDY_PUBLIC_HEADERS_CXX20 eddy/ssl.hpp)
endif()

# The TLS examples (https_fetch, hello_web --tls), end to end.
if(TARGET eddy::ssl AND EDDY_BUILD_EXAMPLES)
  add_executable(eddy_ssl_example_tests main.cpp examples_tls_test.cpp)
  target_link_libraries(eddy_ssl_example_tests PRIVATE Catch2::Catch2)
  target_compile_definitions(eddy_ssl_example_tests PRIVATE EDDY_EXAMPLE_DIR="$<TARGET_FILE_DIR:hello_web>")
  add_dependencies(eddy_ssl_example_tests hello_web https_fetch)
  eddy_target_options(eddy_ssl_example_tests)
  catch_discover_tests(eddy_ssl_example_tests TEST_PREFIX "examples:" PROPERTIES TIMEOUT 120)
endif()
