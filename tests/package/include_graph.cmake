# The loop does not pay for HTTP: neither <eddy/ioloop.hpp> nor the umbrella
# <eddy/eddy.hpp> pulls in any HTTP header (those come with <eddy/http.hpp>),
# checked on the compiler's own dependency list (-MM) as C++20.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
foreach(header ioloop eddy)
  set(source ${WORK_DIR}/${header}.cpp)
  file(WRITE ${source} "#include <eddy/${header}.hpp>\n")
  execute_process(COMMAND ${CXX_COMPILER} -std=c++20 -I${EDDY_SOURCE_DIR}/include -MM ${source}
                  RESULT_VARIABLE result OUTPUT_VARIABLE deps ERROR_VARIABLE errors)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "listing the headers of <eddy/${header}.hpp> failed:\n${errors}")
  endif()
  string(REGEX MATCHALL "[^ \t\r\n\\\\]*http[^ \t\r\n\\\\]*" http "${deps}")
  if(http)
    message(FATAL_ERROR "<eddy/${header}.hpp> includes HTTP headers: ${http}")
  endif()
  string(REGEX MATCHALL "[^ \t\r\n\\\\]+\\.hpp" eddy_headers "${deps}")
  list(LENGTH eddy_headers count)
  message(STATUS "<eddy/${header}.hpp>: ${count} eddy headers, none of them HTTP")
endforeach()

# Nor does TLS cost what does not use it: neither <eddy/eddy.hpp> nor
# <eddy/http.hpp> includes an OpenSSL header (only <eddy/ssl.hpp> does).
foreach(header eddy http)
  set(source ${WORK_DIR}/${header}_tls.cpp)
  file(WRITE ${source} "#include <eddy/${header}.hpp>\n")
  execute_process(COMMAND ${CXX_COMPILER} -std=c++20 -I${EDDY_SOURCE_DIR}/include -M ${source}
                  RESULT_VARIABLE result OUTPUT_VARIABLE deps ERROR_VARIABLE errors)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "listing the headers of <eddy/${header}.hpp> failed:\n${errors}")
  endif()
  string(REGEX MATCHALL "[^ \t\r\n\\\\]*openssl/[^ \t\r\n\\\\]*" ssl "${deps}")
  if(ssl)
    message(FATAL_ERROR "<eddy/${header}.hpp> includes OpenSSL headers: ${ssl}")
  endif()
  message(STATUS "<eddy/${header}.hpp>: no OpenSSL header")
endforeach()
