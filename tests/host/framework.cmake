# Virtio core tests (framework/ and the simulator in tests/sim/), included by tests/CMakeLists.txt:
#   test_virtqueue    ring layouts, chains, wrapping, full queue, ordering, used-ring faults
#   test_virtio_core  lifecycle, negotiation, config reads, interrupts, NEEDS_RESET, names
#   test_registry     the generated registry: toy fixture plugin, a type with no driver
#   test_sim          the simulator's own device models and checks, os_wait and the fake clock
#   test_event_idx    VIRTIO_F_RING_EVENT_IDX: negotiation, avail_event kicks, used_event interrupts
#   test_naming       boot discovery: naming order across transports, the census of the list
#   test_vq_packed    packed rings: wrap-around, chains, full queue, ordering, event suppression,
#                     every used-element fault, negotiation (modern only, virtio.ring=split)
#   test_vq_indirect  indirect tables in both layouts: cost, queue capacity, table reuse, faults
set(RUMPK_FW_TEST_INCLUDES ${CMAKE_SOURCE_DIR}/framework ${CMAKE_SOURCE_DIR}/tests/host
    ${CMAKE_SOURCE_DIR}/tests/fixtures/plugins)
foreach(t test_virtqueue test_virtio_core test_registry test_sim test_event_idx test_naming)
  rumpk_host_test(${t} ${CMAKE_SOURCE_DIR}/tests/host/${t}.c
                  ${CMAKE_SOURCE_DIR}/tests/host/fw_testdrv.c
                  INCLUDES ${RUMPK_FW_TEST_INCLUDES})
endforeach()
foreach(t test_vq_packed test_vq_indirect)
  rumpk_host_test(${t} ${CMAKE_SOURCE_DIR}/tests/host/${t}.c
                  ${CMAKE_SOURCE_DIR}/tests/host/fw_testdrv.c
                  ${CMAKE_SOURCE_DIR}/tests/host/test_vq_util.c
                  INCLUDES ${RUMPK_FW_TEST_INCLUDES})
endforeach()
