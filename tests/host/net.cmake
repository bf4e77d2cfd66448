# Network tests (netstack/, devices/net/): cmocka tests of the stack over a recording fake
# interface, the DHCP client against a scripted server, a deterministic mutation fuzzer of the
# receive path, and the virtio-net plugin against the simulated loopback device, and
# a libFuzzer target over the receive path (a short deterministic run as a test; needs clang).
set(NET_TEST_HELPERS ${CMAKE_SOURCE_DIR}/tests/host/test_net_frames.c)
set(NET_TEST_INC ${CMAKE_SOURCE_DIR}/tests/host)

rumpk_host_test(test_net_stack ${CMAKE_SOURCE_DIR}/tests/host/test_net_stack.c ${NET_TEST_HELPERS}
                INCLUDES ${NET_TEST_INC})
rumpk_host_test(test_net_dhcp ${CMAKE_SOURCE_DIR}/tests/host/test_net_dhcp.c ${NET_TEST_HELPERS}
                INCLUDES ${NET_TEST_INC})
rumpk_host_test(test_net_fuzz ${CMAKE_SOURCE_DIR}/tests/host/test_net_fuzz.c ${NET_TEST_HELPERS}
                INCLUDES ${NET_TEST_INC})
if(EXISTS ${CMAKE_SOURCE_DIR}/devices/net/manifest.toml)
  rumpk_host_test(test_net_virtio ${CMAKE_SOURCE_DIR}/tests/host/test_net_virtio.c
                  ${NET_TEST_HELPERS} INCLUDES ${NET_TEST_INC})
endif()

# libFuzzer needs clang and its runtime (Debian: clang, libclang-rt-14-dev; `./rumpk setup`
# installs both). Without them the test is still registered, and fails naming what is missing.
find_program(RUMPK_CLANG NAMES clang clang-14 clang-15 clang-16)
set(NET_FUZZ_MISSING "")
if(NOT RUMPK_CLANG)
  unset(RUMPK_CLANG CACHE) # look again at the next configure, after an install
  set(NET_FUZZ_MISSING "clang is not installed")
elseif(NOT RUMPK_CLANG_FUZZER_OK)
  # clang without its libFuzzer runtime cannot build the target: find out (again until it can).
  set(probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.c)
  file(WRITE ${probe} "#include <stddef.h>\n#include <stdint.h>\n"
       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n"
       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
  execute_process(COMMAND ${RUMPK_CLANG} -fsanitize=fuzzer,address,undefined ${probe}
                          -o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe
                  RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(probe_rc EQUAL 0)
    set(RUMPK_CLANG_FUZZER_OK ON CACHE INTERNAL "clang can link libFuzzer targets")
  else()
    set(NET_FUZZ_MISSING "${RUMPK_CLANG} cannot link libFuzzer targets (libclang-rt-14-dev missing?)")
  endif()
endif()
if(NET_FUZZ_MISSING STREQUAL "")
  # The stack is compiled again here, with the target's own OS shim.
  file(GLOB NET_FUZZ_STACK CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/netstack/*.c)
  set(NET_FUZZ_SRCS ${NET_FUZZ_STACK} ${CMAKE_SOURCE_DIR}/tests/host/fuzz_net_rx.c
      ${NET_TEST_HELPERS})
  set(NET_FUZZ_BIN ${CMAKE_CURRENT_BINARY_DIR}/fuzz_net_rx)
  add_custom_command(
    OUTPUT ${NET_FUZZ_BIN}
    COMMAND ${RUMPK_CLANG} -std=c11 -g -O1 -Wall -Wextra -Werror
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
            -I${CMAKE_SOURCE_DIR}/netstack/include -I${CMAKE_SOURCE_DIR}/framework/include
            -I${CMAKE_SOURCE_DIR}/tests/host ${NET_FUZZ_SRCS} -o ${NET_FUZZ_BIN}
    DEPENDS ${NET_FUZZ_SRCS} ${CMAKE_SOURCE_DIR}/tests/host/test_net_frames.h
    COMMENT "Building libFuzzer target fuzz_net_rx"
    VERBATIM)
  add_custom_target(fuzz_net_rx ALL DEPENDS ${NET_FUZZ_BIN})
  add_test(NAME fuzz_net_rx COMMAND ${NET_FUZZ_BIN} -runs=300000 -seed=1 -max_len=1600)
else()
  message(STATUS "net: fuzz_net_rx cannot be built: ${NET_FUZZ_MISSING}")
  add_test(NAME fuzz_net_rx
           COMMAND ${Python3_EXECUTABLE} -c
                   "import sys; sys.exit('fuzz_net_rx: ${NET_FUZZ_MISSING}; ./rumpk setup installs clang and libclang-rt-14-dev')")
endif()
set_tests_properties(fuzz_net_rx PROPERTIES LABELS host TIMEOUT 120)
