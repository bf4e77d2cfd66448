# The wall-clock date arithmetic (abi/walltime.h, header-only) on the host: fixed dates, leap
# years, and every day from 1970 to 2600 against the C library's gmtime_r.
rumpk_host_test(test_walltime
                ${CMAKE_SOURCE_DIR}/tests/host/test_walltime.c
                INCLUDES ${CMAKE_SOURCE_DIR}/abi/include)
