# The virtio-console plugin (devices/console) against a multiport console written with the
# simulator's generic model: ports added, named, opened and removed by control messages, console
# input and output, SIZE, a port vanishing while in use, hostile control messages.
if(EXISTS ${CMAKE_SOURCE_DIR}/devices/console/manifest.toml)
  rumpk_host_test(test_console ${CMAKE_SOURCE_DIR}/tests/host/test_console.c)
endif()
