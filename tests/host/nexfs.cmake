# NexFS (nexfs/, included by tests/CMakeLists.txt): the core built once for the host (ASan,
# UBSan), its cmocka tests on a RAM device, the host tools (mkfs.nexfs, fsck.nexfs, nexfs in
# build/host), a script test of the tools, and a libFuzzer target over mount + fsck.
#   test_nexfs_ops      every operation and error code, persistence, device errors
#   test_nexfs_big      10,000 entries in one directory, >1 GiB sparse files, a full disk
#   test_nexfs_corrupt  a corrupted metadata block of each kind: EIO for it, the rest works
#   test_nexfs_crash    every flush-ended prefix and random cuts of a recorded workload
#   test_nexfs_checks   each check of what NexFS reads, against an image made to pass the others
#   nexfs_tools         tests/script/test_nexfs_tools.py: put -r/get -r round trip, fsck codes
#   fuzz_nexfs          mutated images into mount + fsck + operations (needs clang)
file(GLOB NEXFS_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/nexfs/*.c)
add_library(rumpk_nexfs_host STATIC ${NEXFS_SRCS})
target_include_directories(rumpk_nexfs_host PUBLIC ${CMAKE_SOURCE_DIR}/nexfs/include)
target_compile_options(rumpk_nexfs_host PRIVATE -ffreestanding)

set(NEXFS_TEST_HELPERS ${CMAKE_SOURCE_DIR}/tests/host/nexfs_ramdev.c)
foreach(t ops big corrupt crash checks)
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/host/test_nexfs_${t}.c)
    rumpk_host_test(test_nexfs_${t} ${CMAKE_SOURCE_DIR}/tests/host/test_nexfs_${t}.c
                    ${NEXFS_TEST_HELPERS} LIBS rumpk_nexfs_host
                    INCLUDES ${CMAKE_SOURCE_DIR}/tests/host)
  endif()
endforeach()

# The host tools, in build/host itself.
set(NEXFS_TOOL_DIR ${CMAKE_SOURCE_DIR}/tools/nexfs)
foreach(tool mkfs_nexfs:mkfs.nexfs fsck_nexfs:fsck.nexfs nexfs_cli:nexfs)
  string(REPLACE ":" ";" pair ${tool})
  list(GET pair 0 src)
  list(GET pair 1 out)
  add_executable(${src} ${NEXFS_TOOL_DIR}/${src}.c ${NEXFS_TOOL_DIR}/hostdev.c)
  target_link_libraries(${src} PRIVATE rumpk_nexfs_host)
  set_target_properties(${src} PROPERTIES OUTPUT_NAME ${out}
                        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
endforeach()
add_test(NAME nexfs_tools COMMAND ${Python3_EXECUTABLE} -m unittest -v test_nexfs_tools
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/script)
set_tests_properties(nexfs_tools PROPERTIES LABELS host TIMEOUT 120
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;NEXFS_TOOLS=${CMAKE_BINARY_DIR}")

# libFuzzer over mount + fsck + operations: clang with its fuzzer runtime, found by
# tests/fuzz/clang.cmake (included before this file). Without them the test fails naming what is missing.
if(NOT RUMPK_FUZZ)
  return() # tools/mutate.py turns the clang builds off
endif()
set(NEXFS_FUZZ_MISSING "${RUMPK_FUZZ_MISSING}")
if(NEXFS_FUZZ_MISSING STREQUAL "")
  set(NEXFS_FUZZ_SRCS ${NEXFS_SRCS} ${CMAKE_SOURCE_DIR}/tests/host/fuzz_nexfs.c
      ${CMAKE_SOURCE_DIR}/tests/host/nexfs_ramdev.c)
  set(NEXFS_FUZZ_BIN ${CMAKE_CURRENT_BINARY_DIR}/fuzz_nexfs)
  # One clang command builds it: without its headers named here, a change to one of them (a
  # layout, an inline helper) would leave the fuzzer running the old code.
  file(GLOB NEXFS_FUZZ_HDRS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/nexfs/*.h
       ${CMAKE_SOURCE_DIR}/nexfs/include/nexfs/*.h ${CMAKE_SOURCE_DIR}/tests/host/nexfs_*.h)
  add_custom_command(
    OUTPUT ${NEXFS_FUZZ_BIN}
    COMMAND ${RUMPK_CLANG} -std=c11 -g -O1 -Wall -Wextra -Werror
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
            -I${CMAKE_SOURCE_DIR}/nexfs/include -I${CMAKE_SOURCE_DIR}/tests/host
            ${NEXFS_FUZZ_SRCS} -o ${NEXFS_FUZZ_BIN}
    DEPENDS ${NEXFS_FUZZ_SRCS} ${NEXFS_FUZZ_HDRS}
    COMMENT "Building libFuzzer target fuzz_nexfs"
    VERBATIM)
  add_custom_target(fuzz_nexfs ALL DEPENDS ${NEXFS_FUZZ_BIN})
  # A short deterministic run from the checked-in seeds (a scratch copy: libFuzzer adds to it).
  add_test(NAME fuzz_nexfs
           COMMAND ${CMAKE_COMMAND} -E env sh -c
                   "rm -rf corpus && cp -r ${CMAKE_SOURCE_DIR}/tests/fixtures/nexfs-corpus corpus && ${NEXFS_FUZZ_BIN} -runs=1500 -seed=1 -max_len=262144 -timeout=10 corpus"
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
else()
  message(STATUS "nexfs: fuzz_nexfs cannot be built: ${NEXFS_FUZZ_MISSING}")
  add_test(NAME fuzz_nexfs
           COMMAND ${Python3_EXECUTABLE} -c
                   "import sys; sys.exit('fuzz_nexfs: ${NEXFS_FUZZ_MISSING}; ./rumpk setup installs clang and libclang-rt-14-dev')")
endif()
set_tests_properties(fuzz_nexfs PROPERTIES LABELS host TIMEOUT 120)
