# The entropy pool's arithmetic (kernel/entropy.c) on the host: ChaCha20 against RFC 8439's
# vectors, absorbing and drawing.
rumpk_host_test(test_entropy
                ${CMAKE_SOURCE_DIR}/tests/host/test_entropy.c
                ${CMAKE_SOURCE_DIR}/kernel/entropy.c
                INCLUDES ${CMAKE_SOURCE_DIR}/kernel/include)
