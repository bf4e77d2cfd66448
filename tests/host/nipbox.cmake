# NipBox tests: the shell's pure parts (the number parser in abi/parse_uint.h, the line editor) built
# and tested on the host; the shell as a whole is driven on QEMU by tests/qemu/.
set(RUMPK_NIPBOX_DIR ${CMAKE_SOURCE_DIR}/nipbox)

rumpk_host_test(test_parse_uint
                ${CMAKE_SOURCE_DIR}/tests/host/test_parse_uint.c
                INCLUDES ${CMAKE_SOURCE_DIR}/abi/include)

rumpk_host_test(test_nipbox_line
                ${CMAKE_SOURCE_DIR}/tests/host/test_nipbox_line.c
                ${RUMPK_NIPBOX_DIR}/line_edit.c
                INCLUDES ${RUMPK_NIPBOX_DIR})
