# The os.h event and hooks of the host implementation (tests/sim/os_host.c), under ASan + UBSan:
#   test_os_event  a signal before the wait is never lost, interrupts and polls end a wait,
#                  timeouts, the tick hook
rumpk_host_test(test_os_event ${CMAKE_SOURCE_DIR}/tests/host/test_os_event.c)
