# Network tests (netstack/, devices/net/): cmocka tests of the stack over a recording fake
# interface, the DHCP client against a scripted server, a deterministic mutation fuzzer of the
# receive path, and the virtio-net plugin against the simulated loopback device (the receive
# path's libFuzzer target is tests/fuzz/fuzz_net_rx.c).
set(NET_TEST_HELPERS ${CMAKE_SOURCE_DIR}/tests/host/test_net_frames.c)
set(NET_TEST_INC ${CMAKE_SOURCE_DIR}/tests/host)

rumpk_host_test(test_net_stack ${CMAKE_SOURCE_DIR}/tests/host/test_net_stack.c ${NET_TEST_HELPERS}
                INCLUDES ${NET_TEST_INC})
rumpk_host_test(test_net_dhcp ${CMAKE_SOURCE_DIR}/tests/host/test_net_dhcp.c ${NET_TEST_HELPERS}
                INCLUDES ${NET_TEST_INC})
rumpk_host_test(test_net_fuzz ${CMAKE_SOURCE_DIR}/tests/host/test_net_fuzz.c ${NET_TEST_HELPERS}
                INCLUDES ${NET_TEST_INC})
if(EXISTS ${CMAKE_SOURCE_DIR}/devices/net/manifest.toml)
  rumpk_host_test(test_net_virtio ${CMAKE_SOURCE_DIR}/tests/host/test_net_virtio.c
                  ${NET_TEST_HELPERS} INCLUDES ${NET_TEST_INC})
endif()
