# Installs eddy into a scratch prefix, then configures, builds and runs
# tests/package/consumer, which knows eddy only through find_package(): the
# header-only eddy::eddy and the separately compiled eddy::compiled.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
eddy_project_version(version)
eddy_install_into(${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${EDDY_SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/consumer-build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DEDDY_WANTED_VERSION=${version})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run(${WORK_DIR}/consumer-build/consumer)
# The optional PostgreSQL target, when libpq was found by the consumer.
if(EXISTS ${WORK_DIR}/consumer-build/consumer_postgres)
  run(${WORK_DIR}/consumer-build/consumer_postgres)
endif()
# eddy::ssl came along when OpenSSL is installed here (the consumer builds
# ssl_consumer when find_package(eddy) defined it).
if(EXISTS ${WORK_DIR}/consumer-build/ssl_consumer)
  run(${WORK_DIR}/consumer-build/ssl_consumer)
elseif(EXISTS /usr/include/openssl/ssl.h)
  message(FATAL_ERROR "OpenSSL is installed, but find_package(eddy) gave no eddy::ssl")
endif()
run(${WORK_DIR}/consumer-build/consumer_compiled)
