# The WebSocket layer (issue 25): eddy_websocket_tests, C++20. Linked with
# eddy::eddy alone, it also proves that <eddy/websocket.hpp> needs no zlib
# at link time: its compression tests find zlib at run time. The same
# compression tests run again in eddy_websocket_deflate_tests, linked with
# eddy::deflate (zlib called directly).
set(EDDY_WEBSOCKET_TESTS
  main.cpp
  websocket_codec_test.cpp
  websocket_handshake_test.cpp
  websocket_deflate_test.cpp
  websocket_server_test.cpp
  websocket_protocol_test.cpp
  websocket_close_test.cpp
  websocket_flow_test.cpp
  websocket_client_test.cpp
  websocket_peers_test.cpp)
eddy_add_test_binary(eddy_websocket_tests 20 eddy::eddy ${EDDY_WEBSOCKET_TESTS})
target_compile_definitions(eddy_websocket_tests PRIVATE
  EDDY_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}/tests")
# The codec once more with its portable loops (EDDY_WEBSOCKET_NO_SIMD: the
# 64-bit word loops non-x86 targets use), so the fallback stays tested.
eddy_add_test_binary(eddy_websocket_codec_nosimd 20 eddy::eddy main.cpp websocket_codec_test.cpp)
target_compile_definitions(eddy_websocket_codec_nosimd PRIVATE EDDY_WEBSOCKET_NO_SIMD=1)
if(TARGET eddy::deflate)
  eddy_add_test_binary(eddy_websocket_deflate_tests 20 eddy::deflate main.cpp websocket_deflate_test.cpp)
endif()

# The frame parser's fuzz harness replays its corpus in every configuration,
# as the HTTP one does; scripts/fuzz websocket_frame does the fuzzing.
add_executable(eddy_websocket_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/websocket_frame_fuzzer.cpp
                                          ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp)
target_link_libraries(eddy_websocket_fuzz_replay PRIVATE eddy::eddy)
target_compile_features(eddy_websocket_fuzz_replay PRIVATE cxx_std_20)
set_target_properties(eddy_websocket_fuzz_replay PROPERTIES CXX_EXTENSIONS OFF)
eddy_target_options(eddy_websocket_fuzz_replay)
add_test(NAME fuzz.websocket_frame.replay
         COMMAND eddy_websocket_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/websocket_frame)
set_tests_properties(fuzz.websocket_frame.replay PROPERTIES TIMEOUT 300)

# wss:// (the WebSocket layer over TLS): eddy_websocket_tls_tests links
# eddy::ssl (and eddy::deflate where zlib is found), so the plain binary
# above keeps proving that <eddy/websocket.hpp> alone needs no OpenSSL.
if(TARGET eddy::ssl)
  eddy_add_test_binary(eddy_websocket_tls_tests 20 eddy::ssl main.cpp websocket_tls_test.cpp
                       websocket_tls_peers_test.cpp)
  target_compile_definitions(eddy_websocket_tls_tests PRIVATE EDDY_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}/tests")
  if(TARGET eddy::deflate)
    target_link_libraries(eddy_websocket_tls_tests PRIVATE eddy::deflate)
  endif()
endif()
