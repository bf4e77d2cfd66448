# Finds clang and checks that it can link libFuzzer targets, for every libFuzzer target in the tree
# (tests/fuzz/fuzz.cmake and tests/host/nexfs.cmake); tests/CMakeLists.txt includes it before both,
# so a first configure on a clean clone already knows. Sets RUMPK_CLANG and RUMPK_FUZZ_MISSING:
# empty when the targets can be built, otherwise what is missing (the tests then fail naming it).
option(RUMPK_FUZZ "Build the libFuzzer targets and run them as tests" ON)
find_program(RUMPK_CLANG NAMES clang clang-14 clang-15 clang-16)
set(RUMPK_FUZZ_MISSING "")
if(NOT RUMPK_CLANG)
  unset(RUMPK_CLANG CACHE) # look again at the next configure, after an install
  set(RUMPK_FUZZ_MISSING "clang is not installed")
elseif(NOT RUMPK_CLANG_FUZZER_OK)
  # clang without its libFuzzer runtime cannot build a target: find out (again until it can).
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
    set(RUMPK_FUZZ_MISSING
        "${RUMPK_CLANG} cannot link libFuzzer targets (libclang-rt-14-dev missing?)")
  endif()
endif()

