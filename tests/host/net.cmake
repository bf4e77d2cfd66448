# Network tests (netstack/, devices/net/): cmocka tests of the stack over a recording fake
# interface, the DHCP client against a scripted server, a deterministic mutation fuzzer of the
# receive path, and the virtio-net plugin against the simulated loopback device. With clang
# installed, also a libFuzzer target over the receive path (a short deterministic run as a test).
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

find_program(RUMPK_CLANG NAMES clang clang-14 clang-15 clang-16)
if(RUMPK_CLANG AND NOT DEFINED RUMPK_CLANG_FUZZER_OK)
  # clang without its libFuzzer runtime cannot build the target: find out once.
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
    set(RUMPK_CLANG_FUZZER_OK OFF CACHE INTERNAL "clang can link libFuzzer targets")
    message(STATUS "net: ${RUMPK_CLANG} cannot link libFuzzer targets; fuzz_net_rx skipped")
  endif()
endif()
if(RUMPK_CLANG AND RUMPK_CLANG_FUZZER_OK)
  # libFuzzer needs clang; the stack is compiled again here, with the target's own OS shim.
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
  set_tests_properties(fuzz_net_rx PROPERTIES LABELS host TIMEOUT 120)
endif()
