# The Redis client (issue 27): eddy_redis_tests. The cases tagged [server]
# start their own redis-server (tests/support/redis_server.hpp); without one
# on the PATH they are left out of the build, with a note. The RESP fuzz
# harness replays its corpus in every configuration (fuzz.resp.replay).
find_program(EDDY_REDIS_SERVER_PROGRAM redis-server PATHS /usr/bin /usr/local/bin /usr/sbin)

set(EDDY_REDIS_TESTS main.cpp support/alloc_counter.cpp redis_resp_test.cpp redis_reply_test.cpp redis_url_test.cpp)
if(EDDY_REDIS_SERVER_PROGRAM)
  list(APPEND EDDY_REDIS_TESTS redis_client_test.cpp redis_types_test.cpp redis_pubsub_test.cpp redis_failure_test.cpp
       redis_cancel_test.cpp)
else()
  message(STATUS "eddy: no redis-server found: the Redis client's server tests are not built")
endif()
# examples/redis_chat, end to end (two processes sharing one room).
if(EDDY_REDIS_SERVER_PROGRAM AND EDDY_BUILD_EXAMPLES)
  list(APPEND EDDY_REDIS_TESTS redis_example_test.cpp)
endif()
eddy_add_test_binary(eddy_redis_tests 20 eddy::eddy ${EDDY_REDIS_TESTS})
if(EDDY_REDIS_SERVER_PROGRAM)
  target_compile_definitions(eddy_redis_tests PRIVATE EDDY_REDIS_SERVER="${EDDY_REDIS_SERVER_PROGRAM}")
endif()
if(EDDY_REDIS_SERVER_PROGRAM AND EDDY_BUILD_EXAMPLES)
  target_compile_definitions(eddy_redis_tests PRIVATE EDDY_REDIS_CHAT="$<TARGET_FILE:redis_chat>")
  add_dependencies(eddy_redis_tests redis_chat)
endif()

add_executable(eddy_resp_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/resp_fuzzer.cpp ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp)
target_link_libraries(eddy_resp_fuzz_replay PRIVATE eddy::eddy)
target_compile_features(eddy_resp_fuzz_replay PRIVATE cxx_std_20)
set_target_properties(eddy_resp_fuzz_replay PROPERTIES CXX_EXTENSIONS OFF)
eddy_target_options(eddy_resp_fuzz_replay)
add_test(NAME fuzz.resp.replay COMMAND eddy_resp_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/resp)
set_tests_properties(fuzz.resp.replay PROPERTIES TIMEOUT 300)

# rediss:// (TLS through <eddy/ssl.hpp>): a binary of its own, since it links
# eddy::ssl (OpenSSL) and eddy_redis_tests must show that a program without
# <eddy/ssl.hpp> gets a clear error instead.
if(TARGET eddy::ssl AND EDDY_REDIS_SERVER_PROGRAM)
  eddy_add_test_binary(eddy_redis_tls_tests 20 eddy::ssl main.cpp support/alloc_counter.cpp redis_tls_test.cpp)
  target_compile_definitions(eddy_redis_tls_tests PRIVATE EDDY_REDIS_SERVER="${EDDY_REDIS_SERVER_PROGRAM}")
endif()
