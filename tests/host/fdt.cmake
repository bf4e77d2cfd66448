# DTB parser tests: kernel/fdt.c and kernel/platform.c compiled straight into a cmocka test.
# The fdt_make_dtbs fixture dumps QEMU's own virt trees (several device mixes) and compiles
# tests/fixtures/dtb/custom.dts, so the test always reads the trees of the installed QEMU.
set(RUMPK_FDT_DTB_DIR ${CMAKE_CURRENT_BINARY_DIR}/fdt_dtbs)
add_test(NAME fdt_make_dtbs
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/fixtures/dtb/make_dtbs.py
                 ${RUMPK_FDT_DTB_DIR})
set_tests_properties(fdt_make_dtbs PROPERTIES FIXTURES_SETUP fdt_dtbs LABELS host TIMEOUT 120)

rumpk_host_test(test_fdt
                ${CMAKE_SOURCE_DIR}/tests/host/test_fdt.c
                ${CMAKE_SOURCE_DIR}/kernel/fdt.c
                ${CMAKE_SOURCE_DIR}/kernel/platform.c
                INCLUDES ${CMAKE_SOURCE_DIR}/kernel/include)
set_tests_properties(test_fdt PROPERTIES FIXTURES_REQUIRED fdt_dtbs
                     ENVIRONMENT "RUMPK_DTB_DIR=${RUMPK_FDT_DTB_DIR}")
