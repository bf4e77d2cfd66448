# The riscv64 images' memset/memcpy/memmove (libc/mem.c), built on the host under other names
# (the host's own must stay the host's) and checked against byte loops.
add_library(rumpk_libc_mem_host OBJECT ${CMAKE_SOURCE_DIR}/libc/mem.c)
target_compile_definitions(rumpk_libc_mem_host PRIVATE memset=lc_memset memcpy=lc_memcpy
                           memmove=lc_memmove)
target_compile_options(rumpk_libc_mem_host PRIVATE -fno-builtin -fno-tree-loop-distribute-patterns)
rumpk_host_test(test_libc_mem
                ${CMAKE_SOURCE_DIR}/tests/host/test_libc_mem.c
                $<TARGET_OBJECTS:rumpk_libc_mem_host>)
