# The virtio-rng plugin (devices/rng) against a device written with the simulator's generic
# model (tests/sim/sim_model.c): healthy, empty, short and overlong answers, no answer.
if(EXISTS ${CMAKE_SOURCE_DIR}/devices/rng/manifest.toml)
  rumpk_host_test(test_rng ${CMAKE_SOURCE_DIR}/tests/host/test_rng.c)
endif()
