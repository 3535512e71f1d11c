# The PostgreSQL driver's tests (issue 26): eddy_postgres_tests, built only
# when libpq is found (eddy::postgres). They start their own PostgreSQL 15
# (tests/support/postgres_server.hpp), so they are tagged [postgres][server].
if(NOT TARGET eddy::postgres)
  message(STATUS "eddy: libpq not found, eddy_postgres_tests not built")
  return()
endif()

set(EDDY_POSTGRES_TESTS main.cpp postgres_values_test.cpp postgres_connect_test.cpp postgres_query_test.cpp
    postgres_pipeline_test.cpp postgres_cancel_test.cpp postgres_notify_test.cpp postgres_pool_test.cpp
    postgres_failure_test.cpp postgres_in_place_test.cpp)
if(EDDY_BUILD_EXAMPLES)
  list(APPEND EDDY_POSTGRES_TESTS examples_postgres_test.cpp)
endif()
eddy_add_test_binary(eddy_postgres_tests 20 eddy::postgres ${EDDY_POSTGRES_TESTS})
if(EDDY_BUILD_EXAMPLES)
  target_compile_definitions(eddy_postgres_tests PRIVATE EDDY_EXAMPLE_DIR="$<TARGET_FILE_DIR:db_query>")
  add_dependencies(eddy_postgres_tests db_query)
endif()

# <eddy/postgres.hpp> compiles on its own.
if(EDDY_HEADER_CHECKS)
  set(source ${CMAKE_CURRENT_BINARY_DIR}/header_alone/cxx20_eddy_postgres_hpp.cpp)
  file(CONFIGURE OUTPUT ${source} CONTENT "#include <eddy/postgres.hpp>\n")
  add_library(eddy_headers_alone_postgres OBJECT ${source})
  target_link_libraries(eddy_headers_alone_postgres PRIVATE eddy::postgres)
  eddy_target_options(eddy_headers_alone_postgres)
endif()
