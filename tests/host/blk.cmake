# Block tests: the virtio-blk plugin (devices/blk) and the Block Valve (valve/) against the
# simulated RAM disk of tests/sim, and the Valve's RAM and host-file backends, under ASan + UBSan.
set(BLK_TEST_HELPERS ${CMAKE_SOURCE_DIR}/tests/host/test_blk_util.c)
if(EXISTS ${CMAKE_SOURCE_DIR}/devices/blk/manifest.toml)
  rumpk_host_test(test_blk ${CMAKE_SOURCE_DIR}/tests/host/test_blk.c ${BLK_TEST_HELPERS}
                  INCLUDES ${CMAKE_SOURCE_DIR}/tests/host)
  rumpk_host_test(test_valve ${CMAKE_SOURCE_DIR}/tests/host/test_valve.c ${BLK_TEST_HELPERS}
                  INCLUDES ${CMAKE_SOURCE_DIR}/tests/host)
  rumpk_host_test(test_valve_queue ${CMAKE_SOURCE_DIR}/tests/host/test_valve_queue.c
                  ${BLK_TEST_HELPERS} INCLUDES ${CMAKE_SOURCE_DIR}/tests/host)
  rumpk_host_test(test_valve_async ${CMAKE_SOURCE_DIR}/tests/host/test_valve_async.c
                  ${BLK_TEST_HELPERS} INCLUDES ${CMAKE_SOURCE_DIR}/tests/host)
endif()
# Backends without virtio: the RAM disk and the host file.
rumpk_host_test(test_valve_backends ${CMAKE_SOURCE_DIR}/tests/host/test_valve_backends.c
                ${BLK_TEST_HELPERS} INCLUDES ${CMAKE_SOURCE_DIR}/tests/host)
