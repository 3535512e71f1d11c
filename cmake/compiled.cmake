# eddy::compiled: the optional separately compiled mode (as Asio's
# ASIO_SEPARATE_COMPILATION, fmt's compiled library). A static library built
# from src/, whose users get EDDY_SEPARATE_COMPILATION defined: the members of
# the template bases (IOLoopImpl<void>, IOStreamImpl<void>, ...) and the HTTP
# layer's entry points are compiled once, here, and a user's files compile
# their declarations only. Same headers, same API; C++20, since the library
# holds the HTTP layer and its coroutines. eddy::eddy stays header-only.
# Included from the top-level CMakeLists.txt when EDDY_COMPILED is ON.
add_library(eddy_compiled STATIC src/eddy_core.cpp src/eddy_http.cpp)
add_library(eddy::compiled ALIAS eddy_compiled)
set_target_properties(eddy_compiled PROPERTIES EXPORT_NAME compiled OUTPUT_NAME eddy_compiled
  CXX_EXTENSIONS OFF POSITION_INDEPENDENT_CODE ON)
target_link_libraries(eddy_compiled PUBLIC eddy)
target_compile_features(eddy_compiled PUBLIC cxx_std_20)
target_compile_definitions(eddy_compiled PUBLIC EDDY_SEPARATE_COMPILATION=1)
eddy_target_options(eddy_compiled)
