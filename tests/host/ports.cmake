# The port registry and ION for ports (ports/) with a fake device: bytes fed and read, a read
# with a deadline, a port that vanishes while held, bad ION arguments, a full receive buffer.
rumpk_host_test(test_ports ${CMAKE_SOURCE_DIR}/tests/host/test_ports.c)
