# The separately compiled mode (eddy::compiled, cmake/compiled.cmake): a test
# binary built against it, in every configuration, sanitizers included.
if(TARGET eddy::compiled)
  eddy_add_test_binary(eddy_compiled_tests 20 eddy::compiled main.cpp compiled_mode_test.cpp)
endif()
