# NipBox tests: the shell's pure parts (the number parser, the line editor) built from nipbox/
# and tested on the host; the shell as a whole is driven on QEMU by tests/qemu/.
set(RUMPK_NIPBOX_DIR ${CMAKE_SOURCE_DIR}/nipbox)

rumpk_host_test(test_nipbox_args
                ${CMAKE_SOURCE_DIR}/tests/host/test_nipbox_args.c
                ${RUMPK_NIPBOX_DIR}/args.c
                INCLUDES ${RUMPK_NIPBOX_DIR}/include)

rumpk_host_test(test_nipbox_line
                ${CMAKE_SOURCE_DIR}/tests/host/test_nipbox_line.c
                ${RUMPK_NIPBOX_DIR}/line_edit.c
                INCLUDES ${RUMPK_NIPBOX_DIR})
