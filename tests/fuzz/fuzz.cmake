# libFuzzer targets, one per boundary where the kernel reads what it does not control (included
# by tests/CMakeLists.txt). They are built by clang in a project of their own (tests/fuzz/
# CMakeLists.txt, an ExternalProject: CMake allows one C compiler per project) from the same
# sources as rumpk_host, and each becomes a CTest test that runs it briefly over its checked-in
# corpus (tests/fuzz/corpus/<target>/). `./rumpk fuzz` runs them longer.
# Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev; `./rumpk setup`
# installs both). Without them every test is still registered, and fails naming what is missing.
include(ExternalProject)
if(NOT RUMPK_FUZZ)
  return() # tools/mutate.py: a rebuild per mutant must not rebuild the clang tree too
endif()

set(RUMPK_FUZZ_TARGETS fuzz_vq_used fuzz_pci_config fuzz_fdt fuzz_ion_ring fuzz_net_rx
    fuzz_dev_config)
set(RUMPK_FUZZ_SECONDS 5 CACHE STRING "Seconds each fuzz target runs as a CTest test")

set(RUMPK_FUZZ_BIN ${CMAKE_BINARY_DIR}/fuzz)
if(RUMPK_FUZZ_MISSING STREQUAL "")
  # What rumpk_host is made of (the same folders; the plugins' shell commands left to the
  # shell, as cmake/layers.cmake does), handed to the clang project as a script it includes.
  rumpk_sources_of(srcs ${CMAKE_SOURCE_DIR}/tests/sim ${CMAKE_SOURCE_DIR}/valve/host
                   ${RUMPK_FIXTURE_DIRS} ${CMAKE_SOURCE_DIR}/framework ${CMAKE_SOURCE_DIR}/netstack
                   ${CMAKE_SOURCE_DIR}/valve ${CMAKE_SOURCE_DIR}/ports ${RUMPK_DEVICE_DIRS}
                   ${CMAKE_SOURCE_DIR}/ion
                   ${CMAKE_SOURCE_DIR}/caps)
  if(RUMPK_SHELL_SOURCES)
    list(REMOVE_ITEM srcs ${RUMPK_SHELL_SOURCES})
  endif()
  if(RUMPK_ION_SHIM_SOURCES)
    list(REMOVE_ITEM srcs ${RUMPK_ION_SHIM_SOURCES}) # the user library's, not the kernel's
  endif()
  set(gen ${HOST_GEN_SRCS})
  list(FILTER gen INCLUDE REGEX "\\.c$")
  list(APPEND srcs ${gen})
  set(incs ${HOST_LAYER_INCS} ${HOST_GEN_INC} ${CMAKE_SOURCE_DIR}/tests/sim
      ${CMAKE_SOURCE_DIR}/valve/host ${CMAKE_SOURCE_DIR}/framework ${CMAKE_SOURCE_DIR}/abi/include)
  set(cfg ${CMAKE_CURRENT_BINARY_DIR}/fuzz_config.cmake)
  file(WRITE ${cfg}.new "set(RUMPK_SRC \"${CMAKE_SOURCE_DIR}\")\n"
       "set(RUMPK_FUZZ_SRCS \"${srcs}\")\n"
       "set(RUMPK_FUZZ_INCS \"${incs}\")\n" "set(RUMPK_FUZZ_TARGETS \"${RUMPK_FUZZ_TARGETS}\")\n")
  configure_file(${cfg}.new ${cfg} COPYONLY) # touched only when it changes: no needless reconfigure
  ExternalProject_Add(rumpk_fuzz
    SOURCE_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz
    BINARY_DIR ${RUMPK_FUZZ_BIN}
    CMAKE_ARGS -DCMAKE_C_COMPILER=${RUMPK_CLANG} -DCMAKE_BUILD_TYPE=RelWithDebInfo
               -DRUMPK_FUZZ_CONFIG=${cfg}
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    DEPENDS rumpk_gen)
  foreach(t ${RUMPK_FUZZ_TARGETS})
    # New inputs go to a scratch corpus in the build tree; the checked-in one is only read.
    set(work ${RUMPK_FUZZ_BIN}/work/${t})
    file(MAKE_DIRECTORY ${work})
    add_test(NAME ${t}
             COMMAND ${RUMPK_FUZZ_BIN}/${t} -seed=1 -max_total_time=${RUMPK_FUZZ_SECONDS}
                     -print_final_stats=1 -artifact_prefix=${work}/ ${work}
                     ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${t})
  endforeach()
else()
  message(STATUS "fuzz: targets cannot be built: ${RUMPK_FUZZ_MISSING}")
  foreach(t ${RUMPK_FUZZ_TARGETS})
    add_test(NAME ${t}
             COMMAND ${Python3_EXECUTABLE} -c
                     "import sys; sys.exit('${t}: ${RUMPK_FUZZ_MISSING}; ./rumpk setup installs clang and libclang-rt-14-dev')")
  endforeach()
endif()
set_tests_properties(${RUMPK_FUZZ_TARGETS} PROPERTIES LABELS "host;fuzz" TIMEOUT 120)
